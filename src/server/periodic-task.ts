/** Options of `@periodicTask`. */
export interface PeriodicTaskOptions {
  /** Seconds between the end of one run and the start of the next. */
  delay: number;
}

/** A method registered with `@periodicTask`. */
export interface PeriodicTaskDef {
  name: string;
  delayMs: number;
  run: () => unknown;
}

const TASKS = Symbol('aioradius.periodicTasks');

interface HasTasks {
  [TASKS]?: PeriodicTaskDef[];
}

/**
 * Standard (TC39) method decorator: the method runs every `delay` seconds while the server runs,
 * sync or async, never overlapping itself; errors go to `registerHandleException`.
 */
export function periodicTask(options: PeriodicTaskOptions) {
  if (!(options.delay > 0)) throw new RangeError('periodicTask: delay must be a positive number of seconds');
  return <This extends object, F extends (this: This) => unknown>(
    method: F,
    context: ClassMethodDecoratorContext<This, F>,
  ) => {
    context.addInitializer(function (this: This) {
      const self = this as This & HasTasks;
      const list = self[TASKS] ?? (self[TASKS] = []);
      list.push({ name: String(context.name), delayMs: options.delay * 1000, run: () => method.call(this) });
    });
  };
}

/** The periodic tasks registered on an object by `@periodicTask`. */
export function periodicTasksOf(obj: object): PeriodicTaskDef[] {
  return (obj as HasTasks)[TASKS] ?? [];
}

/** Runs tasks on timers, one run at a time per task, until stopped. */
export class PeriodicRunner {
  private timers = new Set<NodeJS.Timeout>();
  private stopped = true;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly tasks: PeriodicTaskDef[],
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    for (const t of this.tasks) this.schedule(t);
  }

  private schedule(task: PeriodicTaskDef): void {
    if (this.stopped) return;
    const timer = setTimeout(async () => {
      this.timers.delete(timer);
      let p: Promise<unknown> | undefined;
      try {
        p = Promise.resolve(task.run());
        this.running.add(p);
        await p;
      } catch (err) {
        this.onError(err);
      } finally {
        if (p) this.running.delete(p);
      }
      // The next run is scheduled only after this one ends: runs never overlap.
      this.schedule(task);
    }, task.delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Stops scheduling and waits (bounded) for runs in progress. */
  async stop(waitMs = 5000): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((r) => {
        timer = setTimeout(r, waitMs);
      }),
    ]);
    clearTimeout(timer);
  }
}

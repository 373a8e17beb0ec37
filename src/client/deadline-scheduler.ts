import { performance } from 'node:perf_hooks';

/** Something with a deadline; bumping `generation` cancels every deadline scheduled before. */
export interface Scheduled {
  generation: number;
}

/** First-in first-out deadlines for one delay: pushed in time order, so they expire in push order. */
class DeadlineQueue<T extends Scheduled> {
  private items: (T | undefined)[];
  private generations: Float64Array;
  private deadlines: Float64Array;
  private head = 0;
  size = 0;

  constructor(capacity = 64) {
    this.items = new Array(capacity).fill(undefined);
    this.generations = new Float64Array(capacity);
    this.deadlines = new Float64Array(capacity);
  }

  push(item: T, generation: number, deadline: number): void {
    if (this.size === this.items.length) this.grow();
    const i = (this.head + this.size) & (this.items.length - 1);
    this.items[i] = item;
    this.generations[i] = generation;
    this.deadlines[i] = deadline;
    this.size++;
  }

  get headDeadline(): number {
    return this.deadlines[this.head];
  }

  /** Whether the head entry is still wanted (its item was not rescheduled or settled since). */
  headIsLive(): boolean {
    return (this.items[this.head] as T).generation === this.generations[this.head];
  }

  /** Removes the head entry and returns its item. */
  shift(): T {
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.size--;
    return item;
  }

  private grow(): void {
    const cap = this.items.length;
    const items: (T | undefined)[] = new Array(cap * 2).fill(undefined);
    const generations = new Float64Array(cap * 2);
    const deadlines = new Float64Array(cap * 2);
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) & (cap - 1);
      items[k] = this.items[i];
      generations[k] = this.generations[i];
      deadlines[k] = this.deadlines[i];
    }
    this.items = items;
    this.generations = generations;
    this.deadlines = deadlines;
    this.head = 0;
  }
}

/** Deadlines this close to due are handled in the same wake-up (timers fire at millisecond grain). */
const SLACK_MS = 1;

/**
 * Retransmission deadlines of every request of a client, on one timer. Requests share a few
 * distinct timeouts, so one FIFO per timeout keeps deadlines sorted without a heap; a settled or
 * rescheduled request is skipped when its stale entry comes up (its `generation` moved on).
 */
export class DeadlineScheduler<T extends Scheduled> {
  private readonly queues = new Map<number, DeadlineQueue<T>>();
  private readonly onExpire: (item: T) => void;
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private keepAlive = true;
  private readonly fire = (): void => this.run();

  /** `onExpire` is called with each item whose deadline passed and that was not rescheduled since. */
  constructor(onExpire: (item: T) => void) {
    this.onExpire = onExpire;
  }

  /** Calls `onExpire(item)` `delayMs` after `now` (performance.now() time) unless item.generation changes. */
  schedule(item: T, delayMs: number, now: number): void {
    const key = Math.round(delayMs);
    let q = this.queues.get(key);
    if (q === undefined) {
      q = new DeadlineQueue<T>();
      this.queues.set(key, q);
    }
    const at = now + delayMs;
    q.push(item, item.generation, at);
    if (at < this.armedAt) this.arm(at, now);
  }

  /** Whether the timer keeps the process alive (true while callers wait on requests). */
  setKeepAlive(keepAlive: boolean): void {
    this.keepAlive = keepAlive;
    if (this.timer !== undefined) {
      if (keepAlive) this.timer.ref();
      else this.timer.unref();
    }
  }

  /** Drops every deadline and the timer. */
  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    this.queues.clear();
  }

  private arm(at: number, now: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(at - now)));
    if (!this.keepAlive) this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const limit = performance.now() + SLACK_MS;
    for (const q of this.queues.values()) {
      // Only entries present now: a callback that reschedules must not be handled twice in one run.
      let n = q.size;
      while (n-- > 0 && q.size > 0 && q.headDeadline <= limit) {
        const live = q.headIsLive();
        const item = q.shift();
        if (live) this.onExpire(item);
      }
    }
    let next = Number.POSITIVE_INFINITY;
    for (const [key, q] of this.queues) {
      while (q.size > 0 && !q.headIsLive()) q.shift();
      // Callers with many distinct timeouts must not leave a trail of empty queues.
      if (q.size === 0) this.queues.delete(key);
      else if (q.headDeadline < next) next = q.headDeadline;
    }
    if (next !== Number.POSITIVE_INFINITY && next < this.armedAt) this.arm(next, performance.now());
  }
}

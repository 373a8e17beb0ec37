import { performance } from 'node:perf_hooks';

/** One waiting promise in a {@link HandlerDeadlines} list, and what to make of its outcome. */
class Waiter {
  prev: Waiter | undefined = undefined;
  next: Waiter | undefined = undefined;
  constructor(
    readonly at: number,
    readonly label: string,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
    private readonly onValue: (value: never) => unknown,
    private readonly onError: (error: unknown) => unknown,
  ) {}

  /** Settles the caller's promise with what `onValue` or `onError` make of the outcome. */
  done(ok: boolean, outcome: unknown): void {
    try {
      this.resolve(ok ? this.onValue(outcome as never) : this.onError(outcome));
    } catch (err) {
      this.reject(err);
    }
  }
}

const same = <T>(value: T): T => value;
const rethrow = (error: unknown): never => {
  throw error;
};

/**
 * Time limits of promises that all get the same delay (a server's handler timeout): a linked list
 * in deadline order and one timer for its head, rather than a timer, a race and a `finally` per
 * request. A settled promise leaves the list at once; the timer only ever looks at the head.
 */
export class HandlerDeadlines {
  private head: Waiter | undefined = undefined;
  private tail: Waiter | undefined = undefined;
  private timer: NodeJS.Timeout | undefined = undefined;
  private readonly expire = (): void => this.onTimer();

  /** `timeoutError(label)` is what a promise past its time limit rejects with. */
  constructor(private readonly timeoutError: (label: string) => Error) {}

  /**
   * `p`, or a rejection with `timeoutError(label)` once `ms` have passed. The timer does not keep
   * the process alive (a pending handler must not hold it open on its own).
   */
  race<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
    return this.settle(p, ms, label, same, rethrow);
  }

  /**
   * `race(p, ms, label).then(onValue, onError)` in one step (one promise less per request): a
   * timeout goes to `onError` with `timeoutError(label)`.
   */
  settle<T, R>(
    p: Promise<T>,
    ms: number,
    label: string,
    onValue: (value: T) => R,
    onError: (error: unknown) => R,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const w = new Waiter(
        performance.now() + ms,
        label,
        resolve as (value: unknown) => void,
        reject,
        onValue,
        onError,
      );
      this.append(w);
      p.then(
        (value) => {
          this.remove(w);
          w.done(true, value);
        },
        (err: unknown) => {
          this.remove(w);
          w.done(false, err);
        },
      );
    });
  }

  private append(w: Waiter): void {
    const tail = this.tail;
    if (tail === undefined) {
      this.head = w;
      this.tail = w;
      if (this.timer === undefined) this.arm(w.at - performance.now());
      return;
    }
    // Deadlines come in order when the delay never changes; one that does not goes at its place.
    let after: Waiter | undefined = tail;
    while (after !== undefined && after.at > w.at) after = after.prev;
    w.prev = after;
    w.next = after === undefined ? this.head : after.next;
    if (w.next === undefined) this.tail = w;
    else w.next.prev = w;
    if (after === undefined) {
      this.head = w;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.arm(w.at - performance.now());
    } else after.next = w;
  }

  /** Unlinks a waiter (a settled promise, or one that timed out); a second call does nothing. */
  private remove(w: Waiter): void {
    const { prev, next } = w;
    if (prev === undefined && next === undefined && this.head !== w) return;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    w.prev = undefined;
    w.next = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.expire, Math.max(1, Math.ceil(ms)));
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = undefined;
    const now = performance.now();
    let w = this.head;
    while (w !== undefined && w.at <= now) {
      this.remove(w);
      w.done(false, this.timeoutError(w.label));
      w = this.head;
    }
    if (w !== undefined) this.arm(w.at - now);
  }
}

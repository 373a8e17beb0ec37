import { performance } from 'node:perf_hooks';

/** Something with a deadline: `generation` is the stamp of its latest deadline (-1: none pending). */
export interface Scheduled {
  generation: number;
}

/**
 * Where a scheduled item sits while its deadline runs: `itemAt(slot)` is whatever holds the slot
 * now. Deadlines remember the holder and slot, not the item, so an item that settles early is not
 * kept alive by the queue until its deadline comes up.
 */
export interface SlotHolder<T> {
  itemAt(slot: number): T | undefined;
}

/** First-in first-out deadlines for one delay: pushed in time order, so they expire in push order. */
class DeadlineQueue<T extends Scheduled> {
  private holders: (SlotHolder<T> | undefined)[];
  private slots: Int32Array;
  private generations: Float64Array;
  private deadlines: Float64Array;
  private head = 0;
  size = 0;

  constructor(capacity = 64) {
    this.holders = new Array(capacity).fill(undefined);
    this.slots = new Int32Array(capacity);
    this.generations = new Float64Array(capacity);
    this.deadlines = new Float64Array(capacity);
  }

  push(holder: SlotHolder<T>, slot: number, generation: number, deadline: number): void {
    if (this.size === this.holders.length) this.grow();
    const i = (this.head + this.size) & (this.holders.length - 1);
    this.holders[i] = holder;
    this.slots[i] = slot;
    this.generations[i] = generation;
    this.deadlines[i] = deadline;
    this.size++;
  }

  get headDeadline(): number {
    return this.deadlines[this.head];
  }

  /** The head entry's item if it still waits on this deadline (not settled or rescheduled since). */
  headItem(): T | undefined {
    const h = this.head;
    const item = (this.holders[h] as SlotHolder<T>).itemAt(this.slots[h]);
    return item !== undefined && item.generation === this.generations[h] ? item : undefined;
  }

  /** Drops the head entry. */
  shift(): void {
    this.holders[this.head] = undefined;
    this.head = (this.head + 1) & (this.holders.length - 1);
    this.size--;
  }

  private grow(): void {
    const cap = this.holders.length;
    const holders: (SlotHolder<T> | undefined)[] = new Array(cap * 2).fill(undefined);
    const slots = new Int32Array(cap * 2);
    const generations = new Float64Array(cap * 2);
    const deadlines = new Float64Array(cap * 2);
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) & (cap - 1);
      holders[k] = this.holders[i];
      slots[k] = this.slots[i];
      generations[k] = this.generations[i];
      deadlines[k] = this.deadlines[i];
    }
    this.holders = holders;
    this.slots = slots;
    this.generations = generations;
    this.deadlines = deadlines;
    this.head = 0;
  }
}

/** Deadlines this close to due are handled in the same wake-up (timers fire at millisecond grain). */
const SLACK_MS = 1;

/**
 * Retransmission deadlines of every request of a client, on one timer. Requests share a few
 * distinct timeouts, so one FIFO per timeout keeps deadlines sorted without a heap. Each deadline
 * stamps its item with a generation unique to this scheduler; an entry whose slot has been freed,
 * or whose item carries another stamp (rescheduled, cancelled), is skipped when it comes up.
 */
export class DeadlineScheduler<T extends Scheduled> {
  private readonly queues = new Map<number, DeadlineQueue<T>>();
  private readonly onExpire: (item: T) => void;
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private keepAlive = true;
  private stamp = 0;
  private readonly fire = (): void => this.run();

  /** `onExpire` is called with each item whose deadline passed and that was not rescheduled since. */
  constructor(onExpire: (item: T) => void) {
    this.onExpire = onExpire;
  }

  /**
   * Calls `onExpire(item)` `delayMs` after `now` (performance.now() time) if `item` then still
   * holds `slot` of `holder` and was neither rescheduled nor cancelled. Replaces the item's
   * previous deadline.
   */
  schedule(item: T, holder: SlotHolder<T>, slot: number, delayMs: number, now: number): void {
    const key = Math.round(delayMs);
    let q = this.queues.get(key);
    if (q === undefined) {
      q = new DeadlineQueue<T>();
      this.queues.set(key, q);
    }
    const at = now + delayMs;
    item.generation = ++this.stamp;
    q.push(holder, slot, item.generation, at);
    if (at < this.armedAt) this.arm(at, now);
  }

  /** Cancels the item's pending deadline, if any. */
  cancel(item: T): void {
    item.generation = -1;
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
        const item = q.headItem();
        q.shift();
        if (item !== undefined) {
          // Stale from here on, whatever the callback does with the item.
          item.generation = -1;
          this.onExpire(item);
        }
      }
    }
    let next = Number.POSITIVE_INFINITY;
    for (const [key, q] of this.queues) {
      while (q.size > 0 && q.headItem() === undefined) q.shift();
      // Callers with many distinct timeouts must not leave a trail of empty queues.
      if (q.size === 0) this.queues.delete(key);
      else if (q.headDeadline < next) next = q.headDeadline;
    }
    if (next !== Number.POSITIVE_INFINITY && next < this.armedAt) this.arm(next, performance.now());
  }
}

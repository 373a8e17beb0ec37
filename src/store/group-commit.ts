/** Options of a GroupCommit. */
export interface GroupCommitOptions {
  /** Largest batch written at once (default 4096). */
  maxBatch?: number;
  /** Milliseconds the first queued item waits for company before the batch is written (default 1). */
  delayMs?: number;
  /**
   * Batches written at the same time (default 1). A database with several connections (PostgreSQL)
   * overlaps one batch's round trips and commit with the next; SQLite has one writer: keep 1.
   */
  concurrency?: number;
  /**
   * Items that must be waiting before a further batch starts while another is being written
   * (default 32): small batches cost a transaction each, so the busy writer takes them instead.
   */
  minConcurrentBatch?: number;
}

interface Waiting<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: callers `submit` an item and await its result; everything queued (up to
 * `maxBatch`) is handed to `write` at once, so one durable transaction (one fsync) serves many
 * callers. `write` returns (or resolves with) one result per item, in order, or throws to fail
 * the whole batch. Up to `concurrency` batches are written at a time; what arrives meanwhile forms
 * the next one.
 */
export class GroupCommit<T, R> {
  private queue: Waiting<T, R>[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Writers running (each writes batches until the queue is empty). */
  private writers = 0;
  private idle: Array<() => void> = [];
  private closed = false;
  private readonly maxBatch: number;
  private readonly delayMs: number;
  private readonly concurrency: number;
  private readonly minConcurrentBatch: number;
  /** Batches written so far (for metrics and tests). */
  batches = 0;
  /** Items written so far. */
  items = 0;

  constructor(
    private readonly write: (items: T[]) => R[] | Promise<R[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 4096;
    this.delayMs = options.delayMs ?? 1;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.minConcurrentBatch = options.minConcurrentBatch ?? 32;
  }

  /** Items waiting for the next batch. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queues an item; resolves with its result once the batch holding it is committed. */
  submit(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new Error('store closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // Busy writers take what is queued when they finish; another one may start meanwhile, once
      // enough is waiting, after the same wait for company as the first.
      const n = this.queue.length;
      if (this.writers === 0 || (this.writers < this.concurrency && n >= this.minConcurrentBatch))
        this.schedule(n >= this.maxBatch ? 0 : this.delayMs);
    });
  }

  private schedule(ms: number): void {
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.writers < this.concurrency) this.startWriter();
    }, ms);
  }

  /** One writer: writes batches until the queue is empty. */
  private startWriter(): void {
    if (this.queue.length === 0) return;
    this.writers++;
    const run = async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.write(batch.map((w) => w.item));
          this.batches++;
          this.items += batch.length;
          for (let i = 0; i < batch.length; i++) batch[i].resolve(results[i]);
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    };
    void run().finally(() => {
      this.writers--;
      // An item queued between the loop's last check and now still needs a batch.
      if (this.queue.length > 0) this.schedule(0);
      else if (this.writers === 0) for (const done of this.idle.splice(0)) done();
    });
  }

  /** Writes what is queued, then refuses further items. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writers > 0 || this.queue.length > 0) {
      if (this.writers === 0) this.startWriter();
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
  }
}

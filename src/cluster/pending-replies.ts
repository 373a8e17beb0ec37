// Requests sent over an IPC channel and the replies that answer them by number: the worker's
// session lookups to the primary, the primary's metrics requests to its workers.

/** Numbered waits for replies, each ending with the reply, or undefined past its time limit. */
export class PendingReplies<T> {
  private next = 0;
  private readonly waiting = new Map<number, (value: T | undefined) => void>();

  /** Replies still awaited. */
  get size(): number {
    return this.waiting.size;
  }

  /** A new wait: its number (to send with the request) and the reply (undefined after `timeoutMs`). */
  open(timeoutMs: number): { n: number; reply: Promise<T | undefined> } {
    const n = this.next++;
    const reply = new Promise<T | undefined>((resolve) => {
      // Does not keep the process alive: a reply that never comes is a miss, not a reason to stay.
      const timer = setTimeout(() => this.settle(n, undefined), timeoutMs);
      timer.unref();
      this.waiting.set(n, (value) => {
        clearTimeout(timer);
        this.waiting.delete(n);
        resolve(value);
      });
    });
    return { n, reply };
  }

  /** Ends wait `n` with `value` (a reply to no wait, or a late one, is ignored). */
  settle(n: number, value: T | undefined): void {
    this.waiting.get(n)?.(value);
  }

  /** Ends every wait with undefined. */
  clear(): void {
    for (const end of [...this.waiting.values()]) end(undefined);
  }
}

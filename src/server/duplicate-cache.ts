import { DEFAULT_DUPLICATE_CACHE_SIZE, sweepInterval } from '../pipeline/duplicate-table.js';

/** State of a request seen recently (RFC 5080 §2.2.2). */
export type DuplicateEntry =
  | { state: 'pending'; expires: number }
  | { state: 'done'; expires: number; reply: Buffer | undefined };

/**
 * Remembers requests by source address, port, identifier and Request Authenticator, so that a
 * retransmission gets the cached reply instead of a second run of the handler. Bounded in size
 * (oldest evicted first) and time (an answered request is forgotten `ttlMs` after its reply; one
 * still being handled is kept until `finish`, else a slow handler would run twice). The servers use
 * `DuplicateTable`, with the same semantics and no allocation per request; this is the plain form.
 */
export class DuplicateCache {
  private readonly map = new Map<string, DuplicateEntry>();
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** When expired entries are next evicted below the count bound. */
  private nextSweep = 0;

  constructor(ttlMs = 5000, maxEntries = DEFAULT_DUPLICATE_CACHE_SIZE) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
  }

  /** The key of a datagram: source, then identifier and authenticator bytes (1..20) as latin1. */
  static key(address: string, port: number, data: Buffer): string {
    return `${address}\u0000${port}\u0000${data.toString('latin1', 1, 20)}`;
  }

  get size(): number {
    return this.map.size;
  }

  /** The live entry for `key`, or undefined (expired entries are removed). */
  get(key: string, now: number): DuplicateEntry | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (expired(e, now)) {
      this.map.delete(key);
      return undefined;
    }
    return e;
  }

  /** Marks a request as being handled. */
  begin(key: string, now: number): void {
    this.set(key, { state: 'pending', expires: now + this.ttlMs }, now);
  }

  /** Records the reply sent (or undefined: no reply, duplicates are dropped until expiry). */
  finish(key: string, reply: Buffer | undefined, now: number): void {
    this.set(key, { state: 'done', expires: now + this.ttlMs, reply }, now);
  }

  clear(): void {
    this.map.clear();
    this.nextSweep = 0;
  }

  private set(key: string, entry: DuplicateEntry, now: number): void {
    this.map.delete(key);
    this.map.set(key, entry);
    const over = this.map.size > this.maxEntries;
    if (over || now >= this.nextSweep) this.evict(now, over);
  }

  // Map iteration is insertion order and set() re-inserts, so the first keys are the stalest:
  // expired ones go from the front, and over the bound the oldest too.
  private evict(now: number, over: boolean): void {
    // In batches (over the bound down to 7/8, expired ones every eighth of a lifetime): every scan
    // from the front walks over the holes earlier deletes left in the Map's table, so one scan per
    // entry would cost O(size) each.
    this.nextSweep = now + sweepInterval(this.ttlMs);
    const target = over ? this.maxEntries - (this.maxEntries >> 3) : this.map.size;
    for (const [k, e] of this.map) {
      if (this.map.size <= target && !expired(e, now)) break;
      this.map.delete(k);
    }
  }
}

// A pending entry ends with finish() (the server bounds handlers by handlerTimeout), not with time.
function expired(e: DuplicateEntry, now: number): boolean {
  return e.state === 'done' && e.expires <= now;
}

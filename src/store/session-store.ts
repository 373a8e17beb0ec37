/**
 * Where conversations wait between rounds, keyed by the State attribute (RFC 2865 §5.24,
 * RFC 3579 §2.6.1), as live objects of this process: the in-memory store below is the default.
 * Sessions that several instances continue are kept as data in a {@link SharedSessionStore}
 * (store.ts) instead.
 */

/** What a store needs of a session: a way to free what it holds (a TLS socket). */
export interface StoredSession {
  dispose(): void;
}

/** A store of live sessions keyed by State. */
export interface SessionStore<S extends StoredSession = StoredSession> {
  /** The live session for `key`; touching it restarts its idle lifetime. */
  get(key: string): S | undefined;
  set(key: string, session: S): void;
  delete(key: string): void;
  /** Sessions held now. */
  readonly size: number;
  /** Drops every session. */
  clear(): void;
}

/** Options of MemorySessionStore. */
export interface MemorySessionStoreOptions {
  /** Most sessions held; past it the least recently used goes (default 10,000). */
  maxSessions?: number;
  /** Seconds a session lives without a round (default 60). */
  idleLifetime?: number;
  /** The clock, in milliseconds (tests pass their own). */
  now?: () => number;
}

interface Entry<S> {
  session: S;
  touched: number;
}

/**
 * Sessions in a Map kept in least-recently-used order: a lookup moves an entry to the end, so the
 * expired and the evicted are always at the front (a peer that stops mid-handshake costs memory
 * only until its lifetime ends, and never more than `maxSessions` entries).
 */
export class MemorySessionStore<S extends StoredSession = StoredSession> implements SessionStore<S> {
  private readonly entries = new Map<string, Entry<S>>();
  private readonly maxSessions: number;
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.maxSessions = Math.max(1, options.maxSessions ?? 10_000);
    this.idleMs = (options.idleLifetime ?? 60) * 1000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): S | undefined {
    const now = this.now();
    this.expire(now);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    entry.touched = now;
    this.entries.set(key, entry);
    return entry.session;
  }

  set(key: string, session: S): void {
    const now = this.now();
    this.expire(now);
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      if (old.session !== session) old.session.dispose();
    }
    while (this.entries.size >= this.maxSessions) this.evictOldest();
    this.entries.set(key, { session, touched: now });
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    entry.session.dispose();
  }

  clear(): void {
    for (const entry of this.entries.values()) entry.session.dispose();
    this.entries.clear();
  }

  private expire(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.touched < this.idleMs) break;
      this.entries.delete(key);
      entry.session.dispose();
    }
  }

  private evictOldest(): void {
    const first = this.entries.entries().next();
    if (first.done) return;
    this.entries.delete(first.value[0]);
    first.value[1].session.dispose();
  }
}

/** The store of EAP conversations (the name this interface had first). */
export type EapSessionStore<S extends StoredSession = StoredSession> = SessionStore<S>;

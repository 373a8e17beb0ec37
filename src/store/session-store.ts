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

/** A session in the store's recency list. */
interface Entry<S> {
  readonly key: string;
  session: S;
  touched: number;
  older: Entry<S> | undefined;
  newer: Entry<S> | undefined;
}

/**
 * Sessions in a Map for lookup and a list in least-recently-used order: a lookup moves an entry to
 * the newest end, so the expired and the evicted are always at the oldest (a peer that stops
 * mid-handshake costs memory only until its lifetime ends, and never more than `maxSessions`
 * entries). The list, not the Map's own order: moving an entry in a Map is a delete and a set,
 * which leaves a hole that every later walk from the front steps over; at the bound, with a
 * session made per login, those walks were a sixth of an EAP-MD5 round's CPU.
 */
export class MemorySessionStore<S extends StoredSession = StoredSession> implements SessionStore<S> {
  private readonly entries = new Map<string, Entry<S>>();
  private oldest: Entry<S> | undefined;
  private newest: Entry<S> | undefined;
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
    entry.touched = now;
    if (entry !== this.newest) {
      this.unlink(entry);
      this.append(entry);
    }
    return entry.session;
  }

  set(key: string, session: S): void {
    const now = this.now();
    this.expire(now);
    const old = this.entries.get(key);
    if (old) {
      this.remove(old);
      if (old.session !== session) old.session.dispose();
    }
    while (this.entries.size >= this.maxSessions && this.oldest) {
      const evicted = this.oldest;
      this.remove(evicted);
      evicted.session.dispose();
    }
    const entry: Entry<S> = { key, session, touched: now, older: undefined, newer: undefined };
    this.entries.set(key, entry);
    this.append(entry);
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.remove(entry);
    entry.session.dispose();
  }

  clear(): void {
    const sessions = [...this.entries.values()].map((e) => e.session);
    this.entries.clear();
    this.oldest = undefined;
    this.newest = undefined;
    for (const session of sessions) session.dispose();
  }

  private expire(now: number): void {
    for (let entry = this.oldest; entry && now - entry.touched >= this.idleMs; entry = this.oldest) {
      this.remove(entry);
      entry.session.dispose();
    }
  }

  private remove(entry: Entry<S>): void {
    this.entries.delete(entry.key);
    this.unlink(entry);
  }

  private unlink(entry: Entry<S>): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  private append(entry: Entry<S>): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
  }
}

/** The store of EAP conversations (the name this interface had first). */
export type EapSessionStore<S extends StoredSession = StoredSession> = SessionStore<S>;

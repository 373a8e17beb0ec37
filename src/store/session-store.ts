/**
 * Where conversations wait between rounds, keyed by the State attribute (RFC 2865 §5.24,
 * RFC 3579 §2.6.1), as live objects of this process: the in-memory store below is the default.
 * Sessions that several instances continue are kept as data in a {@link SharedSessionStore}
 * (store.ts) instead.
 */

import { RecencyMap } from './recency-map.js';

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
 * Sessions in least-recently-used order (RecencyMap): a lookup makes an entry the newest, so the
 * expired and the evicted are always the oldest (a peer that stops mid-handshake costs memory only
 * until its lifetime ends, and never more than `maxSessions` entries).
 */
export class MemorySessionStore<S extends StoredSession = StoredSession> implements SessionStore<S> {
  private readonly entries = new RecencyMap<Entry<S>>();
  private readonly maxSessions: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  /** Sweeps the expired while sessions are held: with no traffic, nothing else would free them. */
  private sweeper: NodeJS.Timeout | undefined;

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
    const entry = this.entries.touch(key);
    if (!entry) return undefined;
    entry.touched = now;
    return entry.session;
  }

  set(key: string, session: S): void {
    const now = this.now();
    this.expire(now);
    const old = this.entries.delete(key);
    if (old && old.session !== session) old.session.dispose();
    while (this.entries.size >= this.maxSessions) this.entries.shift()?.session.dispose();
    this.entries.set(key, { session, touched: now });
    if (this.sweeper === undefined) {
      // A quarter of the lifetime (at least a second): a session outlives its lifetime by that much at most.
      this.sweeper = setInterval(() => this.sweep(), Math.max(1000, this.idleMs / 4));
      // The store must not keep a process alive.
      this.sweeper.unref();
    }
  }

  delete(key: string): void {
    this.entries.delete(key)?.session.dispose();
  }

  clear(): void {
    for (const entry of this.entries.clear()) entry.session.dispose();
    this.stopSweeping();
  }

  private sweep(): void {
    this.expire(this.now());
    if (this.entries.size === 0) this.stopSweeping();
  }

  private stopSweeping(): void {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private expire(now: number): void {
    for (let entry = this.entries.oldest(); entry && now - entry.touched >= this.idleMs; ) {
      this.entries.shift();
      entry.session.dispose();
      entry = this.entries.oldest();
    }
  }
}

/** The store of EAP conversations (the name this interface had first). */
export type EapSessionStore<S extends StoredSession = StoredSession> = SessionStore<S>;

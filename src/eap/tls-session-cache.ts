/**
 * TLS sessions a peer may resume (RFC 5216 §2.1.2, RFC 9190 §2.1.3), by session ID (TLS 1.2) or
 * stateful ticket ID (TLS 1.3): bounded in count and lifetime. Node keeps no server cache itself.
 */

import { RecencyMap } from '../store/recency-map.js';

/** Most sessions each endpoint keeps to resume (and a worker pool remembers the owners of). */
export const MAX_CACHED_TLS_SESSIONS = 10_000;

/** Options of TlsSessionCache. */
export interface TlsSessionCacheOptions {
  /** Most sessions held; past it the oldest goes. */
  maxSessions: number;
  /** Seconds a session may be resumed. */
  lifetime: number;
  /** The clock, in milliseconds. */
  now?: () => number;
}

/**
 * Serialized sessions (Node's 'newSession' data) by ID, oldest first; or, with another `T`, what
 * else is kept per session (the worker thread that holds it).
 */
export class TlsSessionCache<T = Buffer> {
  /** In the order they were made: the oldest, and so the expired, first. */
  private readonly sessions = new RecencyMap<{ data: T; expires: number }>();
  private readonly maxSessions: number;
  private readonly lifetimeMs: number;
  private readonly now: () => number;

  constructor(options: TlsSessionCacheOptions) {
    this.maxSessions = Math.max(1, options.maxSessions);
    this.lifetimeMs = options.lifetime * 1000;
    this.now = options.now ?? Date.now;
  }

  /** Sessions held now. */
  get size(): number {
    return this.sessions.size;
  }

  /** Keeps a session the server just made (for `lifetimeMs` when given, else the cache's lifetime). */
  set(id: Buffer, data: T, lifetimeMs = this.lifetimeMs): void {
    const now = this.now();
    for (let oldest = this.sessions.oldest(); oldest; oldest = this.sessions.oldest()) {
      if (this.sessions.size < this.maxSessions && oldest.expires > now) break;
      this.sessions.shift();
    }
    this.sessions.set(id.toString('hex'), { data, expires: now + lifetimeMs });
  }

  /** The first live session among `ids` (what a ClientHello offers, most specific first). */
  find(ids: readonly Buffer[]): T | undefined {
    const now = this.now();
    for (const id of ids) {
      const key = id.toString('hex');
      const entry = this.sessions.peek(key);
      if (!entry) continue;
      if (entry.expires <= now) {
        this.sessions.delete(key);
        continue;
      }
      return entry.data;
    }
    return undefined;
  }

  /** Drops every session. */
  clear(): void {
    this.sessions.clear();
  }
}

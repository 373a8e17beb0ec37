// The stores `serve` and a server built on this library depend on, by interface. The embedded
// SQLite store is the default; PostgreSQL implements the same interfaces for several instances.
import type { AccountingRecord } from './accounting.js';
import type { SessionRow, UserRecord } from './sqlite-store.js';

/**
 * A value or a promise of it: an embedded store answers synchronously (no promise on the hot
 * path), a networked one asynchronously.
 */
export type MaybePromise<T> = T | Promise<T>;

/** Users by name (the users table of `aioradius user`). */
export interface UserStore {
  /** For logs: "sqlite", "postgres". */
  readonly kind: string;
  /** A user by name, or undefined. */
  getUser(name: string): MaybePromise<UserRecord | undefined>;
  /** Every user, by name. */
  listUsers(): MaybePromise<UserRecord[]>;
  /** Adds a user; false when the name exists and `replace` is not set. */
  addUser(user: UserRecord, replace?: boolean): MaybePromise<boolean>;
  /** Deletes a user; false when there was none. */
  deleteUser(name: string): MaybePromise<boolean>;
}

/** Durable accounting: raw records plus the sessions they fold into (RFC 2866). */
export interface AccountingStore {
  /**
   * Stores a record; resolves once it is committed (true) or was already stored by an earlier
   * copy (false). Rejects when the write failed: then no Accounting-Response must be sent.
   */
  recordAccounting(record: AccountingRecord): Promise<boolean>;
  /** A session by NAS and Acct-Session-Id. */
  getSession(nas: string, sessionId: string): MaybePromise<SessionRow | undefined>;
  /** Marks active sessions with no update for `staleAfterMs` as stale; resolves with how many. */
  markStale(staleAfterMs: number, now?: number): MaybePromise<number>;
  /** Writes what is queued and closes. */
  close(): Promise<void>;
}

/** What `serve` keeps in its database: users and accounting. */
export interface ServeStore extends UserStore, AccountingStore {}

/** What a shared duplicate store knows of a request (RFC 5080 §2.2.2 across instances). */
export type DuplicateClaim =
  /** Nobody had it: this instance answers it. */
  | { state: 'new' }
  /** Another instance is answering it: drop this copy. */
  | { state: 'pending' }
  /** Answered already: resend this reply (absent when the request got none). */
  | { state: 'done'; reply: Buffer | undefined };

/**
 * Duplicate detection shared by several instances, for a load balancer that does not keep a NAS
 * on one instance: a retransmission that reaches another instance is answered from the first
 * one's reply. Each instance keeps its own table too; this one is asked only about requests new
 * to the instance. A rejection means the store cannot be reached: the request is then handled as
 * new, and the store itself reports the outage (the server logs nothing per request).
 */
export interface SharedDuplicateStore {
  /** Claims a request for this instance for `ttlMs`, or says who has it. */
  claim(key: string, ttlMs: number): Promise<DuplicateClaim>;
  /** Records the reply of a claimed request (undefined: none was sent), kept `ttlMs`. */
  complete(key: string, reply: Buffer | undefined, ttlMs: number): Promise<void>;
}

/**
 * BlastRADIUS (CVE-2024-3596) per-client state of the 'auto' policy: the NASes that have sent a
 * verified Access-Request with Message-Authenticator, and are from then on required to. The
 * embedded {@link MemoryBlastRadiusState} is the default; {@link RedisBlastRadiusState} shares it
 * between instances, so that a forged unsigned request refused by one is refused by all. A failing
 * call is not logged per request (a store reports its own outages); each instance's own memory then
 * decides.
 */
export interface BlastRadiusState {
  /** Whether the NAS at `address` is known to sign its Access-Requests (or a promise, any PromiseLike). */
  signs(address: string): boolean | PromiseLike<boolean>;
  /** Records that the NAS at `address` signs (called after a verified signed Access-Request). */
  markSigning(address: string): void | PromiseLike<void>;
}

/** A JSON value: what a shared session holds. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A session kept between rounds as plain data (JSON), so that any instance can continue it. */
export type SessionData = { [key: string]: JsonValue };

/**
 * Sessions kept between rounds by State (RFC 2865 §5.24), as data, in a store every instance
 * reaches (Redis): the rounds of an EAP-MD5, GTC or MSCHAPv2 conversation, or anything a handler
 * keeps, may then land on any instance. A rejection means the store cannot be reached; the caller
 * then keeps the session in its own memory (the default store, session-store.ts).
 */
export interface SharedSessionStore {
  /** The session under `key`, or undefined when there is none (or it expired). */
  get(key: string): Promise<SessionData | undefined>;
  /** Stores (or replaces) a session for `ttlMs`. */
  set(key: string, data: SessionData, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * TLS session resumption data shared by instances, by session ID (RFC 5246 §7.4.1.2) or TLS 1.3
 * stateful ticket ID (RFC 8446 §4.6.1), so that a peer resumes on whichever instance its next
 * authentication reaches. The bytes are opaque here: a serialized session, which an EAP-TTLS
 * session's owner stores again, the identity appended, once someone is authenticated over it.
 */
export interface SharedTlsSessions {
  /** The session data stored last under an ID, or undefined. */
  get(id: Buffer): Promise<Buffer | undefined>;
  /** Stores (or replaces) the data of an ID for `ttlMs`. */
  set(id: Buffer, session: Buffer, ttlMs: number): Promise<void>;
}

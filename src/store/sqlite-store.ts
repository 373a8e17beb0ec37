// The embedded store of `aioradius serve`: users and accounting in one SQLite file.
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { AccountingRecord } from './accounting.js';
import {
  type AccountingQueries,
  type AccountingRecordRow,
  markStaleQuery,
  type PurgeResult,
  purgeTargets,
  type Query,
  type RawRecordRow,
  recordsQuery,
  type SessionFilter,
  SQLITE_DIALECT,
  sessionsQuery,
  toRecordRow,
} from './accounting-queries.js';
import { AccountingTables, openDatabase, recordRow } from './accounting-tables.js';
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';
import type { ServeStore } from './store.js';
import { toUser, type UserRow } from './user-rows.js';
import type { WorkerReply, WorkerRequest } from './sqlite-worker.js';

/** An attribute value as stored in the users table (JSON). */
export type StoredValue = string | number;

/** A user row: credentials and attribute lists. */
export interface UserRecord {
  name: string;
  /** Cleartext (PAP and CHAP need it; MS-CHAP can use either). */
  password?: string;
  /** NT hash (16 bytes): enough for MS-CHAPv1/v2 (and PAP). */
  ntHash?: Buffer;
  /** A salted hash (`$6$...`, `{SSHA512}...`, `$2b$...`; see parsePasswordHash): PAP only. */
  passwordHash?: string;
  reply: Array<[string, StoredValue]>;
  check: Array<[string, StoredValue]>;
}

/** A row of the sessions table. */
export interface SessionRow {
  nas: string;
  session_id: string;
  user_name: string | null;
  /** 'stale': active, but no update within the configured time (the NAS may have lost it). */
  status: 'active' | 'stopped' | 'stale';
  start_time: number | null;
  last_update: number;
  stop_time: number | null;
  session_time: number | null;
  input_octets: number | null;
  output_octets: number | null;
  input_packets: number | null;
  output_packets: number | null;
  terminate_cause: string | null;
  framed_ip: string | null;
  records: number;
}

/** Options of the store. */
export interface SqliteStoreOptions extends GroupCommitOptions {
  readonly?: boolean;
  /** Fail when the file does not exist, instead of creating an empty database (default false). */
  mustExist?: boolean;
  /**
   * Write accounting from a worker thread (started on the first record), so that the fsync of a
   * commit does not stall the event loop; default false (written on the calling thread).
   */
  worker?: boolean;
  /**
   * Seconds within which an Accounting-Request with the same content (Acct-Delay-Time aside) from
   * the same NAS is a retransmission, stored once; default 300. Later, it is a new record.
   */
  duplicateWindow?: number;
}

/** Writes accounting batches in a worker thread with its own connection; one batch at a time. */
class WorkerWriter {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (r: boolean[]) => void; reject: (e: Error) => void }
  >();
  private failure: Error | undefined;

  constructor(file: string, duplicateWindow: number | undefined) {
    this.worker = new Worker(new URL('./sqlite-worker.js', import.meta.url), {
      workerData: { file, duplicateWindow },
    });
    this.worker.on('message', (reply: WorkerReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if ('error' in reply) w.reject(new Error(reply.error));
      else w.resolve(reply.results);
    });
    const fail = (err: Error) => {
      this.failure = err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`accounting writer stopped (exit ${code})`)));
  }

  write(records: AccountingRecord[]): Promise<boolean[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, rows: records.map(recordRow) } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    if (this.failure) return;
    const exited = new Promise((r) => this.worker.once('exit', r));
    this.worker.postMessage({ close: true } satisfies WorkerRequest);
    await exited;
  }
}

/**
 * Users and accounting in SQLite, durable: WAL journal with synchronous=FULL, so a committed
 * transaction survives a crash or power loss. Accounting goes through a group commit.
 */
export class SqliteStore implements ServeStore, AccountingQueries {
  readonly kind = 'sqlite';
  /** @internal The SQLite handle; its type comes from an optional package, so it is not in the typings. */
  readonly db: Database.Database;
  private readonly commit: GroupCommit<AccountingRecord, boolean>;
  // Prepared on first use: a read-only database may hold the accounting tables alone.
  private getUserStmt: Database.Statement<[string], UserRow> | undefined;
  private tables: AccountingTables | undefined;
  private writer: WorkerWriter | undefined;

  constructor(
    readonly file: string,
    options: SqliteStoreOptions = {},
  ) {
    this.db = openDatabase(file, options.readonly ?? false, options.mustExist ?? false);
    const useWorker = options.worker ?? false;
    this.commit = new GroupCommit((records) => {
      if (useWorker) {
        this.writer ??= new WorkerWriter(file, options.duplicateWindow);
        return this.writer.write(records);
      }
      this.tables ??= new AccountingTables(this.db, options.duplicateWindow);
      return this.tables.writeBatch(records);
    }, options);
  }

  /** A user by name, or undefined. */
  getUser(name: string): UserRecord | undefined {
    this.getUserStmt ??= this.db.prepare<[string], UserRow>('SELECT * FROM users WHERE name = ?');
    const row = this.getUserStmt.get(name);
    return row ? toUser(row) : undefined;
  }

  /** Every user, by name. */
  listUsers(): UserRecord[] {
    return this.db.prepare<[], UserRow>('SELECT * FROM users ORDER BY name').all().map(toUser);
  }

  /** Adds a user; returns false when the name exists and `replace` is not set. */
  addUser(user: UserRecord, replace = false): boolean {
    const info = this.db
      .prepare(
        `INSERT ${replace ? 'OR REPLACE ' : 'OR IGNORE '}INTO users (name, password, nt_hash, password_hash, reply, check_items, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        user.name,
        user.password ?? null,
        user.ntHash ? user.ntHash.toString('hex') : null,
        user.passwordHash ?? null,
        JSON.stringify(user.reply),
        JSON.stringify(user.check),
        Date.now(),
      );
    return info.changes > 0;
  }

  /** Deletes a user; returns false when there was none. */
  deleteUser(name: string): boolean {
    return this.db.prepare('DELETE FROM users WHERE name = ?').run(name).changes > 0;
  }

  /**
   * Stores an Accounting-Request; resolves once it is committed (true) or was already stored by
   * an earlier copy (false). Rejects when the write failed: then no response must be sent.
   */
  recordAccounting(record: AccountingRecord): Promise<boolean> {
    return this.commit.submit(record);
  }

  /** Batches and records written by the group commit so far. */
  get commitStats(): { batches: number; records: number; pending: number } {
    return { batches: this.commit.batches, records: this.commit.items, pending: this.commit.pending };
  }

  /** A session by NAS and Acct-Session-Id. */
  getSession(nas: string, sessionId: string): SessionRow | undefined {
    return this.db
      .prepare<[string, string], SessionRow>('SELECT * FROM acct_sessions WHERE nas = ? AND session_id = ?')
      .get(nas, sessionId);
  }

  /** Marks active sessions with no update for `staleAfterMs` as stale; returns how many. */
  markStale(staleAfterMs: number, now = Date.now()): number {
    const q = markStaleQuery(staleAfterMs, now, SQLITE_DIALECT);
    return this.db.prepare(q.text).run(...q.values).changes;
  }

  /** Sessions matching `filter`, most recently updated first. */
  listSessions(filter: SessionFilter = {}): SessionRow[] {
    const q = sessionsQuery(filter, SQLITE_DIALECT);
    return this.db.prepare<unknown[], SessionRow>(q.text).all(...q.values);
  }

  /** The stored records of one session, in the order received. */
  sessionRecords(nas: string, sessionId: string): AccountingRecordRow[] {
    const q = recordsQuery(nas, sessionId, SQLITE_DIALECT);
    return this.db
      .prepare<unknown[], RawRecordRow>(q.text)
      .all(...q.values)
      .map(toRecordRow);
  }

  /** Deletes (or with `dryRun` counts) old records and closed sessions; see AccountingQueries. */
  purgeAccounting(before: number, dryRun = false): PurgeResult {
    const { records, sessions } = purgeTargets(before, SQLITE_DIALECT);
    if (dryRun) {
      const count = (q: Query) =>
        this.db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n ${q.text}`).get(...q.values)?.n ?? 0;
      return { records: count(records), sessions: count(sessions) };
    }
    const remove = (q: Query) => this.db.prepare(`DELETE ${q.text}`).run(...q.values).changes;
    return this.db.transaction(() => ({ records: remove(records), sessions: remove(sessions) }))();
  }

  /** Writes what is queued, stops the writer and closes the database. */
  async close(): Promise<void> {
    await this.commit.close();
    await this.writer?.close();
    if (this.db.open) this.db.close();
  }
}

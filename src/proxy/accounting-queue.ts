import type Database from 'better-sqlite3';
import { GroupCommit } from '../store/group-commit.js';
import { openDatabase } from '../store/accounting-tables.js';

/** Options of the store-and-forward accounting queue. */
export interface AccountingQueueOptions {
  /** The SQLite file (created if missing; may be the one `serve` keeps users and accounting in). */
  file: string;
  /** Most queued requests forwarded at once; default 64. */
  maxInFlight?: number;
  /** Seconds to wait before trying again after no home server answered; default 1. */
  retryDelay?: number;
  /** Seconds a forwarded request is remembered, so that a NAS retransmission is not queued again; default 600. */
  keepSent?: number;
}

/** One queued request as the forwarder gets it. */
export interface QueuedRequest {
  seq: number;
  pool: string;
  /** The request as it goes to the next hop, encoded with the queue's own key. */
  packet: Buffer;
  /** When it was queued (ms since 1970). */
  queuedAt: number;
}

/** Sends one queued request; resolves once a home server acknowledged it, rejects otherwise. */
export type QueueSender = (item: QueuedRequest) => Promise<void>;

interface Incoming {
  nas: string;
  key: string;
  pool: string;
  packet: Buffer;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS proxy_acct_queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  nas TEXT NOT NULL,
  req_key TEXT NOT NULL,
  pool TEXT NOT NULL,
  packet BLOB NOT NULL,
  queued_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS proxy_acct_queue_req ON proxy_acct_queue (nas, req_key);
CREATE INDEX IF NOT EXISTS proxy_acct_queue_unsent ON proxy_acct_queue (seq) WHERE sent_at IS NULL;
`;

/**
 * Store-and-forward for accounting (RFC 2866 §2: a NAS is answered only once the record is safe).
 * A request is acknowledged to the NAS once its INSERT has committed (WAL, synchronous=FULL,
 * group commit); then it is forwarded, oldest first, until a home server answers, and marked
 * sent. A NAS retransmission (same NAS, same Request Authenticator) is not queued twice. After a
 * crash, whatever was not marked sent is forwarded again: requests in flight at the crash may
 * reach the home server twice (RADIUS accounting has no idempotency key).
 */
export class AccountingQueue {
  readonly db: Database.Database;
  private readonly commit: GroupCommit<Incoming, boolean>;
  private readonly insert: Database.Statement;
  private readonly markSent: Database.Statement;
  private readonly next: Database.Statement;
  private readonly purge: Database.Statement;
  private readonly maxInFlight: number;
  private readonly retryMs: number;
  private readonly keepMs: number;
  private sender: QueueSender | undefined;
  private unsent: number;
  private cursor = 0;
  private inFlight = 0;
  private readonly retry: QueuedRequest[] = [];
  private readonly sentSeqs: number[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  private paused = false;
  private closed = false;
  private purgeTimer: NodeJS.Timeout;
  /** Requests forwarded and acknowledged by a home server since start. */
  forwarded = 0;
  /** Sends that failed (every home server of the pool silent) and will be tried again. */
  failures = 0;

  constructor(options: AccountingQueueOptions) {
    this.db = openDatabase(options.file);
    this.db.exec(SCHEMA);
    this.maxInFlight = options.maxInFlight ?? 64;
    this.retryMs = (options.retryDelay ?? 1) * 1000;
    this.keepMs = (options.keepSent ?? 600) * 1000;
    this.insert = this.db.prepare(
      'INSERT OR IGNORE INTO proxy_acct_queue (nas, req_key, pool, packet, queued_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.markSent = this.db.prepare('UPDATE proxy_acct_queue SET sent_at = ? WHERE seq = ?');
    this.next = this.db.prepare(
      'SELECT seq, pool, packet, queued_at AS queuedAt FROM proxy_acct_queue WHERE sent_at IS NULL AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.purge = this.db.prepare('DELETE FROM proxy_acct_queue WHERE sent_at IS NOT NULL AND sent_at < ?');
    this.unsent = (
      this.db.prepare('SELECT COUNT(*) AS n FROM proxy_acct_queue WHERE sent_at IS NULL').get() as {
        n: number;
      }
    ).n;
    const insertAll = this.db.transaction((items: Incoming[]) =>
      items.map((i) => this.insert.run(i.nas, i.key, i.pool, i.packet, Date.now()).changes === 1),
    );
    this.commit = new GroupCommit((items) => {
      const added = insertAll(items);
      for (const a of added) if (a) this.unsent++;
      this.pump();
      return added;
    });
    this.purgeTimer = setInterval(() => this.purge.run(Date.now() - this.keepMs), 60_000);
    this.purgeTimer.unref();
  }

  /** Requests queued and not yet acknowledged by a home server (a metric). */
  get depth(): number {
    return this.unsent;
  }

  /** Starts forwarding with `sender` (what was left by a previous run goes first). */
  start(sender: QueueSender): void {
    this.sender = sender;
    this.pump();
  }

  /**
   * Queues a request durably; resolves true once committed (false: a retransmission of one
   * already queued). `key` identifies the request at its NAS (its Request Authenticator).
   */
  enqueue(nas: string, key: string, pool: string, packet: Buffer): Promise<boolean> {
    return this.commit.submit({ nas, key, pool, packet });
  }

  /** Stops forwarding and closes the database; what is unsent stays for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.purgeTimer);
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    await this.commit.close();
    this.flush();
    this.db.close();
  }

  private pump(): void {
    if (this.closed || this.paused || this.sender === undefined) return;
    const room = this.maxInFlight - this.inFlight;
    if (room <= 0) return;
    const batch: QueuedRequest[] = this.retry.splice(0, room);
    if (batch.length < room) {
      const rows = this.next.all(this.cursor, room - batch.length) as QueuedRequest[];
      for (const r of rows) {
        batch.push(r);
        this.cursor = r.seq;
      }
    }
    for (const item of batch) this.send(item);
  }

  private send(item: QueuedRequest): void {
    this.inFlight++;
    (this.sender as QueueSender)(item).then(
      () => {
        this.inFlight--;
        this.unsent--;
        this.forwarded++;
        this.sentSeqs.push(item.seq);
        // Marks are written in batches: one transaction per few milliseconds, not per reply.
        this.flushTimer ??= setTimeout(() => this.flush(), 5);
        this.pump();
      },
      () => {
        this.inFlight--;
        this.failures++;
        // Tried again first, once the pool has had time to come back.
        this.retry.push(item);
        this.retry.sort((a, b) => a.seq - b.seq);
        if (!this.paused) {
          this.paused = true;
          this.pauseTimer = setTimeout(() => {
            this.paused = false;
            this.pump();
          }, this.retryMs);
          this.pauseTimer.unref();
        }
      },
    );
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.sentSeqs.length === 0 || !this.db.open) return;
    const seqs = this.sentSeqs.splice(0);
    const now = Date.now();
    this.db.transaction(() => {
      for (const s of seqs) this.markSent.run(now, s);
    })();
  }
}

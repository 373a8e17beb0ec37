import type Database from 'better-sqlite3';
import { GroupCommit } from '../store/group-commit.js';
import { openDatabase } from '../store/accounting-tables.js';

/** Options of the store-and-forward accounting queue. */
export interface AccountingQueueOptions {
  /** The SQLite file (created if missing; may be the one `serve` keeps users and accounting in). */
  file: string;
  /** Most queued requests forwarded at once, per pool; default 64. */
  maxInFlight?: number;
  /** Seconds to wait before trying a pool again after none of its home servers answered; default 1. */
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

/** The bytes a queued request was last sent with, committed before they left. */
export interface SentAttempt {
  seq: number;
  server: string;
  wire: Buffer;
  /** ms since 1970. */
  at: number;
}

/**
 * Sends one queued request; resolves once a home server acknowledged it (optionally with a
 * function called once that is durably marked), rejects otherwise.
 */
export type QueueSender = (item: QueuedRequest) => Promise<undefined | (() => void)>;

interface Incoming {
  nas: string;
  key: string;
  pool: string;
  packet: Buffer;
}

/** One pool's ordered queue: a dead pool holds back only its own requests. */
interface Lane {
  pool: string;
  cursor: number;
  inFlight: number;
  retry: QueuedRequest[];
  paused: boolean;
  pauseTimer: NodeJS.Timeout | undefined;
  /** Sessions (Acct-Session-Id) with a record in flight. */
  busy: Set<string>;
  /** Records read, waiting for their session's earlier record to be acknowledged (in order). */
  held: QueuedRequest[];
}

/** RFC 2866 Acct-Session-Id. */
const ACCT_SESSION_ID = 44;

/**
 * The session a queued record belongs to (its Acct-Session-Id), or '' for none. Records of one
 * session go one at a time, so that a home server answering in parallel (FreeRADIUS's threads)
 * stores Start, Interim and Stop in the order they were queued; other sessions go alongside.
 */
function sessionOf(packet: Buffer): string {
  const end = Math.min(packet.length, packet.readUInt16BE(2));
  for (let at = 20; at + 2 <= end; ) {
    const length = packet[at + 1];
    if (length < 2) break;
    if (packet[at] === ACCT_SESSION_ID) return packet.toString('latin1', at + 2, at + length);
    at += length;
  }
  return '';
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
CREATE INDEX IF NOT EXISTS proxy_acct_queue_pool ON proxy_acct_queue (pool, seq) WHERE sent_at IS NULL;
CREATE TABLE IF NOT EXISTS proxy_acct_sources (
  server TEXT PRIMARY KEY,
  port INTEGER NOT NULL
);
`;

/** Columns added after the first release: the bytes of the last transmission and where they went. */
const ATTEMPT_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['server', 'TEXT'],
  ['wire', 'BLOB'],
  ['attempted_at', 'INTEGER'],
];

/**
 * Store-and-forward for accounting (RFC 2866 §2: a NAS is answered only once the record is safe).
 * A request is acknowledged to the NAS once its INSERT has committed (WAL, synchronous=FULL,
 * group commit); then it is forwarded, oldest first within its pool (each pool has its own ordered
 * lane), until a home server answers, and marked sent (group commit too). A NAS retransmission
 * (same NAS, same Request Authenticator) is not queued twice. The bytes of each transmission can be
 * committed before they leave (`saveAttempt`), so that after a crash a record whose delivery was not
 * marked goes out again exactly as before (see AccountingForwarder).
 */
export class AccountingQueue {
  /** @internal The SQLite handle; its type comes from an optional package, so it is not in the typings. */
  readonly db: Database.Database;
  private readonly commit: GroupCommit<Incoming, boolean>;
  private readonly attemptCommit: GroupCommit<SentAttempt, undefined>;
  private readonly markCommit: GroupCommit<number, undefined>;
  private readonly insert: Database.Statement;
  private readonly next: Database.Statement;
  private readonly purge: Database.Statement;
  private readonly maxInFlight: number;
  private readonly retryMs: number;
  private readonly keepMs: number;
  private readonly lanes = new Map<string, Lane>();
  private sender: QueueSender | undefined;
  private unsent: number;
  private closed = false;
  private purgeTimer: NodeJS.Timeout;
  /** Requests forwarded and acknowledged by a home server since start. */
  forwarded = 0;
  /** Sends that failed (every home server of the pool silent) and will be tried again. */
  failures = 0;

  constructor(options: AccountingQueueOptions) {
    this.db = openDatabase(options.file);
    this.db.exec(SCHEMA);
    const have = new Set(
      (this.db.prepare('PRAGMA table_info(proxy_acct_queue)').all() as Array<{ name: string }>).map(
        (c) => c.name,
      ),
    );
    for (const [name, type] of ATTEMPT_COLUMNS)
      if (!have.has(name)) this.db.exec(`ALTER TABLE proxy_acct_queue ADD COLUMN ${name} ${type}`);
    this.maxInFlight = options.maxInFlight ?? 64;
    this.retryMs = (options.retryDelay ?? 1) * 1000;
    this.keepMs = (options.keepSent ?? 600) * 1000;
    this.insert = this.db.prepare(
      'INSERT OR IGNORE INTO proxy_acct_queue (nas, req_key, pool, packet, queued_at) VALUES (?, ?, ?, ?, ?)',
    );
    const markSent = this.db.prepare('UPDATE proxy_acct_queue SET sent_at = ? WHERE seq = ?');
    const saveAttempt = this.db.prepare(
      'UPDATE proxy_acct_queue SET server = ?, wire = ?, attempted_at = ? WHERE seq = ?',
    );
    this.next = this.db.prepare(
      'SELECT seq, pool, packet, queued_at AS queuedAt FROM proxy_acct_queue WHERE pool = ? AND sent_at IS NULL AND seq > ? ORDER BY seq LIMIT ?',
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
      const pools = new Set<string>();
      for (let i = 0; i < added.length; i++) {
        if (!added[i]) continue;
        this.unsent++;
        pools.add(items[i].pool);
      }
      for (const p of pools) this.pump(this.lane(p));
      return added;
    });
    // The bytes of a batch of transmissions: one transaction (one fsync) before they leave.
    const saveAll = this.db.transaction((items: SentAttempt[]) => {
      for (const a of items) saveAttempt.run(a.server, a.wire, a.at, a.seq);
    });
    this.attemptCommit = new GroupCommit(
      (items) => {
        saveAll(items);
        return items.map(() => undefined);
      },
      { delayMs: 0 },
    );
    // Deliveries are marked in batches: one transaction per millisecond or so, not per reply.
    const markAll = this.db.transaction((seqs: number[]) => {
      const now = Date.now();
      for (const s of seqs) markSent.run(now, s);
    });
    this.markCommit = new GroupCommit(
      (seqs) => {
        markAll(seqs);
        return seqs.map(() => undefined);
      },
      { delayMs: 1 },
    );
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
    const pools = this.db
      .prepare('SELECT DISTINCT pool FROM proxy_acct_queue WHERE sent_at IS NULL')
      .all() as Array<{ pool: string }>;
    for (const { pool } of pools) this.pump(this.lane(pool));
  }

  /**
   * Queues a request durably; resolves true once committed (false: a retransmission of one
   * already queued). `key` identifies the request at its NAS (its Request Authenticator).
   */
  enqueue(nas: string, key: string, pool: string, packet: Buffer): Promise<boolean> {
    return this.commit.submit({ nas, key, pool, packet });
  }

  /** Commits the bytes a request is about to be sent with (batched with others of the same turn). */
  saveAttempt(seq: number, server: string, wire: Buffer, at: number): Promise<undefined> {
    return this.attemptCommit.submit({ seq, server, wire, at });
  }

  /** Requests sent (their bytes committed) and not marked delivered: in flight at the last stop. */
  attempted(): SentAttempt[] {
    return this.db
      .prepare(
        'SELECT seq, server, wire, attempted_at AS at FROM proxy_acct_queue WHERE sent_at IS NULL AND wire IS NOT NULL ORDER BY seq',
      )
      .all() as SentAttempt[];
  }

  /** The local port the forwarder last sent to `server` from. */
  sourcePort(server: string): number | undefined {
    const row = this.db.prepare('SELECT port FROM proxy_acct_sources WHERE server = ?').get(server) as
      | { port: number }
      | undefined;
    return row?.port;
  }

  /** Remembers the local port the forwarder sends to `server` from. */
  saveSourcePort(server: string, port: number): void {
    this.db
      .prepare(
        'INSERT INTO proxy_acct_sources (server, port) VALUES (?, ?) ON CONFLICT (server) DO UPDATE SET port = excluded.port',
      )
      .run(server, port);
  }

  /** Stops forwarding and closes the database; what is unsent stays for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.purgeTimer);
    for (const lane of this.lanes.values()) if (lane.pauseTimer) clearTimeout(lane.pauseTimer);
    await this.commit.close();
    await this.attemptCommit.close();
    await this.markCommit.close();
    this.db.close();
  }

  private lane(pool: string): Lane {
    let lane = this.lanes.get(pool);
    if (lane === undefined) {
      lane = {
        pool,
        cursor: 0,
        inFlight: 0,
        retry: [],
        paused: false,
        pauseTimer: undefined,
        busy: new Set(),
        held: [],
      };
      this.lanes.set(pool, lane);
    }
    return lane;
  }

  private pump(lane: Lane): void {
    if (this.closed || lane.paused || this.sender === undefined) return;
    // Oldest first: those tried before, those held for their session, then new rows.
    const waiting = [...lane.retry, ...lane.held].sort((a, b) => a.seq - b.seq);
    lane.retry = [];
    lane.held = [];
    const take = (item: QueuedRequest): void => {
      const session = sessionOf(item.packet);
      if (lane.inFlight >= this.maxInFlight || (session !== '' && lane.busy.has(session))) {
        lane.held.push(item);
        return;
      }
      this.send(lane, item, session);
    };
    for (const item of waiting) take(item);
    // Read on while there is room, holding at most a window's worth for busy sessions.
    while (lane.inFlight < this.maxInFlight && lane.held.length < this.maxInFlight) {
      const want = Math.min(this.maxInFlight - lane.inFlight, this.maxInFlight - lane.held.length);
      const rows = this.next.all(lane.pool, lane.cursor, want) as QueuedRequest[];
      for (const r of rows) {
        lane.cursor = r.seq;
        take(r);
      }
      if (rows.length < want) break;
    }
  }

  private send(lane: Lane, item: QueuedRequest, session: string): void {
    lane.inFlight++;
    if (session !== '') lane.busy.add(session);
    const done = (): void => {
      lane.inFlight--;
      if (session !== '') lane.busy.delete(session);
    };
    (this.sender as QueueSender)(item).then(
      async (release) => {
        try {
          await this.markCommit.submit(item.seq);
        } catch {
          // Closed meanwhile: not marked, so sent again by the next start (the same bytes).
          done();
          return;
        }
        release?.();
        done();
        this.unsent--;
        this.forwarded++;
        this.pump(lane);
      },
      () => {
        done();
        this.failures++;
        // Tried again first, once the pool has had time to come back.
        lane.retry.push(item);
        lane.retry.sort((a, b) => a.seq - b.seq);
        if (!lane.paused && !this.closed) {
          lane.paused = true;
          lane.pauseTimer = setTimeout(() => {
            lane.paused = false;
            lane.pauseTimer = undefined;
            this.pump(lane);
          }, this.retryMs);
          lane.pauseTimer.unref();
        }
      },
    );
  }
}

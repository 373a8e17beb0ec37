// The accounting tables and their durable writer, shared by the in-process store and its worker.
import { closeSync, openSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { DatabaseError } from '../errors.js';
import { sqliteDatabase } from './sqlite-module.js';
import { ACCT_STATUS, type AccountingRecord } from './accounting.js';

/** Tables of the store (users and accounting); created when missing. */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  password TEXT,
  nt_hash TEXT,
  password_hash TEXT,
  reply TEXT NOT NULL DEFAULT '[]',
  check_items TEXT NOT NULL DEFAULT '[]',
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS acct_records (
  id INTEGER PRIMARY KEY,
  nas TEXT NOT NULL,
  session_id TEXT NOT NULL,
  status_type INTEGER NOT NULL,
  identifier INTEGER NOT NULL,
  authenticator TEXT NOT NULL,
  record_key TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  event_time INTEGER NOT NULL,
  attributes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS acct_records_session_key ON acct_records (nas, session_id, record_key, received_at);
CREATE TABLE IF NOT EXISTS acct_sessions (
  nas TEXT NOT NULL,
  session_id TEXT NOT NULL,
  user_name TEXT,
  status TEXT NOT NULL,
  start_time INTEGER,
  last_update INTEGER NOT NULL,
  stop_time INTEGER,
  session_time INTEGER,
  input_octets INTEGER,
  output_octets INTEGER,
  input_packets INTEGER,
  output_packets INTEGER,
  terminate_cause TEXT,
  framed_ip TEXT,
  records INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (nas, session_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS acct_sessions_status ON acct_sessions (status, last_update);
`;

/**
 * RFC 2866 §5.1: Accounting-On/Off from a NAS ends every session it still had open (it rebooted
 * or stopped accounting), as far as they began before the event.
 */
const CLOSE_NAS_SESSIONS = `
UPDATE acct_sessions SET
  status = 'stopped',
  stop_time = @eventTime,
  last_update = MAX(last_update, @eventTime),
  session_time = CASE WHEN start_time IS NOT NULL
    THEN MAX(COALESCE(session_time, 0), CAST((@eventTime - start_time) / 1000 AS INTEGER)) ELSE session_time END,
  terminate_cause = COALESCE(terminate_cause, @cause)
WHERE nas = @nas AND status IN ('active', 'stale') AND COALESCE(start_time, last_update) <= @eventTime
`;

// Counters only grow within a session, so the larger value wins whatever order records arrive in.
const larger = (c: string) =>
  `${c} = COALESCE(MAX(acct_sessions.${c}, excluded.${c}), acct_sessions.${c}, excluded.${c})`;

const UPSERT_SESSION = `
INSERT INTO acct_sessions (nas, session_id, user_name, status, start_time, last_update, stop_time, session_time,
  input_octets, output_octets, input_packets, output_packets, terminate_cause, framed_ip)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (nas, session_id) DO UPDATE SET
  user_name = COALESCE(excluded.user_name, acct_sessions.user_name),
  status = CASE WHEN acct_sessions.status = 'stopped' THEN 'stopped' ELSE excluded.status END,
  start_time = CASE WHEN ? THEN excluded.start_time
    ELSE COALESCE(acct_sessions.start_time, excluded.start_time) END,
  last_update = MAX(acct_sessions.last_update, excluded.last_update),
  stop_time = COALESCE(excluded.stop_time, acct_sessions.stop_time),
  ${['session_time', 'input_octets', 'output_octets', 'input_packets', 'output_packets'].map(larger).join(',\n  ')},
  terminate_cause = COALESCE(excluded.terminate_cause, acct_sessions.terminate_cause),
  framed_ip = COALESCE(excluded.framed_ip, acct_sessions.framed_ip),
  records = acct_sessions.records + 1
`;

/**
 * Opens the database durably: WAL journal with synchronous=FULL, so a committed transaction
 * survives a crash or power loss; creates the tables when missing. `readonly` or `mustExist`
 * open a database that should be the store's already: one that is not SQLite, or holds other
 * tables and none of the store's, is refused with DatabaseError instead of being changed.
 */
export function openDatabase(file: string, readonly = false, mustExist = false): Database.Database {
  const Sqlite = sqliteDatabase();
  if (!readonly && !mustExist && file !== ':memory:') createPrivate(file);
  const db = new Sqlite(file, { readonly, fileMustExist: mustExist });
  if (readonly || mustExist) {
    let problem: string | undefined;
    try {
      problem = storeTablesProblem(db, readonly);
    } catch (err) {
      // SQLite reads the file on the first query: "file is not a database" shows here.
      db.close();
      throw new DatabaseError(file, (err as Error).message, { cause: err });
    }
    if (problem !== undefined) {
      db.close();
      throw new DatabaseError(file, problem);
    }
  }
  if (!readonly) {
    try {
      // Several processes may set up a new file at once (`serve --workers` on a fresh database).
      whileBusy(() => {
        db.pragma('busy_timeout = 5000');
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        dropPermanentUniqueness(db);
        db.exec(SCHEMA);
        addPasswordHashColumn(db);
        dropRandomKeyIndexes(db);
      });
    } catch (err) {
      db.close();
      throw err;
    }
  }
  return db;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `setUp` again while SQLite answers SQLITE_BUSY, for 10 s at most. The busy timeout covers
 * most waits, but SQLite gives up at once where waiting cannot help the statement it runs (a
 * connection whose snapshot another one changed, WAL recovery in progress): the step is then
 * taken again after a short pause (set-up steps are idempotent).
 */
export function whileBusy(setUp: () => void): void {
  const deadline = Date.now() + 10_000;
  for (let wait = 10; ; wait = Math.min(wait * 2, 250)) {
    try {
      setUp();
      return;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || Date.now() + wait > deadline)
        throw err;
      // A synchronous pause: the store is opened synchronously, before the server serves.
      Atomics.wait(pause, 0, 0, wait);
    }
  }
}

/** Tables of SCHEMA; a database with other tables and none of these is another program's. */
const STORE_TABLES: readonly string[] = ['users', 'acct_records', 'acct_sessions'];

/**
 * Why an existing database is not the store's, or undefined: another program's tables and none of
 * ours; read-only (nothing can be created), no accounting tables to read. An empty one is fine
 * to fill.
 */
function storeTablesProblem(db: Database.Database, readonly: boolean): string | undefined {
  const names = db
    .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .pluck()
    .all();
  if (names.length > 0 && !names.some((n) => STORE_TABLES.includes(n))) {
    const shown = names.length > 4 ? `${names.slice(0, 4).join(', ')}, …` : names.join(', ');
    return `not an aioradius database (it has tables ${shown}, but none of ${STORE_TABLES.join(', ')})`;
  }
  if (readonly) {
    const missing = ['acct_sessions', 'acct_records'].filter((t) => !names.includes(t));
    if (missing.length) return `no accounting tables in it (${missing.join(', ')}): serve has not used it`;
  }
  return undefined;
}

/**
 * Creates a missing database file readable by its owner only (it holds password hashes and NT
 * hashes); SQLite gives its -wal and -shm files the same mode.
 */
function createPrivate(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Databases made before hashed passwords have no password_hash column: add it. */
function addPasswordHashColumn(db: Database.Database): void {
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(users)').all();
  if (!columns.some((c) => c.name === 'password_hash'))
    db.exec('ALTER TABLE users ADD COLUMN password_hash TEXT');
}

/**
 * Earlier versions found retransmissions through an index on (nas, record_key): a digest, so every
 * record landed on a random page of it, and each commit wrote about one index page per record
 * (7.6 KB written per record against 1.8 KB without it). A retransmission has the same
 * Acct-Session-Id (part of its key), so an index led by the session finds it as well. The next
 * one, (nas, session_id, received_at), made the probe read every record of the session within the
 * window (thousands for a NAS that reuses one Acct-Session-Id); the digest after the session makes
 * it one seek, and the digest stays inside the session's part of the index. SCHEMA has created its
 * replacement by the time this runs.
 */
function dropRandomKeyIndexes(db: Database.Database): void {
  db.exec(`DROP INDEX IF EXISTS acct_records_key; DROP INDEX IF EXISTS acct_records_session;
    DROP INDEX IF EXISTS acct_records_session_time;`);
}

/**
 * Databases made by earlier versions kept a record's content unique forever, so a genuine later
 * record with the same content (a second Accounting-On, an idle session's identical update) was
 * dropped. The table is rebuilt without that constraint; duplicates are now found within
 * {@link DEFAULT_DUPLICATE_WINDOW} only.
 */
function dropPermanentUniqueness(db: Database.Database): void {
  const unique = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'sqlite_autoindex_acct_records_1'")
    .get();
  if (unique === undefined) return;
  db.transaction(() => {
    db.exec('ALTER TABLE acct_records RENAME TO acct_records_unique');
    db.exec('DROP INDEX IF EXISTS acct_records_session');
    db.exec('DROP INDEX IF EXISTS acct_records_session_time');
    db.exec('DROP INDEX IF EXISTS acct_records_session_key');
    db.exec(SCHEMA);
    db.exec('INSERT INTO acct_records SELECT * FROM acct_records_unique');
    db.exec('DROP TABLE acct_records_unique');
  })();
}

/**
 * Seconds within which a record with the same content from the same NAS is a retransmission
 * (stored once); past it, a new record. NASes retry an unanswered Accounting-Request for seconds
 * to a few minutes (RFC 5080 §2.2.1), updating only Acct-Delay-Time, which the key leaves out.
 */
export const DEFAULT_DUPLICATE_WINDOW = 300;

/**
 * Inserts a record unless the same one from the same NAS arrived within the window. Positional
 * parameters: binding them costs less than looking up named ones per record. The probe is one
 * seek of the covering index acct_records_session_key (the key includes Acct-Session-Id).
 */
export const INSERT_RECORD = `INSERT INTO acct_records (nas, session_id, status_type, identifier, authenticator,
  record_key, received_at, event_time, attributes)
SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?
WHERE NOT EXISTS (SELECT 1 FROM acct_records
  WHERE nas = ? AND session_id = ? AND record_key = ? AND received_at >= ?)`;

/** Writes accounting records: raw records (once each) and the sessions they fold into. */
export class AccountingTables {
  private readonly insertRecord: Database.Statement;
  private readonly upsertSession: Database.Statement;
  private readonly closeNasSessions: Database.Statement;
  /** Writes a batch in one transaction; one result per record: true = new, false = already stored. */
  readonly writeBatch: (records: AccountingRecord[]) => boolean[];
  /** The same for records already flattened by {@link recordRow} (what the writer thread receives). */
  readonly writeRows: (rows: RecordRow[]) => boolean[];

  private readonly windowMs: number;

  /** `duplicateWindow`: seconds within which the same content from the same NAS is stored once. */
  constructor(
    readonly db: Database.Database,
    duplicateWindow = DEFAULT_DUPLICATE_WINDOW,
  ) {
    this.windowMs = duplicateWindow * 1000;
    this.insertRecord = db.prepare(INSERT_RECORD);
    this.upsertSession = db.prepare(UPSERT_SESSION);
    this.closeNasSessions = db.prepare(CLOSE_NAS_SESSIONS);
    const rows = db.transaction((batch: RecordRow[]) => batch.map((r) => this.writeOne(r)));
    this.writeRows = rows;
    this.writeBatch = (records) => rows(records.map(recordRow));
  }

  private writeOne(r: RecordRow): boolean {
    const inserted =
      this.insertRecord.run(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[0],
        r[1],
        r[5],
        r[6] - this.windowMs,
      ).changes > 0;
    // A retransmission must not be counted twice in its session either.
    if (!inserted) return inserted;
    const s = r[2];
    const eventTime = r[7];
    if (s === ACCT_STATUS.ACCOUNTING_ON || s === ACCT_STATUS.ACCOUNTING_OFF) {
      this.closeNasSessions.run({
        nas: r[0],
        eventTime,
        cause: r[15] ?? (s === ACCT_STATUS.ACCOUNTING_ON ? 'NAS-Reboot' : 'NAS-Request'),
      });
      return inserted;
    }
    if (r[1] === '') return inserted;
    if (s !== ACCT_STATUS.START && s !== ACCT_STATUS.STOP && s !== ACCT_STATUS.INTERIM_UPDATE)
      return inserted;
    const isStart = s === ACCT_STATUS.START;
    const sessionTime = r[10];
    this.upsertSession.run(
      r[0],
      r[1],
      r[9],
      s === ACCT_STATUS.STOP ? 'stopped' : 'active',
      isStart ? eventTime : sessionTime !== null ? eventTime - sessionTime * 1000 : null,
      eventTime,
      s === ACCT_STATUS.STOP ? eventTime : null,
      sessionTime,
      r[11],
      r[12],
      r[13],
      r[14],
      r[15],
      r[16],
      // The last `?`: whether this is a Start (the DO UPDATE branch).
      isStart ? 1 : 0,
    );
    return inserted;
  }
}

/**
 * A record flattened for the writer: the values in column order, the attributes already JSON. An
 * array of strings and numbers crosses to the writer thread much faster than the record object
 * (structured clone), and the JSON is made on the thread that has the time.
 */
export type RecordRow = [
  nas: string,
  sessionId: string,
  statusType: number,
  identifier: number,
  authenticator: string,
  key: string,
  receivedAt: number,
  eventTime: number,
  attributes: string,
  userName: string | null,
  sessionTime: number | null,
  inputOctets: number | null,
  outputOctets: number | null,
  inputPackets: number | null,
  outputPackets: number | null,
  terminateCause: string | null,
  framedIp: string | null,
];

/** Flattens a record for {@link AccountingTables.writeRows}. */
export function recordRow(r: AccountingRecord): RecordRow {
  return [
    r.nas,
    r.sessionId,
    r.statusType,
    r.identifier,
    r.authenticator,
    r.key,
    r.receivedAt,
    r.eventTime,
    JSON.stringify(r.attributes),
    r.userName ?? null,
    r.sessionTime ?? null,
    r.inputOctets ?? null,
    r.outputOctets ?? null,
    r.inputPackets ?? null,
    r.outputPackets ?? null,
    r.terminateCause ?? null,
    r.framedIp ?? null,
  ];
}

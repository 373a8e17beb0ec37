// The accounting tables and their durable writer, shared by the in-process store and its worker.
import type Database from 'better-sqlite3';
import { sqliteDatabase } from './sqlite-module.js';
import { ACCT_STATUS, type AccountingRecord } from './accounting.js';

/** Tables of the store (users and accounting); created when missing. */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  password TEXT,
  nt_hash TEXT,
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
CREATE INDEX IF NOT EXISTS acct_records_session ON acct_records (nas, session_id);
CREATE INDEX IF NOT EXISTS acct_records_key ON acct_records (nas, record_key, received_at);
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
`;

// Counters only grow within a session, so the larger value wins whatever order records arrive in.
const larger = (c: string) =>
  `${c} = COALESCE(MAX(acct_sessions.${c}, excluded.${c}), acct_sessions.${c}, excluded.${c})`;

const UPSERT_SESSION = `
INSERT INTO acct_sessions (nas, session_id, user_name, status, start_time, last_update, stop_time, session_time,
  input_octets, output_octets, input_packets, output_packets, terminate_cause, framed_ip)
VALUES (@nas, @sessionId, @userName, @status, @startTime, @eventTime, @stopTime, @sessionTime,
  @inputOctets, @outputOctets, @inputPackets, @outputPackets, @terminateCause, @framedIp)
ON CONFLICT (nas, session_id) DO UPDATE SET
  user_name = COALESCE(excluded.user_name, acct_sessions.user_name),
  status = CASE WHEN acct_sessions.status = 'stopped' THEN 'stopped' ELSE excluded.status END,
  start_time = CASE WHEN @isStart THEN excluded.start_time
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
 * survives a crash or power loss; creates the tables when missing.
 */
export function openDatabase(file: string, readonly = false): Database.Database {
  const Sqlite = sqliteDatabase();
  const db = new Sqlite(file, { readonly });
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    dropPermanentUniqueness(db);
    db.exec(SCHEMA);
  }
  return db;
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

/** Writes accounting records: raw records (once each) and the sessions they fold into. */
export class AccountingTables {
  private readonly insertRecord: Database.Statement;
  private readonly upsertSession: Database.Statement;
  /** Writes a batch in one transaction; one result per record: true = new, false = already stored. */
  readonly writeBatch: (records: AccountingRecord[]) => boolean[];

  private readonly windowMs: number;

  /** `duplicateWindow`: seconds within which the same content from the same NAS is stored once. */
  constructor(
    readonly db: Database.Database,
    duplicateWindow = DEFAULT_DUPLICATE_WINDOW,
  ) {
    this.windowMs = duplicateWindow * 1000;
    this.insertRecord = db.prepare(
      `INSERT INTO acct_records (nas, session_id, status_type, identifier, authenticator, record_key,
        received_at, event_time, attributes)
       SELECT @nas, @sessionId, @statusType, @identifier, @authenticator, @key, @receivedAt, @eventTime, @attributes
       WHERE NOT EXISTS
         (SELECT 1 FROM acct_records WHERE nas = @nas AND record_key = @key AND received_at >= @since)`,
    );
    this.upsertSession = db.prepare(UPSERT_SESSION);
    this.writeBatch = db.transaction((records: AccountingRecord[]) => records.map((r) => this.writeOne(r)));
  }

  private writeOne(r: AccountingRecord): boolean {
    const inserted =
      this.insertRecord.run({
        nas: r.nas,
        sessionId: r.sessionId,
        statusType: r.statusType,
        identifier: r.identifier,
        authenticator: r.authenticator,
        key: r.key,
        receivedAt: r.receivedAt,
        eventTime: r.eventTime,
        attributes: JSON.stringify(r.attributes),
        since: r.receivedAt - this.windowMs,
      }).changes > 0;
    // A retransmission must not be counted twice in its session either.
    if (!inserted || r.sessionId === '') return inserted;
    const s = r.statusType;
    if (s !== ACCT_STATUS.START && s !== ACCT_STATUS.STOP && s !== ACCT_STATUS.INTERIM_UPDATE)
      return inserted;
    const isStart = s === ACCT_STATUS.START;
    this.upsertSession.run({
      nas: r.nas,
      sessionId: r.sessionId,
      userName: r.userName ?? null,
      status: s === ACCT_STATUS.STOP ? 'stopped' : 'active',
      isStart: isStart ? 1 : 0,
      startTime: isStart
        ? r.eventTime
        : r.sessionTime !== undefined
          ? r.eventTime - r.sessionTime * 1000
          : null,
      eventTime: r.eventTime,
      stopTime: s === ACCT_STATUS.STOP ? r.eventTime : null,
      sessionTime: r.sessionTime ?? null,
      inputOctets: r.inputOctets ?? null,
      outputOctets: r.outputOctets ?? null,
      inputPackets: r.inputPackets ?? null,
      outputPackets: r.outputPackets ?? null,
      terminateCause: r.terminateCause ?? null,
      framedIp: r.framedIp ?? null,
    });
    return inserted;
  }
}

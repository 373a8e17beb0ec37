// The PostgreSQL schema, as numbered migrations applied once each (recorded in
// aioradius_migrations). The tables and columns are those of the SQLite store, so the same queries
// and tools read both; times are milliseconds since 1970 (BIGINT), as in SQLite.

/** One migration: applied in `version` order, inside a transaction, never edited once released. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, oldest first. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users and accounting',
    sql: `
CREATE TABLE users (
  name TEXT PRIMARY KEY,
  password TEXT,
  nt_hash TEXT,
  password_hash TEXT,
  reply TEXT NOT NULL DEFAULT '[]',
  check_items TEXT NOT NULL DEFAULT '[]',
  updated_at BIGINT NOT NULL
);
CREATE TABLE acct_records (
  id BIGSERIAL PRIMARY KEY,
  nas TEXT NOT NULL,
  session_id TEXT NOT NULL,
  status_type INTEGER NOT NULL,
  identifier INTEGER NOT NULL,
  authenticator TEXT NOT NULL,
  record_key TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  event_time BIGINT NOT NULL,
  attributes TEXT NOT NULL
);
CREATE INDEX acct_records_session ON acct_records (nas, session_id);
CREATE INDEX acct_records_key ON acct_records (nas, record_key, received_at);
CREATE TABLE acct_sessions (
  nas TEXT NOT NULL,
  session_id TEXT NOT NULL,
  user_name TEXT,
  status TEXT NOT NULL,
  start_time BIGINT,
  last_update BIGINT NOT NULL,
  stop_time BIGINT,
  session_time BIGINT,
  input_octets BIGINT,
  output_octets BIGINT,
  input_packets BIGINT,
  output_packets BIGINT,
  terminate_cause TEXT,
  framed_ip TEXT,
  records INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (nas, session_id)
);
CREATE INDEX acct_sessions_status ON acct_sessions (status, last_update);
`,
  },
  {
    version: 2,
    name: 'retransmissions found through the session index',
    // The digest-led index put every record on a random page (a full-page image in the WAL after
    // each checkpoint); a retransmission has the same Acct-Session-Id, so the session's records of
    // the window, found by arrival time, are enough.
    sql: `
CREATE INDEX acct_records_session_time ON acct_records (nas, session_id, received_at);
DROP INDEX acct_records_key;
DROP INDEX acct_records_session;
`,
  },
  {
    version: 3,
    name: 'retransmissions found by one index seek',
    // With the arrival time right after the session, the probe read every record of the session
    // within the window (thousands for a NAS that reuses one Acct-Session-Id); with the digest
    // before it, one seek. The digest stays inside the session's part of the index. Built inside
    // the migration's transaction: writes to acct_records wait for it (once, at upgrade).
    sql: `
CREATE INDEX acct_records_session_key ON acct_records (nas, session_id, record_key, received_at);
DROP INDEX acct_records_session_time;
`,
  },
];

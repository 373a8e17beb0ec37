// Reading and trimming the accounting tables, written once for both stores: what `aioradius acct`,
// `coa` and `disconnect` ask (sessions by status/user/NAS, one session's records, purging) and
// `serve`'s stale-session sweep. The tables are the same in SQLite and PostgreSQL; a dialect says
// how each database spells a bind parameter and a bytewise text order.
import type { MaybePromise } from './store.js';
import type { SessionRow } from './sqlite-store.js';

/** One stored Accounting-Request of a session, attributes parsed. */
export interface AccountingRecordRow {
  id: number;
  nas: string;
  session_id: string;
  status_type: number;
  identifier: number;
  received_at: number;
  event_time: number;
  attributes: Record<string, unknown[]>;
}

/** Which sessions `listSessions` returns. */
export interface SessionFilter {
  /** Only sessions still open (status 'active'). */
  active?: boolean;
  user?: string;
  nas?: string;
  sessionId?: string;
  /** Most recently updated first, at most this many (default all). */
  limit?: number;
}

/** What `purgeAccounting` removed (or, in a dry run, would remove). */
export interface PurgeResult {
  records: number;
  sessions: number;
}

/**
 * Stored accounting read and trimmed, the same in every store that keeps the session and record
 * tables (SQLite, PostgreSQL): what `aioradius acct`, `coa` and `disconnect` use.
 */
export interface AccountingQueries {
  /** Sessions matching `filter`, most recently updated first (then by NAS and session, bytewise). */
  listSessions(filter?: SessionFilter): MaybePromise<SessionRow[]>;
  /** The stored records of one session, in the order received. */
  sessionRecords(nas: string, sessionId: string): MaybePromise<AccountingRecordRow[]>;
  /**
   * Deletes records received before `before` (ms since 1970) and the closed (stopped or stale)
   * sessions last updated before it, in one transaction; open sessions stay whatever their age.
   * With `dryRun`, only counts them.
   */
  purgeAccounting(before: number, dryRun?: boolean): MaybePromise<PurgeResult>;
}

/** How a database spells what the shared statements need. */
export interface SqlDialect {
  /** The n-th (1-based) bind parameter of a statement. */
  param(n: number): string;
  /** A text column ordered byte by byte (SQLite's BINARY collation), whatever the database's locale. */
  bytewise(column: string): string;
}

/** SQLite: `?` parameters; text columns compare bytewise already. */
export const SQLITE_DIALECT: SqlDialect = { param: () => '?', bytewise: (c) => c };

/** PostgreSQL: `$n` parameters; the "C" collation orders as SQLite does. */
export const POSTGRES_DIALECT: SqlDialect = {
  param: (n) => `$${n}`,
  bytewise: (c) => `${c} COLLATE "C"`,
};

/** A statement and its parameters, in order. */
export interface Query {
  text: string;
  values: Array<string | number>;
}

/** The sessions matching `filter`: SELECT over acct_sessions. */
export function sessionsQuery(filter: SessionFilter, d: SqlDialect): Query {
  const where: string[] = [];
  const values: Array<string | number> = [];
  const bind = (v: string | number) => {
    values.push(v);
    return d.param(values.length);
  };
  if (filter.active) where.push("status = 'active'");
  if (filter.user !== undefined) where.push(`user_name = ${bind(filter.user)}`);
  if (filter.nas !== undefined) where.push(`nas = ${bind(filter.nas)}`);
  if (filter.sessionId !== undefined) where.push(`session_id = ${bind(filter.sessionId)}`);
  let text = 'SELECT * FROM acct_sessions';
  if (where.length) text += ` WHERE ${where.join(' AND ')}`;
  text += ` ORDER BY last_update DESC, ${d.bytewise('nas')}, ${d.bytewise('session_id')}`;
  if (filter.limit !== undefined) text += ` LIMIT ${bind(filter.limit)}`;
  return { text, values };
}

/** A session's records as stored (attributes still JSON text), oldest first. */
export function recordsQuery(nas: string, sessionId: string, d: SqlDialect): Query {
  return {
    text: `SELECT id, nas, session_id, status_type, identifier, received_at, event_time, attributes
      FROM acct_records WHERE nas = ${d.param(1)} AND session_id = ${d.param(2)} ORDER BY received_at, id`,
    values: [nas, sessionId],
  };
}

/** A row of `recordsQuery` as the database returns it: attributes as JSON text. */
export type RawRecordRow = Omit<AccountingRecordRow, 'attributes'> & { attributes: string };

/** A row of `recordsQuery` with its attributes parsed. */
export function toRecordRow(row: RawRecordRow): AccountingRecordRow {
  return { ...row, attributes: JSON.parse(row.attributes) as Record<string, unknown[]> };
}

/**
 * The rows a purge removes, per table, as `FROM … WHERE …` with `before` as the one parameter:
 * prefix SELECT COUNT(*) to count them, DELETE to remove them.
 */
export function purgeTargets(before: number, d: SqlDialect): { records: Query; sessions: Query } {
  return {
    records: { text: `FROM acct_records WHERE received_at < ${d.param(1)}`, values: [before] },
    sessions: {
      text: `FROM acct_sessions WHERE status != 'active' AND last_update < ${d.param(1)}`,
      values: [before],
    },
  };
}

/**
 * Marks active sessions with no update since `now - staleAfterMs` as 'stale' (their NAS may have
 * lost them without a Stop); a later update makes them active again.
 */
export function markStaleQuery(staleAfterMs: number, now: number, d: SqlDialect): Query {
  return {
    text: `UPDATE acct_sessions SET status = 'stale' WHERE status = 'active' AND last_update < ${d.param(1)}`,
    values: [now - staleAfterMs],
  };
}

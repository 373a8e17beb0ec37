// Reading and maintaining the accounting tables: what `aioradius acct` and `serve`'s stale-session
// sweep need (sessions by status/user/NAS, one session with its records, purging, marking stale).
import type Database from 'better-sqlite3';
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
  /** Newest first, at most this many (default all). */
  limit?: number;
}

/** What `purge` removed. */
export interface PurgeResult {
  records: number;
  sessions: number;
}

/** Queries over the accounting tables of an open database. */
export class AccountingQueries {
  constructor(readonly db: Database.Database) {}

  /** Sessions matching `filter`, most recently updated first. */
  listSessions(filter: SessionFilter = {}): SessionRow[] {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (filter.active) where.push("status = 'active'");
    if (filter.user !== undefined) {
      where.push('user_name = @user');
      params.user = filter.user;
    }
    if (filter.nas !== undefined) {
      where.push('nas = @nas');
      params.nas = filter.nas;
    }
    if (filter.sessionId !== undefined) {
      where.push('session_id = @sessionId');
      params.sessionId = filter.sessionId;
    }
    let sql = 'SELECT * FROM acct_sessions';
    if (where.length) sql += ` WHERE ${where.join(' AND ')}`;
    sql += ' ORDER BY last_update DESC, nas, session_id';
    if (filter.limit !== undefined) {
      sql += ' LIMIT @limit';
      params.limit = filter.limit;
    }
    return this.db.prepare<[Record<string, string | number>], SessionRow>(sql).all(params);
  }

  /** The stored records of one session, in the order received. */
  records(nas: string, sessionId: string): AccountingRecordRow[] {
    type Raw = Omit<AccountingRecordRow, 'attributes'> & { attributes: string };
    return this.db
      .prepare<[string, string], Raw>(
        `SELECT id, nas, session_id, status_type, identifier, received_at, event_time, attributes
         FROM acct_records WHERE nas = ? AND session_id = ? ORDER BY received_at, id`,
      )
      .all(nas, sessionId)
      .map((r) => ({ ...r, attributes: JSON.parse(r.attributes) as Record<string, unknown[]> }));
  }

  /**
   * Deletes records received before `before` (ms since 1970) and the closed (stopped or stale)
   * sessions last updated before it; open sessions stay whatever their age. One transaction.
   */
  purge(before: number, dryRun = false): PurgeResult {
    const count = (sql: string) =>
      (this.db.prepare<[number], { n: number }>(sql).get(before) as { n: number }).n;
    const recordsSql = 'FROM acct_records WHERE received_at < ?';
    const sessionsSql = "FROM acct_sessions WHERE status != 'active' AND last_update < ?";
    if (dryRun) {
      return {
        records: count(`SELECT COUNT(*) AS n ${recordsSql}`),
        sessions: count(`SELECT COUNT(*) AS n ${sessionsSql}`),
      };
    }
    return this.db.transaction(() => ({
      records: this.db.prepare(`DELETE ${recordsSql}`).run(before).changes,
      sessions: this.db.prepare(`DELETE ${sessionsSql}`).run(before).changes,
    }))();
  }

  /**
   * Marks active sessions with no update since `now - staleAfterMs` as 'stale' (their NAS may have
   * lost them without a Stop); a later update makes them active again. Returns how many.
   */
  markStale(staleAfterMs: number, now = Date.now()): number {
    return this.db
      .prepare("UPDATE acct_sessions SET status = 'stale' WHERE status = 'active' AND last_update < ?")
      .run(now - staleAfterMs).changes;
  }
}

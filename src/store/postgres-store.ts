// Users and accounting in PostgreSQL, for several `serve` instances sharing one database. The
// tables are the SQLite store's; accounting goes through the same group commit: a batch is one
// transaction of multi-row statements, and every reply waits for its COMMIT.
import type { Pool, PoolClient, PoolConfig, QueryResult, QueryResultRow } from 'pg';
import { RadiusError } from '../errors.js';
import { ACCT_STATUS, type AccountingRecord } from './accounting.js';
import {
  type AccountingQueries,
  type AccountingRecordRow,
  markStaleQuery,
  POSTGRES_DIALECT,
  type PurgeResult,
  purgeTargets,
  type Query,
  type RawRecordRow,
  recordsQuery,
  type SessionFilter,
  sessionsQuery,
  toRecordRow,
} from './accounting-queries.js';
import { DEFAULT_DUPLICATE_WINDOW } from './accounting-tables.js';
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';
import type { SessionRow, UserRecord } from './sqlite-store.js';
import type { ServeStore } from './store.js';
import { checkStoreUrl, storeOpenFailed } from './store-url.js';
import { toUser, type UserRow } from './user-rows.js';

/** Options of the PostgreSQL store. */
export interface PostgresStoreOptions extends GroupCommitOptions {
  /** Connections in the pool (default 8; up to `concurrency` write accounting, the rest look users up). */
  poolSize?: number;
  /** Seconds within which the same record from the same NAS is stored once (default 300). */
  duplicateWindow?: number;
  /** Told about errors of idle connections (the server is down or restarted); default: ignored. */
  onError?: (err: Error) => void;
  /**
   * Seconds a new connection may take to be ready (default 10): a server that accepts and never
   * answers, or an address that drops packets, fails the query (and open()) instead of hanging.
   */
  connectTimeout?: number;
}

/** The store's name in errors. */
const STORE_NAME = 'PostgreSQL';
const INT8_OID = 20;
// Batches written at once, each on its own connection: one batch's round trips and COMMIT overlap
// the next one's (measured in bench/README.md).
const DEFAULT_CONCURRENCY = 2;
// Quotes a batch's values in the one-trip message (PostgreSQL dollar quoting, §4.1.2.4).
const DOLLAR_TAG = '$aioradius_batch$';
// Serialises migrations of instances that start together.
const MIGRATION_LOCK = 0x61696f72;

/**
 * A batch reaches PostgreSQL as one JSON array of the records themselves (JSON.stringify is native
 * code; PostgreSQL's JSON parser is C), read back as rows by json_to_recordset. The statements are
 * fixed, so each is prepared once per connection (named), whatever the batch size: no per-record
 * bind parameters to build, and no statement text to parse and plan per batch.
 */
const RECORD_ROWS = `ROWS FROM (json_to_recordset($1::json) AS (
    nas text, "sessionId" text, "statusType" int, identifier int, authenticator text, key text,
    "receivedAt" bigint, "eventTime" bigint, attributes text, "userName" text, "sessionTime" bigint,
    "inputOctets" bigint, "outputOctets" bigint, "inputPackets" bigint, "outputPackets" bigint,
    "terminateCause" text, "framedIp" text)) WITH ORDINALITY AS v`;

/**
 * Another instance may be storing a copy of a record right now: the lock makes its INSERT wait for
 * our COMMIT (or ours for its), and the later one then finds the row. Taken in order: no deadlock.
 * $1 holds each record's `nas || ' ' || key` (small, unlike the batch's JSON).
 */
const LOCK_KEYS = {
  name: 'aioradius_lock_keys',
  text: `SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(id, 0) AS k
    FROM unnest($1::text[]) AS id ORDER BY 1) AS l`,
};

/**
 * The records not stored within the duplicate window ($2 ms). The lookup is a LATERAL probe, one
 * seek per record in acct_records_session_key (a retransmission has the same Acct-Session-Id, part
 * of its key): the planner, which cannot know how many rows the JSON holds, would otherwise hash
 * the whole table.
 */
const NOT_STORED = `LEFT JOIN LATERAL (SELECT 1 AS hit FROM acct_records r WHERE r.nas = v.nas
      AND r.session_id = v."sessionId" AND r.record_key = v.key
      AND r.received_at >= v."receivedAt" - $2::bigint LIMIT 1) AS stored ON true
    WHERE stored.hit IS NULL`;

const RECORD_COLUMNS = `nas, session_id, status_type, identifier, authenticator, record_key,
      received_at, event_time, attributes`;
const RECORD_VALUES = `v.nas, v."sessionId", v."statusType", v.identifier, v.authenticator, v.key,
      v."receivedAt", v."eventTime", v.attributes`;

/** Inserts the records not stored yet, the first copy of each within the batch; returns those inserted. */
export const INSERT_RECORDS = {
  name: 'aioradius_insert_records',
  text: `INSERT INTO acct_records (${RECORD_COLUMNS})
    SELECT ${RECORD_VALUES}
    FROM (SELECT DISTINCT ON (v.nas, v.key) v.* FROM ${RECORD_ROWS} ORDER BY v.nas, v.key, v.ordinality) AS v
    ${NOT_STORED}
    RETURNING nas, record_key`,
};

// A Start is told from other records by its shape (see the SELECT): active, a start time and no
// session time; it sets the start time, the others only fill it in. Rows go in key order, so two
// transactions touching the same sessions lock them in the same order.
const SESSION_VALUES = `v.nas, v."sessionId", v."userName",
      CASE WHEN v."statusType" = ${ACCT_STATUS.STOP} THEN 'stopped' ELSE 'active' END,
      CASE WHEN v."statusType" = ${ACCT_STATUS.START} THEN v."eventTime"
        WHEN v."sessionTime" IS NOT NULL THEN v."eventTime" - v."sessionTime" * 1000 END,
      v."eventTime",
      CASE WHEN v."statusType" = ${ACCT_STATUS.STOP} THEN v."eventTime" END,
      CASE WHEN v."statusType" = ${ACCT_STATUS.START} THEN NULL ELSE v."sessionTime" END,
      v."inputOctets", v."outputOctets", v."inputPackets", v."outputPackets", v."terminateCause",
      v."framedIp"`;
const SESSION_INSERT = `INSERT INTO acct_sessions AS s (nas, session_id, user_name, status, start_time, last_update,
      stop_time, session_time, input_octets, output_octets, input_packets, output_packets,
      terminate_cause, framed_ip)`;
const SESSION_CONFLICT = `ON CONFLICT (nas, session_id) DO UPDATE SET
  user_name = COALESCE(EXCLUDED.user_name, s.user_name),
  status = CASE WHEN s.status = 'stopped' THEN 'stopped' ELSE EXCLUDED.status END,
  start_time = CASE
    WHEN EXCLUDED.status = 'active' AND EXCLUDED.session_time IS NULL AND EXCLUDED.start_time IS NOT NULL
    THEN EXCLUDED.start_time ELSE COALESCE(s.start_time, EXCLUDED.start_time) END,
  last_update = GREATEST(s.last_update, EXCLUDED.last_update),
  stop_time = COALESCE(EXCLUDED.stop_time, s.stop_time),
  session_time = GREATEST(s.session_time, EXCLUDED.session_time),
  input_octets = GREATEST(s.input_octets, EXCLUDED.input_octets),
  output_octets = GREATEST(s.output_octets, EXCLUDED.output_octets),
  input_packets = GREATEST(s.input_packets, EXCLUDED.input_packets),
  output_packets = GREATEST(s.output_packets, EXCLUDED.output_packets),
  terminate_cause = COALESCE(EXCLUDED.terminate_cause, s.terminate_cause),
  framed_ip = COALESCE(EXCLUDED.framed_ip, s.framed_ip),
  records = s.records + 1`;
const FOLDED_STATUS = `(${ACCT_STATUS.START}, ${ACCT_STATUS.STOP}, ${ACCT_STATUS.INTERIM_UPDATE})`;

const UPSERT_SESSIONS = {
  name: 'aioradius_upsert_sessions',
  text: `${SESSION_INSERT}
    SELECT ${SESSION_VALUES}
    FROM ${RECORD_ROWS}
    WHERE v.ordinality = ANY($2::int[])
    ORDER BY v.nas, v."sessionId"
${SESSION_CONFLICT}`,
};

/**
 * The usual batch (each session once, no Accounting-On/Off) in one statement: the JSON crosses
 * and is parsed once, the records go in and their sessions are folded, and the statement returns
 * the sessions whose record was new.
 */
export const WRITE_DISTINCT_SESSIONS = {
  name: 'aioradius_write_distinct_sessions',
  text: `WITH v AS MATERIALIZED (SELECT * FROM ${RECORD_ROWS}),
  inserted AS (INSERT INTO acct_records (${RECORD_COLUMNS})
    SELECT ${RECORD_VALUES} FROM v
    ${NOT_STORED}
    RETURNING nas, session_id),
  folded AS (${SESSION_INSERT}
    SELECT ${SESSION_VALUES}
    FROM v JOIN inserted i ON i.nas = v.nas AND i.session_id = v."sessionId"
    WHERE v."sessionId" <> '' AND v."statusType" IN ${FOLDED_STATUS}
    ORDER BY v.nas, v."sessionId"
${SESSION_CONFLICT})
  SELECT nas, session_id FROM inserted`,
};

// The one-trip way's statements, prepared by SQL PREPARE (names apart from the protocol-level ones).
const BATCH_LOCK = 'aioradius_batch_lock';
const BATCH_WRITE = 'aioradius_batch_write';
const PREPARE_BATCH = [
  `PREPARE ${BATCH_LOCK}(json) AS ${LOCK_KEYS.text.replace('unnest($1::text[])', 'json_array_elements_text($1)')}`,
  `PREPARE ${BATCH_WRITE}(json, bigint) AS ${WRITE_DISTINCT_SESSIONS.text}`,
];

/** RFC 2866 §5.1: Accounting-On/Off ends the sessions the NAS still had open before the event. */
const CLOSE_NAS_SESSIONS = `
UPDATE acct_sessions SET
  status = 'stopped',
  stop_time = $2::bigint,
  last_update = GREATEST(last_update, $2::bigint),
  session_time = CASE WHEN start_time IS NOT NULL
    THEN GREATEST(COALESCE(session_time, 0), ($2::bigint - start_time) / 1000) ELSE session_time END,
  terminate_cause = COALESCE(terminate_cause, $3::text)
WHERE nas = $1::text AND status IN ('active', 'stale') AND COALESCE(start_time, last_update) <= $2::bigint`;

/**
 * A connection the server closed (restart, failover: SQLSTATE classes 08 and 57) or a socket
 * error: worth one more try on a fresh connection.
 */
function connectionLost(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code.startsWith('08') || code.startsWith('57') || code.startsWith('E');
  return /Connection terminated|connection/i.test((err as Error).message ?? '');
}

/** A deadlock or serialization failure (SQLSTATE 40P01, 40001): the batch may simply be tried again. */
function retryable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === '40P01' || code === '40001';
}

/**
 * Users and accounting in PostgreSQL (`database: postgres://…`). Several instances may share the
 * database: a record is stored once even when its retransmission reaches another instance
 * (advisory locks on the record's identity), and Start and Stop fold into one session whichever
 * instance receives them. Open with {@link PostgresStore.open}, which applies the migrations.
 */
export class PostgresStore implements ServeStore, AccountingQueries {
  readonly kind = 'postgres';
  private readonly commit: GroupCommit<AccountingRecord, boolean>;
  private readonly windowMs: number;
  /** Connections on which the one-trip statements are prepared. */
  private readonly prepared = new WeakSet<PoolClient>();

  private constructor(
    readonly pool: Pool,
    options: PostgresStoreOptions,
  ) {
    this.windowMs = Math.round((options.duplicateWindow ?? DEFAULT_DUPLICATE_WINDOW) * 1000);
    this.commit = new GroupCommit((records) => this.writeBatch(records), {
      concurrency: DEFAULT_CONCURRENCY,
      ...options,
    });
  }

  /**
   * Connects to `url` (postgres://…), applies missing migrations and returns the store. Rejects with
   * StoreOpenError for a URL of another scheme, a server that cannot be reached, a database that
   * does not exist or refuses the login (the password masked in the message).
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    checkStoreUrl(STORE_NAME, url, ['postgres', 'postgresql']);
    let pg: typeof import('pg')['default'];
    try {
      pg = (await import('pg')).default;
    } catch (err) {
      throw new RadiusError(
        `the PostgreSQL store needs the pg package (npm install pg): ${(err as Error).message.split('\n')[0]}`,
        'ERR_RADIUS_DEPENDENCY',
      );
    }
    // BIGINT columns hold milliseconds and octet counts, all below 2^53: numbers, as from SQLite.
    const types: PoolConfig['types'] = {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    };
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 8,
      types,
      connectionTimeoutMillis: Math.round((options.connectTimeout ?? 10) * 1000),
    });
    pool.on('error', (err) => options.onError?.(err));
    // A server going away reaches a connection as an 'error' event too, also while it is checked
    // out or being handed over (where the pool does not listen): the failing query reports it,
    // and without a listener the event would be thrown as an uncaught exception.
    pool.on('connect', (client) => client.on('error', () => undefined));
    try {
      // Read first: a database that has every migration is not written to (nor locked), so a
      // login that may only SELECT (a reporting role for `acct`) opens it too.
      if (!(await migrated(pool))) await migrate(pool);
    } catch (err) {
      await pool.end();
      throw storeOpenFailed(STORE_NAME, url, err);
    }
    return new PostgresStore(pool, options);
  }

  /** A user by name, or undefined. */
  async getUser(name: string): Promise<UserRecord | undefined> {
    const { rows } = await this.read<UserRow>('SELECT * FROM users WHERE name = $1', [name]);
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  /** Every user, by name. */
  async listUsers(): Promise<UserRecord[]> {
    const { rows } = await this.read<UserRow>('SELECT * FROM users ORDER BY name');
    return rows.map(toUser);
  }

  /** Adds a user; false when the name exists and `replace` is not set. */
  async addUser(user: UserRecord, replace = false): Promise<boolean> {
    const conflict = replace
      ? `DO UPDATE SET password = EXCLUDED.password, nt_hash = EXCLUDED.nt_hash,
         password_hash = EXCLUDED.password_hash, reply = EXCLUDED.reply,
         check_items = EXCLUDED.check_items, updated_at = EXCLUDED.updated_at`
      : 'DO NOTHING';
    const res = await this.pool.query(
      `INSERT INTO users (name, password, nt_hash, password_hash, reply, check_items, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) ${conflict}`,
      [
        user.name,
        user.password ?? null,
        user.ntHash ? user.ntHash.toString('hex') : null,
        user.passwordHash ?? null,
        JSON.stringify(user.reply),
        JSON.stringify(user.check),
        Date.now(),
      ],
    );
    return (res.rowCount ?? 0) > 0;
  }

  /** Deletes a user; false when there was none. */
  async deleteUser(name: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM users WHERE name = $1', [name]);
    return (res.rowCount ?? 0) > 0;
  }

  /**
   * Stores an Accounting-Request; resolves once its transaction is committed (true) or when an
   * earlier copy was already stored (false). Rejects when the write failed: send no response.
   */
  recordAccounting(record: AccountingRecord): Promise<boolean> {
    return this.commit.submit(record);
  }

  /** Batches and records written by the group commit so far. */
  get commitStats(): { batches: number; records: number; pending: number } {
    return { batches: this.commit.batches, records: this.commit.items, pending: this.commit.pending };
  }

  /** A session by NAS and Acct-Session-Id. */
  async getSession(nas: string, sessionId: string): Promise<SessionRow | undefined> {
    const { rows } = await this.read<SessionRow>(
      'SELECT * FROM acct_sessions WHERE nas = $1 AND session_id = $2',
      [nas, sessionId],
    );
    return rows[0];
  }

  /** Marks active sessions with no update for `staleAfterMs` as stale; resolves with how many. */
  async markStale(staleAfterMs: number, now = Date.now()): Promise<number> {
    const q = markStaleQuery(staleAfterMs, now, POSTGRES_DIALECT);
    const res = await this.read(q.text, q.values);
    return res.rowCount ?? 0;
  }

  /** Sessions matching `filter`, most recently updated first. */
  async listSessions(filter: SessionFilter = {}): Promise<SessionRow[]> {
    const q = sessionsQuery(filter, POSTGRES_DIALECT);
    return (await this.read<SessionRow>(q.text, q.values)).rows;
  }

  /** The stored records of one session, in the order received. */
  async sessionRecords(nas: string, sessionId: string): Promise<AccountingRecordRow[]> {
    const q = recordsQuery(nas, sessionId, POSTGRES_DIALECT);
    return (await this.read<RawRecordRow>(q.text, q.values)).rows.map(toRecordRow);
  }

  /** Deletes (or with `dryRun` counts) old records and closed sessions; see AccountingQueries. */
  async purgeAccounting(before: number, dryRun = false): Promise<PurgeResult> {
    const { records, sessions } = purgeTargets(before, POSTGRES_DIALECT);
    if (dryRun) {
      const count = async (q: Query) =>
        (await this.read<{ n: number }>(`SELECT COUNT(*) AS n ${q.text}`, q.values)).rows[0].n;
      return { records: await count(records), sessions: await count(sessions) };
    }
    return this.inTransaction(async (client) => {
      const remove = async (q: Query) => (await client.query(`DELETE ${q.text}`, q.values)).rowCount ?? 0;
      return { records: await remove(records), sessions: await remove(sessions) };
    });
  }

  /**
   * An idempotent statement (a lookup, the stale sweep), tried once more on a fresh connection
   * when the server dropped the first: after a database restart the pool still holds connections
   * to the old server, and a user must not be rejected for that.
   */
  async read<R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params: Array<string | number | null> = [],
  ): Promise<QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      if (!connectionLost(err)) throw err;
      return this.pool.query<R>(sql, params);
    }
  }

  /** Writes what is queued and closes the pool. */
  async close(): Promise<void> {
    await this.commit.close();
    await this.pool.end();
  }

  /**
   * One batch in one transaction: raw records once each, then the sessions in arrival order. A
   * deadlock with another instance's batch (PostgreSQL aborts one of the two) is retried.
   */
  private async writeBatch(records: AccountingRecord[]): Promise<boolean[]> {
    // Records are plain data: the batch goes as one JSON text (numbers stay below 2^53).
    const json = JSON.stringify(records);
    const oneTrip = distinctSessions(records) ? this.oneTrip(records, json) : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return oneTrip === undefined
          ? await this.writeOnce(records, json)
          : await this.writeInOneTrip(records, oneTrip);
      } catch (err) {
        // The one-trip batch is tried again on a fresh connection also when the connection was
        // lost: had its COMMIT gone through, the records now count as stored copies (false), and
        // are neither stored nor folded twice.
        if (attempt >= 3 || !(retryable(err) || (oneTrip !== undefined && connectionLost(err)))) throw err;
      }
    }
  }

  /**
   * The usual batch (each session once) as one simple-protocol message: BEGIN, the locks, the
   * write and COMMIT reach the server together, and the answer comes after the COMMIT: one round
   * trip instead of five. The statements are prepared once per connection (SQL PREPARE, in the
   * first message) and the values travel as dollar-quoted literals (no escaping to get wrong);
   * undefined when the quote's tag occurs in them (then the batch takes the parameterised way).
   */
  private oneTrip(records: AccountingRecord[], json: string): string[] | undefined {
    const keys = JSON.stringify(records.map((r) => `${r.nas} ${r.key}`));
    if (json.includes(DOLLAR_TAG) || keys.includes(DOLLAR_TAG)) return undefined;
    return [
      'BEGIN',
      `EXECUTE ${BATCH_LOCK}(${DOLLAR_TAG}${keys}${DOLLAR_TAG})`,
      `EXECUTE ${BATCH_WRITE}(${DOLLAR_TAG}${json}${DOLLAR_TAG}, ${this.windowMs})`,
      'COMMIT',
    ];
  }

  private async writeInOneTrip(records: AccountingRecord[], statements: string[]): Promise<boolean[]> {
    const client = await this.pool.connect();
    const prepare = this.prepared.has(client) ? [] : PREPARE_BATCH;
    let broken = false;
    try {
      const answers = (await client.query(
        [...prepare, ...statements].join(';\n'),
      )) as unknown as QueryResult<{
        nas: string;
        session_id: string;
      }>[];
      this.prepared.add(client);
      return sessionResults(records, answers[prepare.length + 2].rows);
    } catch (err) {
      broken = true;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private async writeOnce(records: AccountingRecord[], json: string): Promise<boolean[]> {
    return this.inTransaction(async (client) => {
      await client.query({ ...LOCK_KEYS, values: [records.map((r) => `${r.nas} ${r.key}`)] });
      if (distinctSessions(records)) return this.writeDistinct(client, records, json);
      const results = await this.insertRecords(client, records, json);
      await this.foldSessions(client, records, results, json);
      return results;
    });
  }

  /** Runs `work` inside BEGIN … COMMIT, or ROLLBACK when it fails. */
  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.begin();
    let broken = false;
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      broken = true;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // A connection that failed mid-transaction is not reused.
      client.release(broken);
    }
  }

  /** A batch whose records each have a session of their own: one statement. */
  private async writeDistinct(
    client: PoolClient,
    records: AccountingRecord[],
    json: string,
  ): Promise<boolean[]> {
    const { rows } = await client.query<{ nas: string; session_id: string }>({
      ...WRITE_DISTINCT_SESSIONS,
      values: [json, this.windowMs],
    });
    return sessionResults(records, rows);
  }

  /**
   * A pooled connection inside BEGIN. A connection the server closed meanwhile (it restarted)
   * fails here, before anything was written: it is dropped and another one tried.
   */
  private async begin(): Promise<PoolClient> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        return client;
      } catch (err) {
        client.release(true);
        if (attempt >= 3 || !connectionLost(err)) throw err;
      }
    }
  }

  /** Inserts the records not stored within the duplicate window; true for each one inserted. */
  private async insertRecords(
    client: PoolClient,
    records: AccountingRecord[],
    json: string,
  ): Promise<boolean[]> {
    const { rows } = await client.query<{ nas: string; record_key: string }>({
      ...INSERT_RECORDS,
      values: [json, this.windowMs],
    });
    const results = new Array<boolean>(records.length).fill(false);
    if (rows.length === records.length) return results.fill(true);
    // Some were stored before (retransmissions): a copy within the same batch is one too, so only
    // the first record of each identity counts as inserted.
    const inserted = new Set(rows.map((row) => `${row.nas}\0${row.record_key}`));
    for (let i = 0; i < records.length; i++) {
      const id = `${records[i].nas}\0${records[i].key}`;
      if (inserted.delete(id)) results[i] = true;
    }
    return results;
  }

  /**
   * Folds new records into their sessions in arrival order. One multi-row upsert cannot touch a
   * session twice, so a batch goes in rounds (the n-th record of each session in round n), and an
   * Accounting-On/Off (which closes every session of its NAS) splits the batch. Rows are named by
   * their position in the batch's JSON (1-based).
   */
  private async foldSessions(
    client: PoolClient,
    records: AccountingRecord[],
    inserted: boolean[],
    json: string,
  ): Promise<void> {
    let rounds: number[][] = [];
    const count = new Map<string, number>();
    const flush = async () => {
      for (const round of rounds) await client.query({ ...UPSERT_SESSIONS, values: [json, round] });
      rounds = [];
      count.clear();
    };
    for (let i = 0; i < records.length; i++) {
      // A retransmission must not be counted twice in its session either.
      if (!inserted[i]) continue;
      const r = records[i];
      const s = r.statusType;
      if (s === ACCT_STATUS.ACCOUNTING_ON || s === ACCT_STATUS.ACCOUNTING_OFF) {
        await flush();
        await client.query(CLOSE_NAS_SESSIONS, [
          r.nas,
          r.eventTime,
          r.terminateCause ?? (s === ACCT_STATUS.ACCOUNTING_ON ? 'NAS-Reboot' : 'NAS-Request'),
        ]);
        continue;
      }
      if (r.sessionId === '') continue;
      if (s !== ACCT_STATUS.START && s !== ACCT_STATUS.STOP && s !== ACCT_STATUS.INTERIM_UPDATE) continue;
      const id = `${r.nas}\0${r.sessionId}`;
      const n = count.get(id) ?? 0;
      count.set(id, n + 1);
      (rounds[n] ??= []).push(i + 1);
    }
    await flush();
  }
}

/** Which records of a batch of distinct sessions were new, from the sessions the write returned. */
function sessionResults(
  records: AccountingRecord[],
  rows: ReadonlyArray<{ nas: string; session_id: string }>,
): boolean[] {
  const results = new Array<boolean>(records.length).fill(rows.length === records.length);
  if (rows.length === records.length || rows.length === 0) return results;
  const inserted = new Set(rows.map((row) => `${row.nas}\0${row.session_id}`));
  for (let i = 0; i < records.length; i++)
    results[i] = inserted.has(`${records[i].nas}\0${records[i].sessionId}`);
  return results;
}

/**
 * Whether no two records of the batch share a session and none is an Accounting-On/Off (which
 * closes every session of its NAS): then the order within the batch cannot matter.
 */
function distinctSessions(records: AccountingRecord[]): boolean {
  const seen = new Set<string>();
  for (const r of records) {
    if (r.statusType === ACCT_STATUS.ACCOUNTING_ON || r.statusType === ACCT_STATUS.ACCOUNTING_OFF)
      return false;
    const id = `${r.nas}\0${r.sessionId}`;
    if (seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

/** Whether the database has every migration (found out by reading only). */
async function migrated(pool: Pool): Promise<boolean> {
  try {
    const { rows } = await pool.query<{ version: number }>('SELECT version FROM aioradius_migrations');
    const done = new Set(rows.map((r) => r.version));
    return POSTGRES_MIGRATIONS.every((m) => done.has(m.version));
  } catch (err) {
    // 42P01, undefined_table: nothing set up yet.
    if ((err as { code?: string }).code === '42P01') return false;
    throw err;
  }
}

/** Applies the migrations not yet recorded, one transaction each, under an advisory lock. */
async function migrate(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS aioradius_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      const { rows } = await client.query<{ version: number }>('SELECT version FROM aioradius_migrations');
      const done = new Set(rows.map((r) => r.version));
      for (const m of POSTGRES_MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO aioradius_migrations (version, name) VALUES ($1, $2)', [
            m.version,
            m.name,
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

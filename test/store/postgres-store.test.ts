// The PostgreSQL store against a real PostgreSQL: the same sessions as the SQLite store from the
// same records, users, acknowledgement only after COMMIT (checked by crashing the server), and a
// record stored once when two instances receive its copies.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { StoreOpenError } from '../../src/errors.js';
import { ACCOUNTING_REQUEST } from '../../src/protocol/codes.js';
import { createPacket, decodeRequest } from '../../src/protocol/packet.js';
import { type AccountingRecord, accountingRecord } from '../../src/store/accounting.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres-migrations.js';
import { INSERT_RECORDS, PostgresStore, WRITE_DISTINCT_SESSIONS } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { freePort } from '../helpers/ports.js';
import { type PostgresPeer, postgresMissing, startPostgres } from '../helpers/postgres.js';

const SECRET = 'testing123';
const T0 = 1_800_000_000_000;

/** The record of an Accounting-Request from `nas` with `attrs`, received at `at`. */
function record(nas: string, at: number, attrs: Array<[string, string | number]>, id = 1): AccountingRecord {
  const bytes = createPacket(ACCOUNTING_REQUEST, SECRET, { identifier: id, attributes: attrs }).encode();
  return accountingRecord(decodeRequest(SECRET, bytes), nas, at);
}

/** The indexes of acct_records, by name. */
async function accountingIndexes(store: PostgresStore): Promise<string[]> {
  const { rows } = await store.pool.query<{ name: string }>(
    "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'acct_records' ORDER BY 1",
  );
  return rows.map((r) => r.name);
}

describe('PostgresStore', { skip: postgresMissing() }, () => {
  let pg: PostgresPeer;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'aioradius-pgstore-'));

  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('open() rejects with StoreOpenError: no server, no such database, another scheme; the password masked', async () => {
    /** The StoreOpenError open(url) rejects with, its message and stack free of the password. */
    const failure = async (url: string): Promise<StoreOpenError> => {
      const err = await PostgresStore.open(url).then(
        () => assert.fail(`${url} opened`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof StoreOpenError, String(err));
      assert.equal(err.code, 'ERR_RADIUS_STORE_OPEN');
      assert.equal(err.store, 'PostgreSQL');
      assert.doesNotMatch(`${err.message} ${err.stack}`, /S3cret/);
      return err;
    };
    const down = await freePort();
    const refused = await failure(`postgres://rad:S3cret@127.0.0.1:${down}/radius`);
    assert.equal(refused.url, `postgres://rad:***@127.0.0.1:${down}/radius`);
    assert.match(
      refused.message,
      /^cannot open the PostgreSQL store at postgres:\/\/rad:\*\*\*@.*: connect ECONNREFUSED/,
    );
    assert.equal((refused.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');

    const missing = await failure(`postgres://postgres:S3cret@127.0.0.1:${pg.port}/nosuchdb`);
    assert.equal(missing.reason, 'database "nosuchdb" does not exist');
    assert.equal((missing.cause as { code?: string }).code, '3D000');

    // At once, before any connection (pg would take "x" for a host name and look it up).
    const started = Date.now();
    const other = await failure('mysql://rad:S3cret@x/radius');
    assert.equal(other.reason, 'not a postgres:// or postgresql:// URL');
    assert.equal(other.cause, undefined);
    assert.ok(Date.now() - started < 1000);

    // A server that accepts and never answers: connectTimeout, not a hang.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const err = await PostgresStore.open(`postgres://rad:S3cret@127.0.0.1:${port}/radius`, {
        connectTimeout: 0.5,
      }).then(
        () => assert.fail('opened'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof StoreOpenError, String(err));
      assert.match(err.reason, /timeout/i);
    } finally {
      silent.close();
    }
  });

  test('migrations apply once, also when two instances open the database together', async () => {
    const [a, b] = await Promise.all([PostgresStore.open(pg.url), PostgresStore.open(pg.url)]);
    const { rows } = await a.pool.query<{ version: number }>('SELECT version FROM aioradius_migrations');
    assert.deepEqual(
      rows.map((r) => r.version),
      [1, 2, 3],
    );
    // No index led by the record's digest (each record would land on a random page of it): it
    // may follow the session (and then stays in the session's part of the index).
    const indexed = await a.pool.query<{ name: string }>(
      `SELECT DISTINCT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_attribute att ON att.attrelid = i.indrelid AND att.attnum IN (i.indkey[0], i.indkey[1])
       WHERE i.indrelid = 'acct_records'::regclass AND att.attname = 'record_key'`,
    );
    assert.deepEqual(indexed.rows, []);
    assert.deepEqual(await accountingIndexes(a), ['acct_records_pkey', 'acct_records_session_key']);
    await Promise.all([a.close(), b.close()]);
  });

  test('users: add, find (with NT hash and attribute lists), replace, delete', async () => {
    const s = await PostgresStore.open(pg.url);
    const user = {
      name: 'bob',
      password: 'bobpw',
      ntHash: Buffer.alloc(16, 7),
      reply: [['Session-Timeout', 60]] as Array<[string, string | number]>,
      check: [['NAS-IP-Address', '127.0.0.1']] as Array<[string, string | number]>,
    };
    assert.equal(await s.addUser(user), true);
    assert.equal(await s.addUser({ ...user, password: 'other' }), false, 'exists, not replaced');
    const found = await s.getUser('bob');
    assert.equal(found?.password, 'bobpw');
    assert.deepEqual(found?.ntHash, Buffer.alloc(16, 7));
    assert.deepEqual(found?.reply, [['Session-Timeout', 60]]);
    assert.deepEqual(found?.check, [['NAS-IP-Address', '127.0.0.1']]);
    assert.equal(await s.addUser({ ...user, password: 'newpw' }, true), true);
    assert.equal((await s.getUser('bob'))?.password, 'newpw');
    assert.equal(await s.getUser('nobody'), undefined);
    assert.equal(await s.deleteUser('bob'), true);
    assert.equal(await s.deleteUser('bob'), false);
    await s.close();
  });

  test('Start, Interim, Stop (in one batch and across batches) fold into the same sessions as SQLite', async () => {
    const pgStore = await PostgresStore.open(pg.url);
    const sqlite = new SqliteStore(path.join(tmp, 'fold.db'));
    const nas = '10.1.0.1';
    const batches: AccountingRecord[][] = [
      // One batch: Start, Interim and Stop of session a, in order (three rounds of upserts).
      [
        record(nas, T0, [
          ['Acct-Status-Type', 'Start'],
          ['Acct-Session-Id', 'a'],
          ['User-Name', 'ua'],
        ]),
        record(nas, T0 + 60_000, [
          ['Acct-Status-Type', 'Interim-Update'],
          ['Acct-Session-Id', 'a'],
          ['Acct-Session-Time', 60],
          ['Acct-Input-Octets', 1000],
        ]),
        record(nas, T0 + 120_000, [
          ['Acct-Status-Type', 'Stop'],
          ['Acct-Session-Id', 'a'],
          ['Acct-Session-Time', 120],
          ['Acct-Input-Octets', 5000],
          ['Acct-Input-Gigawords', 1],
          ['Acct-Terminate-Cause', 'User-Request'],
        ]),
        record(nas, T0, [
          ['Acct-Status-Type', 'Start'],
          ['Acct-Session-Id', 'b'],
          ['User-Name', 'ub'],
        ]),
        record(nas, T0, [
          ['Acct-Status-Type', 'Start'],
          ['Acct-Session-Id', 'c'],
          ['User-Name', 'uc'],
        ]),
      ],
      // Separate batches, out of order: b's Stop before a late Interim (counters keep the larger).
      [
        record(nas, T0 + 300_000, [
          ['Acct-Status-Type', 'Stop'],
          ['Acct-Session-Id', 'b'],
          ['Acct-Session-Time', 300],
          ['Acct-Output-Octets', 900],
        ]),
      ],
      [
        record(nas, T0 + 200_000, [
          ['Acct-Status-Type', 'Interim-Update'],
          ['Acct-Session-Id', 'b'],
          ['Acct-Session-Time', 200],
          ['Acct-Output-Octets', 600],
        ]),
      ],
      // Accounting-On of the NAS closes c (NAS-Reboot), after the sessions in its batch.
      [
        record(nas, T0 + 30_000, [
          ['Acct-Status-Type', 'Start'],
          ['Acct-Session-Id', 'd'],
        ]),
        record(nas, T0 + 400_000, [['Acct-Status-Type', 'Accounting-On']]),
      ],
    ];
    for (const batch of batches) {
      const [fromPg, fromSqlite] = await Promise.all([
        Promise.all(batch.map((r) => pgStore.recordAccounting(r))),
        Promise.all(batch.map((r) => sqlite.recordAccounting(r))),
      ]);
      assert.deepEqual(fromPg, fromSqlite);
    }
    for (const id of ['a', 'b', 'c', 'd']) {
      const want = sqlite.getSession(nas, id);
      const got = await pgStore.getSession(nas, id);
      assert.ok(want, id);
      assert.deepEqual(got, { ...want }, `session ${id}`);
    }
    const a = await pgStore.getSession(nas, 'a');
    assert.equal(a?.status, 'stopped');
    assert.equal(a?.start_time, T0);
    assert.equal(a?.session_time, 120);
    assert.equal(a?.input_octets, 2 ** 32 + 5000);
    assert.equal(a?.records, 3);
    assert.equal((await pgStore.getSession(nas, 'c'))?.terminate_cause, 'NAS-Reboot');
    await Promise.all([pgStore.close(), sqlite.close()]);
  });

  test('a retransmission is stored once, in the same batch, in a later one, and via another instance', async () => {
    const [one, two] = await Promise.all([PostgresStore.open(pg.url), PostgresStore.open(pg.url)]);
    const nas = '10.2.0.1';
    const attrs: Array<[string, string | number]> = [
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', 'r1'],
      ['User-Name', 'u'],
    ];
    const first = record(nas, T0, attrs, 1);
    // The NAS resends with a new Identifier and Acct-Delay-Time: the same record (RFC 2866 §5.2).
    const resent = record(nas, T0 + 3000, [...attrs, ['Acct-Delay-Time', 3]], 2);
    const sameBatch = await Promise.all([one.recordAccounting(first), one.recordAccounting(first)]);
    assert.deepEqual(sameBatch, [true, false]);
    assert.equal(await one.recordAccounting(resent), false);
    // Copies reaching two instances at the same moment: exactly one is new.
    const other = record(
      nas,
      T0,
      [
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', 'r2'],
      ],
      3,
    );
    const both = await Promise.all([one.recordAccounting(other), two.recordAccounting(other)]);
    assert.deepEqual(both.sort(), [false, true]);
    const { rows } = await one.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM acct_records WHERE nas = $1',
      [nas],
    );
    assert.equal(rows[0].n, 2);
    assert.equal((await one.getSession(nas, 'r2'))?.records, 1);
    // A batch of distinct sessions (written in one statement) holding a retransmission and a new record.
    const fresh = record(
      nas,
      T0 + 4000,
      [
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', 'r3'],
      ],
      4,
    );
    const mixed = await Promise.all([one.recordAccounting(resent), one.recordAccounting(fresh)]);
    assert.deepEqual(mixed, [false, true]);
    assert.equal((await one.getSession(nas, 'r1'))?.records, 1);
    assert.equal((await one.getSession(nas, 'r3'))?.records, 1);
    await Promise.all([one.close(), two.close()]);
  });

  test('a session with 1,000 records in the window: the probe is an index seek, an early record resent is found', async () => {
    const s = await PostgresStore.open(pg.url);
    const nas = '10.7.0.1';
    const interim = (i: number, delay = 0, id = 1) =>
      record(
        nas,
        T0 + i * 100,
        [
          ['Acct-Status-Type', 'Interim-Update'],
          ['Acct-Session-Id', 'busy'],
          ['Acct-Session-Time', i],
          ['Acct-Delay-Time', delay],
        ],
        id,
      );
    // The first records through the store; the other 996 written directly (a batch holding many
    // records of one session is folded in one round per record, which would make this test slow).
    for (let i = 0; i < 4; i++) assert.equal(await s.recordAccounting(interim(i)), true);
    const rest = Array.from({ length: 996 }, (_, i) => interim(i + 4));
    await s.pool.query(
      `INSERT INTO acct_records (nas, session_id, status_type, identifier, authenticator, record_key,
        received_at, event_time, attributes)
       SELECT $1, 'busy', 3, 1, '', k, t, t, '{}' FROM unnest($2::text[], $3::bigint[]) AS u(k, t)`,
      [nas, rest.map((r) => r.key), rest.map((r) => r.receivedAt)],
    );
    await s.pool.query('ANALYZE acct_records');
    // Record 3 resent (new Identifier and Acct-Delay-Time) in a batch with a new record.
    const batch = JSON.stringify([interim(3, 100, 9), interim(1000)]);
    for (const statement of [INSERT_RECORDS, WRITE_DISTINCT_SESSIONS]) {
      const { rows } = await s.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement.text}`, [
        batch,
        300_000,
      ]);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      // One seek on all four columns: no walk of the session's records filtering on the digest.
      assert.match(plan, /Index (Only )?Scan using acct_records_session_key on acct_records r/, plan);
      assert.match(plan, /Index Cond: .*record_key = v(_\d+)?\.key.*received_at >=/, plan);
      assert.doesNotMatch(plan, /Seq Scan on acct_records|Filter: .*record_key/, plan);
    }
    const resent = await Promise.all([
      s.recordAccounting(interim(3, 100, 9)),
      s.recordAccounting(interim(1000)),
    ]);
    assert.deepEqual(resent, [false, true]);
    const { rows } = await s.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM acct_records WHERE nas = $1 AND session_id = 'busy'",
      [nas],
    );
    assert.equal(rows[0].n, 1001);
    await s.close();
  });

  test('a database at migration 2 is upgraded to the seek index: records kept, duplicates still found', async () => {
    const admin = await PostgresStore.open(pg.url);
    await admin.pool.query('CREATE DATABASE at_migration_2');
    await admin.close();
    const url = pg.url.replace(/\/postgres$/, '/at_migration_2');
    const pgModule = (await import('pg')).default;
    const old = new pgModule.Client({ connectionString: url });
    await old.connect();
    // The schema as the previous version left it, with one record stored.
    await old.query(
      'CREATE TABLE aioradius_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    for (const m of POSTGRES_MIGRATIONS.filter((m) => m.version <= 2)) {
      await old.query(m.sql);
      await old.query('INSERT INTO aioradius_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
    }
    const attrs: Array<[string, string | number]> = [
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', 'up1'],
    ];
    const r = record('10.8.0.1', T0, attrs);
    await old.query(
      `INSERT INTO acct_records (nas, session_id, status_type, identifier, authenticator, record_key,
        received_at, event_time, attributes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '{}')`,
      [r.nas, r.sessionId, r.statusType, r.identifier, r.authenticator, r.key, r.receivedAt, r.eventTime],
    );
    await old.end();
    const s = await PostgresStore.open(url);
    assert.deepEqual(await accountingIndexes(s), ['acct_records_pkey', 'acct_records_session_key']);
    const resent = record('10.8.0.1', T0 + 60_000, [...attrs, ['Acct-Delay-Time', 60]], 2);
    assert.equal(await s.recordAccounting(resent), false);
    const { rows } = await s.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM acct_records');
    assert.equal(rows[0].n, 1);
    await s.close();
  });

  test('the accounting queries of acct, coa and disconnect answer as SQLite: filters, order, records, purge', async () => {
    const admin = await PostgresStore.open(pg.url);
    // A locale that sorts "a" before "B" where ICU is built in: the order must still be bytewise.
    await admin.pool
      .query("CREATE DATABASE acct_queries TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
      .catch(() => admin.pool.query('CREATE DATABASE acct_queries'));
    await admin.close();
    const pgStore = await PostgresStore.open(pg.url.replace(/\/postgres$/, '/acct_queries'));
    const sqlite = new SqliteStore(path.join(tmp, 'queries.db'));
    const start = (nas: string, id: string, user: string, at: number) =>
      record(nas, at, [
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', id],
        ['User-Name', user],
      ]);
    const batches: AccountingRecord[][] = [
      [
        start('10.3.0.1', 'a', 'ann', T0),
        start('10.3.0.1', 'B', 'ann', T0),
        start('10.3.0.2', 'a', 'bo', T0),
      ],
      [
        record('10.3.0.2', T0 + 60_000, [
          ['Acct-Status-Type', 'Interim-Update'],
          ['Acct-Session-Id', 'a'],
          ['Acct-Session-Time', 60],
          ['Acct-Input-Octets', 70],
        ]),
      ],
      [start('10.3.0.2', 'c', 'cy', T0 + 10_000)],
      [
        record('10.3.0.2', T0 + 20_000, [
          ['Acct-Status-Type', 'Stop'],
          ['Acct-Session-Id', 'c'],
          ['Acct-Session-Time', 10],
          ['Acct-Terminate-Cause', 'Idle-Timeout'],
        ]),
      ],
    ];
    for (const batch of batches) {
      await Promise.all(batch.map((r) => pgStore.recordAccounting(r)));
      await Promise.all(batch.map((r) => sqlite.recordAccounting(r)));
    }
    const sameSessions = async (filter: Parameters<SqliteStore['listSessions']>[0]) => {
      const want = sqlite.listSessions(filter).map((s) => ({ ...s }));
      const got = (await pgStore.listSessions(filter)).map((s) => ({ ...s }));
      assert.deepEqual(got, want, JSON.stringify(filter));
      return got.map((s) => `${s.nas} ${s.session_id}`);
    };
    // Newest first; the two of the same moment and NAS bytewise ("B" before "a").
    assert.deepEqual(await sameSessions({}), ['10.3.0.2 a', '10.3.0.2 c', '10.3.0.1 B', '10.3.0.1 a']);
    for (const filter of [
      { active: true },
      { user: 'ann' },
      { nas: '10.3.0.2' },
      { sessionId: 'a' },
      { sessionId: 'a', nas: '10.3.0.2' },
      { active: true, user: 'ann', limit: 1 },
      { user: 'nobody' },
    ]) {
      await sameSessions(filter);
    }
    const withoutIds = (rows: Array<{ id: number }>) => rows.map(({ id: _id, ...r }) => r);
    assert.deepEqual(
      withoutIds(await pgStore.sessionRecords('10.3.0.2', 'a')),
      withoutIds(sqlite.sessionRecords('10.3.0.2', 'a')),
    );
    assert.deepEqual(
      (await pgStore.sessionRecords('10.3.0.2', 'a')).map((r) => r.attributes['Acct-Input-Octets']),
      [undefined, [70]],
    );
    assert.deepEqual(await pgStore.sessionRecords('10.3.0.1', 'none'), []);
    assert.equal(await pgStore.markStale(30_000, T0 + 40_000), 2);
    assert.equal(sqlite.markStale(30_000, T0 + 40_000), 2);
    await sameSessions({});
    const before = T0 + 30_000;
    assert.deepEqual(await pgStore.purgeAccounting(before, true), sqlite.purgeAccounting(before, true));
    assert.deepEqual(await pgStore.purgeAccounting(before), { records: 5, sessions: 3 });
    assert.deepEqual(sqlite.purgeAccounting(before), { records: 5, sessions: 3 });
    assert.deepEqual(await sameSessions({}), ['10.3.0.2 a']);
    await Promise.all([pgStore.close(), sqlite.close()]);
  });

  test('values with quotes and the batch quote tag in them are stored as sent', async () => {
    const store = await PostgresStore.open(pg.url);
    const nas = '10.6.0.1';
    const names = ["o'brien\\x", '$aioradius_batch$; DROP TABLE users; --', 'plain'];
    const results = await Promise.all(
      names.map((name, i) =>
        store.recordAccounting(
          record(
            nas,
            T0,
            [
              ['Acct-Status-Type', 'Start'],
              ['Acct-Session-Id', `q${i}`],
              ['User-Name', name],
            ],
            i,
          ),
        ),
      ),
    );
    assert.deepEqual(results, [true, true, true]);
    for (let i = 0; i < names.length; i++)
      assert.equal((await store.getSession(nas, `q${i}`))?.user_name, names[i]);
    // Patterns a string replacement would expand, in a batch of their own (the one-trip way).
    const pattern = "a$&b$'c$`d$$e$1";
    const stored = await store.recordAccounting(
      record(nas, T0, [
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', 'p0'],
        ['User-Name', pattern],
      ]),
    );
    assert.equal(stored, true);
    assert.equal((await store.getSession(nas, 'p0'))?.user_name, pattern);
    await store.close();
  });

  test('every acknowledged record survives a crash of the database server', async () => {
    const s = await PostgresStore.open(pg.url);
    const nas = '10.3.0.1';
    const n = 500;
    const acked = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        s.recordAccounting(
          record(nas, T0, [
            ['Acct-Status-Type', 'Start'],
            ['Acct-Session-Id', `d${i}`],
          ]),
        ),
      ),
    );
    assert.equal(acked.filter((x) => x).length, n);
    assert.ok(s.commitStats.batches < n, `group commit: ${s.commitStats.batches} batches for ${n} records`);
    await s.close();
    // SIGKILL: nothing gets flushed on the way out; only what was committed is there afterwards.
    await pg.crashAndRestart();
    const after = await PostgresStore.open(pg.url);
    const { rows } = await after.pool.query<{ r: number; s: number }>(
      'SELECT (SELECT count(*)::int FROM acct_records WHERE nas = $1) AS r, (SELECT count(*)::int FROM acct_sessions WHERE nas = $1) AS s',
      [nas],
    );
    assert.deepEqual(rows[0], { r: n, s: n });
    await after.close();
  });

  test('a write failure rejects the records (no reply), and the store works again once the server is back', async () => {
    const s = await PostgresStore.open(pg.url, { poolSize: 2 });
    const nas = '10.4.0.1';
    const crash = pg.crashAndRestart();
    const during = await s
      .recordAccounting(
        record(nas, T0, [
          ['Acct-Status-Type', 'Start'],
          ['Acct-Session-Id', 'x'],
        ]),
      )
      .then(
        () => 'stored',
        () => 'rejected',
      );
    await crash;
    // The pool's connections to the crashed server are dropped on first use, and tried again.
    const { rows } = await s.read<{ n: number }>(
      'SELECT count(*)::int AS n FROM acct_records WHERE nas = $1',
      [nas],
    );
    // Either it was committed before the crash (and is there), or it was rejected (and is not).
    assert.equal(rows[0].n, during === 'stored' ? 1 : 0);
    assert.equal(
      await s.recordAccounting(
        record(nas, T0, [
          ['Acct-Status-Type', 'Start'],
          ['Acct-Session-Id', 'y'],
        ]),
      ),
      true,
    );
    await s.close();
  });
});

// The PostgreSQL store against a real PostgreSQL: the same sessions as the SQLite store from the
// same records, users, acknowledgement only after COMMIT (checked by crashing the server), and a
// record stored once when two instances receive its copies.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ACCOUNTING_REQUEST } from '../../src/protocol/codes.js';
import { createPacket, decodeRequest } from '../../src/protocol/packet.js';
import { type AccountingRecord, accountingRecord } from '../../src/store/accounting.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { type PostgresPeer, postgresMissing, startPostgres } from '../helpers/postgres.js';

const SECRET = 'testing123';
const T0 = 1_800_000_000_000;

/** The record of an Accounting-Request from `nas` with `attrs`, received at `at`. */
function record(nas: string, at: number, attrs: Array<[string, string | number]>, id = 1): AccountingRecord {
  const bytes = createPacket(ACCOUNTING_REQUEST, SECRET, { identifier: id, attributes: attrs }).encode();
  return accountingRecord(decodeRequest(SECRET, bytes), nas, at);
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

  test('migrations apply once, also when two instances open the database together', async () => {
    const [a, b] = await Promise.all([PostgresStore.open(pg.url), PostgresStore.open(pg.url)]);
    const { rows } = await a.pool.query<{ version: number }>('SELECT version FROM aioradius_migrations');
    assert.deepEqual(
      rows.map((r) => r.version),
      [1, 2],
    );
    // No index led by the record's digest (each record would land on a random page of it): a
    // retransmission is found among its session's records of the window.
    const indexed = await a.pool.query<{ name: string }>(
      `SELECT DISTINCT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_attribute att ON att.attrelid = i.indrelid AND att.attnum = ANY(i.indkey)
       WHERE i.indrelid = 'acct_records'::regclass AND att.attname = 'record_key'`,
    );
    assert.deepEqual(indexed.rows, []);
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

// The accounting tables' session rules beyond Start/Interim/Stop: Accounting-On/Off (RFC 2866
// §5.1), stale sessions, purging; and the users table migration for hashed passwords.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ACCOUNTING_REQUEST } from '../../src/protocol/codes.js';
import { createPacket, decodeRequest } from '../../src/protocol/packet.js';
import { accountingRecord } from '../../src/store/accounting.js';
import { AccountingTables } from '../../src/store/accounting-tables.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

const SECRET = 'testing123';
const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-acctq-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbFile = () => path.join(dir, `q${n++}.db`);

/** Writes one Accounting-Request from `nas`, received at `at` (ms). */
function write(
  t: AccountingTables,
  nas: string,
  at: number,
  attrs: Array<[string, string | number]>,
): boolean {
  const bytes = createPacket(ACCOUNTING_REQUEST, SECRET, { attributes: attrs }).encode();
  return t.writeBatch([accountingRecord(decodeRequest(SECRET, bytes), nas, at)])[0];
}

describe('accounting sessions', () => {
  test("Accounting-Off closes the NAS's open sessions that began before it, with NAS-Request and a session time", async () => {
    const q = new SqliteStore(dbFile());
    const t = new AccountingTables(q.db);
    const t0 = 1_800_000_000_000;
    write(t, '10.0.0.1', t0, [
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', 'a'],
      ['User-Name', 'u'],
    ]);
    write(t, '10.0.0.2', t0, [
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', 'b'],
    ]);
    // A Start whose event comes after the Off (delivered out of order) is not closed by it.
    write(t, '10.0.0.1', t0 + 90_000, [
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', 'late'],
    ]);
    write(t, '10.0.0.1', t0 + 60_000, [['Acct-Status-Type', 'Accounting-Off']]);
    const byId = Object.fromEntries(q.listSessions().map((s) => [s.session_id, s]));
    assert.equal(byId.a.status, 'stopped');
    assert.equal(byId.a.terminate_cause, 'NAS-Request');
    assert.equal(byId.a.stop_time, t0 + 60_000);
    assert.equal(byId.a.session_time, 60);
    assert.equal(byId.b.status, 'active', 'another NAS');
    assert.equal(byId.late.status, 'active');
    await q.close();
  });

  test('stale: active sessions without updates; an update revives them; purge keeps open sessions', async () => {
    const q = new SqliteStore(dbFile());
    const t = new AccountingTables(q.db);
    const now = 1_800_000_000_000;
    write(t, 'n', now - 7_200_000, [
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', 'old'],
    ]);
    write(t, 'n', now - 60_000, [
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', 'new'],
    ]);
    write(t, 'n', now - 7_000_000, [
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', 'done'],
    ]);
    write(t, 'n', now - 6_900_000, [
      ['Acct-Status-Type', 'Stop'],
      ['Acct-Session-Id', 'done'],
    ]);
    assert.equal(q.markStale(3_600_000, now), 1);
    assert.equal(q.markStale(3_600_000, now), 0, 'already stale');
    assert.deepEqual(
      q.listSessions({ active: true }).map((s) => s.session_id),
      ['new'],
    );
    write(t, 'n', now, [
      ['Acct-Status-Type', 'Interim-Update'],
      ['Acct-Session-Id', 'old'],
      ['Acct-Session-Time', 7200],
    ]);
    assert.equal(q.listSessions({ sessionId: 'old' })[0].status, 'active');
    assert.deepEqual(q.purgeAccounting(now - 3_600_000, true), { records: 3, sessions: 1 });
    assert.deepEqual(q.purgeAccounting(now - 3_600_000), { records: 3, sessions: 1 });
    assert.deepEqual(
      q
        .listSessions()
        .map((s) => s.session_id)
        .sort(),
      ['new', 'old'],
    );
    assert.equal(q.sessionRecords('n', 'old').length, 1, 'the old Start record went, the session stays');
    await q.close();
  });
});

describe('users table', () => {
  test('a database from before hashed passwords gains the column; new files are 0600', async () => {
    const file = dbFile();
    const old = new Database(file);
    old.exec(`CREATE TABLE users (name TEXT PRIMARY KEY, password TEXT, nt_hash TEXT,
      reply TEXT NOT NULL DEFAULT '[]', check_items TEXT NOT NULL DEFAULT '[]', updated_at INTEGER NOT NULL);
      INSERT INTO users (name, password, updated_at) VALUES ('legacy', 'pw', 0);`);
    old.close();
    const store = new SqliteStore(file);
    assert.equal(store.getUser('legacy')?.password, 'pw');
    assert.ok(store.addUser({ name: 'h', passwordHash: '{SSHA}x', reply: [], check: [] }));
    assert.equal(store.getUser('h')?.passwordHash, '{SSHA}x');
    await store.close();
    const fresh = dbFile();
    const s2 = new SqliteStore(fresh);
    await s2.close();
    assert.equal(statSync(fresh).mode & 0o777, 0o600);
    assert.throws(() => new SqliteStore(path.join(dir, 'missing.db'), { mustExist: true }));
  });
});

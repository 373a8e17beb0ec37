import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { DatabaseError } from '../../src/errors.js';
import { ACCOUNTING_REQUEST } from '../../src/protocol/codes.js';
import { createPacket, decodeRequest, type Packet } from '../../src/protocol/packet.js';
import { type AccountingRecord, accountingRecord, recordKey } from '../../src/store/accounting.js';
import { INSERT_RECORD } from '../../src/store/accounting-tables.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import { whileBusy } from '../../src/store/accounting-tables.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { openDatabase } from '../../src/store/accounting-tables.js';

const SECRET = 'testing123';
const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbFile = () => path.join(dir, `t${n++}.db`);

/** The indexes of acct_records, by name. */
function accountingIndexes(s: SqliteStore): string[] {
  return s.db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'acct_records' ORDER BY name",
    )
    .all()
    .map((r) => r.name);
}

/** SQLite's plan for the writer's duplicate probe (the statement it runs). */
function probePlan(s: SqliteStore): string {
  return s.db
    .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${INSERT_RECORD}`)
    .all(...Array<null>(13).fill(null))
    .map((r) => r.detail)
    .join('\n');
}

// The probe: one seek in the covering index on all four columns, never a walk of the session.
const PROBE_SEEK =
  /SEARCH acct_records USING COVERING INDEX acct_records_session_key \(nas=\? AND session_id=\? AND record_key=\? AND received_at>\?\)/;

/** An Accounting-Request as the server sees it: encoded then decoded (so `raw` is set). */
function acct(attrs: Array<[string, string | number]>, identifier = 1): Packet {
  const bytes = createPacket(ACCOUNTING_REQUEST, SECRET, { identifier, attributes: attrs }).encode();
  return decodeRequest(SECRET, bytes);
}

describe('GroupCommit', () => {
  test('everything queued in one turn is written in one batch, results in order', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, number>((items) => {
      batches.push(items);
      return items.map((i) => i * 2);
    });
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => gc.submit(i)));
    assert.deepEqual(results, [2, 4, 6, 8, 10]);
    assert.deepEqual(batches, [[1, 2, 3, 4, 5]]);
    await gc.close();
  });

  test('batches are capped at maxBatch; a failing write rejects only its batch', async () => {
    let calls = 0;
    const gc = new GroupCommit<number, number>(
      (items) => {
        calls++;
        if (items.includes(3)) throw new Error('disk full');
        return items;
      },
      { maxBatch: 2 },
    );
    const settled = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => gc.submit(i)));
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled'],
    );
    assert.equal(calls, 3);
    await gc.close();
    await assert.rejects(gc.submit(6), /closed/);
  });
});

describe('SqliteStore', () => {
  test('durable settings: WAL and synchronous=FULL', async () => {
    const s = new SqliteStore(dbFile());
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(s.db.pragma('synchronous', { simple: true }), 2);
    await s.close();
  });

  test('mustExist or readonly: a file that is not SQLite, or holds only other tables, is refused unchanged', async () => {
    const text = dbFile();
    writeFileSync(text, 'root:x:0:0:root:/root:/bin/bash\n');
    const foreign = dbFile();
    const other = new Database(foreign);
    other.exec('CREATE TABLE foo (x)');
    other.close();
    const before = readFileSync(foreign);
    const refused = (file: string, reason: RegExp) => (err: unknown) =>
      err instanceof DatabaseError &&
      err.code === 'ERR_RADIUS_DATABASE' &&
      err.file === file &&
      reason.test(err.reason);
    for (const open of [
      () => new SqliteStore(text, { mustExist: true }),
      () => openDatabase(text, true, true),
    ])
      assert.throws(open, refused(text, /^file is not a database$/));
    for (const open of [
      () => new SqliteStore(foreign, { mustExist: true }),
      () => openDatabase(foreign, true, true),
      () => openDatabase(foreign, false, true),
    ])
      assert.throws(
        open,
        refused(foreign, /not an aioradius database \(it has tables foo, but none of users/),
      );
    assert.deepEqual(readFileSync(foreign), before, "the other program's database is not changed");
    // An empty file is a database with nothing in it yet: filled when writable, refused read-only
    // (there is no accounting to read).
    const empty = dbFile();
    writeFileSync(empty, '');
    assert.throws(() => openDatabase(empty, true, true), refused(empty, /no accounting tables/));
    const filled = new SqliteStore(empty, { mustExist: true });
    assert.deepEqual(await filled.listUsers(), []);
    await filled.close();
    openDatabase(empty, true, true).close();
  });

  test('users: add, replace, get, list, delete', async () => {
    const s = new SqliteStore(dbFile());
    assert.equal(
      s.addUser({ name: 'bob', password: 'pw', reply: [['Reply-Message', 'hi']], check: [] }),
      true,
    );
    assert.equal(s.addUser({ name: 'bob', password: 'other', reply: [], check: [] }), false);
    assert.equal(s.getUser('bob')?.password, 'pw');
    const hash = Buffer.from('8846f7eaee8fb117ad06bdd830b7586c', 'hex');
    assert.equal(
      s.addUser({ name: 'bob', ntHash: hash, reply: [], check: [['NAS-Identifier', 'ap1']] }, true),
      true,
    );
    const bob = s.getUser('bob');
    assert.equal(bob?.password, undefined);
    assert.deepEqual(bob?.ntHash, hash);
    assert.deepEqual(bob?.check, [['NAS-Identifier', 'ap1']]);
    assert.deepEqual(
      s.listUsers().map((u) => u.name),
      ['bob'],
    );
    assert.equal(s.deleteUser('bob'), true);
    assert.equal(s.deleteUser('bob'), false);
    assert.equal(s.getUser('bob'), undefined);
    await s.close();
  });

  test('record key: same record with another Acct-Delay-Time or identifier is the same; other content differs', () => {
    const base: Array<[string, string | number]> = [
      ['Acct-Session-Id', 's1'],
      ['Acct-Status-Type', 'Start'],
    ];
    const a = acct([...base, ['Acct-Delay-Time', 0]], 1);
    const b = acct([...base, ['Acct-Delay-Time', 5]], 2);
    const c = acct(
      [
        ['Acct-Session-Id', 's2'],
        ['Acct-Status-Type', 'Start'],
      ],
      1,
    );
    assert.equal(recordKey(a.raw as Buffer), recordKey(b.raw as Buffer));
    assert.notEqual(recordKey(a.raw as Buffer), recordKey(c.raw as Buffer));
  });

  test('accounting: records stored once (even after reopening), sessions folded', async () => {
    const file = dbFile();
    let s = new SqliteStore(file);
    const t0 = Date.UTC(2024, 0, 1) / 1000;
    const start = acct([
      ['Acct-Session-Id', 'sess-1'],
      ['Acct-Status-Type', 'Start'],
      ['User-Name', 'alice'],
      ['Event-Timestamp', t0],
      ['Framed-IP-Address', '10.0.0.7'],
    ]);
    const interim = acct([
      ['Acct-Session-Id', 'sess-1'],
      ['Acct-Status-Type', 'Interim-Update'],
      ['Event-Timestamp', t0 + 60],
      ['Acct-Session-Time', 60],
      ['Acct-Input-Octets', 1000],
      ['Acct-Input-Gigawords', 1],
      ['Acct-Output-Octets', 500],
    ]);
    const stop = acct([
      ['Acct-Session-Id', 'sess-1'],
      ['Acct-Status-Type', 'Stop'],
      ['Event-Timestamp', t0 + 120],
      ['Acct-Session-Time', 120],
      ['Acct-Input-Octets', 2000],
      ['Acct-Input-Gigawords', 1],
      ['Acct-Output-Octets', 900],
      ['Acct-Input-Packets', 10],
      ['Acct-Terminate-Cause', 'User-Request'],
    ]);
    const nas = '127.0.0.1';
    // Stop first and the interim after it: counters and status must still come out right.
    const first = await Promise.all([
      s.recordAccounting(accountingRecord(start, nas)),
      s.recordAccounting(accountingRecord(stop, nas)),
      s.recordAccounting(accountingRecord(stop, nas)),
    ]);
    assert.deepEqual(first, [true, true, false]);
    assert.equal(await s.recordAccounting(accountingRecord(interim, nas)), true);
    await s.close();

    s = new SqliteStore(file);
    assert.equal(await s.recordAccounting(accountingRecord(interim, nas)), false);
    assert.equal(await s.recordAccounting(accountingRecord(start, nas)), false);
    // Another NAS with the same session id is another session.
    assert.equal(await s.recordAccounting(accountingRecord(start, '127.0.0.2')), true);
    const count = s.db.prepare('SELECT COUNT(*) AS n FROM acct_records').get() as { n: number };
    assert.equal(count.n, 4);
    const row = s.getSession(nas, 'sess-1');
    assert.ok(row);
    assert.equal(row.status, 'stopped');
    assert.equal(row.user_name, 'alice');
    assert.equal(row.start_time, t0 * 1000);
    assert.equal(row.stop_time, (t0 + 120) * 1000);
    assert.equal(row.last_update, (t0 + 120) * 1000);
    assert.equal(row.session_time, 120);
    assert.equal(row.input_octets, 2 ** 32 + 2000);
    assert.equal(row.output_octets, 900);
    assert.equal(row.input_packets, 10);
    assert.equal(row.terminate_cause, 'User-Request');
    assert.equal(row.framed_ip, '10.0.0.7');
    assert.equal(row.records, 3);
    const raw = s.db.prepare('SELECT attributes FROM acct_records WHERE status_type = 2').get() as {
      attributes: string;
    };
    assert.deepEqual(JSON.parse(raw.attributes)['Acct-Session-Id'], ['sess-1']);
    await s.close();
  });

  for (const worker of [false, true]) {
    test(`group commit${worker ? ' in a worker thread' : ''}: thousands of concurrent records in few transactions`, async () => {
      const s = new SqliteStore(dbFile(), { worker });
      const N = 3000;
      const records = Array.from({ length: N }, (_, i) =>
        accountingRecord(
          acct([
            ['Acct-Session-Id', `g${i}`],
            ['Acct-Status-Type', 'Start'],
          ]),
          '127.0.0.1',
        ),
      );
      const results = await Promise.all(records.map((r) => s.recordAccounting(r)));
      assert.equal(results.filter(Boolean).length, N);
      assert.ok(s.commitStats.batches < 10, `batches: ${s.commitStats.batches}`);
      // A retransmission after the batch is acknowledged as already stored.
      assert.equal(await s.recordAccounting(records[7]), false);
      await s.close();
      const again = new SqliteStore(s.file, { worker });
      assert.equal(await again.recordAccounting(records[8]), false);
      const count = again.db.prepare('SELECT COUNT(*) AS n FROM acct_records').get() as { n: number };
      assert.equal(count.n, N);
      await again.close();
    });
  }

  test('Accounting-On closes an open session with its length in whole seconds (RFC 2866 §5.7)', async () => {
    const s = new SqliteStore(dbFile());
    const t = Date.UTC(2024, 0, 1);
    const start = acct([
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', 'rebooted'],
      ['User-Name', 'bob'],
    ]);
    assert.equal(await s.recordAccounting(accountingRecord(start, '127.0.0.1', t)), true);
    const on = acct([['Acct-Status-Type', 'Accounting-On']]);
    assert.equal(await s.recordAccounting(accountingRecord(on, '127.0.0.1', t + 24_612)), true);
    const session = await s.getSession('127.0.0.1', 'rebooted');
    assert.equal(session?.status, 'stopped');
    assert.equal(session?.terminate_cause, 'NAS-Reboot');
    assert.equal(session?.session_time, 24);
    await s.close();
  });

  for (const worker of [false, true]) {
    test(`the same content is a retransmission within the duplicate window only, later a new record${worker ? ' (worker)' : ''}`, async () => {
      const s = new SqliteStore(dbFile(), { worker, duplicateWindow: 60 });
      const on = acct([['Acct-Status-Type', 'Accounting-On']]);
      const t = Date.UTC(2024, 0, 1);
      assert.equal(await s.recordAccounting(accountingRecord(on, '127.0.0.1', t)), true);
      // A retransmission 59 s later (the NAS retried): stored once.
      assert.equal(await s.recordAccounting(accountingRecord(on, '127.0.0.1', t + 59_000)), false);
      // The NAS reboots again 10 minutes later and sends the same Accounting-On: a new record.
      assert.equal(await s.recordAccounting(accountingRecord(on, '127.0.0.1', t + 600_000)), true);
      const count = s.db.prepare('SELECT COUNT(*) AS n FROM acct_records').get() as { n: number };
      assert.equal(count.n, 2);
      await s.close();
    });
  }

  test('retransmissions are found through the session index; no index led by the digest, old ones dropped', async () => {
    const file = dbFile();
    const Database = (await import('better-sqlite3')).default;
    const old = new Database(file);
    // The layout of earlier versions: an index led by the record's digest (a random page per record).
    old.exec(`CREATE TABLE acct_records (
      id INTEGER PRIMARY KEY, nas TEXT NOT NULL, session_id TEXT NOT NULL, status_type INTEGER NOT NULL,
      identifier INTEGER NOT NULL, authenticator TEXT NOT NULL, record_key TEXT NOT NULL,
      received_at INTEGER NOT NULL, event_time INTEGER NOT NULL, attributes TEXT NOT NULL);
      CREATE INDEX acct_records_session ON acct_records (nas, session_id);
      CREATE INDEX acct_records_key ON acct_records (nas, record_key, received_at);`);
    old.close();
    const s = new SqliteStore(file);
    // The digest may follow the session in an index (it then stays in the session's part of it),
    // never lead it.
    const digestLed = s.db
      .prepare<[], { name: string }>(
        "SELECT DISTINCT m.name FROM sqlite_master m, pragma_index_info(m.name) i WHERE m.type = 'index' AND m.tbl_name = 'acct_records' AND i.name = 'record_key' AND i.seqno < 2",
      )
      .all();
    assert.deepEqual(digestLed, []);
    assert.deepEqual(accountingIndexes(s), ['acct_records_session_key']);
    assert.match(probePlan(s), PROBE_SEEK);
    const t = Date.UTC(2024, 0, 1);
    const start = acct([
      ['Acct-Session-Id', 'r1'],
      ['Acct-Status-Type', 'Start'],
    ]);
    const again = acct(
      [
        ['Acct-Session-Id', 'r1'],
        ['Acct-Status-Type', 'Start'],
        ['Acct-Delay-Time', 5],
      ],
      2,
    );
    assert.equal(await s.recordAccounting(accountingRecord(start, '127.0.0.1', t)), true);
    assert.equal(await s.recordAccounting(accountingRecord(again, '127.0.0.1', t + 5000)), false);
    // The same content from another NAS is its own record.
    assert.equal(await s.recordAccounting(accountingRecord(again, '127.0.0.2', t + 5000)), true);
    await s.close();
  });

  test('a database made with the (nas, session_id, received_at) index is upgraded at open: records kept, duplicates still found', async () => {
    const file = dbFile();
    const Database = (await import('better-sqlite3')).default;
    const old = new Database(file);
    // The previous version's layout, with one session's Start stored a minute ago.
    old.exec(`CREATE TABLE acct_records (
      id INTEGER PRIMARY KEY, nas TEXT NOT NULL, session_id TEXT NOT NULL, status_type INTEGER NOT NULL,
      identifier INTEGER NOT NULL, authenticator TEXT NOT NULL, record_key TEXT NOT NULL,
      received_at INTEGER NOT NULL, event_time INTEGER NOT NULL, attributes TEXT NOT NULL);
      CREATE INDEX acct_records_session_time ON acct_records (nas, session_id, received_at);`);
    const t = Date.UTC(2024, 0, 1);
    const start = acct([
      ['Acct-Session-Id', 'up1'],
      ['Acct-Status-Type', 'Start'],
    ]);
    const r = accountingRecord(start, '127.0.0.1', t);
    old
      .prepare('INSERT INTO acct_records VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        r.nas,
        r.sessionId,
        r.statusType,
        r.identifier,
        r.authenticator,
        r.key,
        r.receivedAt,
        r.eventTime,
        '{}',
      );
    old.close();
    // Opened twice: the upgrade is done once and the second open finds nothing to do.
    for (const round of [0, 1]) {
      const s = new SqliteStore(file);
      assert.deepEqual(accountingIndexes(s), ['acct_records_session_key'], `round ${round}`);
      assert.match(probePlan(s), PROBE_SEEK);
      const resent = acct(
        [
          ['Acct-Session-Id', 'up1'],
          ['Acct-Status-Type', 'Start'],
          ['Acct-Delay-Time', 60 + round],
        ],
        2 + round,
      );
      assert.equal(
        await s.recordAccounting(accountingRecord(resent, '127.0.0.1', t + 60_000 + round)),
        false,
      );
      const count = s.db.prepare('SELECT COUNT(*) AS n FROM acct_records').get() as { n: number };
      assert.equal(count.n, 1);
      await s.close();
    }
  });

  test('a session with 1,000 records in the window: a retransmission of an early one is still found', async () => {
    const s = new SqliteStore(dbFile());
    const t = Date.UTC(2024, 0, 1);
    const interim = (i: number, delay = 0, id = 1): AccountingRecord =>
      accountingRecord(
        acct(
          [
            ['Acct-Session-Id', 'busy'],
            ['Acct-Status-Type', 'Interim-Update'],
            ['Acct-Session-Time', i],
            ['Acct-Delay-Time', delay],
          ],
          id,
        ),
        '127.0.0.1',
        t + i * 100,
      );
    const stored = await Promise.all(Array.from({ length: 1000 }, (_, i) => s.recordAccounting(interim(i))));
    assert.equal(stored.filter(Boolean).length, 1000);
    // Record 3 resent (new Identifier and Acct-Delay-Time) after the other 996, still in the window.
    assert.equal(await s.recordAccounting(interim(3, 100, 9)), false);
    assert.equal(await s.recordAccounting(interim(1000)), true);
    const count = s.db.prepare('SELECT COUNT(*) AS n FROM acct_records').get() as { n: number };
    assert.equal(count.n, 1001);
    assert.equal(s.getSession('127.0.0.1', 'busy')?.records, 1001);
    await s.close();
  });

  test('a database made with the permanent uniqueness constraint is rebuilt without it, its records kept', async () => {
    const file = dbFile();
    const Database = (await import('better-sqlite3')).default;
    const old = new Database(file);
    old.exec(`CREATE TABLE acct_records (
      id INTEGER PRIMARY KEY, nas TEXT NOT NULL, session_id TEXT NOT NULL, status_type INTEGER NOT NULL,
      identifier INTEGER NOT NULL, authenticator TEXT NOT NULL, record_key TEXT NOT NULL,
      received_at INTEGER NOT NULL, event_time INTEGER NOT NULL, attributes TEXT NOT NULL,
      UNIQUE (nas, record_key));
      CREATE INDEX acct_records_session ON acct_records (nas, session_id);`);
    const on = acct([['Acct-Status-Type', 'Accounting-On']]);
    const t = Date.UTC(2024, 0, 1);
    const r = accountingRecord(on, '127.0.0.1', t);
    old
      .prepare('INSERT INTO acct_records VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        r.nas,
        r.sessionId,
        r.statusType,
        r.identifier,
        r.authenticator,
        r.key,
        r.receivedAt,
        r.eventTime,
        '{}',
      );
    old.close();
    const s = new SqliteStore(file);
    assert.equal(await s.recordAccounting(accountingRecord(on, '127.0.0.1', t + 1000)), false);
    assert.equal(await s.recordAccounting(accountingRecord(on, '127.0.0.1', t + 3_600_000)), true);
    const count = s.db.prepare('SELECT COUNT(*) AS n FROM acct_records').get() as { n: number };
    assert.equal(count.n, 2);
    await s.close();
  });
});

// Two processes opening a new database at once (`serve --workers 2` on a fresh file): the second
// waits for the first's lock rather than failing with "database is locked" (the journal mode is
// switched to WAL under an exclusive lock, so the busy timeout must be set before).
test('opening a database another process holds locked waits for the lock', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-sqlite-lock-'));
  const file = path.join(dir, 'locked.db');
  try {
    const { spawn } = await import('node:child_process');
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(file)});
         db.exec('BEGIN EXCLUSIVE'); process.stdout.write('locked\\n');
         setTimeout(() => { db.exec('COMMIT'); db.close(); }, 700);`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => holder.once('exit', resolve));
    await Promise.race([
      new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve())),
      exited.then((code) => {
        throw new Error(`the lock holder exited (${code})`);
      }),
    ]);
    const store = new SqliteStore(file);
    await store.close();
    assert.equal(await exited, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('setting a database up is taken again while SQLite answers SQLITE_BUSY; other errors at once', () => {
  let calls = 0;
  whileBusy(() => {
    calls++;
    if (calls < 3) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY_SNAPSHOT' });
  });
  assert.equal(calls, 3);
  let others = 0;
  assert.throws(
    () =>
      whileBusy(() => {
        others++;
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      }),
    /disk I\/O error/,
  );
  assert.equal(others, 1);
});

// `aioradius acct`, `coa` and `disconnect` on a PostgreSQL store: two `serve`s, one on PostgreSQL
// and one on SQLite, get the same Accounting-Requests from radclient, and every command must print
// the same thing with the same exit code whichever store it reads.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AccountingRequest } from '../../src/index.js';
import { radclient, type RunResult, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { RecordingNas } from '../helpers/recording-nas.js';
import { type PostgresPeer, postgresMissing, startPostgres } from '../helpers/postgres.js';
import { runAcct, runDynauthCommand, type ServeProcess, startServe, tempDir } from './serve-helpers.js';

const SECRET = 'acct-pg-s3cret';

/**
 * `acct show` with what is not the store's doing blanked: each record's arrival time and its
 * Identifier (radclient picks one at random).
 */
const showNormalised = (s: string) =>
  s
    .replace(/^\d{4}-\d\d-\d\dT[\d:]+Z(?= \S+ \(event )/gm, '-')
    .replace(/"(received|identifier)": ("[^"]+"|\d+)/g, '"$1": "-"');

describe('aioradius acct / coa / disconnect on PostgreSQL', {
  skip: postgresMissing() || skipUnless('radclient'),
}, () => {
  let pg: PostgresPeer;
  let dir: string;
  let remove: () => Promise<void>;
  const serves: ServeProcess[] = [];
  let nas: RecordingNas;
  let dasPort: number;
  let pgConfig: string;
  let pgAcctPort = 0;
  let sqliteConfig: string;

  before(async () => {
    pg = await startPostgres();
    ({ dir, remove } = await tempDir('aioradius-acct-pg-'));
    const [pgAuth, pgAcct, liteAuth, liteAcct] = await freePorts(4);
    const config = (auth: number, acct: number, database: string) =>
      `listen: { host: 127.0.0.1, auth: ${auth}, acct: ${acct} }
clients:
  - { address: 127.0.0.0/8, secret: ${SECRET} }
database: ${database}
`;
    pgConfig = path.join(dir, 'pg.yaml');
    pgAcctPort = pgAcct;
    sqliteConfig = path.join(dir, 'sqlite.yaml');
    await writeFile(pgConfig, config(pgAuth, pgAcct, pg.url));
    await writeFile(sqliteConfig, config(liteAuth, liteAcct, './acct.db'));
    serves.push(await startServe(pgConfig, 30_000, ['--workers', '1']));
    serves.push(await startServe(sqliteConfig));
    // Event-Timestamp fixes every session time, so both stores hold the same sessions; only the
    // records' arrival times differ.
    const t = Math.floor(Date.now() / 1000) - 3600;
    const records = [
      `Acct-Session-Id = "p1", Acct-Status-Type = Start, User-Name = "alice", NAS-IP-Address = 127.0.0.1, NAS-Identifier = "nas-a", Framed-IP-Address = 10.0.0.7, Event-Timestamp = ${t}`,
      `Acct-Session-Id = "p1", Acct-Status-Type = Interim-Update, User-Name = "alice", NAS-IP-Address = 127.0.0.1, NAS-Identifier = "nas-a", Acct-Input-Octets = 100, Acct-Session-Time = 10, Event-Timestamp = ${t + 10}`,
      `Acct-Session-Id = "P2", Acct-Status-Type = Start, User-Name = "bob", Event-Timestamp = ${t + 20}`,
      `Acct-Session-Id = "P2", Acct-Status-Type = Stop, User-Name = "bob", Acct-Terminate-Cause = User-Request, Acct-Session-Time = 10, Event-Timestamp = ${t + 30}`,
      // Two sessions updated at the same moment: ordered by NAS and Acct-Session-Id, bytewise.
      `Acct-Session-Id = "a3", Acct-Status-Type = Start, User-Name = "carl", Event-Timestamp = ${t + 40}`,
      `Acct-Session-Id = "B3", Acct-Status-Type = Start, User-Name = "carl", Event-Timestamp = ${t + 40}`,
    ];
    for (const [config, port] of [
      [pgConfig, pgAcct],
      [sqliteConfig, liteAcct],
    ] as const) {
      for (const input of records) {
        const r = await radclient({ host: '127.0.0.1', port, type: 'acct', secret: SECRET, input });
        assert.equal(r.replies[0]?.code, 'Accounting-Response', `${config}: ${r.stdout}${r.stderr}`);
      }
    }
    nas = new RecordingNas('127.0.0.1', SECRET);
    dasPort = (await nas.start()).port as number;
  });

  after(async () => {
    await nas?.close();
    for (const s of serves) await s.stop('SIGKILL');
    await pg?.stop();
    await remove?.();
  });

  /** Runs `acct ARGS` against both stores; asserts the same exit code and output; returns PostgreSQL's. */
  const same = async (args: string[], normalise = (s: string) => s): Promise<RunResult> => {
    const fromPg = await runAcct([...args, '--config', pgConfig]);
    const fromSqlite = await runAcct([...args, '--config', sqliteConfig]);
    const what = `acct ${args.join(' ')}`;
    assert.equal(fromPg.code, fromSqlite.code, `${what}: exit\n${fromPg.stderr}`);
    assert.equal(normalise(fromPg.stdout), normalise(fromSqlite.stdout), `${what}: stdout`);
    assert.equal(fromPg.stderr, fromSqlite.stderr, `${what}: stderr`);
    return fromPg;
  };

  test('acct sessions --config: the same sessions, filters, order and table as SQLite', async () => {
    const all = await same(['sessions', '--json']);
    assert.equal(all.code, 0, all.stderr);
    const list = JSON.parse(all.stdout) as Array<{ sessionId: string; status: string; inputOctets: number }>;
    assert.deepEqual(
      list.map((s) => `${s.sessionId} ${s.status}`),
      ['B3 active', 'a3 active', 'P2 stopped', 'p1 active'],
    );
    assert.equal(list[3].inputOctets, 100);
    const table = await same(['sessions']);
    assert.match(table.stdout, /^NAS\s+SESSION\s+USER\s+STATUS/m);
    assert.match(table.stdout, /^127\.0\.0\.1\s+P2\s+bob\s+stopped\s/m);
    for (const filter of [
      ['--active'],
      ['--user', 'carl'],
      ['--active', '--user', 'bob'],
      ['--nas', '127.0.0.1', '--limit', '2'],
      ['--nas', '10.9.9.9'],
    ]) {
      await same(['sessions', '--json', ...filter]);
      await same(['sessions', ...filter]);
    }
  });

  test('acct sessions --db postgres://...: the URL instead of a config', async () => {
    const byUrl = await runAcct(['sessions', '--json', '--db', pg.url]);
    assert.equal(byUrl.code, 0, byUrl.stderr);
    const byConfig = await runAcct(['sessions', '--json', '--config', pgConfig]);
    assert.equal(byUrl.stdout, byConfig.stdout);
    const text = await runAcct(['sessions', '--active', '--user', 'alice', '--db', pg.url]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^127\.0\.0\.1\s+p1\s+alice\s+active\s/m);
  });

  // A reporting login granted SELECT only: reading must not try to create or migrate the schema
  // (which `serve` does); a write (`acct purge`) is refused by PostgreSQL, on one line.
  test('acct sessions / show read through a role that may only SELECT; purge is refused on one line', async () => {
    const pgModule = (await import('pg')).default;
    const admin = new pgModule.Client({ connectionString: pg.url });
    await admin.connect();
    try {
      await admin.query('CREATE ROLE reporter LOGIN');
      await admin.query('GRANT SELECT ON ALL TABLES IN SCHEMA public TO reporter');
      await admin.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    } finally {
      await admin.end();
    }
    const reader = pg.url.replace('postgres://postgres@', 'postgres://reporter@');
    const sessions = await runAcct(['sessions', '--json', '--db', reader]);
    assert.equal(sessions.code, 0, sessions.stderr);
    const byConfig = await runAcct(['sessions', '--json', '--config', pgConfig]);
    assert.equal(sessions.stdout, byConfig.stdout);
    const show = await runAcct(['show', 'p1', '--db', reader]);
    assert.equal(show.code, 0, show.stderr);
    const purge = await runAcct(['purge', '--before', '2000-01-01', '--db', reader]);
    assert.equal(purge.code, 1, purge.stdout);
    assert.match(purge.stderr, /^aioradius acct: .*permission denied/);
    assert.equal(purge.stderr.trim().split('\n').length, 1, purge.stderr);
  });

  test('acct show: the session with every stored record; no such session exits 1', async () => {
    const json = await same(['show', 'p1', '--json'], showNormalised);
    assert.equal(json.code, 0, json.stderr);
    const [s] = JSON.parse(json.stdout) as Array<{
      recordsStored: Array<{ statusType: string; attributes: Record<string, unknown[]> }>;
    }>;
    assert.deepEqual(
      s.recordsStored.map((r) => r.statusType),
      ['Start', 'Interim-Update'],
    );
    assert.deepEqual(s.recordsStored[1].attributes['Acct-Input-Octets'], [100]);
    const text = await same(['show', 'p1'], showNormalised);
    assert.match(text.stdout, /^sessionId: p1$/m);
    const none = await same(['show', 'nope']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no session "nope"/);
    const elsewhere = await same(['show', 'p1', '--nas', '10.9.9.9']);
    assert.equal(elsewhere.code, 1);
  });

  test('coa SESSION --config: the NAS gets the session as it reported it', async () => {
    const r = await runDynauthCommand('coa', [
      'p1',
      '--attribute',
      'Session-Timeout=600',
      '--config',
      pgConfig,
      '--port',
      String(dasPort),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^CoA-ACK from 127\\.0\\.0\\.1:${dasPort} session p1 \\(alice\\)$`, 'm'),
    );
    const got = nas.seen.at(-1);
    assert.equal(got?.kind, 'coa');
    assert.deepEqual(got?.attrs['Acct-Session-Id'], ['p1']);
    assert.deepEqual(got?.attrs['User-Name'], ['alice']);
    assert.deepEqual(got?.attrs['NAS-IP-Address'], ['127.0.0.1']);
    assert.deepEqual(got?.attrs['NAS-Identifier'], ['nas-a']);
    assert.deepEqual(got?.attrs['Session-Timeout'], [600]);
  });

  test('disconnect --user --config: each active session of the user; none left exits 1', async () => {
    const r = await runDynauthCommand('disconnect', [
      '--user',
      'carl',
      '--config',
      pgConfig,
      '--port',
      String(dasPort),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('Disconnect-ACK'));
    assert.deepEqual(lines, [
      `Disconnect-ACK from 127.0.0.1:${dasPort} session B3 (carl)`,
      `Disconnect-ACK from 127.0.0.1:${dasPort} session a3 (carl)`,
    ]);
    assert.deepEqual(
      nas.seen.slice(-2).map((s) => `${s.kind} ${String(s.attrs['Acct-Session-Id'])}`),
      ['disconnect B3', 'disconnect a3'],
    );
    const bob = await runDynauthCommand('disconnect', [
      '--user',
      'bob',
      '--config',
      pgConfig,
      '--port',
      String(dasPort),
    ]);
    assert.equal(bob.code, 1);
    assert.equal(bob.stderr, 'aioradius disconnect: no active session of "bob"\n');
    const byUrl = await runDynauthCommand('coa', [
      'p1',
      '--db',
      pg.url,
      '--secret',
      SECRET,
      '--port',
      String(dasPort),
    ]);
    assert.equal(byUrl.code, 0, byUrl.stderr);
    assert.match(byUrl.stdout, /^CoA-ACK from .* session p1 \(alice\)$/m);
  });

  test('acct purge: the same counts as SQLite, and the same sessions stay', async () => {
    const dry = await same(['purge', '--before', '2999-01-01', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, 'would delete 6 records and 1 closed sessions before 2999-01-01T00:00:00Z\n');
    const done = await same(['purge', '--before', '2999-01-01']);
    assert.equal(done.stdout, 'deleted 6 records and 1 closed sessions before 2999-01-01T00:00:00Z\n');
    const left = await same(['sessions', '--json']);
    assert.deepEqual(
      (JSON.parse(left.stdout) as Array<{ sessionId: string }>).map((s) => s.sessionId),
      ['B3', 'a3', 'p1'],
    );
    await same(['show', 'p1', '--json'], showNormalised);
  });

  test('writes failing (a table gone): no reply, and one warning per NAS, not an error line per request', async () => {
    const { default: pgModule } = await import('pg');
    const db = new pgModule.Client({ connectionString: pg.url });
    await db.connect();
    const serve = serves[0];
    const from = serve.logs.length;
    await db.query('ALTER TABLE acct_records RENAME TO acct_records_away');
    try {
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
      const replies: Buffer[] = [];
      socket.on('message', (m) => replies.push(m));
      for (let i = 0; i < 20; i++) {
        const request = new AccountingRequest(SECRET).addAttributes(
          ['Acct-Session-Id', `gone-${i}`],
          ['Acct-Status-Type', 'Start'],
          ['User-Name', 'alice'],
        );
        socket.send(request.encode(), pgAcctPort, '127.0.0.1');
      }
      await serve.waitForLog(/handler failed/, 10_000, from);
      await new Promise((r) => setTimeout(r, 1000));
      socket.close();
      assert.equal(replies.length, 0, 'nothing acknowledged that was not stored');
      const lines = serve.logs.slice(from);
      assert.equal(lines.filter((l) => l.msg === 'request failed' && l.level === 50).length, 0);
      const warned = lines.filter((l) => typeof l.msg === 'string' && /handler failed/.test(l.msg));
      assert.equal(warned.length, 1, JSON.stringify(warned));
      assert.match(String(warned[0].error), /acct_records/);
    } finally {
      await db.query('ALTER TABLE acct_records_away RENAME TO acct_records');
      await db.end();
    }
  });
});

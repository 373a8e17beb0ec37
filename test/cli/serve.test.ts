import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { radclient, radtest, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { runUser, type ServeProcess, startServe, tempDir } from './serve-helpers.js';

const SECRET = 'testing123';

function configText(auth: number, acct: number, metrics: number, extraUsers = ''): string {
  return `listen:
  host: 127.0.0.1
  auth: ${auth}
  acct: ${acct}
clients:
  - address: 127.0.0.0/8
    secret: ${SECRET}
    name: loopback
users:
  - name: alice
    password: alicepw
    reply:
      Reply-Message: Hello, alice
  - name: carol
    password: carolpw
    check:
      NAS-IP-Address: 127.0.0.1
  - name: dave
    password: davepw
    check:
      NAS-IP-Address: 10.9.9.9
${extraUsers}log:
  level: debug
metrics:
  port: ${metrics}
database: ./radius.db
`;
}

describe('aioradius serve', { skip: skipUnless('radtest', 'radclient') }, () => {
  let dir: string;
  let remove: () => Promise<void>;
  let serve: ServeProcess;
  let auth: number;
  let acct: number;
  let metrics: number;
  let configFile: string;

  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-serve-'));
    [auth, acct, metrics] = await freePorts(3);
    configFile = path.join(dir, 'aioradius.yaml');
    await writeFile(configFile, configText(auth, acct, metrics));
    // A user in the database, added before the server starts; in clear, as CHAP needs it.
    const db = path.join(dir, 'radius.db');
    const added = await runUser([
      'add',
      'bob',
      '--password',
      'bobpw',
      '--cleartext',
      '--create',
      '--reply',
      'Session-Timeout=60',
      '--db',
      db,
    ]);
    assert.equal(added.code, 0, added.stderr);
    serve = await startServe(configFile);
  });

  after(async () => {
    await serve?.stop('SIGKILL');
    await remove?.();
  });

  for (const method of ['pap', 'chap', 'mschap'] as const) {
    test(`radtest ${method}: Accept with the reply attributes, Reject on a wrong password`, async () => {
      const ok = await radtest({
        user: 'alice',
        password: 'alicepw',
        host: '127.0.0.1',
        port: auth,
        secret: SECRET,
        method,
      });
      assert.equal(ok.replyCode, 'Access-Accept', ok.stdout + ok.stderr);
      assert.ok(
        ok.attributes.some(([k, v]) => k === 'Reply-Message' && v === 'Hello, alice'),
        ok.stdout,
      );
      if (method === 'mschap')
        assert.ok(
          ok.attributes.some(([k]) => k === 'MS-CHAP-MPPE-Keys'),
          ok.stdout,
        );
      const bad = await radtest({
        user: 'alice',
        password: 'nope',
        host: '127.0.0.1',
        port: auth,
        secret: SECRET,
        method,
      });
      assert.equal(bad.replyCode, 'Access-Reject', bad.stdout + bad.stderr);
    });
  }

  test('users from the database; unknown users rejected; check attributes must match', async () => {
    const bob = await radtest({
      user: 'bob',
      password: 'bobpw',
      host: '127.0.0.1',
      port: auth,
      secret: SECRET,
      method: 'chap',
    });
    assert.equal(bob.replyCode, 'Access-Accept', bob.stdout);
    assert.ok(
      bob.attributes.some(([k, v]) => k === 'Session-Timeout' && v === '60'),
      bob.stdout,
    );
    const nobody = await radtest({
      user: 'nobody',
      password: 'x',
      host: '127.0.0.1',
      port: auth,
      secret: SECRET,
    });
    assert.equal(nobody.replyCode, 'Access-Reject');
    const carol = await radtest({
      user: 'carol',
      password: 'carolpw',
      host: '127.0.0.1',
      port: auth,
      secret: SECRET,
    });
    assert.equal(carol.replyCode, 'Access-Accept', carol.stdout);
    const dave = await radtest({
      user: 'dave',
      password: 'davepw',
      host: '127.0.0.1',
      port: auth,
      secret: SECRET,
    });
    assert.equal(dave.replyCode, 'Access-Reject', dave.stdout);
  });

  test('radclient accounting Start and Stop are answered and stored', async () => {
    const start = await radclient({
      host: '127.0.0.1',
      port: acct,
      type: 'acct',
      secret: SECRET,
      input: 'Acct-Session-Id = "rc-1"\nAcct-Status-Type = Start\nUser-Name = "alice"\nNAS-Port = 3\n',
    });
    assert.equal(start.replies[0]?.code, 'Accounting-Response', start.stdout + start.stderr);
    const stop = await radclient({
      host: '127.0.0.1',
      port: acct,
      type: 'acct',
      secret: SECRET,
      input:
        'Acct-Session-Id = "rc-1"\nAcct-Status-Type = Stop\nUser-Name = "alice"\nAcct-Session-Time = 42\n' +
        'Acct-Input-Octets = 1234\nAcct-Output-Octets = 5678\nAcct-Terminate-Cause = User-Request\n',
    });
    assert.equal(stop.replies[0]?.code, 'Accounting-Response', stop.stdout + stop.stderr);
    // WAL lets a reader see committed data while the server runs.
    const db = new Database(path.join(dir, 'radius.db'), { readonly: true });
    try {
      const session = db.prepare("SELECT * FROM acct_sessions WHERE session_id = 'rc-1'").get() as Record<
        string,
        unknown
      >;
      assert.equal(session.status, 'stopped');
      assert.equal(session.user_name, 'alice');
      assert.equal(session.session_time, 42);
      assert.equal(session.input_octets, 1234);
      assert.equal(session.output_octets, 5678);
      assert.equal(session.terminate_cause, 'User-Request');
      assert.equal(session.records, 2);
      const records = db
        .prepare("SELECT COUNT(*) AS n FROM acct_records WHERE session_id = 'rc-1'")
        .get() as {
        n: number;
      };
      assert.equal(records.n, 2);
    } finally {
      db.close();
    }
  });

  test('Prometheus metrics: requests, replies by code, drops, per-NAS counters, latency', async () => {
    const res = await fetch(`http://127.0.0.1:${metrics}/metrics`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    const text = await res.text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
    assert.ok(value(/^radius_replies_total\{code="Access-Accept"\} (\d+)/m) >= 4, text);
    assert.ok(value(/^radius_replies_total\{code="Access-Reject"\} (\d+)/m) >= 4, text);
    assert.ok(value(/^radius_replies_total\{code="Accounting-Response"\} (\d+)/m) >= 2, text);
    assert.ok(value(/^radius_requests_total\{type="all"\} (\d+)/m) >= 10, text);
    assert.match(text, /^radius_drops_total\{reason="bad_authenticator"\} \d+/m);
    assert.match(
      text,
      /^radius_nas_counter_total\{nas="127\.0\.0\.1",name="loopback",counter="accepts"\} \d+/m,
    );
    assert.ok(value(/^radius_handler_seconds_count\{type="auth"\} (\d+)/m) >= 8, text);
    assert.ok(value(/^radius_handler_seconds_count\{type="acct"\} (\d+)/m) >= 2, text);
  });

  test('SIGHUP reloads users and clients from the config file', async () => {
    const before = await radtest({
      user: 'erin',
      password: 'erinpw',
      host: '127.0.0.1',
      port: auth,
      secret: SECRET,
    });
    assert.equal(before.replyCode, 'Access-Reject');
    await writeFile(configFile, configText(auth, acct, metrics, '  - name: erin\n    password: erinpw\n'));
    const mark = serve.logs.length;
    serve.child.kill('SIGHUP');
    await serve.waitForLog('configuration reloaded', 10_000, mark);
    const after = await radtest({
      user: 'erin',
      password: 'erinpw',
      host: '127.0.0.1',
      port: auth,
      secret: SECRET,
    });
    assert.equal(after.replyCode, 'Access-Accept', after.stdout);
    // A broken config on reload is refused and the running one kept.
    await writeFile(configFile, 'clients: 3\n');
    const mark2 = serve.logs.length;
    serve.child.kill('SIGHUP');
    await serve.waitForLog(/reload failed/, 10_000, mark2);
    const still = await radtest({
      user: 'erin',
      password: 'erinpw',
      host: '127.0.0.1',
      port: auth,
      secret: SECRET,
    });
    assert.equal(still.replyCode, 'Access-Accept');
  });

  test('logs are JSON, with no passwords or secrets; SIGTERM stops gracefully with exit 0', async () => {
    const code = await serve.stop('SIGTERM');
    assert.equal(code, 0, serve.stderr());
    assert.ok(serve.logs.some((l) => l.msg === 'aioradius stopped'));
    const all = JSON.stringify(serve.logs);
    for (const secret of ['alicepw', 'bobpw', 'carolpw', SECRET, 'nope']) {
      assert.ok(!all.includes(secret), `log contains ${secret}`);
    }
    assert.ok(
      serve.logs.some((l) => l.msg === 'Access-Accept' && l.user === 'alice' && l.method === 'mschap'),
    );
  });
});

describe('aioradius user', () => {
  test('add, list, del against a database file; bad input gives exit 2', async () => {
    const { dir, remove } = await tempDir('aioradius-user-');
    try {
      const db = path.join(dir, 'u.db');
      let r = await runUser(['add', 'zed', '--nt-hash', '8846F7EAEE8FB117AD06BDD830B7586C', '--db', db]);
      assert.equal(r.code, 1, 'a missing --db file is not created without --create');
      assert.match(r.stderr, /no database at .*u\.db/);
      r = await runUser([
        'add',
        'zed',
        '--nt-hash',
        '8846F7EAEE8FB117AD06BDD830B7586C',
        '--create',
        '--db',
        db,
      ]);
      assert.equal(r.code, 0, r.stderr);
      r = await runUser(['add', 'zed', '--password', 'x', '--db', db]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /exists/);
      r = await runUser([
        'add',
        'yan',
        '--password',
        'secretpw',
        '--reply',
        'Reply-Message=hi there',
        '--db',
        db,
      ]);
      assert.equal(r.code, 0, r.stderr);
      r = await runUser(['list', '--db', db]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^yan\tcrypt-sha512\treply: Reply-Message="hi there"$/m);
      assert.match(r.stdout, /^zed\tnt-hash$/m);
      assert.ok(!r.stdout.includes('secretpw'));
      r = await runUser(['list', '--json', '--db', db]);
      assert.deepEqual(
        (JSON.parse(r.stdout) as Array<{ name: string }>).map((u) => u.name),
        ['yan', 'zed'],
      );
      r = await runUser(['add', 'x', '--password', 'p', '--reply', 'Reply-Mesage=hi', '--db', db]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown attribute "Reply-Mesage"/);
      r = await runUser(['add', 'x', '--db', db]);
      assert.equal(r.code, 2);
      r = await runUser(['del', 'zed', '--db', db]);
      assert.equal(r.code, 0);
      r = await runUser(['del', 'zed', '--db', db]);
      assert.equal(r.code, 1);
    } finally {
      await remove();
    }
  });
});

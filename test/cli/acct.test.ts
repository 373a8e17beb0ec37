// `aioradius acct` over what a running `serve` stored from radclient's Accounting-Requests, with
// Accounting-On closing a NAS's open sessions (RFC 2866 §5.1) and stale sessions marked.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AccountingRequest, decodeResponse } from '../../src/index.js';
import { radclient, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { runAcct, runServe, runUser, type ServeProcess, startServe, tempDir } from './serve-helpers.js';

const SECRET = 'testing123';

interface SessionJson {
  nas: string;
  sessionId: string;
  user: string | null;
  status: string;
  stop: string | null;
  terminateCause: string | null;
  inputOctets: number | null;
  framedIp: string | null;
}

/** One Accounting-Request from a chosen loopback source address (radclient cannot pick one). */
async function sendFrom(
  source: string,
  port: number,
  attrs: Array<[string, string | number]>,
): Promise<string> {
  const req = new AccountingRequest(SECRET);
  req.addAttributes(...attrs);
  const bytes = req.encode();
  const sock = dgram.createSocket('udp4');
  try {
    await new Promise<void>((r) => sock.bind(0, source, r));
    const reply = new Promise<Buffer>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no Accounting-Response')), 5000);
      sock.once('message', (m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
    sock.send(bytes, port, '127.0.0.1');
    return decodeResponse(SECRET, await reply, req).codeName;
  } finally {
    sock.close();
  }
}

describe('aioradius acct', { skip: skipUnless('radclient') }, () => {
  let dir: string;
  let remove: () => Promise<void>;
  let serve: ServeProcess;
  let acct: number;
  let configFile: string;

  const send = async (input: string) => {
    const r = await radclient({ host: '127.0.0.1', port: acct, type: 'acct', secret: SECRET, input });
    assert.equal(r.replies[0]?.code, 'Accounting-Response', r.stdout + r.stderr);
  };
  const sessions = async (...args: string[]): Promise<SessionJson[]> => {
    const r = await runAcct(['sessions', '--json', '--config', configFile, ...args]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as SessionJson[];
  };
  const byId = (list: SessionJson[], id: string) => list.find((s) => s.sessionId === id);

  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-acct-'));
    let auth: number;
    [auth, acct] = await freePorts(2);
    configFile = path.join(dir, 'aioradius.yaml');
    await writeFile(
      configFile,
      `listen: { host: 127.0.0.1, auth: ${auth}, acct: ${acct} }
clients:
  - { address: 127.0.0.0/8, secret: ${SECRET} }
accounting:
  staleAfter: 3600
database: ./acct.db
`,
    );
    serve = await startServe(configFile);
    await send(
      'Acct-Session-Id = "s1", Acct-Status-Type = Start, User-Name = "alice", Framed-IP-Address = 10.0.0.7',
    );
    await send(
      'Acct-Session-Id = "s1", Acct-Status-Type = Interim-Update, User-Name = "alice", Acct-Input-Octets = 100, Acct-Session-Time = 10',
    );
    await send('Acct-Session-Id = "s2", Acct-Status-Type = Start, User-Name = "bob"');
    await send(
      'Acct-Session-Id = "s2", Acct-Status-Type = Stop, User-Name = "bob", Acct-Terminate-Cause = User-Request',
    );
    // A session whose last word is two hours old: stale at the next sweep (staleAfter 1 h).
    const old = Math.floor(Date.now() / 1000) - 7200;
    await send(
      `Acct-Session-Id = "old", Acct-Status-Type = Start, User-Name = "carl", Event-Timestamp = ${old}`,
    );
    assert.equal(
      await sendFrom('127.0.0.2', acct, [
        ['Acct-Session-Id', 's9'],
        ['Acct-Status-Type', 'Start'],
        ['User-Name', 'alice'],
      ]),
      'Accounting-Response',
    );
  });

  after(async () => {
    await serve?.stop('SIGKILL');
    await remove?.();
  });

  test('sessions: status, user and counters; --active and --user filter; a table without --json', async () => {
    const all = await sessions();
    assert.deepEqual(all.map((s) => s.sessionId).sort(), ['old', 's1', 's2', 's9']);
    const s1 = byId(all, 's1');
    assert.equal(s1?.status, 'active');
    assert.equal(s1?.inputOctets, 100);
    assert.equal(s1?.framedIp, '10.0.0.7');
    assert.equal(byId(all, 's2')?.status, 'stopped');
    assert.equal(byId(all, 's2')?.terminateCause, 'User-Request');
    const alice = await sessions('--active', '--user', 'alice');
    assert.deepEqual(alice.map((s) => `${s.nas} ${s.sessionId}`).sort(), ['127.0.0.1 s1', '127.0.0.2 s9']);
    const text = await runAcct(['sessions', '--config', configFile, '--user', 'bob']);
    assert.match(text.stdout, /^NAS\s+SESSION\s+USER\s+STATUS/m);
    assert.match(text.stdout, /^127\.0\.0\.1\s+s2\s+bob\s+stopped\s/m);
  });

  test('show: the session with every stored record', async () => {
    const r = await runAcct(['show', 's1', '--json', '--config', configFile]);
    assert.equal(r.code, 0, r.stderr);
    const [s] = JSON.parse(r.stdout) as Array<{
      recordsStored: Array<{ statusType: string; attributes: Record<string, unknown[]> }>;
    }>;
    assert.deepEqual(
      s.recordsStored.map((x) => x.statusType),
      ['Start', 'Interim-Update'],
    );
    assert.deepEqual(s.recordsStored[1].attributes['Acct-Input-Octets'], [100]);
    const text = await runAcct(['show', 's1', '--config', configFile]);
    assert.match(text.stdout, /^sessionId: s1$/m);
    assert.match(text.stdout, /Interim-Update/);
    const none = await runAcct(['show', 'nope', '--config', configFile]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no session "nope"/);
  });

  test('a session with no update past accounting.staleAfter is marked stale (sweep on reload)', async () => {
    const mark = serve.logs.length;
    serve.child.kill('SIGHUP');
    await serve.waitForLog('sessions marked stale', 10_000, mark);
    const all = await sessions();
    assert.equal(byId(all, 'old')?.status, 'stale');
    assert.equal(byId(all, 's1')?.status, 'active');
    assert.ok(!(await sessions('--active')).some((s) => s.sessionId === 'old'));
  });

  test("Accounting-On closes that NAS's open and stale sessions, not another NAS's", async () => {
    await send('Acct-Status-Type = Accounting-On, NAS-IP-Address = 127.0.0.1');
    const all = await sessions();
    for (const id of ['s1', 'old']) {
      assert.equal(byId(all, id)?.status, 'stopped', id);
      assert.equal(byId(all, id)?.terminateCause, 'NAS-Reboot', id);
      assert.ok(byId(all, id)?.stop, id);
    }
    // Bob's session had its own Stop: its cause stays.
    assert.equal(byId(all, 's2')?.terminateCause, 'User-Request');
    assert.equal(byId(all, 's9')?.status, 'active');
  });

  test('purge --before: dry run counts, then closed sessions and old records go, open sessions stay', async () => {
    const dry = await runAcct(['purge', '--before', '2999-01-01', '--dry-run', '--config', configFile]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^would delete 7 records and 3 closed sessions before 2999-01-01T00:00:00Z$/m);
    assert.equal((await sessions()).length, 4);
    const r = await runAcct(['purge', '--before', '2999-01-01', '--config', configFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^deleted 7 records and 3 closed sessions/m);
    assert.deepEqual(
      (await sessions()).map((s) => s.sessionId),
      ['s9'],
    );
    // An age counts back from now: nothing this recent to delete.
    const recent = await runAcct(['purge', '--before', '30d', '--config', configFile]);
    assert.match(recent.stdout, /^deleted 0 records and 0 closed sessions/m);
  });

  test('bad input: no --before, a bad date, a mistyped --db', async () => {
    let r = await runAcct(['purge', '--config', configFile]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs --before/);
    r = await runAcct(['purge', '--before', 'yesterday', '--config', configFile]);
    assert.equal(r.code, 2);
    r = await runAcct(['sessions', '--db', path.join(dir, 'acct.bd')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no database at/);
  });

  test("the commands read a config without the server's own secrets at hand (cluster key, LDAP password, certificates)", async () => {
    // A shell without the server's environment: an unset cluster key, an LDAP password in a
    // variable, a TLS listener and an eap section whose files are not readable here.
    const text = `${await readFile(configFile, 'utf8')}
cluster: { listen: 127.0.0.1:1815, key: { env: AIORADIUS_TEST_UNSET_CLUSTER_KEY } }
ldap: { url: ldap://127.0.0.1:1, baseDn: "dc=x", bindDn: "cn=a", bindPassword: { env: AIORADIUS_TEST_UNSET_LDAP_PW } }
eap: { certificate: nowhere/server.pem, privateKey: nowhere/server.key }
`;
    const adminConfig = path.join(dir, 'admin.yaml');
    await writeFile(adminConfig, text);
    const sessions = await runAcct(['sessions', '--json', '--config', adminConfig]);
    assert.equal(sessions.code, 0, sessions.stderr);
    assert.ok((JSON.parse(sessions.stdout) as SessionJson[]).length > 0);
    const users = await runUser(['list', '--config', adminConfig]);
    assert.equal(users.code, 0, users.stderr);
    // serve itself still needs them, and says which is missing.
    const check = await runServe(['--check', '--config', adminConfig]);
    assert.equal(check.code, 2);
    assert.match(check.stderr, /AIORADIUS_TEST_UNSET_CLUSTER_KEY|nowhere|AIORADIUS_TEST_UNSET_LDAP_PW/);
  });

  test('an Accounting-Request without Acct-Status-Type or Acct-Session-Id: stored and answered, and the NAS warned of (RFC 2866 §5.1, §5.5)', async () => {
    const mark = serve.logs.length;
    assert.equal(await sendFrom('127.0.0.3', acct, [['User-Name', 'nobody']]), 'Accounting-Response');
    const line = await serve.waitForLog(/Accounting-Request without/, 5000, mark);
    assert.equal(line.level, 40);
    assert.deepEqual(line.missing, ['Acct-Status-Type', 'Acct-Session-Id']);
    assert.equal(line.nas, '127.0.0.3');
  });
});

describe('serve: accounting.duplicateWindow', { skip: skipUnless('radclient') }, () => {
  test('the same record again within the window is stored once, after it a new record', async () => {
    const { dir, remove } = await tempDir('aioradius-acct-window-');
    const [auth, acct] = await freePorts(2);
    const configFile = path.join(dir, 'aioradius.yaml');
    await writeFile(
      configFile,
      `listen: { host: 127.0.0.1, auth: ${auth}, acct: ${acct} }
clients:
  - { address: 127.0.0.0/8, secret: ${SECRET} }
accounting:
  duplicateWindow: 1
database: ./acct.db
`,
    );
    const serve = await startServe(configFile);
    try {
      // radclient gives each request a new Identifier and Authenticator: the content decides.
      const send = async () => {
        const r = await radclient({
          host: '127.0.0.1',
          port: acct,
          type: 'acct',
          secret: SECRET,
          input: 'Acct-Session-Id = "w1", Acct-Status-Type = Interim-Update, User-Name = "alice"',
        });
        assert.equal(r.replies[0]?.code, 'Accounting-Response', r.stdout + r.stderr);
      };
      await send();
      await send();
      // Past the one-second window (the default is 300 s): the same content is a new record.
      await new Promise((r) => setTimeout(r, 1500));
      await send();
      const r = await runAcct(['show', 'w1', '--json', '--config', configFile]);
      assert.equal(r.code, 0, r.stderr);
      const [s] = JSON.parse(r.stdout) as Array<{ recordsStored: unknown[] }>;
      assert.equal(s.recordsStored.length, 2);
    } finally {
      await serve.stop('SIGKILL');
      await remove();
    }
  });
});

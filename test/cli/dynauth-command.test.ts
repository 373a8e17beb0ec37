// `aioradius coa` / `aioradius disconnect`: sessions stored by a running serve (from radclient's
// accounting) are found and addressed to a real DynamicAuthorizationServer; tshark checks the wire.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Capture, dissect, radclient, skipUnless, startCapture } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { RecordingNas } from '../helpers/recording-nas.js';
import { runDynauthCommand, type ServeProcess, startServe, tempDir } from './serve-helpers.js';

const SECRET = 'dynauth-cmd-s3cret';

describe('aioradius coa / disconnect', { skip: skipUnless('radclient') }, () => {
  let dir: string;
  let remove: () => Promise<void>;
  let serve: ServeProcess;
  let nas: RecordingNas;
  let dasPort: number;
  let configFile: string;
  let capture: Capture | undefined;

  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-dynauth-cmd-'));
    const [auth, acct] = await freePorts(2);
    configFile = path.join(dir, 'aioradius.yaml');
    await writeFile(
      configFile,
      `listen: { host: 127.0.0.1, auth: ${auth}, acct: ${acct} }
clients:
  - { address: 127.0.0.0/8, secret: ${SECRET} }
database: ./acct.db
`,
    );
    serve = await startServe(configFile);
    for (const input of [
      'Acct-Session-Id = "cs1", Acct-Status-Type = Start, User-Name = "alice", NAS-IP-Address = 127.0.0.1, NAS-Identifier = "nas-a"',
      'Acct-Session-Id = "cs2", Acct-Status-Type = Start, User-Name = "bob"',
      'Acct-Session-Id = "cs3", Acct-Status-Type = Start, User-Name = "carl"',
      'Acct-Session-Id = "cs4", Acct-Status-Type = Start, User-Name = "dora"',
      'Acct-Session-Id = "cs4", Acct-Status-Type = Stop, User-Name = "dora", Acct-Session-Time = 60',
    ]) {
      const r = await radclient({ host: '127.0.0.1', port: acct, type: 'acct', secret: SECRET, input });
      assert.equal(r.replies[0]?.code, 'Accounting-Response', r.stdout + r.stderr);
    }
    nas = new RecordingNas('127.0.0.1', SECRET, 'carl');
    dasPort = (await nas.start()).port as number;
    if (skipUnless('tshark') === false) capture = await startCapture([dasPort]);
  });

  after(async () => {
    await capture?.dispose();
    await nas?.close();
    await serve?.stop('SIGKILL');
    await remove?.();
  });

  const run = (kind: 'coa' | 'disconnect', ...args: string[]) =>
    runDynauthCommand(kind, [...args, '--config', configFile, '--port', String(dasPort)]);

  test('coa SESSION: the NAS gets the session identified as it reported it, plus --attr', async () => {
    const r = await run('coa', 'cs1', '--attr', 'Session-Timeout=600');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^CoA-ACK from 127\\.0\\.0\\.1:${dasPort} session cs1 \\(alice\\)$`, 'm'),
    );
    const got = nas.seen.at(-1);
    assert.equal(got?.kind, 'coa');
    assert.deepEqual(got?.attrs['Acct-Session-Id'], ['cs1']);
    assert.deepEqual(got?.attrs['User-Name'], ['alice']);
    assert.deepEqual(got?.attrs['NAS-IP-Address'], ['127.0.0.1']);
    assert.deepEqual(got?.attrs['NAS-Identifier'], ['nas-a']);
    assert.deepEqual(got?.attrs['Session-Timeout'], [600]);
  });

  test('disconnect --user: every active session of the user; the NAS address stands in for NAS-IP-Address', async () => {
    const r = await run('disconnect', '--user', 'bob');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Disconnect-ACK from .* session cs2 \(bob\)$/m);
    const got = nas.seen.at(-1);
    assert.equal(got?.kind, 'disconnect');
    assert.deepEqual(got?.attrs['Acct-Session-Id'], ['cs2']);
    assert.deepEqual(got?.attrs['NAS-IP-Address'], ['127.0.0.1']);
  });

  test('a NAK prints its Error-Cause and exits 1', async () => {
    const r = await run('coa', 'cs3');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^CoA-NAK from .* session cs3 \(carl\)$/m);
    assert.match(r.stdout, /Error-Cause = "Session-Context-Not-Found"/);
  });

  test('a session the NAS stopped is not sent a request: the command says when it stopped', async () => {
    const before = nas.seen.length;
    for (const kind of ['disconnect', 'coa'] as const) {
      const r = await run(kind, 'cs4');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /session "cs4" from 127\.0\.0\.1 stopped at \d{4}-\d\d-\d\dT.*nothing to send/);
    }
    const r = await run('disconnect', '--user', 'dora');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no active session of "dora"/);
    assert.equal(nas.seen.length, before, 'the NAS got nothing');
  });

  test('no session, no answer, no secret: clear errors', async () => {
    let r = await run('coa', 'nope');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no session "nope"/);
    r = await runDynauthCommand('disconnect', [
      'cs1',
      '--config',
      configFile,
      '--port',
      String(await unusedPort()),
      '--timeout',
      '0.3',
      '--retries',
      '0',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cs1 \(alice\): .*(timed out|no response|timeout)/i);
    assert.match(
      r.stderr,
      /hint: no answer at all\. The NAS may not take CoA\/Disconnect requests .* shared secret/,
    );
    r = await runDynauthCommand('coa', ['cs1', '--db', path.join(dir, 'acct.db')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--secret is required/);
    r = await run('coa', 'cs1', '--attr', 'Sesion-Timeout=1');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown attribute "Sesion-Timeout"/);
  });

  test('tshark: CoA and Disconnect requests with the session, replies with valid authenticators', {
    skip: skipUnless('tshark'),
  }, async () => {
    assert.ok(capture);
    const pcap = await capture.stop();
    const rows = await dissect(pcap, {
      ports: [dasPort],
      secret: SECRET,
      fields: ['radius.code', 'radius.authenticator.valid', 'radius.Acct_Session_Id', 'radius.User_Name'],
    });
    const requests = rows.filter((r) => r['radius.code'] === '43' || r['radius.code'] === '40');
    const replies = rows.filter((r) => ['41', '42', '44', '45'].includes(r['radius.code']));
    assert.deepEqual(
      requests.map((r) => `${r['radius.code']} ${r['radius.Acct_Session_Id']} ${r['radius.User_Name']}`),
      ['43 cs1 alice', '40 cs2 bob', '43 cs3 carl'],
    );
    assert.deepEqual(
      replies.map((r) => `${r['radius.code']} ${r['radius.authenticator.valid']}`),
      ['44 1', '41 1', '45 1'],
    );
  });
});

async function unusedPort(): Promise<number> {
  const [p] = await freePorts(1);
  return p;
}

// What an operator sees in `serve`'s log at the default level when requests go unanswered: a wrong
// shared secret, an unknown NAS, a BlastRADIUS drop, each at warn with the NAS and a hint, once per
// interval; and an EAP request refused with a reason that says EAP is not configured.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AccessRequest } from '../../src/index.js';
import { radclient, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { httpGet, type ServeProcess, startServe, tempDir } from './serve-helpers.js';

const SECRET = 'operator-secret';

function configText(auth: number, acct: number, metrics: number): string {
  // No log level: the default (info) is what an operator runs with.
  return `listen:
  host: 127.0.0.1
  auth: ${auth}
  acct: ${acct}
clients:
  - address: 127.0.0.1
    secret: ${SECRET}
    name: nas-one
  - address: 127.0.0.3
    secret: ${SECRET}
    name: strict-nas
    requireMessageAuthenticator: true
users:
  - name: alice
    password: alicepw
metrics:
  port: ${metrics}
database: ./radius.db
`;
}

/** Sends `bytes` from a socket bound to `source` (a loopback address) to 127.0.0.1:`port`. */
async function sendFrom(source: string, port: number, bytes: Buffer): Promise<void> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, source, resolve));
  await new Promise<void>((resolve) => sock.send(bytes, port, '127.0.0.1', () => resolve()));
  sock.close();
}

describe('aioradius serve: what the operator sees', { skip: skipUnless('radclient') }, () => {
  let serve: ServeProcess;
  let remove: () => Promise<void>;
  let auth: number;
  let metrics: number;

  before(async () => {
    const t = await tempDir('aioradius-operator-');
    remove = t.remove;
    let acct: number;
    [auth, acct, metrics] = await freePorts(3);
    const configFile = path.join(t.dir, 'aioradius.yaml');
    await writeFile(configFile, configText(auth, acct, metrics));
    serve = await startServe(configFile);
  });

  after(async () => {
    await serve?.stop('SIGKILL');
    await remove?.();
  });

  const warnings = (reason: string) => serve.logs.filter((l) => l.level === 40 && l.reason === reason);

  test('a wrong shared secret: one warn line naming the NAS, with a hint to check the secret', async () => {
    const from = serve.logs.length;
    // radclient with another secret (signed: it adds Message-Authenticator when asked with 0x00) ...
    const r = await radclient({
      host: '127.0.0.1',
      port: auth,
      type: 'auth',
      secret: 'wrong-secret',
      input: 'User-Name = "alice", User-Password = "alicepw", Message-Authenticator = 0x00\n',
      extraArgs: ['-t', '1', '-r', '1'],
    });
    assert.equal(r.replies.length, 0, 'no reply to a request that does not verify');
    // ... then two more such requests.
    for (let i = 0; i < 2; i++) {
      const wrong = new AccessRequest('wrong-secret').addAttributes(
        ['User-Name', 'alice'],
        ['User-Password', 'x'],
      );
      await sendFrom('127.0.0.1', auth, wrong.encode());
    }
    const line = await serve.waitForLog(/authenticator does not verify/, 5000, from);
    assert.equal(line.level, 40, 'logged at warn');
    assert.equal(line.nas, '127.0.0.1');
    assert.match(String(line.hint), /shared secret/);
    assert.equal(warnings('bad_authenticator').length, 1, 'rate-limited: one line for the three attempts');
    // Each attempt is counted (polled: the last datagrams may still be on their way).
    let body = '';
    for (let i = 0; i < 100 && !/bad_authenticator"\} 3/.test(body); i++) {
      body = await httpGet(metrics, '/metrics');
      if (!/bad_authenticator"\} 3/.test(body)) await new Promise((r) => setTimeout(r, 30));
    }
    assert.match(body, /radius_drops_total\{reason="bad_authenticator"\} 3/, 'each attempt counted');
    const text = JSON.stringify(serve.logs);
    assert.ok(!text.includes(SECRET) && !text.includes('wrong-secret') && !text.includes('alicepw'));
  });

  test('an unknown NAS: warn with its address and a hint to add a client entry', async () => {
    const from = serve.logs.length;
    const request = new AccessRequest(SECRET).add('User-Name', 'alice');
    await sendFrom('127.0.0.2', auth, request.encode());
    const line = await serve.waitForLog(/unknown NAS/, 5000, from);
    assert.equal(line.level, 40);
    assert.equal(line.nas, '127.0.0.2');
    assert.match(String(line.hint), /client entry/);
  });

  test('a BlastRADIUS policy drop: warn with the NAS and what to configure', async () => {
    const from = serve.logs.length;
    const request = new AccessRequest(SECRET).addAttributes(
      ['User-Name', 'alice'],
      ['User-Password', 'alicepw'],
    );
    request.messageAuthenticator = false;
    await sendFrom('127.0.0.3', auth, request.encode());
    const line = await serve.waitForLog(/BlastRADIUS/, 5000, from);
    assert.equal(line.level, 40);
    assert.equal(line.nas, '127.0.0.3');
    assert.match(String(line.hint), /Message-Authenticator/);
  });

  test('the drops are counted in the metrics by reason', async () => {
    const body = await httpGet(metrics, '/metrics');
    const value = (reason: string) =>
      Number(body.match(new RegExp(`radius_drops_total\\{reason="${reason}"\\} (\\d+)`))?.[1] ?? -1);
    assert.ok(value('bad_authenticator') >= 3, body);
    assert.ok(value('unknown_nas') >= 1);
    assert.ok(value('policy') >= 1);
    assert.match(body, /radius_socket_errors_total 0/);
  });

  test('an EAP request: Access-Reject with EAP-Failure, and the log says EAP is not configured', async () => {
    // A known user, and the anonymous outer identity PEAP peers send (no user has it).
    for (const [name, hex] of [
      ['alice', '0201000a01616c696365'],
      ['anonymous', '0207000e01616e6f6e796d6f7573'],
    ]) {
      const from = serve.logs.length;
      const r = await radclient({
        host: '127.0.0.1',
        port: auth,
        secret: SECRET,
        type: 'auth',
        input: `User-Name = "${name}", EAP-Message = 0x${hex}, Message-Authenticator = 0x00\n`,
      });
      assert.equal(r.replies[0]?.code, 'Access-Reject', name);
      // RFC 3579 §2.6.3: EAP-Failure, with the Identifier of the peer's Response.
      const eap = r.replies[0]?.attributes.find(([attr]) => attr === 'EAP-Message')?.[1];
      assert.equal(eap, `0x04${hex.slice(2, 4)}0004`, name);
      const line = await serve.waitForLog('Access-Reject', 5000, from);
      assert.match(String(line.reason), /EAP is not configured/, name);
      assert.equal(line.user, name);
    }
  });
});

// `serve` with its UDP listeners turned off (listen.auth / listen.acct null or false): a RadSec-only
// server takes no UDP port at all, answers over TLS, and a config left with no listener fails at start.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCOUNTING_RESPONSE,
  AccessRequest,
  AccountingRequest,
  RadiusClient,
} from '../../src/index.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import { procNetAvailable, udpPortsOf } from '../helpers/udp-sockets.js';
import { runServe, type ServeProcess, startServe, tempDir } from './serve-helpers.js';

function configText(listen: string): string {
  return `listen:
  host: 127.0.0.1
${listen}
clients:
  - address: 127.0.0.1
    transport: tls
    name: radsec-peer
  - address: 127.0.0.0/8
    secret: testing123
users:
  - name: alice
    password: alicepw
database: ./radius.db
`;
}

const TLS_FILES = `    certificate: server.pem
    privateKey: server.key
    ca: ca.pem`;

describe('aioradius serve with UDP listeners off', { skip: !procNetAvailable && 'needs /proc' }, () => {
  let dir: string;
  let remove: () => Promise<void>;
  let ca: CertFiles;
  let clientCert: CertFiles;
  const running: ServeProcess[] = [];

  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-serve-listeners-'));
    ca = makeCa(dir, 'ca');
    makeCert(dir, ca, 'server');
    clientCert = makeCert(dir, ca, 'client');
  });

  after(async () => {
    for (const s of running) await s.stop('SIGKILL');
    await remove?.();
  });

  async function start(name: string, text: string): Promise<ServeProcess> {
    const file = path.join(dir, name);
    await writeFile(file, text);
    const s = await startServe(file);
    running.push(s);
    return s;
  }

  test('auth: null, acct: ~ with tls: no UDP socket at all, requests answered over TLS', async () => {
    const serve = await start(
      'radsec-only.yaml',
      configText(`  auth: null\n  acct: ~\n  tls:\n    port: 0\n${TLS_FILES}`),
    );
    const ready = await serve.waitForLog('aioradius ready');
    const tlsPort = ready.tls as number;
    assert.ok(tlsPort > 0);
    assert.equal(ready.auth, undefined);
    assert.equal(ready.acct, undefined);
    // Not 1812 nor 1813 nor any other: the process holds no UDP socket.
    assert.deepEqual(udpPortsOf(serve.child.pid as number), []);
    const client = new RadiusClient({
      servers: [
        {
          host: '127.0.0.1',
          port: tlsPort,
          transport: 'tls',
          tls: { ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem },
        },
      ],
      timeout: 3,
      retries: 0,
    });
    try {
      const [accept] = await client.sendPacket(
        new AccessRequest('radsec').add('User-Name', 'alice').add('User-Password', 'alicepw'),
      );
      assert.equal(accept.code, ACCESS_ACCEPT);
      const [response] = await client.sendPacket(
        new AccountingRequest('radsec').addAttributes(
          ['User-Name', 'alice'],
          ['Acct-Status-Type', 'Start'],
          ['Acct-Session-Id', 'radsec-only-1'],
        ),
      );
      assert.equal(response.code, ACCOUNTING_RESPONSE);
    } finally {
      client.close();
      await serve.stop();
    }
  });

  test('auth: false keeps the accounting port only', async () => {
    const serve = await start('acct-only.yaml', configText('  auth: false\n  acct: 0'));
    const ready = await serve.waitForLog('aioradius ready');
    assert.equal(ready.auth, undefined);
    assert.ok((ready.acct as number) > 0);
    assert.deepEqual(udpPortsOf(serve.child.pid as number), [ready.acct]);
    await serve.stop();
  });

  test('--check says which UDP listeners are off', async () => {
    const file = path.join(dir, 'check.yaml');
    await writeFile(file, configText(`  auth: null\n  acct: false\n  tls:\n    port: 0\n${TLS_FILES}`));
    const r = await runServe(['--config', file, '--check']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /auth off, acct off, tls 0\)/);
  });

  test('every listener off fails at start with the file, the field and the reason', async () => {
    const file = path.join(dir, 'none.yaml');
    await writeFile(file, configText('  auth: null\n  acct: false'));
    const r = await runServe(['--config', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /none\.yaml:2: listen: no listener left/);
  });
});

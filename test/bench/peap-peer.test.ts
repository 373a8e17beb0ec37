// The benchmark's PEAPv0/EAP-MSCHAPv2 peer (bench/peap-peer.ts): logins against the library example
// server and, when installed, FreeRADIUS 3.2 with the same certificates.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type PeapPeerOptions, peapLogin } from '../../bench/peap-peer.js';
import { EapExampleServer } from '../../examples/eap-server.js';
import { RadiusClient } from '../../src/client/radius-client.js';
import { ACCESS_ACCEPT, ACCESS_REJECT } from '../../src/protocol/codes.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import { skipUnless, startFreeradius } from '../helpers/peers.js';

const SECRET = 'peap-peer-s3cret';

describe('bench/peap-peer.ts', () => {
  let dir = '';
  let ca: CertFiles;
  let cert: CertFiles;
  let client: RadiusClient;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-peap-peer-'));
    ca = makeCa(dir, 'ca');
    cert = makeCert(dir, ca, 'server');
    client = new RadiusClient({ timeout: 5, retries: 1 });
  });
  after(() => {
    client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const options = (port: number, password = 'alicepw'): PeapPeerOptions => ({
    port,
    secret: SECRET,
    outerIdentity: 'anonymous',
    identity: 'alice',
    password,
    ca: ca.certPem,
  });

  test('against the example server: Accept with the MSK in both MPPE keys; a wrong password: Reject', async () => {
    // EAP-TLS offered first: the peer NAKs to PEAP.
    const server = new EapExampleServer(
      '127.0.0.1',
      new Map([['alice', { password: 'alicepw' }]]),
      SECRET,
      { tls: { cert: cert.certPem, key: cert.keyPem, ca: ca.certPem }, methods: ['tls', 'peap'] },
      { authPort: 0 },
    );
    const port = (await server.start()).authPort as number;
    try {
      assert.deepEqual(await peapLogin(client, options(port)), { code: ACCESS_ACCEPT, keysMatch: true });
      assert.deepEqual(await peapLogin(client, options(port, 'wrong')), {
        code: ACCESS_REJECT,
        keysMatch: false,
      });
      // A server whose certificate is not from the CA gets no login.
      const other = makeCa(dir, 'other-ca');
      assert.deepEqual(await peapLogin(client, { ...options(port), ca: other.certPem }), {
        code: ACCESS_REJECT,
        keysMatch: false,
      });
    } finally {
      await server.close();
    }
  });

  test('against FreeRADIUS 3.2: Accept with the MSK in both MPPE keys', {
    skip: skipUnless('freeradius'),
  }, async () => {
    const fr = await startFreeradius({
      secret: SECRET,
      users: [{ name: 'alice', password: 'alicepw' }],
      files: Object.fromEntries(
        [cert.cert, cert.key, ca.cert].map((f) => [`peer-${path.basename(f)}`, readFileSync(f)]),
      ),
      eap: {
        certFile: `peer-${path.basename(cert.cert)}`,
        keyFile: `peer-${path.basename(cert.key)}`,
        caFile: `peer-${path.basename(ca.cert)}`,
        // The peer must hold the tunnel to TLS 1.2 itself, as in the benchmark.
        tlsMaxVersion: '1.3',
      },
    });
    try {
      assert.deepEqual(await peapLogin(client, options(fr.authPort)), {
        code: ACCESS_ACCEPT,
        keysMatch: true,
      });
    } finally {
      await fr.stop();
    }
  });
});

// The benchmark's EAP-TLS peer (bench/eap-peer.ts): logins against the library example server at
// the TLS version asked for, with one TLS context for a run, and resumed with the last session; and
// the peers in worker threads (bench/peer-threads.ts): the loops shared out, every thread's logins
// counted, EAP-TLS and PEAP.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type tls from 'node:tls';
import { type EapTlsPeerOptions, eapTlsLogin, peerContext } from '../../bench/eap-peer.js';
import { PeerThreads } from '../../bench/peer-threads.js';
import { EapExampleServer } from '../../examples/eap-server.js';
import { RadiusClient } from '../../src/client/radius-client.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';

const SECRET = 'eap-peer-s3cret';

describe('bench/eap-peer.ts', () => {
  let dir = '';
  let ca: CertFiles;
  let client: RadiusClient;
  let server: EapExampleServer;
  let port = 0;
  let options: (maxVersion: tls.SecureVersion) => EapTlsPeerOptions;
  let threads: PeerThreads;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-eap-peer-'));
    ca = makeCa(dir, 'ca');
    const cert = makeCert(dir, ca, 'server');
    const peer = makeCert(dir, ca, 'client');
    client = new RadiusClient({ timeout: 5, retries: 1 });
    server = new EapExampleServer(
      '127.0.0.1',
      new Map([['alice', { password: 'alicepw' }]]),
      SECRET,
      {
        tls: { cert: cert.certPem, key: cert.keyPem, ca: ca.certPem, maxVersion: 'TLSv1.3' },
        methods: ['tls', 'peap'],
      },
      { authPort: 0 },
    );
    port = (await server.start()).authPort as number;
    threads = new PeerThreads(2);
    options = (maxVersion) => ({
      port,
      secret: SECRET,
      identity: 'client',
      ca: ca.certPem,
      cert: peer.certPem,
      key: peer.keyPem,
      maxVersion,
    });
  });
  after(async () => {
    await threads?.close();
    client?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    test(`${version} at most, from a context made once: that version, then resumed`, async () => {
      const o = options(version);
      // The version lives in the context: tls.connect ignores maxVersion beside a ready one.
      const shared = { ...o, context: peerContext(o) };
      const first = await eapTlsLogin(client, shared);
      assert.equal(first.accepted, true);
      assert.equal(first.resumed, false);
      assert.equal(first.protocol, version);
      assert.ok(first.session, 'the server gave a session to resume');
      const again = await eapTlsLogin(client, shared, first.session);
      assert.deepEqual([again.accepted, again.resumed, again.protocol], [true, true, version]);
    });
  }

  test('EAP-TLS: 3 loops over 2 threads, resumed logins counted', async () => {
    const r = await threads.drive({
      kind: 'tls',
      options: {
        ...options('TLSv1.2'),
        resume: true,
      },
      seconds: 1,
      loops: 3,
    });
    assert.equal(threads.size, 2);
    assert.ok(r.logins >= 3, `${r.logins} logins`);
    // Each loop's first login is full, the rest resume: a thread's share left out would show.
    assert.equal(r.resumed, r.logins - 3);
  });

  test('PEAP: 2 loops over 2 threads', async () => {
    const r = await threads.drive({
      kind: 'peap',
      options: {
        port,
        secret: SECRET,
        outerIdentity: 'anonymous',
        identity: 'alice',
        password: 'alicepw',
        ca: ca.certPem,
      },
      seconds: 1,
      loops: 2,
    });
    assert.ok(r.logins >= 2, `${r.logins} logins`);
    assert.equal(r.resumed, 0);
  });
});

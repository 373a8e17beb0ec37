// The benchmark's peers in worker threads (bench/peer-threads.ts): the loops are shared out and
// every thread's logins come back, EAP-TLS and PEAP, against the library example server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PeerThreads } from '../../bench/peer-threads.js';
import { EapExampleServer } from '../../examples/eap-server.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';

const SECRET = 'peer-threads-s3cret';

describe('bench/peer-threads.ts', () => {
  let dir = '';
  let ca: CertFiles;
  let peer: CertFiles;
  let server: EapExampleServer;
  let port = 0;
  let threads: PeerThreads;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-peer-threads-'));
    ca = makeCa(dir, 'ca');
    const cert = makeCert(dir, ca, 'server');
    peer = makeCert(dir, ca, 'client');
    server = new EapExampleServer(
      '127.0.0.1',
      new Map([['alice', { password: 'alicepw' }]]),
      SECRET,
      { tls: { cert: cert.certPem, key: cert.keyPem, ca: ca.certPem }, methods: ['tls', 'peap'] },
      { authPort: 0 },
    );
    port = (await server.start()).authPort as number;
    threads = new PeerThreads(2);
  });
  after(async () => {
    await threads?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('EAP-TLS: 3 loops over 2 threads, resumed logins counted', async () => {
    const r = await threads.drive({
      kind: 'tls',
      options: {
        port,
        secret: SECRET,
        identity: 'client',
        ca: ca.certPem,
        cert: peer.certPem,
        key: peer.keyPem,
        maxVersion: 'TLSv1.2',
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

  test('PEAP: logins from both threads', async () => {
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

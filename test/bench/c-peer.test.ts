// The benchmark's C EAP-TLS peer (bench/eap-tls-load.c through bench/c-peer.ts): built with the
// system's cc and OpenSSL, it logs in against the library example server with full handshakes,
// resumes each conversation's last session when asked (TLS 1.2 and 1.3), and gets no login with a
// client certificate from another CA or with the wrong shared secret.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildCPeer, type CPeerOptions, cPeerUnavailable, driveC } from '../../bench/c-peer.js';
import { EapExampleServer } from '../../examples/eap-server.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';

const SECRET = 'c-peer-s3cret';
const LOOPS = 4;
const unavailable = cPeerUnavailable();

describe('bench/c-peer.ts', { skip: unavailable }, () => {
  let dir = '';
  let binary = '';
  let server: EapExampleServer;
  let options: (tlsVersion: CPeerOptions['tlsVersion'], resume?: boolean) => CPeerOptions;
  let stranger: CertFiles;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-c-peer-'));
    const ca = makeCa(dir, 'ca');
    const cert = makeCert(dir, ca, 'server');
    const peer = makeCert(dir, ca, 'client');
    stranger = makeCert(dir, makeCa(dir, 'other-ca'), 'stranger');
    const built = buildCPeer();
    assert.ok(built, 'cc and the OpenSSL headers are here, so the peer builds');
    binary = built;
    server = new EapExampleServer(
      '127.0.0.1',
      new Map(),
      SECRET,
      {
        tls: { cert: cert.certPem, key: cert.keyPem, ca: ca.certPem, maxVersion: 'TLSv1.3' },
        methods: ['tls'],
      },
      { authPort: 0 },
    );
    const port = (await server.start()).authPort as number;
    options = (tlsVersion, resume = false) => ({
      port,
      secret: SECRET,
      identity: 'client',
      ca: ca.cert,
      cert: peer.cert,
      key: peer.key,
      tlsVersion,
      resume,
    });
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('TLS 1.3, full handshakes: accepted, none resumed', async () => {
    const r = await driveC(binary, options('TLSv1.3'), 1, LOOPS);
    assert.ok(r.logins > 0, `${r.logins} logins`);
    assert.equal(r.failed, 0);
    assert.equal(r.resumed, 0);
    assert.equal(r.bad, 0);
    assert.ok(r.cpuMsPerLogin > 0, `${r.cpuMsPerLogin} ms of CPU per login`);
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    test(`${version}, resuming: every login after a conversation's first resumes`, async () => {
      const r = await driveC(binary, options(version, true), 1, LOOPS);
      // Each conversation's first login is full; more logins than conversations, so some resume.
      assert.ok(r.logins > LOOPS, `${r.logins} logins`);
      assert.equal(r.failed, 0);
      assert.ok(r.resumed >= r.logins - LOOPS, `${r.resumed} of ${r.logins} resumed`);
    });
  }

  test('a client certificate from another CA: no login accepted', async () => {
    const r = await driveC(
      binary,
      { ...options('TLSv1.3'), cert: stranger.cert, key: stranger.key },
      1,
      LOOPS,
    );
    assert.equal(r.logins, 0);
    assert.ok(r.failed > 0, `${r.failed} failed`);
  });

  test('the wrong shared secret: no login', async () => {
    // The server drops requests it cannot authenticate: each conversation's one login times out.
    const r = await driveC(binary, { ...options('TLSv1.2'), secret: 'not-the-secret' }, 1, LOOPS);
    assert.equal(r.logins, 0);
    assert.ok(r.bad > 0 || r.failed > 0, `bad ${r.bad}, failed ${r.failed}`);
  });
});

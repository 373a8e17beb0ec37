// TLS sessions in worker threads (tls.workers): eapol_test's EAP-TLS over TLS 1.2 and 1.3, PEAP and
// TTLS against an EapServer with two workers, keys checked by the peer; a resumed login lands on
// the other worker (conversations are dealt round-robin) and still resumes; the client
// certificate is verified in the worker and authorised here (CN equal to the identity).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PeerCertificate } from 'node:tls';
import { EapExampleServer } from '../../examples/eap-server.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import { type EapolNetwork, eapolTest, tailOf } from '../helpers/eapol.js';
import { skipUnless } from '../helpers/peers.js';

const SECRET = 'eap-workers-s3cret';
const USERS = new Map([['alice', { password: 'alicepw' }]]);

describe('eapol_test against EapServer with TLS in worker threads', {
  skip: skipUnless('eapol_test'),
}, () => {
  let dir = '';
  let ca: CertFiles;
  let client: CertFiles;
  let foreign: CertFiles;
  let server: EapExampleServer;
  let port = 0;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-eap-workers-'));
    ca = makeCa(dir, 'workers-ca');
    const cert = makeCert(dir, ca, 'workers-server');
    client = makeCert(dir, ca, 'workers-client');
    foreign = makeCert(dir, makeCa(dir, 'workers-foreign-ca'), 'workers-foreign');
    const tls = {
      cert: cert.certPem,
      key: cert.keyPem,
      ca: ca.certPem,
      workers: 2,
      authorizeCertificate: (c: PeerCertificate, identity: string) => c.subject.CN === identity,
    };
    server = new EapExampleServer('127.0.0.1', USERS, SECRET, { tls }, { authPort: 0 });
    port = (await server.start()).authPort as number;
  });
  after(async () => {
    server?.eap.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const tlsNetwork = (certificate: CertFiles, tls13: boolean, identity = 'workers-client'): EapolNetwork => ({
    eap: 'TLS',
    identity,
    ca_cert: ca.cert,
    client_cert: certificate.cert,
    private_key: certificate.key,
    phase1: `tls_disable_tlsv1_3=${tls13 ? 0 : 1}`,
  });

  for (const tls13 of [false, true]) {
    const version = tls13 ? 'TLSv1.3' : 'TLSv1.2';
    test(`EAP-TLS ${version}: SUCCESS, keys OK, and the resumed login (other worker) resumes`, async () => {
      const r = await eapolTest(tlsNetwork(client, tls13), port, SECRET, { reauths: 1 });
      assert.ok(r.success, tailOf(r));
      assert.match(r.stdout, new RegExp(`SSL: Using TLS version ${version}`));
      assert.match(r.stdout, /Handshake finished - resumed=1/);
      assert.equal(r.mppeOk, 2, tailOf(r));
      assert.equal(r.mppeMismatch, 0);
    });
  }

  test('EAP-TLS: a foreign CA, and a certificate whose CN is not the identity, get Reject', async () => {
    // The foreign certificate's CN is its identity: only its CA is wrong.
    for (const [network, alert] of [
      [tlsNetwork(foreign, true, 'workers-foreign'), 'unknown CA'],
      [tlsNetwork(client, true, 'someone-else'), 'access denied'],
    ] as const) {
      const r = await eapolTest(network, port, SECRET);
      assert.ok(!r.success, tailOf(r));
      // The alert made in the worker thread reaches the peer, which reports it (RFC 5216 §2.1.3).
      assert.match(
        r.stdout,
        new RegExp(`SSL3 alert: read \\(remote end reported an error\\):fatal:${alert}`),
      );
      assert.match(r.stdout, /code=3 \(Access-Reject\)/);
      assert.match(r.stdout, /EAP: Received EAP-Failure/);
    }
  });

  test('PEAP/MSCHAPv2 and TTLS/MSCHAPv2: SUCCESS with MPPE keys OK; a wrong password: Reject', async () => {
    const tunnel = { anonymous_identity: 'anonymous', identity: 'alice', ca_cert: ca.cert };
    const phases: EapolNetwork[] = [
      { eap: 'PEAP', phase1: 'peapver=0', phase2: 'auth=MSCHAPV2' },
      { eap: 'TTLS', phase2: 'auth=MSCHAPV2' },
    ];
    for (const phase of phases) {
      const name = String(phase.eap);
      const ok = await eapolTest({ ...tunnel, ...phase, password: 'alicepw' }, port, SECRET);
      assert.ok(ok.success, `${name}\n${tailOf(ok)}`);
      assert.equal(ok.mppeOk, 1, name);
      assert.equal(ok.mppeMismatch, 0, name);
      const bad = await eapolTest({ ...tunnel, ...phase, password: 'wrong' }, port, SECRET);
      assert.ok(!bad.success, name);
      assert.match(bad.stdout, /code=3 \(Access-Reject\)/);
    }
  });

  test('the workers keep no process alive: one that made an EapServer ends by itself; the example ends on SIGTERM', async () => {
    const library = new URL('../../src/index.js', import.meta.url).href;
    const script = [
      `import { EapServer } from ${JSON.stringify(library)};`,
      `import { readFileSync } from 'node:fs';`,
      `const tls = { cert: readFileSync(${JSON.stringify(client.cert)}), key: readFileSync(${JSON.stringify(client.key)}), workers: 2 };`,
      `new EapServer({ tls, getCredentials: () => undefined });`,
      `console.log('made');`,
    ].join('\n');
    const lone = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.deepEqual(await exitWithin(lone, 15_000), { code: 0, signal: null }, 'ended by itself');
    const example = new URL('../../examples/eap-server.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [example, client.cert, client.key, ca.cert], {
      env: { ...process.env, AUTH_PORT: '0', TLS_WORKERS: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    for (let i = 0; i < 150 && !out.includes('listening'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /listening/);
    child.kill('SIGTERM');
    assert.deepEqual(await exitWithin(child, 15_000), { code: 0, signal: null }, 'ended on SIGTERM');
  });
});

/** How `child` ended; killed (and reported as 'not ended') if it is still running after `ms`. */
function exitWithin(
  child: ChildProcess,
  ms: number,
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: null, signal: 'not ended' });
    }, ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

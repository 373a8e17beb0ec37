// EAP-TLS (RFC 5216, RFC 9190) with eapol_test against the library example server: TLS 1.2 and
// 1.3 with MPPE keys checked by the peer, client certificates verified for real (a foreign CA is
// refused with EAP-Failure), session resumption, fragments of 300 bytes both ways, Framed-MTU.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EapExampleServer } from '../../examples/eap-server.js';
import { type CertFiles, makeCa, makeCert, makeCrl, makeExpiredCert } from '../helpers/certs.js';
import { type EapolNetwork, eapolTest, tailOf } from '../helpers/eapol.js';
import { skipUnless } from '../helpers/peers.js';

const SECRET = 'eap-tls-s3cret';
const USERS = new Map([['alice', { password: 'alicepw' }]]);

/** Lengths of the EAP packets eapol_test received from us (EAP header, flags and length included). */
function receivedLengths(stdout: string): number[] {
  return [...stdout.matchAll(/SSL: Received packet\(len=(\d+)\) - Flags (0x[0-9a-f]+)/g)].map((m) =>
    Number(m[1]),
  );
}

describe('eapol_test EAP-TLS against EapServer', { skip: skipUnless('eapol_test') }, () => {
  let dir = '';
  let ca: CertFiles;
  let client: CertFiles;
  let foreign: CertFiles;
  let expired: CertFiles;
  let revoked: CertFiles;
  let server: EapExampleServer;
  let withCrl: EapExampleServer;
  let crlPort = 0;
  let noResume: EapExampleServer;
  let noResumePort = 0;
  let small: EapExampleServer;
  let port = 0;
  let smallPort = 0;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-eap-tls-'));
    ca = makeCa(dir, 'eap-ca');
    const cert = makeCert(dir, ca, 'eap-server');
    client = makeCert(dir, ca, 'eap-client');
    foreign = makeCert(dir, makeCa(dir, 'foreign-ca'), 'foreign-client');
    expired = makeExpiredCert(dir, ca, 'expired-client');
    revoked = makeCert(dir, ca, 'revoked-client');
    const tls = { cert: cert.certPem, key: cert.keyPem, ca: ca.certPem };
    const crl = makeCrl(dir, ca, [revoked]);
    withCrl = new EapExampleServer(
      '127.0.0.1',
      USERS,
      SECRET,
      { tls: { ...tls, crl: crl.pem }, methods: ['tls'] },
      { authPort: 0 },
    );
    crlPort = (await withCrl.start()).authPort as number;
    const allowResumption = (identity: string) => identity !== 'eap-client';
    noResume = new EapExampleServer(
      '127.0.0.1',
      USERS,
      SECRET,
      { tls: { ...tls, allowResumption }, methods: ['tls'] },
      { authPort: 0 },
    );
    noResumePort = (await noResume.start()).authPort as number;
    // The default method order offers PEAP first: the peer NAKs to EAP-TLS.
    server = new EapExampleServer('127.0.0.1', USERS, SECRET, { tls }, { authPort: 0 });
    port = (await server.start()).authPort as number;
    small = new EapExampleServer(
      '127.0.0.1',
      USERS,
      SECRET,
      { tls, methods: ['tls'], fragmentSize: 300 },
      { authPort: 0 },
    );
    smallPort = (await small.start()).authPort as number;
  });
  after(async () => {
    await server?.close();
    await small?.close();
    await withCrl?.close();
    await noResume?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const network = (certificate: CertFiles, tls13: boolean): EapolNetwork => ({
    eap: 'TLS',
    identity: 'eap-client',
    ca_cert: ca.cert,
    client_cert: certificate.cert,
    private_key: certificate.key,
    phase1: `tls_disable_tlsv1_3=${tls13 ? 0 : 1}`,
  });

  for (const tls13 of [false, true]) {
    const version = tls13 ? 'TLSv1.3' : 'TLSv1.2';

    test(`${version}: SUCCESS and MPPE keys OK: 1 mismatch: 0`, async () => {
      const r = await eapolTest(network(client, tls13), port, SECRET);
      assert.ok(r.success, tailOf(r));
      assert.match(r.stdout, new RegExp(`SSL: Using TLS version ${version}`));
      assert.equal(r.mppeOk, 1, tailOf(r));
      assert.equal(r.mppeMismatch, 0);
    });

    test(`${version}: a client certificate from a foreign CA gets Access-Reject with EAP-Failure`, async () => {
      const r = await eapolTest(network(foreign, tls13), port, SECRET);
      assert.ok(!r.success, tailOf(r));
      // RFC 5216 §2.1.3: a TLS alert first, which the peer decrypts (TLS 1.3) and reports.
      assert.match(r.stdout, /SSL3 alert: read \(remote end reported an error\):fatal:unknown CA/);
      assert.match(r.stdout, /code=3 \(Access-Reject\)/);
      assert.match(r.stdout, /EAP: Received EAP-Failure/);
      assert.doesNotMatch(r.stdout, /code=2 \(Access-Accept\)/);
    });

    test(`${version}: eapol_test -r 1 resumes the TLS session and both logins have matching keys`, async () => {
      const r = await eapolTest(network(client, tls13), port, SECRET, { reauths: 1 });
      assert.ok(r.success, tailOf(r));
      assert.match(r.stdout, /Handshake finished - resumed=1/);
      assert.equal(r.mppeOk, 2, tailOf(r));
      assert.equal(r.mppeMismatch, 0);
    });

    test(`${version}: fragments of 300 bytes from us and from the peer`, async () => {
      const r = await eapolTest({ ...network(client, tls13), fragment_size: 300 }, smallPort, SECRET);
      assert.ok(r.success, tailOf(r));
      assert.equal(r.mppeOk, 1, tailOf(r));
      const lengths = receivedLengths(r.stdout);
      // 300 bytes of TLS, the Flags octet, the TLS Message Length and the EAP header.
      assert.ok(Math.max(...lengths) <= 310, String(lengths));
      assert.match(r.stdout, /Flags 0xc0/, 'a first fragment with L and M');
      assert.match(r.stdout, /SSL: Building ACK/, 'the peer acknowledged our fragments');
      assert.match(r.stdout, /more fragments will follow/, 'the peer fragmented its flight to us');
    });
  }

  test('an identity that logged in with EAP-TLS is offered it first next time: no NAK, a round fewer', async () => {
    const rounds = (stdout: string) => stdout.match(/Received RADIUS message/g)?.length ?? 0;
    // An identity no earlier test used: the server offers PEAP first, and the peer NAKs to EAP-TLS.
    const first = await eapolTest({ ...network(client, true), identity: 'memory-client' }, port, SECRET);
    assert.ok(first.success, tailOf(first));
    assert.match(first.stdout, /EAP-Request-PEAP/);
    const second = await eapolTest({ ...network(client, true), identity: 'memory-client' }, port, SECRET);
    assert.ok(second.success, tailOf(second));
    assert.equal(second.mppeOk, 1, tailOf(second));
    assert.doesNotMatch(second.stdout, /EAP-Request-PEAP/);
    assert.equal(rounds(second.stdout), rounds(first.stdout) - 1);
  });

  test('an expired client certificate, and a revoked one under a CRL: Access-Reject with EAP-Failure', async () => {
    for (const [certificate, at, alert] of [
      [expired, port, 'certificate expired'],
      [revoked, crlPort, 'certificate revoked'],
    ] as const) {
      const r = await eapolTest(network(certificate, true), at, SECRET);
      assert.ok(!r.success, tailOf(r));
      assert.match(
        r.stdout,
        new RegExp(`SSL3 alert: read \\(remote end reported an error\\):fatal:${alert}`),
      );
      assert.match(r.stdout, /code=3 \(Access-Reject\)/);
      assert.match(r.stdout, /EAP: Received EAP-Failure/);
    }
    // The CRL refuses only what it lists.
    const ok = await eapolTest(network(client, true), crlPort, SECRET);
    assert.ok(ok.success, tailOf(ok));
  });

  test('a user barred from resumption gets a full handshake again, over TLS 1.2 and 1.3', async () => {
    for (const tls13 of [false, true]) {
      const r = await eapolTest(network(client, tls13), noResumePort, SECRET, { reauths: 1 });
      assert.ok(r.success, tailOf(r));
      assert.equal(r.mppeOk, 2, tailOf(r));
      assert.doesNotMatch(r.stdout, /resumed=1/);
    }
  });

  test('no client certificate at all: Access-Reject', async () => {
    const { client_cert: _c, private_key: _k, ...anonymous } = network(client, true);
    const r = await eapolTest(anonymous, port, SECRET);
    assert.ok(!r.success, tailOf(r));
    assert.match(r.stdout, /code=3 \(Access-Reject\)/);
  });

  test('Framed-MTU 400 from the NAS keeps every EAP packet within it (RFC 3579 §2.4)', async () => {
    const r = await eapolTest(network(client, false), port, SECRET, { extraArgs: ['-N12:d:400'] });
    assert.ok(r.success, tailOf(r));
    const lengths = receivedLengths(r.stdout);
    assert.ok(Math.max(...lengths) <= 400 - 4, String(lengths));
    assert.ok(Math.max(...lengths) > 310, `the MTU, not a smaller limit, bounds them: ${lengths}`);
  });
});

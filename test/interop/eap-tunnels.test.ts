// PEAPv0 and EAP-TTLS with eapol_test against the library example server: every inner method
// SUCCESS with the MPPE keys the peer derived itself; wrong passwords and wrong inner identities
// get Access-Reject with EAP-Failure; the anonymous outer identity never authorises.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EapExampleServer } from '../../examples/eap-server.js';
import { ntPasswordHash } from '../../src/index.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import { type EapolNetwork, eapolTest, tailOf } from '../helpers/eapol.js';
import { skipUnless } from '../helpers/peers.js';

const SECRET = 'eap-tunnels-s3cret';
const USERS = new Map([
  ['alice', { password: 'alicepw' }],
  ['carol', { ntHash: ntPasswordHash('carolpw') }],
  // The NT hash as text, as plain-JS lookups and serve's YAML give it; and one no method can use.
  ['dave', { ntHash: ntPasswordHash('davepw').toString('hex') }],
  ['eve', { ntHash: 'not-an-nt-hash' }],
]);

const PHASE2: Array<[string, EapolNetwork]> = [
  ['PEAP/MSCHAPv2', { eap: 'PEAP', phase1: 'peapver=0', phase2: 'auth=MSCHAPV2' }],
  ['PEAP/GTC', { eap: 'PEAP', phase1: 'peapver=0', phase2: 'auth=GTC' }],
  ['TTLS/PAP', { eap: 'TTLS', phase2: 'auth=PAP' }],
  ['TTLS/CHAP', { eap: 'TTLS', phase2: 'auth=CHAP' }],
  ['TTLS/MS-CHAP', { eap: 'TTLS', phase2: 'auth=MSCHAP' }],
  ['TTLS/MS-CHAPv2', { eap: 'TTLS', phase2: 'auth=MSCHAPV2' }],
  ['TTLS/EAP-MSCHAPv2', { eap: 'TTLS', phase2: 'autheap=MSCHAPV2' }],
  ['TTLS/EAP-MD5', { eap: 'TTLS', phase2: 'autheap=MD5' }],
];

describe('eapol_test PEAP and EAP-TTLS against EapServer', { skip: skipUnless('eapol_test') }, () => {
  let dir = '';
  let ca: CertFiles;
  let server: EapExampleServer;
  let port = 0;
  let tls13: EapExampleServer;
  let tls13Port = 0;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-eap-tunnels-'));
    ca = makeCa(dir, 'tunnel-ca');
    const cert = makeCert(dir, ca, 'tunnel-server');
    server = new EapExampleServer(
      '127.0.0.1',
      USERS,
      SECRET,
      { tls: { cert: cert.certPem, key: cert.keyPem } },
      { authPort: 0 },
    );
    port = (await server.start()).authPort as number;
    const tls = { cert: cert.certPem, key: cert.keyPem, tunnelMaxVersion: 'TLSv1.3' as const };
    tls13 = new EapExampleServer('127.0.0.1', USERS, SECRET, { tls }, { authPort: 0 });
    tls13Port = (await tls13.start()).authPort as number;
  });
  after(async () => {
    await server?.close();
    await tls13?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (phase: EapolNetwork, identity: string, password: string, outer = 'anonymous') =>
    eapolTest({ ...phase, identity, anonymous_identity: outer, password, ca_cert: ca.cert }, port, SECRET);

  for (const [name, phase] of PHASE2) {
    test(`${name}: SUCCESS and MPPE keys OK: 1 mismatch: 0; a wrong password gets Reject with EAP-Failure`, async () => {
      const ok = await run(phase, 'alice', 'alicepw');
      assert.ok(ok.success, tailOf(ok));
      assert.equal(ok.mppeOk, 1, tailOf(ok));
      assert.equal(ok.mppeMismatch, 0);
      const bad = await run(phase, 'alice', 'wrong');
      assert.ok(!bad.success, tailOf(bad));
      assert.match(bad.stdout, /code=3 \(Access-Reject\)/);
      assert.match(bad.stdout, /EAP: Received EAP-Failure/);
      assert.doesNotMatch(bad.stdout, /code=2 \(Access-Accept\)/);
    });
  }

  test('PEAP crypto binding ([MS-PEAP] §3.1.5.5) over TLS 1.2 and 1.3: off, optional, required; the bound MSK matches', async () => {
    for (const version of ['1.2', '1.3'] as const) {
      for (const [binding, auth] of [
        ['0', 'MSCHAPV2'],
        ['1', 'MSCHAPV2'],
        ['2', 'MSCHAPV2'],
        ['2', 'GTC'],
      ]) {
        const name = `TLS ${version} crypto_binding=${binding} ${auth}`;
        const r = await eapolTest(
          {
            eap: 'PEAP',
            identity: 'alice',
            password: 'alicepw',
            ca_cert: ca.cert,
            phase1: `peapver=0 crypto_binding=${binding} tls_disable_tlsv1_3=${version === '1.3' ? 0 : 1}`,
            phase2: `auth=${auth}`,
          },
          version === '1.3' ? tls13Port : port,
          SECRET,
        );
        assert.ok(r.success, `${name}\n${tailOf(r)}`);
        const used = version === '1.3' ? /Using TLS version TLSv1\.3/ : /Using TLS version TLSv1\.2/;
        assert.match(r.stdout, used, name);
        assert.equal(r.mppeOk, 1, name);
        assert.equal(r.mppeMismatch, 0, name);
        if (binding !== '0') assert.match(r.stdout, /Valid cryptobinding TLV received/, name);
      }
    }
  });

  test('PEAP and TTLS default to TLS 1.2 even when the peer offers 1.3', async () => {
    for (const phase of [PHASE2[0][1], PHASE2[2][1]]) {
      const r = await eapolTest(
        { ...phase, identity: 'alice', password: 'alicepw', phase1: 'peapver=0 tls_disable_tlsv1_3=0' },
        port,
        SECRET,
      );
      assert.ok(r.success, tailOf(r));
      assert.match(r.stdout, /SSL: Using TLS version TLSv1\.2/);
    }
  });

  test('with tunnelMaxVersion TLSv1.3, PEAP and TTLS run over TLS 1.3 with RFC 9427 keys', async () => {
    for (const [name, phase] of [PHASE2[0], PHASE2[3], PHASE2[6]]) {
      const r = await eapolTest(
        {
          ...phase,
          identity: 'alice',
          password: 'alicepw',
          ca_cert: ca.cert,
          phase1: 'peapver=0 tls_disable_tlsv1_3=0',
        },
        tls13Port,
        SECRET,
      );
      assert.ok(r.success, `${name}\n${tailOf(r)}`);
      assert.match(r.stdout, /SSL: Using TLS version TLSv1\.3/, name);
      assert.equal(r.mppeOk, 1, name);
      assert.equal(r.mppeMismatch, 0);
    }
  });

  test('eapol_test -r 1: TTLS resumes and skips the inner authentication (RFC 5281 §7.4), PEAP redoes it; keys match', async () => {
    for (const [[name, phase], target, tls13] of [
      [PHASE2[2], port, false],
      [PHASE2[5], port, false],
      [PHASE2[6], port, false],
      [PHASE2[2], tls13Port, true],
      [PHASE2[0], port, false],
      [PHASE2[0], tls13Port, true],
    ] as const) {
      const r = await eapolTest(
        {
          ...phase,
          identity: 'alice',
          anonymous_identity: 'anonymous',
          password: 'alicepw',
          ca_cert: ca.cert,
          // PEAP over TLS 1.3 binds the resumed tunnel too.
          ...(tls13 ? { phase1: 'tls_disable_tlsv1_3=0 crypto_binding=2' } : {}),
        },
        target,
        SECRET,
        { reauths: 1 },
      );
      assert.ok(r.success, `${name}\n${tailOf(r)}`);
      assert.match(r.stdout, /Handshake finished - resumed=1/, name);
      if (name.startsWith('TTLS')) assert.match(r.stdout, /EAP-TTLS: fast reauth - may skip Phase 2/, name);
      if (name.startsWith('PEAP') && tls13) {
        assert.equal(r.stdout.match(/Valid cryptobinding TLV received/g)?.length, 2, name);
      }
      assert.equal(r.mppeOk, 2, `${name}\n${tailOf(r)}`);
      assert.equal(r.mppeMismatch, 0);
    }
  });

  test('the outer identity never authorises: a known outer name with an unknown inner one is refused', async () => {
    const r = await run(PHASE2[0][1], 'mallory', 'alicepw', 'alice');
    assert.ok(!r.success, tailOf(r));
    assert.match(r.stdout, /code=3 \(Access-Reject\)/);
  });

  test('a user with only an NT hash: PEAP/MSCHAPv2 succeeds; TTLS/PAP checks the password against the hash', async () => {
    const ms = await run(PHASE2[0][1], 'carol', 'carolpw');
    assert.ok(ms.success, tailOf(ms));
    assert.equal(ms.mppeOk, 1);
    // As PAP outside a tunnel does: the NT hash of the password given must equal the one kept.
    const pap = await run(PHASE2[2][1], 'carol', 'carolpw');
    assert.ok(pap.success, tailOf(pap));
    const wrong = await run(PHASE2[2][1], 'carol', 'not-carolpw');
    assert.ok(!wrong.success, tailOf(wrong));
  });

  test('an NT hash as 32 hex digits serves every method that takes an NT hash; an unusable one gets Reject with EAP-Failure', async () => {
    for (const [name, phase] of PHASE2.filter(([n]) => n !== 'TTLS/CHAP' && n !== 'TTLS/EAP-MD5')) {
      const r = await run(phase, 'dave', 'davepw');
      assert.ok(r.success, `${name}\n${tailOf(r)}`);
      assert.equal(r.mppeOk, 1, name);
      assert.equal(r.mppeMismatch, 0, name);
    }
    for (const [name, phase] of [PHASE2[0], PHASE2[1], PHASE2[2], PHASE2[5]]) {
      const r = await run(phase, 'eve', 'evepw');
      assert.ok(!r.success, name);
      assert.match(r.stdout, /code=3 \(Access-Reject\)/, `${name}\n${tailOf(r)}`);
      assert.match(r.stdout, /EAP: Received EAP-Failure/, name);
    }
  });
});

// EAP-MD5, EAP-MSCHAPv2 and EAP-GTC with eapol_test (wpa_supplicant) against the library example
// server (an AbstractRadiusServer that hands EAP to an EapServer).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EapExampleServer } from '../../examples/eap-server.js';
import { ntPasswordHash } from '../../src/index.js';
import { eapolTest, tailOf } from '../helpers/eapol.js';
import { skipUnless } from '../helpers/peers.js';

const SECRET = 'eap-methods-s3cret';
const USERS = new Map([
  ['alice', { password: 'alicepw' }],
  // Only an NT hash: enough for MS-CHAPv2, not for MD5 or GTC.
  ['carol', { ntHash: ntPasswordHash('carolpw') }],
  // The NT hash as text, as plain-JS lookups and serve's YAML give it.
  ['dave', { ntHash: ntPasswordHash('davepw').toString('hex').toUpperCase() }],
  // One no method can use.
  ['eve', { ntHash: 'not-an-nt-hash' }],
]);

describe('eapol_test against EapServer: EAP-MD5, EAP-MSCHAPv2, EAP-GTC', {
  skip: skipUnless('eapol_test'),
}, () => {
  let server: EapExampleServer;
  let port = 0;

  before(async () => {
    server = new EapExampleServer(
      '127.0.0.1',
      USERS,
      SECRET,
      { methods: ['mschapv2', 'md5', 'gtc'] },
      { authPort: 0 },
    );
    port = (await server.start()).authPort as number;
  });
  after(async () => {
    await server?.close();
  });

  for (const method of ['MD5', 'GTC'] as const) {
    test(`EAP-${method}: SUCCESS (no keys: -n); a wrong password gets Access-Reject with EAP-Failure`, async () => {
      // MD5 and GTC are not our first method: the peer NAKs to them first.
      const ok = await eapolTest({ eap: method, identity: 'alice', password: 'alicepw' }, port, SECRET, {
        keys: false,
      });
      assert.ok(ok.success, tailOf(ok));
      assert.match(ok.stdout, /code=2 \(Access-Accept\)/);
      const bad = await eapolTest({ eap: method, identity: 'alice', password: 'wrong' }, port, SECRET, {
        keys: false,
      });
      assert.ok(!bad.success, tailOf(bad));
      assert.match(bad.stdout, /code=3 \(Access-Reject\)/);
      assert.match(bad.stdout, /EAP: Received EAP-Failure/);
    });
  }

  test('EAP-MSCHAPv2: SUCCESS and MPPE keys OK: 1 mismatch: 0 (password and NT hash users, as bytes or hex)', async () => {
    for (const [identity, password] of [
      ['alice', 'alicepw'],
      ['carol', 'carolpw'],
      ['dave', 'davepw'],
    ]) {
      const r = await eapolTest({ eap: 'MSCHAPV2', identity, password }, port, SECRET);
      assert.ok(r.success, tailOf(r));
      assert.equal(r.mppeOk, 1, tailOf(r));
      assert.equal(r.mppeMismatch, 0);
    }
  });

  test('EAP-MSCHAPv2 with a wrong password: Access-Reject with EAP-Failure', async () => {
    const r = await eapolTest({ eap: 'MSCHAPV2', identity: 'alice', password: 'wrong' }, port, SECRET);
    assert.ok(!r.success, tailOf(r));
    assert.match(r.stdout, /code=3 \(Access-Reject\)/);
    assert.match(r.stdout, /EAP: Received EAP-Failure/);
    assert.doesNotMatch(r.stdout, /code=2 \(Access-Accept\)/);
  });

  test('an unknown user gets the same Reject as a wrong password', async () => {
    const r = await eapolTest({ eap: 'MSCHAPV2', identity: 'mallory', password: 'x' }, port, SECRET);
    assert.ok(!r.success);
    assert.match(r.stdout, /code=3 \(Access-Reject\)/);
  });

  test('credentials no method can use: Access-Reject with EAP-Failure, not silence', async () => {
    for (const method of ['MSCHAPV2', 'MD5', 'GTC']) {
      const r = await eapolTest({ eap: method, identity: 'eve', password: 'evepw' }, port, SECRET, {
        keys: method === 'MSCHAPV2',
      });
      assert.ok(!r.success, method);
      assert.match(r.stdout, /code=3 \(Access-Reject\)/, `${method}\n${tailOf(r)}`);
      assert.match(r.stdout, /EAP: Received EAP-Failure/, method);
    }
  });
});

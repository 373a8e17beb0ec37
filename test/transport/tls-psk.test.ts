// The cipher list a TLS-PSK listener gets, read by OpenSSL itself (`openssl ciphers`): the TLS 1.2
// PSK suites added, the certificate suites of Node's default list unchanged and in their order.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { DEFAULT_CIPHERS } from 'node:tls';
import { withPskSuites } from '../../src/transport/tls-psk.js';

/** The TLS 1.2 suites OpenSSL enables for a cipher string (with PSK suites, as a PSK server has). */
function tls12Suites(ciphers: string): string[] {
  const r = spawnSync('openssl', ['ciphers', '-s', '-tls1_2', '-psk', ciphers], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // TLS 1.3 suites are configured apart (ciphersuites): only the TLS 1.2 ones come from this string.
  return r.stdout
    .trim()
    .split(':')
    .filter((s) => !s.startsWith('TLS_'));
}

const ADDED = ['ECDHE-PSK-CHACHA20-POLY1305', 'PSK-AES128-GCM-SHA256', 'PSK-AES256-GCM-SHA384'];

describe('withPskSuites', () => {
  test("Node's default list: the same certificate suites in the same order, then the AEAD PSK suites", () => {
    const before = tls12Suites(DEFAULT_CIPHERS);
    assert.ok(!before.some((s) => s.includes('PSK')), 'the default list has no PSK suite');
    assert.deepEqual(tls12Suites(withPskSuites()), [...before, ...ADDED]);
  });

  test('a list that names no PSK exclusion gets the suites appended; !aPSK and !kPSK are lifted too', () => {
    assert.deepEqual(tls12Suites(withPskSuites('ECDHE-RSA-AES128-GCM-SHA256')), [
      'ECDHE-RSA-AES128-GCM-SHA256',
      ...ADDED,
    ]);
    assert.deepEqual(tls12Suites(withPskSuites('HIGH:!aNULL:!aPSK:!kPSK')), [
      ...tls12Suites('HIGH:!aNULL:!aPSK:!kPSK'),
      ...ADDED,
    ]);
  });
});

// LmPasswordHash (RFC 2433 §A.8) against FreeRADIUS's smbencrypt, which prints the LM and NT hashes of
// each password given to it; and the LM-Key of MS-CHAP-MPPE-Keys built from it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lmPasswordHash, msChapMppeKeys, ntPasswordHash } from '../../src/index.js';
import { findBinary, runCommand } from '../helpers/peers.js';

const smbencrypt = findBinary('smbencrypt');

// Short, exactly 14 bytes, longer than 14 (ignored past it), mixed case, digits and signs, non-ASCII.
const PASSWORDS = [
  'password',
  'alicepw',
  'A',
  '',
  'abcdefghijklmn',
  'abcdefghijklmnXYZ',
  'MiXeD-Case_9!',
  'Längeres-Wort',
];

describe('lmPasswordHash', () => {
  test('"password" gives the LM hash every implementation prints for it', () => {
    assert.equal(lmPasswordHash('password').toString('hex'), 'e52cac67419a9a224a3b108f3fa6cb6d');
  });

  test('equals smbencrypt (freeradius-utils) for short, long, mixed-case and non-ASCII passwords', {
    skip: smbencrypt ? false : 'smbencrypt not installed (apt-get install freeradius-utils)',
  }, async () => {
    const nonEmpty = PASSWORDS.filter((p) => p !== '');
    const r = await runCommand(smbencrypt as string, nonEmpty, { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => /^[0-9A-F]{32}\s+[0-9A-F]{32}/.test(l));
    assert.equal(lines.length, nonEmpty.length, r.stdout);
    nonEmpty.forEach((p, i) => {
      const [lm, nt] = lines[i].trim().split(/\s+/);
      assert.equal(lmPasswordHash(p).toString('hex').toUpperCase(), lm, `LM of ${JSON.stringify(p)}`);
      // The NT hash printed beside it cross-checks that smbencrypt read the same password bytes.
      assert.equal(ntPasswordHash(p).toString('hex').toUpperCase(), nt, `NT of ${JSON.stringify(p)}`);
    });
  });

  test('MS-CHAP-MPPE-Keys: the LM-Key is zero unless an LM hash is given', () => {
    const plain = msChapMppeKeys('alicepw');
    assert.deepEqual(plain.subarray(0, 8), Buffer.alloc(8));
    const withLm = msChapMppeKeys('alicepw', lmPasswordHash('alicepw'));
    assert.deepEqual(withLm.subarray(0, 8), lmPasswordHash('alicepw').subarray(0, 8));
    assert.deepEqual(withLm.subarray(8), plain.subarray(8));
  });
});

// Stored password hashes made by other tools (openssl, mkpasswd, slappasswd, FreeRADIUS's radcrypt
// and smbencrypt) verify with our code; our own hashes verify with FreeRADIUS's radcrypt (crypt(3)).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import {
  crypt,
  hashPassword,
  ntHashFromStored,
  parsePasswordHash,
  passwordHashProblem,
  verifyPasswordHash,
  verifyPasswordHashAsync,
} from '../../src/auth/password-hash.js';
import { ntPasswordHash } from '../../src/auth/nthash.js';
import { findBinary } from '../helpers/peers.js';

/** Runs a tool and returns its trimmed stdout (asserting success). */
function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

const missing = (name: string) => (findBinary(name) ? false : `${name} not installed`);

// Passwords that exercise the algorithms' length cases: empty-ish, one block, past 64 bytes, UTF-8.
const PASSWORDS = ['x', 'Hello world!', 'p'.repeat(70), 'pässwörd€'];

describe('password hashes from other tools', () => {
  test('openssl passwd -1/-5/-6 (MD5-crypt, SHA-256-crypt, SHA-512-crypt)', {
    skip: missing('openssl'),
  }, () => {
    for (const alg of ['-1', '-5', '-6']) {
      for (const pw of PASSWORDS) {
        const h = tool('openssl', ['passwd', alg, pw]);
        assert.ok(verifyPasswordHash(pw, h), `${alg} ${pw}: ${h}`);
        assert.ok(!verifyPasswordHash(`${pw}!`, h), `${alg} wrong password accepted`);
        assert.ok(!verifyPasswordHash(pw.slice(0, -1), h));
      }
    }
  });

  test('mkpasswd: SHA-512/SHA-256 with custom rounds, MD5, bcrypt, NT; our crypt() equals its output', {
    skip: missing('mkpasswd'),
  }, () => {
    for (const pw of PASSWORDS) {
      for (const [method, rounds] of [
        ['sha512crypt', '1000'],
        ['sha512crypt', '7777'],
        ['sha256crypt', '5000'],
        ['sha256crypt', '12345'],
      ]) {
        const h = tool('mkpasswd', ['-m', method, '-R', rounds, '-S', 'saltsaltsaltsalt', pw]);
        assert.equal(crypt(pw, h), h);
        assert.ok(verifyPasswordHash(pw, h));
        assert.ok(!verifyPasswordHash(`${pw}x`, h));
      }
      const md5 = tool('mkpasswd', ['-m', 'md5crypt', pw]);
      assert.ok(verifyPasswordHash(pw, md5), md5);
      const b = tool('mkpasswd', ['-m', 'bcrypt', '-R', '5', pw]);
      assert.equal(parsePasswordHash(b)?.scheme, 'bcrypt');
      assert.ok(verifyPasswordHash(pw, b), b);
      assert.ok(!verifyPasswordHash(`${pw}x`, b));
      // libxcrypt's NT hash widens each byte to 16 bits: it matches MS-CHAP's UTF-16LE for ASCII
      // only (smbencrypt, below, handles UTF-8 the way Windows does).
      if (/^[\x20-\x7e]+$/.test(pw)) {
        const nt = tool('mkpasswd', ['-m', 'nt', pw]);
        assert.ok(verifyPasswordHash(pw, nt), nt);
        assert.deepEqual(ntHashFromStored(nt), ntPasswordHash(pw));
      }
    }
  });

  test('mkpasswd -m bcrypt-a ($2a$) and async bcrypt', { skip: missing('mkpasswd') }, async () => {
    const h = tool('mkpasswd', ['-m', 'bcrypt-a', '-R', '5', 'pw1']);
    assert.match(h, /^\$2a\$/);
    assert.equal(await verifyPasswordHashAsync('pw1', h), true);
    assert.equal(await verifyPasswordHashAsync('pw2', h), false);
    // PHP's $2y$ is the same algorithm.
    assert.equal(await verifyPasswordHashAsync('pw1', `$2y$${h.slice(4)}`), true);
  });

  test('slappasswd: {SSHA}, {SHA}, {SMD5}, {MD5}, {CRYPT}', { skip: missing('slappasswd') }, () => {
    for (const pw of PASSWORDS) {
      for (const scheme of ['{SSHA}', '{SHA}', '{SMD5}', '{MD5}']) {
        const h = tool('slappasswd', ['-h', scheme, '-s', pw]);
        assert.ok(h.startsWith(scheme), h);
        assert.ok(verifyPasswordHash(pw, h), `${scheme} ${pw}: ${h}`);
        assert.ok(!verifyPasswordHash(`${pw}x`, h));
      }
      const c = tool('slappasswd', ['-h', '{CRYPT}', '-c', '$6$%.16s', '-s', pw]);
      assert.match(c, /^\{CRYPT\}\$6\$/);
      assert.ok(verifyPasswordHash(pw, c), c);
      assert.ok(!verifyPasswordHash(`${pw}x`, c));
    }
  });

  test('FreeRADIUS radcrypt --md5 and smbencrypt', {
    skip: missing('radcrypt') || missing('smbencrypt'),
  }, () => {
    const h = tool('radcrypt', ['--md5', 'radpw']);
    assert.ok(verifyPasswordHash('radpw', h), h);
    assert.ok(!verifyPasswordHash('radpx', h));
    // smbencrypt prints "LM hash<TAB>NT hash" under a header line.
    for (const pw of PASSWORDS) {
      const nt = /^[0-9A-F]{32}\s+([0-9A-F]{32})/m.exec(tool('smbencrypt', [pw]))?.[1] as string;
      assert.ok(nt, 'no NT hash in the output of smbencrypt');
      assert.ok(verifyPasswordHash(pw, `{NT}${nt}`), pw);
      assert.ok(verifyPasswordHash(pw, `{nthash}0x${nt.toLowerCase()}`));
      assert.ok(!verifyPasswordHash(`${pw}x`, `{NT}${nt}`));
    }
  });

  test("DES crypt: radcrypt's default, mkpasswd descrypt/bsdicrypt, slappasswd {CRYPT} (bigcrypt); wrong passwords refused", {
    skip: missing('radcrypt') || missing('mkpasswd') || missing('slappasswd'),
  }, async () => {
    for (const pw of ['rcpw', 'Hello world!', 'pässwörd€', 'x'.repeat(128)]) {
      const made: Array<[string, string]> = [
        [tool('radcrypt', [pw]), 'crypt-des'],
        [tool('mkpasswd', ['-m', 'descrypt', pw]), 'crypt-des'],
        [tool('mkpasswd', ['-m', 'bsdicrypt', pw]), 'crypt-bsdi'],
        // slappasswd's {CRYPT} is bigcrypt past 8 characters (libxcrypt reads its long salt so).
        [
          tool('slappasswd', ['-h', '{CRYPT}', '-s', pw]),
          Buffer.byteLength(pw) > 8 ? 'crypt-bigcrypt' : 'crypt-des',
        ],
      ];
      for (const [h, scheme] of made) {
        assert.equal(parsePasswordHash(h)?.scheme, scheme, h);
        assert.equal(passwordHashProblem(h), undefined, h);
        assert.ok(verifyPasswordHash(pw, h), `${pw}: ${h}`);
        assert.ok(await verifyPasswordHashAsync(pw, h), `${pw}: ${h} (async)`);
        // Wrong within the first 8 characters: traditional DES reads no further.
        assert.ok(!verifyPasswordHash(`Q${pw.slice(1)}`, h), `${h} accepted a wrong password`);
        const wrong = `${pw.slice(0, 4)}Q${pw.slice(5)}`;
        assert.ok(!(await verifyPasswordHashAsync(wrong, h)), `${h} accepted a wrong password`);
        assert.equal(ntHashFromStored(h), undefined);
      }
      const bare = tool('radcrypt', [pw]);
      assert.ok(verifyPasswordHash(pw, `{crypt}${bare}`));
    }
  });

  test('our hashes verify with crypt(3) through radcrypt --check', { skip: missing('radcrypt') }, () => {
    for (const pw of PASSWORDS) {
      for (const scheme of ['crypt-sha512', 'crypt-sha256', 'bcrypt'] as const) {
        const h = hashPassword(pw, scheme, { cost: 5 });
        assert.ok(verifyPasswordHash(pw, h));
        const ok = spawnSync('radcrypt', ['--check', pw, h], { encoding: 'utf8' });
        assert.equal(ok.status, 0, `${scheme}: ${ok.stdout}`);
        const bad = spawnSync('radcrypt', ['--check', `${pw}x`, h], { encoding: 'utf8' });
        assert.equal(bad.status, 1, `${scheme} accepted a wrong password`);
      }
      const rounds = hashPassword(pw, 'crypt-sha512', { rounds: 1500 });
      assert.match(rounds, /^\$6\$rounds=1500\$/);
      assert.equal(spawnSync('radcrypt', ['--check', pw, rounds]).status, 0);
    }
  });
});

describe('password hash forms', () => {
  test('salted digests in base64 and hex, with fresh salts; cleartext forms', () => {
    for (const scheme of ['ssha1', 'ssha256', 'ssha512'] as const) {
      const a = hashPassword('pw', scheme);
      const b = hashPassword('pw', scheme);
      assert.notEqual(a, b, 'salts must differ');
      assert.ok(verifyPasswordHash('pw', a));
      assert.ok(!verifyPasswordHash('pX', a));
      // The same digest+salt written in hex, as FreeRADIUS also accepts.
      const prefix = a.slice(0, a.indexOf('}') + 1);
      const hex = Buffer.from(a.slice(prefix.length), 'base64').toString('hex');
      assert.ok(verifyPasswordHash('pw', `${prefix}${hex}`));
    }
    assert.ok(verifyPasswordHash('clear pw', '{cleartext}clear pw'));
    assert.ok(!verifyPasswordHash('clear px', '{CLEARTEXT}clear pw'));
    assert.deepEqual(ntHashFromStored('{Cleartext}abc'), ntPasswordHash('abc'));
    assert.equal(ntHashFromStored(hashPassword('abc')), undefined);
  });

  test('unrecognised and truncated hashes never match and are explained', () => {
    const good = hashPassword('pw');
    const des = 'abzp3RXJm5gNA';
    for (const bad of [
      good.slice(0, -1),
      '{SSHA}AAAA',
      '{SHA}x',
      '$y$j9T$abc$def',
      'plain',
      '{NT}1234',
      des.slice(0, -1),
      `${des}A`,
      'ab!p3RXJm5gNA',
      '_J9..abcd5WNy9VUCfA',
    ]) {
      assert.equal(verifyPasswordHash('pw', bad), false, bad);
      assert.ok(passwordHashProblem(bad), bad);
    }
    assert.match(passwordHashProblem('$y$j9T$abc$def') as string, /yescrypt/);
    assert.equal(passwordHashProblem(good), undefined);
  });
});

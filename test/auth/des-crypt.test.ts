// DES-based crypt(3), traditional (2 salt characters, as FreeRADIUS's radcrypt makes by default),
// bigcrypt (slappasswd -h {CRYPT} on longer passwords) and BSDi extended (`_`): values made at test
// time by the system's crypt(3) (through perl, radcrypt, mkpasswd, slappasswd, python3) must come
// out of desCrypt character for character.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { desCrypt } from '../../src/auth/des-crypt.js';
import { InvalidValueError } from '../../src/errors.js';
import { findBinary } from '../helpers/peers.js';

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

const missing = (name: string) => (findBinary(name) ? false : `${name} not installed`);

/** crypt(3) of this machine's C library, through perl (passwords and settings as UTF-8 bytes). */
function systemCrypt(password: string, setting: string): string {
  return tool('perl', ['-e', 'binmode STDOUT; print crypt($ARGV[0], $ARGV[1])', password, setting]);
}

function pythonCrypt(): boolean {
  const r = spawnSync('python3', ['-W', 'ignore', '-c', 'import crypt'], { timeout: 20_000 });
  return r.status === 0;
}

// The lengths that matter: empty, one character, exactly 8, past 8 (traditional ignores the rest,
// extended folds it in), past 16, non-ASCII UTF-8 (bytes with the high bit set lose it).
const PASSWORDS = ['', 'x', '12345678', 'Hello world!', 'p'.repeat(20), 'pässwörd€', 'tab\there'];
const SALTS = ['ab', '..', 'zz', './', 'Z9', '9Z'];
// Counts 725 (mkpasswd's), 1, 0 (run as 1), 3, 4095, 128: each a DES encryption in plain JavaScript.
const EXTENDED = ['_J9..abcd', '_/...././', '_....abcd', '_1...7Qx.', '_zz..SALT', '_.0..xyzw'];

describe('desCrypt against the system crypt(3)', { skip: missing('perl') }, () => {
  test('traditional: every password with every salt, character for character', () => {
    for (const pw of PASSWORDS) {
      for (const salt of SALTS) {
        const want = systemCrypt(pw, salt);
        assert.match(want, /^[./0-9A-Za-z]{13}$/, `crypt(3) here makes no DES crypt: ${want}`);
        assert.equal(desCrypt(pw, salt), want, `${JSON.stringify(pw)} ${salt}`);
        // A whole hash as the setting gives the same string.
        assert.equal(desCrypt(pw, want), want);
      }
    }
  });

  test('extended (BSDi): counts, salts and long passwords', () => {
    for (const pw of PASSWORDS) {
      for (const setting of EXTENDED) {
        const want = systemCrypt(pw, setting);
        assert.match(want, /^_[./0-9A-Za-z]{19}$/, `crypt(3) here makes no extended DES crypt: ${want}`);
        assert.equal(desCrypt(pw, setting), want, `${JSON.stringify(pw)} ${setting}`);
      }
    }
  });

  test('bigcrypt (a setting of 14 or more characters): 11 more characters per 8 of password, up to 128', () => {
    const setting = 'Qx0123456789ab';
    for (const pw of [...PASSWORDS, 'p'.repeat(64), 'q'.repeat(65), 'r'.repeat(128), 's'.repeat(200)]) {
      const want = systemCrypt(pw, setting);
      assert.equal(desCrypt(pw, setting), want, `${pw.length} characters`);
      // The whole hash as the setting (as a check does) gives it again.
      if (want.length > 13) assert.equal(desCrypt(pw, want), want);
    }
  });

  test('traditional reads 8 characters; extended reads them all', () => {
    assert.equal(desCrypt('12345678', 'ab'), desCrypt('12345678and more', 'ab'));
    assert.notEqual(desCrypt('12345678', '_J9..abcd'), desCrypt('12345678and more', '_J9..abcd'));
  });

  test('a setting that is neither is refused', () => {
    for (const bad of ['a', '$1$ab', 'a!', '_J9..abc', '_J9.']) {
      assert.throws(() => desCrypt('pw', bad), InvalidValueError, bad);
    }
  });
});

describe('desCrypt against hashes from FreeRADIUS and Debian tools', () => {
  test('radcrypt (its default and --des)', { skip: missing('radcrypt') }, () => {
    for (const pw of ['rcpw', 'Hello world!', 'pässwörd€']) {
      for (const args of [[pw], ['--des', pw]]) {
        const h = tool('radcrypt', args);
        assert.match(h, /^[./0-9A-Za-z]{13}$/);
        assert.equal(desCrypt(pw, h), h, `radcrypt ${args.join(' ')}`);
      }
    }
  });

  test('mkpasswd -m descrypt and -m bsdicrypt', { skip: missing('mkpasswd') }, () => {
    for (const pw of PASSWORDS.filter((p) => p !== '')) {
      const d = tool('mkpasswd', ['-m', 'descrypt', '-S', 'Qx', pw]);
      assert.equal(desCrypt(pw, d), d, `descrypt ${pw}`);
      const b = tool('mkpasswd', ['-m', 'bsdicrypt', pw]);
      assert.equal(desCrypt(pw, b), b, `bsdicrypt ${pw}`);
    }
  });

  test('slappasswd -h {CRYPT}: DES up to 8 characters, bigcrypt past them', {
    skip: missing('slappasswd'),
  }, () => {
    for (const pw of PASSWORDS.filter((p) => p !== '')) {
      const h = tool('slappasswd', ['-h', '{CRYPT}', '-s', pw]).slice('{CRYPT}'.length);
      assert.equal(h.length, 2 + 11 * Math.max(1, Math.ceil(Buffer.byteLength(pw) / 8)), h);
      assert.equal(desCrypt(pw, h), h, pw);
    }
  });

  test('python3 crypt (where the module still exists)', {
    skip: findBinary('python3') && pythonCrypt() ? false : 'python3 crypt module not available',
  }, () => {
    for (const pw of PASSWORDS) {
      for (const setting of ['Pw', '_J9..Py3x']) {
        const h = tool('python3', [
          '-W',
          'ignore',
          '-c',
          'import crypt, sys; print(crypt.crypt(sys.argv[1], sys.argv[2]))',
          pw,
          setting,
        ]);
        assert.equal(desCrypt(pw, h), h, `${JSON.stringify(pw)} ${setting}`);
      }
    }
  });
});

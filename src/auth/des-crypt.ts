// DES-based crypt(3), as FreeRADIUS's pap module accepts it in Crypt-Password: the traditional form
// of Seventh Edition Unix that `radcrypt` and `mkpasswd -m descrypt` make (2 salt characters, then
// 25 DES encryptions of a zero block keyed by the password's first 8 characters), bigcrypt (the
// same for each further 8 characters, as slappasswd -h {CRYPT} makes for longer passwords), and
// BSDi's extended form (`_`, a round count and a 24-bit salt, every character of the password).
import { InvalidValueError } from '../errors.js';
import { desCryptBlock } from './des.js';

const ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Traditional: 2 salt characters and 11 of hash. */
export const DES_CRYPT = /^[./0-9A-Za-z]{13}$/;
/** bigcrypt: 2 salt characters and 11 of hash for each 8 characters of the password, 2 to 16 times. */
export const BIG_CRYPT = /^[./0-9A-Za-z]{2}(?:[./0-9A-Za-z]{11}){2,16}$/;
/** Extended: `_`, 4 characters of count, 4 of salt, 11 of hash. */
export const BSDI_CRYPT = /^_[./0-9A-Za-z]{19}$/;

/** Characters of the crypt alphabet as one number, 6 bits each, the first the least significant. */
function decode64(text: string): number {
  let n = 0;
  for (let i = text.length - 1; i >= 0; i--) n = n * 64 + ALPHABET.indexOf(text[i]);
  return n;
}

/** The 64 bits of a block as 11 characters, 6 bits at a time from the first (2 zero bits pad the last). */
function encodeBlock(block: Buffer): string {
  const bits = (block.readBigUInt64BE(0) << 2n) as bigint;
  let out = '';
  for (let shift = 60n; shift >= 0n; shift -= 6n) out += ALPHABET[Number((bits >> shift) & 63n)];
  return out;
}

/** Each character's 7 bits in a DES key byte's bits 1-7 (bit 8, parity, is ignored by DES). */
function keyByte(c: number): number {
  return (c << 1) & 0xff;
}

/** 8 characters from `at` as a DES key (a shorter rest padded with zeros). */
function blockKey(bytes: Buffer, at: number): Buffer {
  const key = Buffer.alloc(8);
  for (let i = 0; i < 8 && at + i < bytes.length; i++) key[i] = keyByte(bytes[at + i]);
  return key;
}

/** Seventh Edition crypt of one 8-character block: 25 encryptions of zero, salted by 2 characters. */
function traditional(key: Buffer, salt: string): string {
  return encodeBlock(desCryptBlock(Buffer.alloc(8), key, decode64(salt), 25));
}

/**
 * crypt(3) of `password` with a DES-based `setting`: 2 salt characters (traditional), 14 or more
 * characters of the same alphabet (bigcrypt, as Linux's crypt(3) reads such a setting), or
 * `_CCCCSSSS` (extended: count and salt); a whole hash is a setting too. The password is read as
 * UTF-8 bytes up to the first NUL, as C's crypt reads it.
 */
export function desCrypt(password: string, setting: string): string {
  let bytes = Buffer.from(password, 'utf8');
  const nul = bytes.indexOf(0);
  if (nul >= 0) bytes = bytes.subarray(0, nul);
  const key = blockKey(bytes, 0);
  const zero = Buffer.alloc(8);
  if (setting.startsWith('_')) {
    const m = /^_([./0-9A-Za-z]{4})([./0-9A-Za-z]{4})/.exec(setting);
    if (!m) throw new InvalidValueError('setting', 'expected _ then 4 count and 4 salt characters');
    // Linux's crypt(3) (libxcrypt, which radcrypt and FreeRADIUS call) runs a count of 0 as 1.
    const count = Math.max(1, decode64(m[1]));
    // Past the first 8 characters, the key is encrypted under itself and the next 8 folded in.
    for (let at = 8; at < bytes.length; at += 8) {
      desCryptBlock(key, key, 0, 1).copy(key);
      for (let i = 0; i < 8 && at + i < bytes.length; i++) key[i] ^= keyByte(bytes[at + i]);
    }
    return `_${m[1]}${m[2]}${encodeBlock(desCryptBlock(zero, key, decode64(m[2]), count))}`;
  }
  const m = /^[./0-9A-Za-z]{2}/.exec(setting);
  if (!m) throw new InvalidValueError('setting', 'expected 2 salt characters from ./0-9A-Za-z');
  let out = m[0] + traditional(key, m[0]);
  if (!/^[./0-9A-Za-z]{14}/.test(setting)) return out;
  // bigcrypt: each further block of 8 is salted by the previous block's first 2 hash characters;
  // Linux's crypt(3) reads 128 characters (16 blocks).
  for (let block = 1; block < 16 && block * 8 < bytes.length; block++) {
    out += traditional(blockKey(bytes, block * 8), out.slice(out.length - 11, out.length - 9));
  }
  return out;
}

// Stored password hashes as FreeRADIUS's pap module reads them from a users file: crypt(3) DES
// (traditional and extended), MD5 and SHA-2 (Drepper's SHA-crypt), bcrypt, {SSHA}-style salted
// digests (hex or base64), NT hashes, and cleartext. Hashes are verified in constant time; salts
// come from node:crypto.
import { hash as digest, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { InvalidValueError } from '../errors.js';
import { BIG_CRYPT, BSDI_CRYPT, DES_CRYPT, desCrypt } from './des-crypt.js';
import { ntPasswordHash } from './nthash.js';

/** The stored forms `verifyPasswordHash` understands. */
export type PasswordHashScheme =
  | 'cleartext'
  | 'crypt-des'
  | 'crypt-bigcrypt'
  | 'crypt-bsdi'
  | 'crypt-md5'
  | 'crypt-sha256'
  | 'crypt-sha512'
  | 'bcrypt'
  | 'md5'
  | 'smd5'
  | 'sha1'
  | 'ssha1'
  | 'sha224'
  | 'ssha224'
  | 'sha256'
  | 'ssha256'
  | 'sha384'
  | 'ssha384'
  | 'sha512'
  | 'ssha512'
  | 'nt';

/** The schemes `hashPassword` makes (the salted ones, and NT for MS-CHAP). */
export type NewPasswordHashScheme =
  | 'crypt-sha512'
  | 'crypt-sha256'
  | 'bcrypt'
  | 'ssha512'
  | 'ssha256'
  | 'ssha1';

/** A stored hash taken apart: its scheme and, for the digest schemes, the digest and salt. */
export interface ParsedPasswordHash {
  scheme: PasswordHashScheme;
  /** The text after the `{...}` prefix (crypt and bcrypt: the whole string). */
  value: string;
  /** Digest schemes (and nt): the raw digest. */
  digest?: Buffer;
  /** Salted digest schemes: the salt that follows the digest. */
  salt?: Buffer;
}

interface DigestScheme {
  algorithm: string;
  length: number;
  salted: boolean;
}

// {PREFIX} -> digest (RFC 2307 style as slappasswd writes it, and FreeRADIUS's header names).
const DIGESTS: Record<string, { scheme: PasswordHashScheme } & DigestScheme> = {
  md5: { scheme: 'md5', algorithm: 'md5', length: 16, salted: false },
  smd5: { scheme: 'smd5', algorithm: 'md5', length: 16, salted: true },
  sha: { scheme: 'sha1', algorithm: 'sha1', length: 20, salted: false },
  sha1: { scheme: 'sha1', algorithm: 'sha1', length: 20, salted: false },
  ssha: { scheme: 'ssha1', algorithm: 'sha1', length: 20, salted: true },
  ssha1: { scheme: 'ssha1', algorithm: 'sha1', length: 20, salted: true },
  sha224: { scheme: 'sha224', algorithm: 'sha224', length: 28, salted: false },
  ssha224: { scheme: 'ssha224', algorithm: 'sha224', length: 28, salted: true },
  sha256: { scheme: 'sha256', algorithm: 'sha256', length: 32, salted: false },
  ssha256: { scheme: 'ssha256', algorithm: 'sha256', length: 32, salted: true },
  sha384: { scheme: 'sha384', algorithm: 'sha384', length: 48, salted: false },
  ssha384: { scheme: 'ssha384', algorithm: 'sha384', length: 48, salted: true },
  sha512: { scheme: 'sha512', algorithm: 'sha512', length: 64, salted: false },
  ssha512: { scheme: 'ssha512', algorithm: 'sha512', length: 64, salted: true },
};

type Bcrypt = typeof import('bcryptjs');
let bcryptModule: Bcrypt | undefined;
/** bcryptjs, loaded on first use: the library's entry point stays free of runtime dependencies. */
function bcrypt(): Bcrypt {
  bcryptModule ??= createRequire(import.meta.url)('bcryptjs') as Bcrypt;
  return bcryptModule;
}

const HEX = /^[0-9a-f]+$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Decodes a digest(+salt) written in hex or base64, hex first as FreeRADIUS does: a value that is
 * all hex digits, of even length and at least the digest long, is hex.
 */
function decodeDigest(text: string, length: number): Buffer | undefined {
  if (text.length % 2 === 0 && text.length >= 2 * length && HEX.test(text)) return Buffer.from(text, 'hex');
  if (!BASE64.test(text) || text.length % 4 !== 0) return undefined;
  const raw = Buffer.from(text, 'base64');
  return raw.length >= length ? raw : undefined;
}

/**
 * Identifies a stored password: `{SSHA}...`, `{SHA256}...`, `{NT}...`, `{CRYPT}$6$...`,
 * `{CLEARTEXT}...`, a bare crypt string (`$1$`, `$5$`, `$6$`, `$3$$` NT, 13 characters of
 * traditional DES, 2+11n of bigcrypt, `_` and 19 of extended DES) or bcrypt (`$2a$`, `$2b$`,
 * `$2y$`).
 * Returns undefined for text that is none of these (it may be a cleartext password).
 */
export function parsePasswordHash(stored: string): ParsedPasswordHash | undefined {
  const m = /^\{([A-Za-z0-9-]+)\}(.*)$/s.exec(stored);
  if (m) {
    const prefix = m[1].toLowerCase();
    const value = m[2];
    if (prefix === 'clear' || prefix === 'cleartext') return { scheme: 'cleartext', value };
    if (prefix === 'crypt') return parseCrypt(value);
    if (prefix === 'nt' || prefix === 'nthash' || prefix === 'x-nthash') {
      const h = value.startsWith('0x') ? value.slice(2) : value;
      return h.length === 32 && HEX.test(h)
        ? { scheme: 'nt', value, digest: Buffer.from(h, 'hex') }
        : undefined;
    }
    const d = Object.hasOwn(DIGESTS, prefix) ? DIGESTS[prefix] : undefined;
    if (!d) return undefined;
    const raw = decodeDigest(value, d.length);
    if (!raw) return undefined;
    if (!d.salted && raw.length !== d.length) return undefined;
    if (d.salted && raw.length === d.length) return undefined;
    return { scheme: d.scheme, value, digest: raw.subarray(0, d.length), salt: raw.subarray(d.length) };
  }
  return parseCrypt(stored);
}

function parseCrypt(value: string): ParsedPasswordHash | undefined {
  // FreeBSD's crypt names the NT hash $3$ (mkpasswd -m nt writes it).
  const nt = /^\$3\$\$([0-9a-f]{32})$/i.exec(value);
  if (nt) return { scheme: 'nt', value, digest: Buffer.from(nt[1], 'hex') };
  if (/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(value)) return { scheme: 'bcrypt', value };
  // radcrypt's default, and what crypt(3) made before $id$ strings existed.
  if (DES_CRYPT.test(value)) return { scheme: 'crypt-des', value };
  if (BIG_CRYPT.test(value)) return { scheme: 'crypt-bigcrypt', value };
  if (BSDI_CRYPT.test(value)) return { scheme: 'crypt-bsdi', value };
  const c = /^\$([156])\$(rounds=\d+\$)?([^$]{0,16})\$([./0-9A-Za-z]+)$/.exec(value);
  if (!c) return undefined;
  const scheme = c[1] === '1' ? 'crypt-md5' : c[1] === '5' ? 'crypt-sha256' : 'crypt-sha512';
  const length = scheme === 'crypt-md5' ? 22 : scheme === 'crypt-sha256' ? 43 : 86;
  if (c[4].length !== length || (scheme === 'crypt-md5' && c[2])) return undefined;
  return { scheme, value };
}

/** Why `stored` is not a usable password hash (for config errors), or undefined when it is. */
export function passwordHashProblem(stored: string): string | undefined {
  if (parsePasswordHash(stored)) return undefined;
  if (/^\$(y|7|gy|argon2)/.test(stored)) {
    return 'yescrypt/scrypt/argon2 crypt strings are not supported: use SHA-512 crypt ($6$, e.g. mkpasswd -m sha-512) or bcrypt';
  }
  return 'not a recognised hash: expected $6$/$5$/$1$ crypt, DES crypt (13 characters; bigcrypt, _ extended), $2b$ bcrypt, {SSHA}/{SSHA256}/{SSHA512}, {SHA}, {SMD5}, {MD5}, {NT} or {CLEARTEXT}';
}

/** Constant-time equality of two strings' UTF-8 bytes (length differences return false). */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks `password` against a stored hash (any of `parsePasswordHash`'s forms) in constant time.
 * bcrypt is checked synchronously here (it blocks for its cost); servers use
 * `verifyPasswordHashAsync`. An unrecognised `stored` never matches.
 */
export function verifyPasswordHash(password: string, stored: string): boolean {
  const p = parsePasswordHash(stored);
  if (!p) return false;
  if (p.scheme === 'bcrypt') return bcrypt().compareSync(password, bcryptForm(p.value));
  return verifyParsed(password, p);
}

/** `verifyPasswordHash`, with bcrypt computed in slices so that the event loop keeps running. */
export async function verifyPasswordHashAsync(password: string, stored: string): Promise<boolean> {
  const p = parsePasswordHash(stored);
  if (!p) return false;
  if (p.scheme === 'bcrypt') return bcrypt().compare(password, bcryptForm(p.value));
  return verifyParsed(password, p);
}

// bcryptjs reads $2a$ and $2b$; $2y$ (PHP's name for the fixed $2a$) is the same algorithm.
function bcryptForm(value: string): string {
  return value.startsWith('$2y$') ? `$2b$${value.slice(4)}` : value;
}

function verifyParsed(password: string, p: ParsedPasswordHash): boolean {
  switch (p.scheme) {
    case 'cleartext':
      return sameText(password, p.value);
    case 'crypt-des':
    case 'crypt-bigcrypt':
    case 'crypt-bsdi':
    case 'crypt-md5':
    case 'crypt-sha256':
    case 'crypt-sha512':
      return sameText(crypt(password, p.value), p.value);
    case 'nt': {
      const got = ntPasswordHash(password);
      return timingSafeEqual(got, p.digest as Buffer);
    }
    case 'bcrypt':
      return false;
    default: {
      const d = Object.values(DIGESTS).find((x) => x.scheme === p.scheme) as DigestScheme;
      const want = p.digest as Buffer;
      const got = digest(
        d.algorithm,
        Buffer.concat([Buffer.from(password, 'utf8'), p.salt ?? Buffer.alloc(0)]),
        'buffer',
      );
      return got.length === want.length && timingSafeEqual(got, want);
    }
  }
}

/** The NT hash a stored password yields for MS-CHAP: from `{NT}` and `{CLEARTEXT}` only. */
export function ntHashFromStored(stored: string): Buffer | undefined {
  const p = parsePasswordHash(stored);
  if (p?.scheme === 'nt') return p.digest;
  if (p?.scheme === 'cleartext') return ntPasswordHash(p.value);
  return undefined;
}

/** Options of `hashPassword`. */
export interface HashPasswordOptions {
  /** SHA-crypt rounds (default 5000, the algorithm's default, then left out of the string). */
  rounds?: number;
  /** bcrypt cost (default 10). */
  cost?: number;
}

/** A new salted hash of `password` (default SHA-512 crypt, `$6$`), with a salt from node:crypto. */
export function hashPassword(
  password: string,
  scheme: NewPasswordHashScheme = 'crypt-sha512',
  options: HashPasswordOptions = {},
): string {
  switch (scheme) {
    case 'crypt-sha256':
    case 'crypt-sha512': {
      const rounds = options.rounds;
      const head = `$${scheme === 'crypt-sha256' ? 5 : 6}$${rounds === undefined ? '' : `rounds=${rounds}$`}`;
      return crypt(password, head + cryptSalt(16));
    }
    case 'bcrypt':
      return bcrypt().hashSync(password, bcrypt().genSaltSync(options.cost ?? 10));
    case 'ssha1':
    case 'ssha256':
    case 'ssha512': {
      const algorithm = scheme === 'ssha1' ? 'sha1' : scheme === 'ssha256' ? 'sha256' : 'sha512';
      const salt = randomBytes(8);
      const d = digest(algorithm, Buffer.concat([Buffer.from(password, 'utf8'), salt]), 'buffer');
      const prefix = scheme === 'ssha1' ? 'SSHA' : scheme.toUpperCase();
      return `{${prefix}}${Buffer.concat([d, salt]).toString('base64')}`;
    }
    default:
      throw new InvalidValueError('scheme', `cannot make ${String(scheme)} hashes`);
  }
}

/** `n` random characters of the crypt alphabet. */
function cryptSalt(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += CRYPT_ALPHABET[bytes[i] & 63];
  return s;
}

/**
 * crypt(3) for `$1$` (MD5-crypt), `$5$` and `$6$` (SHA-crypt), and DES (2 salt characters, or
 * `_` with count and salt): the full string for `password` with the method, rounds and salt of
 * `setting` (a full hash or just its `$id$[rounds=N$]salt`, `ab` or `_CCCCSSSS`).
 */
export function crypt(password: string, setting: string): string {
  if (/^[./0-9A-Za-z_]/.test(setting)) return desCrypt(password, setting);
  const m = /^\$([156])\$(?:rounds=(\d+)\$)?([^$]*)/.exec(setting);
  if (!m) throw new InvalidValueError('setting', 'expected $1$, $5$, $6$, 2 DES salt characters or _');
  const key = Buffer.from(password, 'utf8');
  if (m[1] === '1') return md5Crypt(key, m[3].slice(0, 8));
  return shaCrypt(key, m[3].slice(0, 16), m[2], m[1] === '5' ? 'sha256' : 'sha512');
}

/** Each group of three digest bytes, in the order the algorithm writes them, as 4 characters. */
function encode24(bytes: Buffer, order: readonly number[], tail: readonly number[]): string {
  let out = '';
  const put = (w: number, n: number) => {
    for (let i = 0; i < n; i++) {
      out += CRYPT_ALPHABET[w & 63];
      w >>>= 6;
    }
  };
  for (let i = 0; i < order.length; i += 3) {
    put((bytes[order[i]] << 16) | (bytes[order[i + 1]] << 8) | bytes[order[i + 2]], 4);
  }
  if (tail.length === 1) put(bytes[tail[0]], 2);
  else if (tail.length === 2) put((bytes[tail[0]] << 8) | bytes[tail[1]], 3);
  return out;
}

/** Byte `i`'s group partners in SHA-crypt's output: the triples and the final bytes. */
function shaOrder(length: number): { order: number[]; tail: number[] } {
  // The published specification: byte i, i+n/3-ish, i+2n/3-ish rotating (n = 32 or 64).
  if (length === 32) {
    return {
      order: [
        0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14, 15, 25, 5, 6, 16, 26, 27, 7, 17, 18, 28, 8, 9,
        19, 29,
      ],
      tail: [31, 30],
    };
  }
  const order: number[] = [];
  for (let i = 0; i < 21; i++) {
    const a = [i, i + 21, i + 42];
    // The triple rotates by one position each step: (0,21,42), (22,43,1), (44,2,23), ...
    const r = i % 3;
    order.push(a[r], a[(r + 1) % 3], a[(r + 2) % 3]);
  }
  return { order, tail: [63] };
}

/** Repeats `block` to exactly `n` bytes. */
function stretch(block: Buffer, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += block.length) block.copy(out, i, 0, Math.min(block.length, n - i));
  return out;
}

const ROUNDS_DEFAULT = 5000;

function shaCrypt(
  key: Buffer,
  saltText: string,
  roundsText: string | undefined,
  algorithm: 'sha256' | 'sha512',
): string {
  const salt = Buffer.from(saltText, 'utf8');
  const rounds =
    roundsText === undefined ? ROUNDS_DEFAULT : Math.min(999_999_999, Math.max(1000, Number(roundsText)));
  const size = algorithm === 'sha256' ? 32 : 64;
  const h = (b: Buffer) => digest(algorithm, b, 'buffer');
  const b = h(Buffer.concat([key, salt, key]));
  const aParts: Buffer[] = [key, salt, stretch(b, key.length)];
  for (let n = key.length; n > 0; n >>>= 1) aParts.push(n & 1 ? b : key);
  let c = h(Buffer.concat(aParts));
  const dp = h(Buffer.concat(Array(key.length).fill(key) as Buffer[]));
  const p = stretch(dp, key.length);
  const ds = h(Buffer.concat(Array(16 + c[0]).fill(salt) as Buffer[]));
  const s = stretch(ds, salt.length);
  for (let i = 0; i < rounds; i++) {
    const parts: Buffer[] = [i & 1 ? p : c];
    if (i % 3 !== 0) parts.push(s);
    if (i % 7 !== 0) parts.push(p);
    parts.push(i & 1 ? c : p);
    c = h(Buffer.concat(parts));
  }
  const { order, tail } = shaOrder(size);
  const head = `$${algorithm === 'sha256' ? 5 : 6}$${roundsText === undefined ? '' : `rounds=${rounds}$`}`;
  return `${head}${saltText}$${encode24(c, order, tail)}`;
}

function md5Crypt(key: Buffer, saltText: string): string {
  const salt = Buffer.from(saltText, 'utf8');
  const h = (b: Buffer) => digest('md5', b, 'buffer');
  let final = h(Buffer.concat([key, salt, key]));
  const parts: Buffer[] = [key, Buffer.from('$1$'), salt];
  for (let n = key.length; n > 0; n -= 16) parts.push(final.subarray(0, Math.min(16, n)));
  for (let n = key.length; n > 0; n >>>= 1) parts.push(n & 1 ? Buffer.alloc(1) : key.subarray(0, 1));
  final = h(Buffer.concat(parts));
  for (let i = 0; i < 1000; i++) {
    const r: Buffer[] = [i & 1 ? key : final];
    if (i % 3 !== 0) r.push(salt);
    if (i % 7 !== 0) r.push(key);
    r.push(i & 1 ? final : key);
    final = h(Buffer.concat(r));
  }
  const order = [0, 6, 12, 1, 7, 13, 2, 8, 14, 3, 9, 15, 4, 10, 5];
  return `$1$${saltText}$${encode24(final, order, [11])}`;
}

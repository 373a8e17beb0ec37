import { InvalidValueError, MalformedPacketError } from '../errors.js';
import { md5 } from './hash.js';
import { HashScratch, Md5, md5Scratch } from './md5.js';
import { randomBytesPooled } from './random.js';

// User-Password hiding runs once per Access-Request: secret and chaining value are laid out in
// aligned scratch and hashed from there into `block`, no Buffer per block.
const scratch = new HashScratch(512);
const hasher = new Md5();
const block = new Uint8Array(16);

/** Writes MD5(secret + chain[start, end)) into `block` (b(i) of RFC 2865 §5.2). */
function chainHash(secret: Uint8Array, chain: Uint8Array, start: number, end: number): void {
  const n = secret.length + end - start;
  if (n > scratch.capacity) {
    hasher.reset().update(secret).update(chain, start, end).digestInto(block, 0);
    return;
  }
  const b = scratch.bytes;
  for (let i = 0; i < secret.length; i++) b[i] = secret[i];
  for (let i = start; i < end; i++) b[secret.length + i - start] = chain[i];
  md5Scratch(scratch, n, block, 0);
}

/** Longest User-Password plaintext (RFC 2865 §5.2). */
export const MAX_PASSWORD_LENGTH = 128;

/**
 * Hides a User-Password (RFC 2865 §5.2): pad to a multiple of 16 with NULs, then
 * c(i) = p(i) xor MD5(secret + c(i-1)), with c(0) = the Request Authenticator.
 */
export function encryptUserPassword(
  plain: Uint8Array,
  secret: Uint8Array,
  authenticator: Uint8Array,
): Buffer {
  if (plain.length > MAX_PASSWORD_LENGTH)
    throw new InvalidValueError('User-Password', `longer than ${MAX_PASSWORD_LENGTH} bytes`);
  const out = Buffer.allocUnsafe(hiddenPasswordLength(plain.length));
  hideUserPasswordInto(plain, secret, authenticator, 0, out, 0);
  return out;
}

/** Length of a hidden User-Password: the plaintext padded to a multiple of 16, at least 16 (RFC 2865 §5.2). */
export function hiddenPasswordLength(plainLength: number): number {
  return plainLength === 0 ? 16 : (plainLength + 15) & ~15;
}

/**
 * Hides `plain` (RFC 2865 §5.2, NUL-padded here) into `out[outStart, ...)` with the Request
 * Authenticator at `auth[authStart, authStart + 16)`, allocating nothing, and returns the hidden
 * length. `out` and `auth` may be the same packet: a load generator re-hides a password in place
 * for every new authenticator. Each c(i-1) is read before c(i) is written.
 */
export function hideUserPasswordInto(
  plain: Uint8Array,
  secret: Uint8Array,
  auth: Uint8Array,
  authStart: number,
  out: Uint8Array,
  outStart: number,
): number {
  if (plain.length > MAX_PASSWORD_LENGTH)
    throw new InvalidValueError('User-Password', `longer than ${MAX_PASSWORD_LENGTH} bytes`);
  const len = hiddenPasswordLength(plain.length);
  if (outStart < 0 || outStart + len > out.length || authStart < 0 || authStart + 16 > auth.length)
    throw new RangeError('User-Password: buffer too short');
  const n = plain.length;
  for (let i = 0; i < len; i += 16) {
    // b(i) = MD5(secret + c(i-1)), with c(0) the authenticator.
    if (i === 0) chainHash(secret, auth, authStart, authStart + 16);
    else chainHash(secret, out, outStart + i - 16, outStart + i);
    for (let j = 0; j < 16; j++) {
      const k = i + j;
      out[outStart + k] = (k < n ? plain[k] : 0) ^ block[j];
    }
  }
  return len;
}

/**
 * Reveals a User-Password (RFC 2865 §5.2) and strips the NUL padding (pass `strip = false` for
 * binary values such as MS-CHAP-MPPE-Keys, whose last bytes may be zero).
 */
export function decryptUserPassword(
  data: Uint8Array,
  secret: Uint8Array,
  authenticator: Uint8Array,
  strip = true,
): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  const n = revealUserPasswordInto(data, 0, data.length, secret, authenticator, out, strip);
  return out.subarray(0, n);
}

/**
 * Reveals the User-Password hidden in `data[start, end)` into `out` (room for `end - start` bytes)
 * and returns its length, NUL padding stripped when `strip`: the decoder reads the value straight
 * from there, with no Buffer per packet.
 */
export function revealUserPasswordInto(
  data: Uint8Array,
  start: number,
  end: number,
  secret: Uint8Array,
  authenticator: Uint8Array,
  out: Uint8Array,
  strip: boolean,
): number {
  const len = end - start;
  if (len <= 0 || len % 16 !== 0 || len > MAX_PASSWORD_LENGTH) {
    throw new MalformedPacketError(`User-Password length ${len} is not a multiple of 16 up to 128`);
  }
  for (let i = 0; i < len; i += 16) {
    // b(i) = MD5(secret + c(i-1)), with c(0) the authenticator.
    if (i === 0) chainHash(secret, authenticator, 0, authenticator.length);
    else chainHash(secret, data, start + i - 16, start + i);
    for (let j = 0; j < 16; j++) out[i + j] = data[start + i + j] ^ block[j];
  }
  let n = len;
  if (strip) while (n > 0 && out[n - 1] === 0) n--;
  return n;
}

const plainBlock = new Uint8Array(16);

/**
 * Moves a User-Password from one hop to the next (RFC 2865 §5.2, a proxy's duty): the value hidden
 * in `data[start, end)` with `fromSecret` and `fromAuth` is written to `out[at, at + end - start)`
 * hidden with `toSecret` and `toAuth`, padding and all, without the plaintext leaving a 16-byte
 * scratch (wiped after). The length must be a multiple of 16 up to 128 (MalformedPacketError).
 */
export function rehideUserPasswordInto(
  data: Uint8Array,
  start: number,
  end: number,
  fromSecret: Uint8Array,
  fromAuth: Uint8Array,
  toSecret: Uint8Array,
  toAuth: Uint8Array,
  out: Uint8Array,
  at: number,
): void {
  const len = end - start;
  if (len <= 0 || len % 16 !== 0 || len > MAX_PASSWORD_LENGTH)
    throw new MalformedPacketError(`User-Password length ${len} is not a multiple of 16 up to 128`);
  if (at + len > out.length) throw new RangeError('User-Password: buffer too short');
  for (let i = 0; i < len; i += 16) {
    // p(i) = c(i) xor MD5(fromSecret + c(i-1)); then c'(i) = p(i) xor MD5(toSecret + c'(i-1)).
    if (i === 0) chainHash(fromSecret, fromAuth, 0, fromAuth.length);
    else chainHash(fromSecret, data, start + i - 16, start + i);
    for (let j = 0; j < 16; j++) plainBlock[j] = data[start + i + j] ^ block[j];
    if (i === 0) chainHash(toSecret, toAuth, 0, toAuth.length);
    else chainHash(toSecret, out, at + i - 16, at + i);
    for (let j = 0; j < 16; j++) out[at + i + j] = plainBlock[j] ^ block[j];
  }
  plainBlock.fill(0);
}

/**
 * Salt-encrypts a value (RFC 2868 §3.5, also RFC 2548 §2.4.2 for MS-MPPE keys): a fresh salt
 * with the high bit set, then a length byte, the value and NUL padding, chained like User-Password.
 */
export function encryptTunnelPassword(
  plain: Uint8Array,
  secret: Uint8Array,
  authenticator: Uint8Array,
  salt: Uint8Array = randomSalt(),
): Buffer {
  if (plain.length > 249) throw new InvalidValueError('Tunnel-Password', 'longer than 249 bytes');
  const len = (plain.length + 1 + 15) & ~15;
  const out = Buffer.alloc(2 + len);
  out[0] = salt[0] | 0x80;
  out[1] = salt[1];
  out[2] = plain.length;
  out.set(plain, 3);
  let b = md5(secret, authenticator, out.subarray(0, 2));
  for (let i = 0; i < len; i += 16) {
    if (i > 0) b = md5(secret, out.subarray(2 + i - 16, 2 + i));
    for (let j = 0; j < 16; j++) out[2 + i + j] ^= b[j];
  }
  return out;
}

/** Reveals a salt-encrypted value (RFC 2868 §3.5 / RFC 2548 §2.4.2). */
export function decryptTunnelPassword(
  data: Uint8Array,
  secret: Uint8Array,
  authenticator: Uint8Array,
): Buffer {
  const len = data.length - 2;
  if (len < 16 || len % 16 !== 0)
    throw new MalformedPacketError(`salt-encrypted value has bad length ${data.length}`);
  const out = Buffer.allocUnsafe(len);
  let b = md5(secret, authenticator, data.subarray(0, 2));
  for (let i = 0; i < len; i += 16) {
    if (i > 0) b = md5(secret, data.subarray(2 + i - 16, 2 + i));
    for (let j = 0; j < 16; j++) out[i + j] = data[2 + i + j] ^ b[j];
  }
  const n = out[0];
  if (n > len - 1)
    throw new MalformedPacketError('salt-encrypted value: length byte past the data (wrong secret?)');
  return out.subarray(1, 1 + n);
}

/** Ascend's secret hiding (dictionary `encrypt=3`): one 16-byte block, value xor MD5(authenticator + secret). */
export function encryptAscendSecret(
  plain: Uint8Array,
  secret: Uint8Array,
  authenticator: Uint8Array,
): Buffer {
  if (plain.length > 16) throw new InvalidValueError('Ascend secret', 'longer than 16 bytes');
  const out = Buffer.alloc(16);
  out.set(plain);
  const b = md5(authenticator, secret);
  for (let j = 0; j < 16; j++) out[j] ^= b[j];
  return out;
}

/** Reveals an Ascend secret (`encrypt=3`) and strips NUL padding. */
export function decryptAscendSecret(data: Uint8Array, secret: Uint8Array, authenticator: Uint8Array): Buffer {
  if (data.length !== 16)
    throw new MalformedPacketError(`Ascend secret must be 16 bytes, got ${data.length}`);
  const b = md5(authenticator, secret);
  const out = Buffer.allocUnsafe(16);
  for (let j = 0; j < 16; j++) out[j] = data[j] ^ b[j];
  let end = 16;
  while (end > 0 && out[end - 1] === 0) end--;
  return out.subarray(0, end);
}

/** Two random bytes for a salt (the high bit is set by the encryptor). */
export function randomSalt(): Buffer {
  return randomBytesPooled(2);
}

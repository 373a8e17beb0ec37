/**
 * MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) in plain TypeScript, tuned for RADIUS-sized inputs.
 *
 * RADIUS hashes short byte strings (20-300 bytes) two to four times per packet. At those sizes the
 * fixed cost of a `node:crypto` call is larger than the hashing itself, so this module keeps its state
 * in preallocated typed arrays, hashes (buffer, start, end) slices in place and allocates nothing per
 * call except the Buffer returned by the convenience functions.
 */

/** Length in bytes of an MD5 digest (and of an HMAC-MD5 tag). */
export const MD5_DIGEST_LENGTH = 16;

/** Length in bytes of an MD5 input block. */
export const MD5_BLOCK_LENGTH = 64;

/**
 * Absorbs the 64-byte block `m[o..o+64)` into the chaining state `h` (RFC 1321 section 3.4).
 *
 * The 64 operations "a = b + ((a + f(b,c,d) + X[k] + T[i]) <<< s)" are written out by hand, each as two
 * statements in 32-bit wrap-around arithmetic (`| 0`): V8 does not inline 64 helper calls, and the calls
 * would cost more than the arithmetic. The auxiliary functions use equivalent forms with fewer
 * operations: F(x,y,z) = z ^ (x & (y ^ z)), G(x,y,z) = y ^ (z & (x ^ y)), H = x ^ y ^ z,
 * I(x,y,z) = y ^ (x | ~z).
 */
function compress(h: Int32Array, m: Uint8Array, o: number): void {
  // The block as sixteen 32-bit words, low-order byte first (RFC 1321 section 2). Byte arithmetic on
  // locals beats a DataView or a scratch word array.
  const x0 = m[o] | (m[o + 1] << 8) | (m[o + 2] << 16) | (m[o + 3] << 24);
  const x1 = m[o + 4] | (m[o + 5] << 8) | (m[o + 6] << 16) | (m[o + 7] << 24);
  const x2 = m[o + 8] | (m[o + 9] << 8) | (m[o + 10] << 16) | (m[o + 11] << 24);
  const x3 = m[o + 12] | (m[o + 13] << 8) | (m[o + 14] << 16) | (m[o + 15] << 24);
  const x4 = m[o + 16] | (m[o + 17] << 8) | (m[o + 18] << 16) | (m[o + 19] << 24);
  const x5 = m[o + 20] | (m[o + 21] << 8) | (m[o + 22] << 16) | (m[o + 23] << 24);
  const x6 = m[o + 24] | (m[o + 25] << 8) | (m[o + 26] << 16) | (m[o + 27] << 24);
  const x7 = m[o + 28] | (m[o + 29] << 8) | (m[o + 30] << 16) | (m[o + 31] << 24);
  const x8 = m[o + 32] | (m[o + 33] << 8) | (m[o + 34] << 16) | (m[o + 35] << 24);
  const x9 = m[o + 36] | (m[o + 37] << 8) | (m[o + 38] << 16) | (m[o + 39] << 24);
  const x10 = m[o + 40] | (m[o + 41] << 8) | (m[o + 42] << 16) | (m[o + 43] << 24);
  const x11 = m[o + 44] | (m[o + 45] << 8) | (m[o + 46] << 16) | (m[o + 47] << 24);
  const x12 = m[o + 48] | (m[o + 49] << 8) | (m[o + 50] << 16) | (m[o + 51] << 24);
  const x13 = m[o + 52] | (m[o + 53] << 8) | (m[o + 54] << 16) | (m[o + 55] << 24);
  const x14 = m[o + 56] | (m[o + 57] << 8) | (m[o + 58] << 16) | (m[o + 59] << 24);
  const x15 = m[o + 60] | (m[o + 61] << 8) | (m[o + 62] << 16) | (m[o + 63] << 24);

  let a = h[0];
  let b = h[1];
  let c = h[2];
  let d = h[3];

  // Round 1: [abcd k s i] with k = i - 1, s = 7, 12, 17, 22; T[i] = floor(2^32 * |sin(i)|).
  a = (a + (d ^ (b & (c ^ d))) + x0 + 0xd76aa478) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + (c ^ (a & (b ^ c))) + x1 + 0xe8c7b756) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + (b ^ (d & (a ^ b))) + x2 + 0x242070db) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + (a ^ (c & (d ^ a))) + x3 + 0xc1bdceee) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + (d ^ (b & (c ^ d))) + x4 + 0xf57c0faf) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + (c ^ (a & (b ^ c))) + x5 + 0x4787c62a) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + (b ^ (d & (a ^ b))) + x6 + 0xa8304613) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + (a ^ (c & (d ^ a))) + x7 + 0xfd469501) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + (d ^ (b & (c ^ d))) + x8 + 0x698098d8) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + (c ^ (a & (b ^ c))) + x9 + 0x8b44f7af) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + (b ^ (d & (a ^ b))) + x10 + 0xffff5bb1) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + (a ^ (c & (d ^ a))) + x11 + 0x895cd7be) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + (d ^ (b & (c ^ d))) + x12 + 0x6b901122) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + (c ^ (a & (b ^ c))) + x13 + 0xfd987193) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + (b ^ (d & (a ^ b))) + x14 + 0xa679438e) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + (a ^ (c & (d ^ a))) + x15 + 0x49b40821) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;

  // Round 2: k = (1 + 5(i - 17)) mod 16, s = 5, 9, 14, 20.
  a = (a + (c ^ (d & (b ^ c))) + x1 + 0xf61e2562) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + (b ^ (c & (a ^ b))) + x6 + 0xc040b340) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + (a ^ (b & (d ^ a))) + x11 + 0x265e5a51) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + (d ^ (a & (c ^ d))) + x0 + 0xe9b6c7aa) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + (c ^ (d & (b ^ c))) + x5 + 0xd62f105d) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + (b ^ (c & (a ^ b))) + x10 + 0x02441453) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + (a ^ (b & (d ^ a))) + x15 + 0xd8a1e681) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + (d ^ (a & (c ^ d))) + x4 + 0xe7d3fbc8) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + (c ^ (d & (b ^ c))) + x9 + 0x21e1cde6) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + (b ^ (c & (a ^ b))) + x14 + 0xc33707d6) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + (a ^ (b & (d ^ a))) + x3 + 0xf4d50d87) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + (d ^ (a & (c ^ d))) + x8 + 0x455a14ed) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + (c ^ (d & (b ^ c))) + x13 + 0xa9e3e905) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + (b ^ (c & (a ^ b))) + x2 + 0xfcefa3f8) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + (a ^ (b & (d ^ a))) + x7 + 0x676f02d9) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + (d ^ (a & (c ^ d))) + x12 + 0x8d2a4c8a) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;

  // Round 3: k = (5 + 3(i - 33)) mod 16, s = 4, 11, 16, 23.
  a = (a + (b ^ c ^ d) + x5 + 0xfffa3942) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + x8 + 0x8771f681) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + x11 + 0x6d9d6122) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + x14 + 0xfde5380c) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + (b ^ c ^ d) + x1 + 0xa4beea44) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + x4 + 0x4bdecfa9) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + x7 + 0xf6bb4b60) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + x10 + 0xbebfbc70) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + (b ^ c ^ d) + x13 + 0x289b7ec6) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + x0 + 0xeaa127fa) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + x3 + 0xd4ef3085) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + x6 + 0x04881d05) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + (b ^ c ^ d) + x9 + 0xd9d4d039) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + x12 + 0xe6db99e5) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + x15 + 0x1fa27cf8) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + x2 + 0xc4ac5665) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;

  // Round 4: k = 7(i - 49) mod 16, s = 6, 10, 15, 21.
  a = (a + (c ^ (b | ~d)) + x0 + 0xf4292244) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + x7 + 0x432aff97) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + x14 + 0xab9423a7) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + x5 + 0xfc93a039) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + (c ^ (b | ~d)) + x12 + 0x655b59c3) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + x3 + 0x8f0ccc92) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + x10 + 0xffeff47d) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + x1 + 0x85845dd1) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + (c ^ (b | ~d)) + x8 + 0x6fa87e4f) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + x15 + 0xfe2ce6e0) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + x6 + 0xa3014314) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + x13 + 0x4e0811a1) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + (c ^ (b | ~d)) + x4 + 0xf7537e82) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + x11 + 0xbd3af235) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + x2 + 0x2ad7d2bb) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + x9 + 0xeb86d391) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;

  // "Then perform the following additions" (end of section 3.4).
  h[0] = (h[0] + a) | 0;
  h[1] = (h[1] + b) | 0;
  h[2] = (h[2] + c) | 0;
  h[3] = (h[3] + d) | 0;
}

/** Writes the digest A, B, C, D, each low-order byte first (RFC 1321 section 3.5). */
function writeWords(h: Int32Array, out: Uint8Array, offset: number): void {
  for (let i = 0; i < 4; i++) {
    const w = h[i];
    const p = offset + 4 * i;
    out[p] = w;
    out[p + 1] = w >>> 8;
    out[p + 2] = w >>> 16;
    out[p + 3] = w >>> 24;
  }
}

function checkRange(buf: Uint8Array, start: number, end: number): void {
  // Typed arrays read out-of-range or fractional indices as undefined, which would hash wrong bytes.
  if (
    !(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= buf.length)
  ) {
    throw new RangeError(`invalid range [${start}, ${end}) for a buffer of ${buf.length} bytes`);
  }
}

function checkOut(out: Uint8Array, offset: number): void {
  if (!(Number.isInteger(offset) && offset >= 0 && offset + MD5_DIGEST_LENGTH <= out.length)) {
    throw new RangeError(`no room for a ${MD5_DIGEST_LENGTH}-byte digest at offset ${offset}`);
  }
}

/**
 * Incremental MD5 over byte slices. After `digestInto`/`digest` the instance is back in its initial
 * state and can hash the next message.
 */
export class Md5 {
  /** Chaining variables A, B, C, D. */
  private readonly h = new Int32Array(4);
  /** Bytes of the current, not yet full, 64-byte block. */
  private readonly block = new Uint8Array(MD5_BLOCK_LENGTH);
  private blockLen = 0;
  /** Message bytes absorbed so far; needed for the length field of the padding. */
  private total = 0;

  constructor() {
    this.reset();
  }

  /** Starts a new message. */
  reset(): this {
    // RFC 1321 section 3.3: initial words A, B, C, D.
    const h = this.h;
    h[0] = 0x67452301;
    h[1] = 0xefcdab89;
    h[2] = 0x98badcfe;
    h[3] = 0x10325476;
    this.blockLen = 0;
    this.total = 0;
    return this;
  }

  /** Makes this instance continue exactly where `other` is (same state, same absorbed bytes). */
  copyFrom(other: Md5): this {
    const h = this.h;
    const oh = other.h;
    h[0] = oh[0];
    h[1] = oh[1];
    h[2] = oh[2];
    h[3] = oh[3];
    const n = other.blockLen;
    const blk = this.block;
    const oblk = other.block;
    for (let i = 0; i < n; i++) blk[i] = oblk[i];
    this.blockLen = n;
    this.total = other.total;
    return this;
  }

  /** Absorbs `buf[start..end)` without copying more than a partial block. */
  update(buf: Uint8Array, start = 0, end: number = buf.length): this {
    checkRange(buf, start, end);
    this.total += end - start;
    const h = this.h;
    const blk = this.block;
    let pos = start;
    let n = this.blockLen;
    if (n > 0) {
      // Top up the pending partial block first.
      while (n < MD5_BLOCK_LENGTH && pos < end) blk[n++] = buf[pos++];
      if (n < MD5_BLOCK_LENGTH) {
        this.blockLen = n;
        return this;
      }
      compress(h, blk, 0);
      n = 0;
    }
    // Whole blocks are hashed straight from the caller's buffer.
    while (end - pos >= MD5_BLOCK_LENGTH) {
      compress(h, buf, pos);
      pos += MD5_BLOCK_LENGTH;
    }
    while (pos < end) blk[n++] = buf[pos++];
    this.blockLen = n;
    return this;
  }

  /** Finishes the message, writes the 16-byte digest at `out[offset]`, and resets. */
  digestInto(out: Uint8Array, offset = 0): Uint8Array {
    checkOut(out, offset);
    const h = this.h;
    const blk = this.block;
    let n = this.blockLen;
    // RFC 1321 section 3.1: append a single 1 bit, then 0 bits until the length is 56 mod 64.
    blk[n++] = 0x80;
    if (n > 56) {
      while (n < MD5_BLOCK_LENGTH) blk[n++] = 0;
      compress(h, blk, 0);
      n = 0;
    }
    while (n < 56) blk[n++] = 0;
    // Section 3.2: the message length in bits as a 64-bit little-endian integer.
    const total = this.total;
    const lo = (total * 8) >>> 0;
    const hi = Math.floor(total / 0x20000000) >>> 0;
    blk[56] = lo;
    blk[57] = lo >>> 8;
    blk[58] = lo >>> 16;
    blk[59] = lo >>> 24;
    blk[60] = hi;
    blk[61] = hi >>> 8;
    blk[62] = hi >>> 16;
    blk[63] = hi >>> 24;
    compress(h, blk, 0);
    writeWords(h, out, offset);
    this.reset();
    return out;
  }

  /** Finishes the message and returns the digest as a new Buffer; resets the instance. */
  digest(): Buffer {
    const out = Buffer.allocUnsafe(MD5_DIGEST_LENGTH);
    this.digestInto(out, 0);
    return out;
  }
}

// JS runs one call at a time and none of the functions below calls out to user code, so a single
// module-level hasher can serve them all.
const shared = new Md5();

/** MD5 of the concatenation of `parts`, computed without concatenating them. */
export function md5(...parts: Uint8Array[]): Buffer {
  shared.reset();
  for (const p of parts) shared.update(p);
  return shared.digest();
}

/**
 * Writes MD5(a || b || c || d) into `out[outOffset..outOffset+16)` and returns `out`. Parts after `a`
 * are optional, so the common call shapes allocate nothing.
 */
export function md5Into(
  out: Uint8Array,
  outOffset: number,
  a: Uint8Array,
  b?: Uint8Array,
  c?: Uint8Array,
  d?: Uint8Array,
): Uint8Array {
  shared.reset().update(a);
  if (b !== undefined) shared.update(b);
  if (c !== undefined) shared.update(c);
  if (d !== undefined) shared.update(d);
  return shared.digestInto(out, outOffset);
}

/**
 * The block the outer hash of an HMAC absorbs last: the 16-byte inner hash (written at offset 0 per
 * call), then the padding of RFC 1321 section 3.1-3.2 for a 64 + 16 = 80-byte message (640 bits).
 */
const outerBlock = new Uint8Array(MD5_BLOCK_LENGTH);
outerBlock[MD5_DIGEST_LENGTH] = 0x80;
outerBlock[56] = (80 * 8) & 0xff;
outerBlock[57] = (80 * 8) >>> 8;
/** Scratch chaining state for the outer hash. */
const outerState = new Int32Array(4);

/**
 * An HMAC-MD5 key prepared once (RFC 2104 section 2): the MD5 states after absorbing K ^ ipad and
 * K ^ opad. The secret itself is not kept.
 */
export class HmacMd5Key {
  /** MD5 hasher positioned after the block K ^ ipad. */
  private readonly inner = new Md5();
  /** Chaining state after the block K ^ opad. */
  private readonly outer = new Int32Array(4);

  constructor(secret: Uint8Array) {
    // RFC 2104 section 3: keys longer than the block length are first hashed.
    const k = secret.length > MD5_BLOCK_LENGTH ? md5(secret) : secret;
    // Section 2, steps (1)-(2) and (5): pad K with zeros to B = 64 bytes, XOR with ipad and opad.
    const pad = new Uint8Array(MD5_BLOCK_LENGTH);
    for (let i = 0; i < MD5_BLOCK_LENGTH; i++) pad[i] = (i < k.length ? k[i] : 0) ^ 0x36;
    this.inner.update(pad);
    for (let i = 0; i < MD5_BLOCK_LENGTH; i++) pad[i] = (i < k.length ? k[i] : 0) ^ 0x5c;
    const outer = this.outer;
    outer[0] = 0x67452301;
    outer[1] = 0xefcdab89;
    outer[2] = 0x98badcfe;
    outer[3] = 0x10325476;
    compress(outer, pad, 0);
    pad.fill(0);
  }

  /**
   * Loads `h` with the state after K ^ ipad, ready to absorb the text (RFC 2104 section 2, steps
   * (2)-(3)); finish with {@link finish}.
   */
  begin(h: Md5): Md5 {
    return h.copyFrom(this.inner);
  }

  /**
   * Completes the tag from `h`, which holds the inner hash begun by {@link begin}, and writes it at
   * `out[offset]` (steps (4)-(7): H(K ^ opad, H(K ^ ipad, text))). Leaves `h` reset.
   */
  finish<T extends Uint8Array>(h: Md5, out: T, offset: number): T {
    checkOut(out, offset);
    h.digestInto(outerBlock, 0);
    const s = outerState;
    const o = this.outer;
    s[0] = o[0];
    s[1] = o[1];
    s[2] = o[2];
    s[3] = o[3];
    compress(s, outerBlock, 0);
    writeWords(s, out, offset);
    return out;
  }

  /** Writes HMAC-MD5(key, buf[start..end)) into `out[offset..offset+16)` and returns `out`. */
  digestInto(
    out: Uint8Array,
    offset: number,
    buf: Uint8Array,
    start = 0,
    end: number = buf.length,
  ): Uint8Array {
    checkOut(out, offset);
    return this.finish(this.begin(shared).update(buf, start, end), out, offset);
  }

  /** HMAC-MD5 of the concatenation of `parts` as a new Buffer. */
  digest(...parts: Uint8Array[]): Buffer {
    const h = this.begin(shared);
    for (const p of parts) h.update(p);
    return this.finish(h, Buffer.allocUnsafe(MD5_DIGEST_LENGTH), 0);
  }
}

/** Incremental HMAC-MD5 over byte slices; resets to the same key after each digest. */
export class HmacMd5 {
  private readonly h = new Md5();
  private key: HmacMd5Key;

  constructor(key: HmacMd5Key) {
    this.key = key;
    key.begin(this.h);
  }

  /** Starts a new message, optionally with another key. */
  reset(key: HmacMd5Key = this.key): this {
    this.key = key;
    key.begin(this.h);
    return this;
  }

  /** Absorbs `buf[start..end)`. */
  update(buf: Uint8Array, start = 0, end: number = buf.length): this {
    this.h.update(buf, start, end);
    return this;
  }

  /** Writes the 16-byte tag at `out[offset]`, then starts a new message with the same key. */
  digestInto(out: Uint8Array, offset = 0): Uint8Array {
    this.key.finish(this.h, out, offset);
    this.reset();
    return out;
  }

  /** Returns the tag as a new Buffer, then starts a new message with the same key. */
  digest(): Buffer {
    const out = Buffer.allocUnsafe(MD5_DIGEST_LENGTH);
    this.digestInto(out, 0);
    return out;
  }
}

function toKey(key: HmacMd5Key | Uint8Array): HmacMd5Key {
  return key instanceof HmacMd5Key ? key : hmacKeyFor(key);
}

/** HMAC-MD5 of the concatenation of `parts`; a raw secret goes through {@link hmacKeyFor}. */
export function hmacMd5(key: HmacMd5Key | Uint8Array, ...parts: Uint8Array[]): Buffer {
  return toKey(key).digest(...parts);
}

/** Writes HMAC-MD5(key, a || b || c || d) into `out[outOffset..outOffset+16)` and returns `out`. */
export function hmacMd5Into(
  out: Uint8Array,
  outOffset: number,
  key: HmacMd5Key | Uint8Array,
  a: Uint8Array,
  b?: Uint8Array,
  c?: Uint8Array,
  d?: Uint8Array,
): Uint8Array {
  checkOut(out, outOffset);
  const k = toKey(key);
  const h = k.begin(shared).update(a);
  if (b !== undefined) h.update(b);
  if (c !== undefined) h.update(c);
  if (d !== undefined) h.update(d);
  return k.finish(h, out, outOffset);
}

/** Most distinct secrets {@link hmacKeyFor} remembers; servers use few secrets many times. */
export const HMAC_KEY_CACHE_SIZE = 1024;

interface CachedKey {
  /** A private copy of the secret, compared byte for byte on every hit. */
  readonly secret: Uint8Array;
  readonly key: HmacMd5Key;
}

/** Prepared keys by a 30-bit hash of the secret; a colliding secret simply replaces the entry. */
const keyCache = new Map<number, CachedKey>();

/** FNV-1a over the bytes, cut to 30 bits so the Map key stays a small integer. */
function secretHash(secret: Uint8Array): number {
  let x = 0x811c9dc5 | 0;
  for (let i = 0; i < secret.length; i++) x = Math.imul(x ^ secret[i], 0x01000193);
  return x & 0x3fffffff;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A prepared key for `secret`, from a small cache keyed by the secret's bytes (oldest entry evicted first). */
export function hmacKeyFor(secret: Uint8Array): HmacMd5Key {
  const id = secretHash(secret);
  const hit = keyCache.get(id);
  if (hit !== undefined && sameBytes(hit.secret, secret)) return hit.key;
  const key = new HmacMd5Key(secret);
  if (hit === undefined && keyCache.size >= HMAC_KEY_CACHE_SIZE) {
    const oldest = keyCache.keys().next();
    if (!oldest.done) keyCache.delete(oldest.value);
  }
  keyCache.set(id, { secret: Uint8Array.from(secret), key });
  return key;
}

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
 * True when typed arrays are little-endian, as MD5's words are (RFC 1321 section 2): then a block
 * staged as bytes can be read through an Int32Array view of the same memory, four bytes per load.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Absorbs the block given as sixteen 32-bit words `x[xo..xo+16)` into the chaining state `h` (RFC 1321
 * section 3.4).
 *
 * The 64 operations "a = b + ((a + f(b,c,d) + X[k] + T[i]) <<< s)" are written out by hand, each as two
 * statements in 32-bit wrap-around arithmetic (`| 0`): V8 does not inline 64 helper calls, and the calls
 * would cost more than the arithmetic. The auxiliary functions use equivalent forms with fewer
 * operations: F(x,y,z) = z ^ (x & (y ^ z)), G(x,y,z) = y ^ (z & (x ^ y)), H = x ^ y ^ z,
 * I(x,y,z) = y ^ (x | ~z).
 */
function compress(h: Int32Array, x: Int32Array, xo = 0): void {
  const x0 = x[xo];
  const x1 = x[xo + 1];
  const x2 = x[xo + 2];
  const x3 = x[xo + 3];
  const x4 = x[xo + 4];
  const x5 = x[xo + 5];
  const x6 = x[xo + 6];
  const x7 = x[xo + 7];
  const x8 = x[xo + 8];
  const x9 = x[xo + 9];
  const x10 = x[xo + 10];
  const x11 = x[xo + 11];
  const x12 = x[xo + 12];
  const x13 = x[xo + 13];
  const x14 = x[xo + 14];
  const x15 = x[xo + 15];

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

/** Reads `m[o..o+64)` as sixteen words, low-order byte first (RFC 1321 section 2), into `x`. */
function loadBlock(m: Uint8Array, o: number, x: Int32Array): void {
  for (let i = 0; i < 16; i++, o += 4) x[i] = m[o] | (m[o + 1] << 8) | (m[o + 2] << 16) | (m[o + 3] << 24);
}

/** Compresses a block staged as bytes in the memory of `x` (byte-swapped first on big-endian hosts). */
function compressStaged(h: Int32Array, x: Int32Array): void {
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < 16; i++) {
      const w = x[i];
      x[i] = (w >>> 24) | ((w >>> 8) & 0xff00) | ((w & 0xff00) << 8) | (w << 24);
    }
  }
  compress(h, x);
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
  /** The current, not yet full, 64-byte block, as 16 words ... */
  private readonly words = new Int32Array(16);
  /** ... and as bytes: the same memory, so staged bytes are read back a word at a time. */
  private readonly block = new Uint8Array(this.words.buffer);
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
    const w = this.words;
    const ow = other.words;
    for (let i = 0; i < n; i += 4) w[i >> 2] = ow[i >> 2];
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
      const take = Math.min(MD5_BLOCK_LENGTH - n, end - pos);
      for (let i = 0; i < take; i++) blk[n + i] = buf[pos + i];
      n += take;
      pos += take;
      if (n < MD5_BLOCK_LENGTH) {
        this.blockLen = n;
        return this;
      }
      compressStaged(h, this.words);
      n = 0;
    }
    // Whole blocks are read straight from the caller's buffer (no byte-by-byte staging).
    while (end - pos >= MD5_BLOCK_LENGTH) {
      loadBlock(buf, pos, this.words);
      compress(h, this.words);
      pos += MD5_BLOCK_LENGTH;
    }
    const rest = end - pos;
    for (let i = 0; i < rest; i++) blk[i] = buf[pos + i];
    this.blockLen = rest;
    return this;
  }

  /** Finishes the message, writes the 16-byte digest at `out[offset]`, and resets. */
  digestInto(out: Uint8Array, offset = 0): Uint8Array {
    checkOut(out, offset);
    this.finishBlock();
    writeWords(this.h, out, offset);
    this.reset();
    return out;
  }

  /**
   * Pads the message (RFC 1321 sections 3.1-3.2) and absorbs the last block(s): the digest is
   * then the words of `h`.
   */
  private finishBlock(): void {
    const h = this.h;
    const blk = this.block;
    const w = this.words;
    let n = this.blockLen;
    // Section 3.1: append a single 1 bit, then 0 bits until the length is 56 mod 64.
    blk[n++] = 0x80;
    if (n > 56) {
      while (n < MD5_BLOCK_LENGTH) blk[n++] = 0;
      compressStaged(h, w);
      n = 0;
    }
    while ((n & 3) !== 0) blk[n++] = 0;
    for (let i = n >> 2; i < 14; i++) w[i] = 0;
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
    compressStaged(h, w);
  }

  /**
   * Finishes the message into `x` as the first four words of the next block of an HMAC's outer
   * hash (a digest's bytes are its words, low-order byte first), and resets.
   */
  finishIntoWords(x: Int32Array): void {
    this.finishBlock();
    const h = this.h;
    x[0] = h[0];
    x[1] = h[1];
    x[2] = h[2];
    x[3] = h[3];
    this.reset();
  }

  /** Finishes the message and returns the digest as a new Buffer; resets the instance. */
  digest(): Buffer {
    const out = Buffer.allocUnsafe(MD5_DIGEST_LENGTH);
    this.digestInto(out, 0);
    return out;
  }
}

/** Loads the initial words A, B, C, D (RFC 1321 section 3.3). */
function initState(h: Int32Array): void {
  h[0] = 0x67452301;
  h[1] = 0xefcdab89;
  h[2] = 0x98badcfe;
  h[3] = 0x10325476;
}

/**
 * Bytes past a message that its padding may take: the 0x80 byte and zeros to a word boundary (4),
 * the 8-byte length, and up to 63 zeros to the end of the block.
 */
const PADDING_ROOM = 75;

/**
 * Memory in which a caller lays out a whole message (e.g. a packet with substituted fields and the
 * secret after it) to hash it in one go: the hash reads it as words, four bytes per load, and pads
 * it in place, so nothing is staged byte by byte. Bytes past the message are overwritten.
 */
export class HashScratch {
  readonly words: Int32Array;
  /** The same memory as bytes. */
  readonly bytes: Uint8Array;

  /** Room for messages of up to `capacity` bytes (plus their padding). */
  constructor(capacity: number) {
    this.words = new Int32Array(((capacity + PADDING_ROOM + 63) >> 6) << 4);
    this.bytes = new Uint8Array(this.words.buffer);
  }

  /** The largest message this scratch holds. */
  get capacity(): number {
    return this.bytes.length - PADDING_ROOM;
  }
}

/** A block copied from a big-endian host's scratch, byte-swapped into MD5's word order. */
const swapped = new Int32Array(16);

/**
 * Pads `scratch.bytes[0, length)` in place as the end of a message of `total` bytes (RFC 1321
 * sections 3.1-3.2) and absorbs it into `h`.
 */
function hashPadded(h: Int32Array, scratch: HashScratch, length: number, total: number): void {
  if (!(Number.isInteger(length) && length >= 0 && length <= scratch.capacity)) {
    throw new RangeError(`a ${length}-byte message does not fit this scratch`);
  }
  const b = scratch.bytes;
  const w = scratch.words;
  let n = length;
  b[n++] = 0x80;
  while ((n & 3) !== 0) b[n++] = 0;
  // Zero words up to 56 mod 64, then the length in bits, low-order byte first.
  const lengthAt = (((n + 8 + 63) >> 6) << 6) - 8;
  for (let i = n >> 2; i < lengthAt >> 2; i++) w[i] = 0;
  const lo = (total * 8) >>> 0;
  const hi = Math.floor(total / 0x20000000) >>> 0;
  for (let i = 0; i < 4; i++) {
    b[lengthAt + i] = lo >>> (8 * i);
    b[lengthAt + 4 + i] = hi >>> (8 * i);
  }
  const words = (lengthAt + 8) >> 2;
  for (let o = 0; o < words; o += 16) {
    if (LITTLE_ENDIAN) compress(h, w, o);
    else {
      loadBlock(b, 4 * o, swapped);
      compress(h, swapped);
    }
  }
}

/** Chaining state of {@link md5Scratch}. */
const scratchState = new Int32Array(4);

/** Writes at `out[offset]` the MD5 of `scratch.bytes[0, length)`, padded in place (see {@link HashScratch}). */
export function md5Scratch(scratch: HashScratch, length: number, out: Uint8Array, offset: number): void {
  checkOut(out, offset);
  const h = scratchState;
  initState(h);
  hashPadded(h, scratch, length, length);
  writeWords(h, out, offset);
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

/** The last block of an HMAC's outer hash: the inner hash, then padding (written per call). */
const outerWords = new Int32Array(16);
/** Scratch chaining state for the outer hash. */
const outerState = new Int32Array(4);

/**
 * An HMAC-MD5 key prepared once (RFC 2104 section 2): the MD5 states after absorbing K ^ ipad and
 * K ^ opad. The secret itself is not kept.
 */
export class HmacMd5Key {
  /** MD5 hasher positioned after the block K ^ ipad. */
  private readonly inner = new Md5();
  /** Chaining state after the block K ^ ipad (for {@link digestScratch}). */
  private readonly innerState = new Int32Array(4);
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
    const words = new Int32Array(16);
    loadBlock(pad, 0, words);
    compress(outer, words);
    for (let i = 0; i < MD5_BLOCK_LENGTH; i++) pad[i] = (i < k.length ? k[i] : 0) ^ 0x36;
    initState(this.innerState);
    loadBlock(pad, 0, words);
    compress(this.innerState, words);
    pad.fill(0);
    words.fill(0);
  }

  /**
   * Writes at `out[offset]` the HMAC-MD5 of `scratch.bytes[0, length)`, read a word at a time and
   * padded in place (see {@link HashScratch}).
   */
  digestScratch(scratch: HashScratch, length: number, out: Uint8Array, offset: number): void {
    checkOut(out, offset);
    const s = outerState;
    const i = this.innerState;
    s[0] = i[0];
    s[1] = i[1];
    s[2] = i[2];
    s[3] = i[3];
    // The text follows the 64-byte K ^ ipad block.
    hashPadded(s, scratch, length, MD5_BLOCK_LENGTH + length);
    this.finishWords(s, out, offset);
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
    const s = outerState;
    h.finishIntoWords(s);
    this.finishWords(s, out, offset);
    return out;
  }

  /** Steps (5)-(7) from the inner hash `s`: the outer hash, written at `out[offset]`. */
  private finishWords(s: Int32Array, out: Uint8Array, offset: number): void {
    const x = outerWords;
    x[0] = s[0];
    x[1] = s[1];
    x[2] = s[2];
    x[3] = s[3];
    // The outer message is 64 + 16 = 80 bytes: 0x80, zeros, then the length, 640 bits.
    x[4] = 0x80;
    for (let i = 5; i < 14; i++) x[i] = 0;
    x[14] = 80 * 8;
    x[15] = 0;
    const o = this.outer;
    s[0] = o[0];
    s[1] = o[1];
    s[2] = o[2];
    s[3] = o[3];
    compress(s, x);
    writeWords(s, out, offset);
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

/**
 * A prepared key holds its secret: an entry unused for one whole sweep period is dropped, so a
 * secret leaves memory within two periods of its last packet (after a server or client closed).
 */
export const HMAC_KEY_IDLE_MS = 30_000;

interface CachedKey {
  /** A private copy of the secret, compared byte for byte on every hit. */
  readonly secret: Uint8Array;
  readonly key: HmacMd5Key;
  /** The sweep period it was last used in. */
  period: number;
}

/** Prepared keys by a 30-bit hash of the secret; a colliding secret simply replaces the entry. */
const keyCache = new Map<number, CachedKey>();
/** The secret object last looked up, and its entry. */
let lastSecret: Uint8Array | undefined;
let lastUsed: CachedKey | undefined;
/** Sweep periods so far: a hit stores it in the entry (no clock read per packet). */
let period = 0;
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  period++;
  for (const [id, entry] of keyCache) {
    if (entry.period < period - 1) {
      entry.secret.fill(0);
      keyCache.delete(id);
      if (entry === lastUsed) {
        lastUsed = undefined;
        lastSecret = undefined;
      }
    }
  }
  if (keyCache.size === 0) stopSweeper();
}

function stopSweeper(): void {
  if (sweeper !== undefined) clearInterval(sweeper);
  sweeper = undefined;
}

/**
 * Forgets every prepared HMAC key and the secrets they hold (servers call it when they close;
 * keys still in use elsewhere are prepared again on their next packet).
 */
export function clearHmacKeyCache(): void {
  for (const entry of keyCache.values()) entry.secret.fill(0);
  keyCache.clear();
  lastUsed = undefined;
  lastSecret = undefined;
  stopSweeper();
}

/** How many secrets the cache holds now (for tests and diagnostics). */
export function hmacKeyCacheSize(): number {
  return keyCache.size;
}

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
  // A server passes the same secret object for packet after packet: check it first, by its bytes
  // (the caller may have changed them), before hashing it for the cache.
  const last = lastUsed;
  if (last !== undefined && secret === lastSecret && sameBytes(last.secret, secret)) {
    last.period = period;
    return last.key;
  }
  const id = secretHash(secret);
  const hit = keyCache.get(id);
  if (hit !== undefined && sameBytes(hit.secret, secret)) {
    hit.period = period;
    lastSecret = secret;
    lastUsed = hit;
    return hit.key;
  }
  const key = new HmacMd5Key(secret);
  if (hit === undefined && keyCache.size >= HMAC_KEY_CACHE_SIZE) {
    const oldest = keyCache.keys().next();
    if (!oldest.done) keyCache.delete(oldest.value);
  }
  const entry: CachedKey = { secret: Uint8Array.from(secret), key, period };
  keyCache.set(id, entry);
  if (sweeper === undefined) {
    sweeper = setInterval(sweep, HMAC_KEY_IDLE_MS);
    // The cache must not keep a process alive.
    sweeper.unref();
  }
  lastSecret = secret;
  lastUsed = entry;
  return key;
}

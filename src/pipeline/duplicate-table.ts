import { randomBytesPooled } from '../protocol/random.js';

/**
 * The server's duplicate detection (RFC 5080 §2.2.2) with the semantics of {@link DuplicateCache}
 * (same key, same expiry, same oldest-first bound) but no object, string or Map entry per request:
 * entries live in typed arrays laid out as a ring in insertion order, indexed by a keyed hash.
 *
 * Key: source address and port, identifier and Request Authenticator (bytes 1..20 of the request).
 * A request is pending from {@link begin} until {@link finish}; an answered one is kept `ttlMs`
 * after its reply. Past `maxEntries` the oldest entries (by last begin/finish) are evicted first.
 *
 * Layout: every entry gets the next sequence number (seq) and lives in slot `seq & mask` of the
 * ring; entries from `head` to `tail` are in insertion order, oldest first (removed ones leave holes
 * until `head` passes them or a rebuild drops them). A bucket points to its newest entry and every
 * entry to the next older one of its bucket, by seq: a chain runs from new to old, so a walk stops
 * at the first seq below `head`. Evicting from the front therefore only moves `head`: no chain is
 * touched, and no random memory access is made.
 *
 * Replies are copied into a byte ring (the arena) in the same order, not kept as Buffers: hundreds
 * of thousands of Buffers held for seconds would make every garbage collection copy and trace them.
 * Arena positions are int32 that wrap around (compared by difference); the arena doubles when the
 * replies of the live entries do not fit.
 */

const FREE = 0;
const PENDING = 1;
const DONE = 2;

/** Per-slot metadata, interleaved so that one cache line serves a chain step: */
const META = 4;
const M_HASH = 0;
/** seq of the next older entry of the bucket (-1: none). */
const M_NEXT = 1;
const M_PORT = 2;
const M_STATE = 3;

/** Identifier and authenticator: 19 bytes, read as five 32-bit words (the last one has 3 bytes). */
const KEY_WORDS = 5;
const INITIAL_CAPACITY = 1024;
const INITIAL_ARENA = 64 * 1024;
/** Seq numbers are renumbered from 0 (by a rebuild) before they leave the int32 range. */
const SEQ_LIMIT = 2 ** 30;
/** Characters of the address that go into the hash (equality still compares the whole string). */
const HASHED_ADDRESS_CHARS = 64;

/**
 * Default bound on remembered requests: 5 s at ~50k requests/s. Past it the oldest entries go
 * first, so retransmission detection weakens only under sustained overload.
 */
export const DEFAULT_DUPLICATE_CACHE_SIZE = 262144;

/**
 * How often (ms) expired entries are evicted while the count bound is not reached: an answered
 * request's entry and reply go at most this long after their lifetime ends.
 */
export function sweepInterval(ttlMs: number): number {
  return Math.max(1, ttlMs / 8);
}

/** The key of a request whose reply comes later (asynchronous handlers), for {@link finishKey}. */
export interface DuplicateKey {
  readonly address: string;
  readonly port: number;
  readonly hash: number;
  readonly words: Int32Array;
}

export class DuplicateTable {
  readonly ttlMs: number;
  readonly maxEntries: number;

  private capacity = 0;
  private mask = 0;
  private head = 0;
  private tail = 0;
  private live = 0;
  private meta = new Int32Array(0);
  private expires = new Float64Array(0);
  private words = new Int32Array(0);
  /** Newest seq of each bucket (-1 or a seq below head: empty); as many buckets as slots. */
  private buckets = new Int32Array(0);
  private addresses: (string | undefined)[] = [];
  /** Where each entry's reply starts in the arena (also set, in order, for entries without one)... */
  private replyStart = new Int32Array(0);
  /** ... and its length, or -1 for none. */
  private replyLength = new Int32Array(0);
  private arena = new Uint8Array(0);
  /** Arena position where the next reply goes. */
  private arenaTail = 0;
  /** When expired entries are next evicted below the count bound. */
  private nextSweep = 0;
  /** Largest ring: room for every live entry and as many holes (left by slow handlers' finishes). */
  private readonly maxCapacity: number;

  // Hash key: random per table, so that no one can choose requests that collide (hash flooding).
  private readonly k0: number;
  private readonly k1: number;
  /** The address last hashed, its word count and the hash state after its words. */
  private hashedAddress: string | undefined;
  private hashedWords = 0;
  private readonly hashedState = new Int32Array(4);

  // The key computed by the last find(), used by begin(): one hash per request, no key object.
  private keyAddress = '';
  private keyPort = 0;
  private keyHash = 0;
  private readonly keyWords = new Int32Array(KEY_WORDS);

  constructor(ttlMs: number, maxEntries: number) {
    this.ttlMs = ttlMs;
    this.maxEntries = Math.max(1, Math.floor(maxEntries));
    this.maxCapacity = Math.max(INITIAL_CAPACITY, nextPowerOfTwo(2 * this.maxEntries));
    const seed = randomBytesPooled(8);
    this.k0 = seed.readInt32LE(0);
    this.k1 = seed.readInt32LE(4);
    this.clear();
  }

  /** Number of requests remembered. */
  get size(): number {
    return this.live;
  }

  /**
   * The slot of the live entry for this request, or -1 (an expired entry is removed). Also
   * remembers the request's key for a following {@link begin}.
   */
  find(address: string, port: number, data: Uint8Array, now: number): number {
    const w = this.keyWords;
    w[0] = data[1] | (data[2] << 8) | (data[3] << 16) | (data[4] << 24);
    w[1] = data[5] | (data[6] << 8) | (data[7] << 16) | (data[8] << 24);
    w[2] = data[9] | (data[10] << 8) | (data[11] << 16) | (data[12] << 24);
    w[3] = data[13] | (data[14] << 8) | (data[15] << 16) | (data[16] << 24);
    w[4] = data[17] | (data[18] << 8) | (data[19] << 16);
    this.keyAddress = address;
    this.keyPort = port;
    this.keyHash = this.hash(address, port, w);
    const slot = this.lookup(address, port, this.keyHash, w);
    if (slot >= 0 && this.isExpired(slot, now)) {
      this.remove(slot);
      return -1;
    }
    return slot;
  }

  /** Whether the entry in `slot` (from find) has its reply. */
  isDone(slot: number): boolean {
    return this.meta[slot * META + M_STATE] === DONE;
  }

  /** A copy of the reply recorded for the entry in `slot` (undefined: none was sent). */
  replyAt(slot: number): Buffer | undefined {
    const n = this.replyLength[slot];
    if (n < 0) return undefined;
    const out = Buffer.allocUnsafe(n);
    const at = this.replyStart[slot] & (this.arena.length - 1);
    copyBytes(out, 0, this.arena, at, at + n);
    return out;
  }

  /** Records the request of the last find() as being handled; returns its ticket for {@link finish}. */
  begin(now: number): number {
    const seq = this.append(this.keyAddress, this.keyPort, this.keyHash, this.keyWords, PENDING);
    this.expires[seq & this.mask] = now + this.ttlMs;
    this.bound(now);
    return seq;
  }

  /**
   * Records the reply (or undefined: none; duplicates are dropped until expiry) of the request
   * begun with `ticket` in the same call stack. Across an await, whatever evicts meanwhile could
   * take the entry and its key with it: take {@link keyOf} at once and use {@link finishKey}.
   */
  finish(ticket: number, reply: Buffer | undefined, now: number): void {
    const slot = ticket & this.mask;
    const state = this.meta[slot * META + M_STATE];
    if (ticket === this.tail - 1 && state === PENDING) {
      // Still the newest entry: updating it in place keeps the order a re-insertion would give.
      this.markDone(slot, reply, now);
      this.bound(now);
    } else if (ticket >= this.head && ticket < this.tail && state !== FREE) {
      this.finishKey(this.keyOf(ticket), reply, now);
    }
  }

  /** The key of the entry begun with `ticket`, to finish it later with {@link finishKey}. */
  keyOf(ticket: number): DuplicateKey {
    const slot = ticket & this.mask;
    return {
      address: this.addresses[slot] as string,
      port: this.meta[slot * META + M_PORT],
      hash: this.meta[slot * META + M_HASH],
      words: this.words.slice(slot * KEY_WORDS, slot * KEY_WORDS + KEY_WORDS),
    };
  }

  /** Like {@link finish} for a request whose reply came later: moves its entry to the newest place. */
  finishKey(key: DuplicateKey, reply: Buffer | undefined, now: number): void {
    const old = this.lookup(key.address, key.port, key.hash, key.words);
    if (old >= 0) this.remove(old);
    const seq = this.append(key.address, key.port, key.hash, key.words, DONE);
    this.markDone(seq & this.mask, reply, now);
    this.bound(now);
  }

  /**
   * Forgets a request begun here that this instance will not answer (another instance does): its
   * next copy is then not found, and is looked up again where the answer will be.
   */
  forgetKey(key: DuplicateKey): void {
    const slot = this.lookup(key.address, key.port, key.hash, key.words);
    if (slot >= 0 && this.meta[slot * META + M_STATE] === PENDING) this.remove(slot);
  }

  /** Forgets every request. */
  clear(): void {
    this.nextSweep = 0;
    this.allocate(INITIAL_CAPACITY);
    this.arena = new Uint8Array(INITIAL_ARENA);
    this.arenaTail = 0;
  }

  private markDone(slot: number, reply: Buffer | undefined, now: number): void {
    this.meta[slot * META + M_STATE] = DONE;
    this.expires[slot] = now + this.ttlMs;
    if (reply !== undefined) this.storeReply(slot, reply);
  }

  /** Copies the reply of the newest entry (in `slot`) to the arena tail, so arena order is entry order. */
  private storeReply(slot: number, reply: Uint8Array): void {
    const n = reply.length;
    let at = this.arenaTail;
    for (;;) {
      const size = this.arena.length;
      // A reply is kept in one piece: one that would wrap starts at the beginning instead.
      const offset = at & (size - 1);
      if (offset + n > size) at = (at + size - offset) | 0;
      if (((at + n - this.arenaHead()) | 0) <= size) break;
      this.growArena(n);
      at = this.arenaTail;
    }
    copyBytes(this.arena, at & (this.arena.length - 1), reply, 0, n);
    this.replyStart[slot] = at;
    this.replyLength[slot] = n;
    this.arenaTail = (at + n) | 0;
  }

  /** Arena position of the oldest bytes still needed: the start of the entry at head. */
  private arenaHead(): number {
    return this.head < this.tail ? this.replyStart[this.head & this.mask] : this.arenaTail;
  }

  /** Doubles the arena (until `extra` more bytes fit), keeping every live byte at its position. */
  private growArena(extra: number): void {
    const old = this.arena;
    const from = this.arenaHead();
    const to = this.arenaTail;
    const used = (to - from) | 0;
    let size = 2 * old.length;
    while (size < used + 2 * extra) size *= 2;
    const arena = new Uint8Array(size);
    // Positions are kept, so the live bytes may wrap differently: copy them piece by piece.
    for (let p = from; p !== to; ) {
      const i = p & (old.length - 1);
      const j = p & (size - 1);
      const n = Math.min(old.length - i, size - j, (to - p) | 0);
      arena.set(old.subarray(i, i + n), j);
      p = (p + n) | 0;
    }
    this.arena = arena;
  }

  // A pending entry ends with finish() (the server bounds handlers by handlerTimeout), not with time.
  private isExpired(slot: number, now: number): boolean {
    return this.meta[slot * META + M_STATE] === DONE && this.expires[slot] <= now;
  }

  private lookup(address: string, port: number, hash: number, w: Int32Array): number {
    const meta = this.meta;
    const words = this.words;
    const mask = this.mask;
    for (let seq = this.buckets[hash & mask]; seq >= this.head; seq = meta[(seq & mask) * META + M_NEXT]) {
      const s = seq & mask;
      const m = s * META;
      const o = s * KEY_WORDS;
      if (
        meta[m + M_HASH] === hash &&
        meta[m + M_PORT] === port &&
        words[o] === w[0] &&
        words[o + 1] === w[1] &&
        words[o + 2] === w[2] &&
        words[o + 3] === w[3] &&
        words[o + 4] === w[4] &&
        this.addresses[s] === address
      ) {
        return s;
      }
    }
    return -1;
  }

  /** Puts a new entry at the tail and returns its seq number. */
  private append(address: string, port: number, hash: number, w: Int32Array, state: number): number {
    if (this.tail - this.head === this.capacity || this.tail >= SEQ_LIMIT) this.makeRoom();
    const seq = this.tail++;
    const s = seq & this.mask;
    const m = s * META;
    const b = hash & this.mask;
    this.meta[m + M_HASH] = hash;
    this.meta[m + M_NEXT] = this.buckets[b];
    this.meta[m + M_PORT] = port;
    this.meta[m + M_STATE] = state;
    this.buckets[b] = seq;
    const o = s * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) this.words[o + i] = w[i];
    // Requests from one NAS share one address string instead of keeping one per datagram alive.
    const prev = this.addresses[(seq - 1) & this.mask];
    this.addresses[s] = prev === address ? prev : address;
    this.replyStart[s] = this.arenaTail;
    this.replyLength[s] = -1;
    this.live++;
    return seq;
  }

  /** Keeps the size bound: evicts oldest first down to 7/8 of it, and expired entries at the front. */
  private bound(now: number): void {
    // Over the bound: in batches, down to 7/8 (evicting one entry per insertion would keep the
    // table at its limit for good). Below it, expired entries go every eighth of a lifetime:
    // without this a steady flow kept every reply until the count bound, 262,144 of them (some
    // 300 MB of EAP challenges).
    const over = this.live > this.maxEntries;
    if (!over && now < this.nextSweep) return;
    this.nextSweep = now + sweepInterval(this.ttlMs);
    const target = over ? this.maxEntries - (this.maxEntries >> 3) : this.live;
    while (this.head < this.tail) {
      const s = this.head & this.mask;
      if (this.meta[s * META + M_STATE] !== FREE) {
        if (this.live <= target && !this.isExpired(s, now)) break;
        this.release(s);
      }
      // Chains that lead here now stop here: their walks end at seqs below head.
      this.head++;
    }
  }

  /**
   * The ring is full (or seq numbers are running out): move the entries, oldest first, to the front
   * of a ring twice as large, or of the same size when at least half of it is holes. Seq numbers
   * change, so this only runs inside append(), before a ticket is handed out (tickets are used in
   * the same call stack).
   */
  private makeRoom(): void {
    const grow = 2 * this.live > this.capacity && this.capacity < this.maxCapacity;
    this.rebuild(grow ? 2 * this.capacity : this.capacity);
  }

  /** Removes an entry from the middle of the ring: unlinked from its chain, its slot left as a hole. */
  private remove(slot: number): void {
    const meta = this.meta;
    const mask = this.mask;
    const seq = this.seqOf(slot);
    const b = meta[slot * META + M_HASH] & mask;
    const after = meta[slot * META + M_NEXT];
    if (this.buckets[b] === seq) this.buckets[b] = after;
    else {
      let q = this.buckets[b];
      while (meta[(q & mask) * META + M_NEXT] !== seq) q = meta[(q & mask) * META + M_NEXT];
      meta[(q & mask) * META + M_NEXT] = after;
    }
    this.release(slot);
  }

  /** The seq number of the live entry in `slot` (the one between head and tail that maps to it). */
  private seqOf(slot: number): number {
    return this.head + ((slot - this.head) & this.mask);
  }

  /** Frees a slot (its chain links are the caller's business). */
  private release(slot: number): void {
    this.meta[slot * META + M_STATE] = FREE;
    this.addresses[slot] = undefined;
    this.live--;
  }

  private allocate(capacity: number): void {
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.head = 0;
    this.tail = 0;
    this.live = 0;
    this.meta = new Int32Array(capacity * META);
    this.expires = new Float64Array(capacity);
    this.words = new Int32Array(capacity * KEY_WORDS);
    this.buckets = new Int32Array(capacity).fill(-1);
    this.addresses = new Array(capacity).fill(undefined);
    this.replyStart = new Int32Array(capacity);
    this.replyLength = new Int32Array(capacity);
  }

  /**
   * Moves the live entries, oldest first, to seqs 0, 1, ... of a ring of `capacity` slots. Replies
   * stay where they are in the arena. Field by field, no hashing and no reply copies: a ring of a
   * few hundred thousand entries moves in milliseconds.
   */
  private rebuild(capacity: number): void {
    const { head, tail, meta, expires, words, addresses, replyStart, replyLength, mask } = this;
    this.allocate(capacity);
    const to = this.meta;
    let seq = 0;
    for (let old = head; old < tail; old++) {
      const f = old & mask;
      if (meta[f * META + M_STATE] === FREE) continue;
      const t = seq & this.mask;
      const hash = meta[f * META + M_HASH];
      // Oldest first, each put at the head of its chain: chains come out newest first again.
      const b = hash & this.mask;
      to[t * META + M_HASH] = hash;
      to[t * META + M_NEXT] = this.buckets[b];
      to[t * META + M_PORT] = meta[f * META + M_PORT];
      to[t * META + M_STATE] = meta[f * META + M_STATE];
      this.buckets[b] = seq;
      for (let i = 0; i < KEY_WORDS; i++) this.words[t * KEY_WORDS + i] = words[f * KEY_WORDS + i];
      this.expires[t] = expires[f];
      this.addresses[t] = addresses[f];
      this.replyStart[t] = replyStart[f];
      this.replyLength[t] = replyLength[f];
      seq++;
    }
    this.tail = seq;
    this.live = seq;
  }

  /**
   * A keyed 32-bit hash of the key in the style of HalfSipHash-1-3 (one round per word, three to
   * finish): without the table's random key, colliding requests cannot be chosen.
   */
  private hash(address: string, port: number, w: Int32Array): number {
    // The message: the address 4 characters a word, the port with the address length, the key
    // words, and the byte count in the top byte of the last word.
    const m = message;
    const chars = Math.min(address.length, HASHED_ADDRESS_CHARS);
    // Requests come from few NASes: the state after the address words is kept for the last one.
    const known = address === this.hashedAddress;
    let n = 0;
    if (known) n = this.hashedWords;
    else {
      let word = 0;
      // One character at a time: charCodeAt past the end would return NaN and slow the loop down.
      for (let c = 0; c < chars; c++) {
        word |= (address.charCodeAt(c) & 0xff) << ((c & 3) << 3);
        if ((c & 3) === 3) {
          m[n++] = word;
          word = 0;
        }
      }
      if ((chars & 3) !== 0) m[n++] = word;
    }
    const addressWords = n;
    m[n++] = port | (chars << 16);
    for (let i = 0; i < KEY_WORDS; i++) m[n++] = w[i];
    m[n] = (4 * n) << 24;
    n++;
    let v0 = this.k0;
    let v1 = this.k1;
    let v2 = 0x6c796765 ^ this.k0;
    let v3 = 0x74656462 ^ this.k1;
    if (known) {
      const h = this.hashedState;
      v0 = h[0];
      v1 = h[1];
      v2 = h[2];
      v3 = h[3];
    }
    for (let i = known ? addressWords : 0; i < n + 3; i++) {
      if (i === addressWords && !known) {
        const h = this.hashedState;
        h[0] = v0;
        h[1] = v1;
        h[2] = v2;
        h[3] = v3;
        this.hashedAddress = address;
        this.hashedWords = addressWords;
      }
      const x = i < n ? m[i] : 0;
      if (i === n) v2 ^= 0xff;
      v3 ^= x;
      v0 = (v0 + v1) | 0;
      v1 = (v1 << 5) | (v1 >>> 27);
      v1 ^= v0;
      v0 = (v0 << 16) | (v0 >>> 16);
      v2 = (v2 + v3) | 0;
      v3 = (v3 << 8) | (v3 >>> 24);
      v3 ^= v2;
      v0 = (v0 + v3) | 0;
      v3 = (v3 << 7) | (v3 >>> 25);
      v3 ^= v0;
      v2 = (v2 + v1) | 0;
      v1 = (v1 << 13) | (v1 >>> 19);
      v1 ^= v2;
      v2 = (v2 << 16) | (v2 >>> 16);
      v0 ^= x;
    }
    return (v1 ^ v3) & 0x7fffffff;
  }
}

/** Scratch for the words hashed (JS runs one hash at a time). */
const message = new Int32Array(HASHED_ADDRESS_CHARS / 4 + 2 + KEY_WORDS);

/** Copies `src[start, end)` to `dst[at]`: a byte loop for short replies, whose copy costs less than a view. */
function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, start: number, end: number): void {
  if (end - start > 64) dst.set(src.subarray(start, end), at);
  else for (let i = start; i < end; i++) dst[at + i - start] = src[i];
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

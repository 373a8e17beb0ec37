import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ACCESS_ACCEPT,
  AccessRequest,
  AccountingRequest,
  type AttributeDef,
  type AttributeEntry,
  type AttributeInput,
  type AttributeValue,
  AttributesSet,
  decodeAttributes,
  Dictionary,
  decodeRequest,
  decodeResponse,
  defaultDictionary,
  type Packet,
  PacketTooLargeError,
  RadiusError,
  scanPacket,
} from '../../src/index.js';

const SECRET = Buffer.from('property-secret');
const ZERO16 = Buffer.alloc(16);
// PROPERTY_RUNS=20000 runs a deeper search; the default keeps the suite quick.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 2000);

// ---------------------------------------------------------------------------------------------
// Oracles written from the RFCs, independent of the library.

/** RFC 5952 text of 16 bytes: lower case, no leading zeros, the first longest zero run as `::`. */
function canonicalIPv6(b: Uint8Array): string {
  const w = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  // §5: IPv4-mapped addresses keep the dotted quad.
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff)
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
  }
  const hexWords = (ws: number[]) => ws.map((x) => x.toString(16)).join(':');
  if (best < 0) return hexWords(w);
  return `${hexWords(w.slice(0, best))}::${hexWords(w.slice(best + bestLen))}`;
}

/** The eight groups written out in full, in upper or lower case. */
function expandedIPv6(b: Uint8Array, upper: boolean): string {
  const text = Array.from({ length: 8 }, (_, i) =>
    ((b[2 * i] << 8) | b[2 * i + 1]).toString(16).padStart(4, '0'),
  ).join(':');
  return upper ? text.toUpperCase() : text;
}

function maskPrefix(b: Uint8Array, bits: number): Buffer {
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    out[i] = b[i] & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** Dotted-quad `a` with the bits past the first `bits` cleared (RFC 8044 §3.11). */
function maskIPv4(a: string, bits: number): string {
  return Array.from(maskPrefix(Buffer.from(a.split('.').map(Number)), bits).subarray(0, 4)).join('.');
}

function md5(...parts: Uint8Array[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

// ---------------------------------------------------------------------------------------------
// Random attribute values.

/** One drawn attribute: what is added, and what decoding must give back. */
interface Drawn {
  def: AttributeDef;
  value: AttributeInput;
  tag: number | undefined;
  expect: AttributeValue;
  expectTag: number | undefined;
}

const bytes = (max: number, min = 0) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((u) => Buffer.from(u));

/** Strings of at most `max` UTF-8 bytes. */
const text = (max: number) =>
  fc.string({ unit: 'grapheme', maxLength: Math.min(max, 60) }).filter((s) => Buffer.byteLength(s) <= max);

/** Room for the value bytes of `def`: 253 in an attribute, less in a VSA (RFC 2865 §5.26) or extended attribute. */
function room(def: AttributeDef): number {
  if (def.flags.concat) return 1500;
  let chain = 0;
  for (let p = def.parent; p; p = p.parent) chain += p.type === 'tlv' ? 2 : p.evsVendors ? 5 : 1;
  if (def.vendor && !def.parent?.evsVendors) {
    const v = def.vendor;
    return 255 - 6 - v.typeSize - v.lengthSize - (v.continuation ? 1 : 0) - chain;
  }
  const top = def.parent ? (chainRoot(def).type === 'long-extended' ? 2000 : 252) : 253;
  return top - (def.parent ? chain - 1 : 0);
}

function chainRoot(def: AttributeDef): AttributeDef {
  let d = def;
  while (d.parent) d = d.parent;
  return d;
}

function intValue(
  def: AttributeDef,
  max: number,
): fc.Arbitrary<{ value: AttributeInput; expect: AttributeValue }> {
  const names = [...def.values.values()].filter((v) => typeof v.value === 'number' && v.value <= max);
  const byNumber = fc.integer({ min: 0, max }).map((n) => ({ value: n, expect: def.valueNames.get(n) ?? n }));
  if (names.length === 0) return byNumber;
  const byName = fc.constantFrom(...names).map((v) => ({
    value: v.name,
    expect: def.valueNames.get(v.value) ?? (v.value as number),
  }));
  return fc.oneof(byName, byNumber);
}

/** A random valid value of `def`'s type with the value decoding must give back. */
function valueArb(
  def: AttributeDef,
  limit: number,
): fc.Arbitrary<{ value: AttributeInput; expect: AttributeValue }> {
  const same = <T extends AttributeValue>(a: fc.Arbitrary<T>) => a.map((v) => ({ value: v, expect: v }));
  const enc = def.flags.encrypt;
  if (enc === 1) {
    // Hidden like User-Password: at most 128 bytes; trailing NULs are padding (RFC 2865 §5.2).
    if (def.type === 'string') return same(text(128).filter((s) => !s.endsWith('\0')));
    // Binary values keep their padding, so only whole blocks come back unchanged.
    return same(fc.integer({ min: 1, max: 8 }).chain((k) => bytes(16 * k, 16 * k)));
  }
  if (enc === 2) {
    // Salt (2) + blocks holding the length byte and the value (RFC 2868 §3.5).
    const max = Math.floor((limit - 2) / 16) * 16 - 1;
    return def.type === 'string' ? same(text(max)) : same(bytes(max));
  }
  // NAS-Filter-Rule values are rules, split on NUL when received (RFC 4849 §2): none holds one.
  if (def.name === 'NAS-Filter-Rule') return same(text(limit).filter((s) => !s.includes('\0')));
  switch (def.type) {
    case 'string':
      return same(text(limit));
    case 'octets':
      return def.flags.length !== undefined
        ? same(bytes(def.flags.length, def.flags.length))
        : same(bytes(limit));
    case 'ipaddr':
      return same(fc.ipV4());
    case 'ipv6addr':
      return fc.tuple(bytes(16, 16), fc.integer({ min: 0, max: 2 })).map(([b, form]) => ({
        value: form === 0 ? canonicalIPv6(b) : expandedIPv6(b, form === 2),
        expect: canonicalIPv6(b),
      }));
    case 'ipv6prefix':
      return fc.tuple(bytes(16, 16), fc.integer({ min: 0, max: 128 })).map(([b, bits]) => ({
        value: `${expandedIPv6(b, false)}/${bits}`,
        expect: `${canonicalIPv6(maskPrefix(b, bits))}/${bits}`,
      }));
    case 'ipv4prefix':
      return fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, bits]) => ({
        value: `${a}/${bits}`,
        expect: `${maskIPv4(a, bits)}/${bits}`,
      }));
    case 'ifid':
      return bytes(8, 8).map((b) => {
        const groups = Array.from({ length: 4 }, (_, i) => b.readUInt16BE(2 * i).toString(16));
        return { value: groups.join(':'), expect: groups.map((g) => g.padStart(4, '0')).join(':') };
      });
    case 'integer':
      return intValue(def, def.flags.hasTag ? 0xffffff : 0xffffffff);
    case 'date':
      return fc
        .integer({ min: 0, max: 0xffffffff })
        .map((s) => ({ value: new Date(s * 1000), expect: new Date(s * 1000) }));
    default:
      throw new Error(`no generator for ${def.name} (${def.type})`);
  }
}

/** A random attribute of `def`: value, tag when the attribute is tagged (RFC 2868 §3). */
function drawnArb(def: AttributeDef): fc.Arbitrary<Drawn> {
  const tagged = def.flags.hasTag;
  const tagArb = tagged
    ? fc.option(fc.integer({ min: 0, max: 31 }), { nil: undefined })
    : fc.constant(undefined);
  return tagArb.chain((tag) => {
    // A tag byte takes one octet of the room of non-integer values.
    const wantsTagByte = tagged && def.type !== 'integer' && (tag !== undefined || def.flags.encrypt === 2);
    let values = valueArb(def, room(def) - (wantsTagByte ? 1 : 0));
    // Without a tag, a string that starts below 0x20 would read as one (the RFC 2868 §3 ambiguity).
    if (tagged && tag === undefined && def.type === 'string')
      values = values.filter(({ value }) => typeof value !== 'string' || !(value.charCodeAt(0) < 0x20));
    return values.map(({ value, expect }) => ({
      def,
      value,
      tag,
      expect,
      // A tagged integer and a salted value always carry the tag byte: absent reads back as 0.
      expectTag: tagged && (def.type === 'integer' || def.flags.encrypt === 2) ? (tag ?? 0) : tag,
    }));
  });
}

/** Attributes of `dict` that carry a value of their own (the codec's job), without Message-Authenticator. */
function valueAttributes(
  dict: Dictionary,
  filter: (def: AttributeDef) => boolean = () => true,
): AttributeDef[] {
  return [...dict.attributes()].filter(
    (d) => !d.isContainer && !d.flags.virtual && d.name !== 'Message-Authenticator' && filter(d),
  );
}

function setArb(pool: AttributeDef[], max: number): fc.Arbitrary<Drawn[]> {
  return fc
    .uniqueArray(fc.integer({ min: 0, max: pool.length - 1 }), { maxLength: max })
    .chain((idx) => (idx.length === 0 ? fc.constant([]) : fc.tuple(...idx.map((i) => drawnArb(pool[i])))));
}

function sameValue(a: AttributeValue, b: AttributeValue): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}

function describeEntries(list: { def: AttributeDef; value: unknown; tag: number | undefined }[]): string {
  return list
    .map(
      (e) => `${e.def.name}:${e.tag}=${Buffer.isBuffer(e.value) ? e.value.toString('hex') : String(e.value)}`,
    )
    .join(', ');
}

/** An empty unhidden value (not Chargeable-User-Identity), which the encoder skips. */
function skippedEmpty(d: Drawn): boolean {
  const v = d.value;
  const empty = (typeof v === 'string' && v.length === 0) || (v instanceof Uint8Array && v.length === 0);
  return empty && d.def.flags.encrypt === 0 && d.def.name !== 'Chargeable-User-Identity';
}

/** Encodes `drawn` in an Access-Request or in an Access-Accept to one, decodes, and compares. */
function roundTrip(dict: Dictionary, drawn: Drawn[], asReply: boolean): void {
  const request = new AccessRequest(SECRET, { dictionary: dict });
  let packet: Packet = request;
  if (asReply) {
    request.add('User-Name', 'property');
    request.encode();
    packet = request.createReply(ACCESS_ACCEPT);
  }
  for (const d of drawn) packet.attributes.add(d.def.name, d.value, d.tag);
  let wire: Buffer;
  try {
    wire = packet.encode();
  } catch (err) {
    // Random sets may not fit in 4096 bytes; that is a precondition, not a failure.
    fc.pre(!(err instanceof PacketTooLargeError));
    throw err;
  }
  const got = asReply
    ? decodeResponse(SECRET, wire, request, { dictionary: dict })
    : decodeRequest(SECRET, wire, { dictionary: dict });
  const entries = got.attributes.entries.filter((e) => e.def.name !== 'Message-Authenticator');
  // Empty values are not sent (RFC 2865 §5; see codec-empty-values.test.ts): they do not come back.
  const sent = drawn.filter((d) => !skippedEmpty(d));
  const ok =
    entries.length === sent.length &&
    entries.every(
      (e, i) => e.def === sent[i].def && sameValue(e.value, sent[i].expect) && e.tag === sent[i].expectTag,
    );
  assert.ok(
    ok,
    `sent ${describeEntries(sent.map((d) => ({ def: d.def, value: d.expect, tag: d.expectTag })))}\n` +
      `got  ${describeEntries(entries)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// A dictionary with the structures the built-in one lacks: TLVs, long-extended, EVS, vendor formats.

function structuresDictionary(): Dictionary {
  const dict = new Dictionary();
  dict.addAttribute({ name: 'Test-TLV', path: [173], type: 'tlv' });
  dict.addAttribute({ name: 'Test-TLV-Int', path: [173, 1], type: 'integer' });
  dict.addAttribute({ name: 'Test-TLV-Prefix', path: [173, 2], type: 'ipv6prefix' });
  dict.addAttribute({ name: 'Test-TLV-Inner', path: [173, 3], type: 'tlv' });
  dict.addAttribute({ name: 'Test-TLV-Inner-Addr', path: [173, 3, 1], type: 'ipaddr' });
  dict.addAttribute({ name: 'Test-Ext-TLV', path: [241, 5], type: 'tlv' });
  dict.addAttribute({ name: 'Test-Ext-TLV-Int', path: [241, 5, 1], type: 'integer' });
  dict.addAttribute({ name: 'Test-Ext-TLV-Str', path: [241, 5, 2], type: 'string' });
  dict.addAttribute({ name: 'Test-Long', path: [245, 1], type: 'octets' });
  dict.addAttribute({ name: 'Test-Long-Text', path: [245, 2], type: 'string' });
  dict.addVendor(11344, 'Test-EVS-Vendor');
  dict.addAttribute({ name: 'Test-EVS-Short', path: [1], type: 'octets', vendor: 11344, evs: [241, 26] });
  dict.addAttribute({ name: 'Test-EVS-Long', path: [2], type: 'octets', vendor: 11344, evs: [245, 26] });
  dict.addVendor(9, 'Test-Cisco');
  dict.addAttribute({ name: 'Test-AVPair', path: [1], type: 'string', vendor: 9 });
  dict.addVendor(8164, 'Test-Starent', 2, 2);
  dict.addAttribute({ name: 'Test-Wide', path: [300], type: 'string', vendor: 8164 });
  dict.addVendor(429, 'Test-USR', 4, 0);
  dict.addAttribute({ name: 'Test-No-Length', path: [0x10000], type: 'integer', vendor: 429 });
  dict.addVendor(637, 'Test-Alcatel', 2, 1);
  dict.addAttribute({ name: 'Test-Two-One', path: [1792], type: 'ipv6addr', vendor: 637 });
  dict.addVendor(24757, 'Test-WiMAX', 1, 1, true);
  dict.addAttribute({ name: 'Test-Cont', path: [4], type: 'octets', vendor: 24757 });
  dict.addAttribute({ name: 'Test-Cont-TLV', path: [1], type: 'tlv', vendor: 24757 });
  dict.addAttribute({ name: 'Test-Cont-TLV-Str', path: [1, 1], type: 'string', vendor: 24757 });
  return dict;
}

// ---------------------------------------------------------------------------------------------
// Mutations of valid packets.

type Mutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'set'; pos: number; value: number }
  | { kind: 'truncate'; pos: number }
  | { kind: 'headerLength'; value: number }
  | { kind: 'attrLength'; index: number; value: number }
  | { kind: 'append'; extra: Uint8Array };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set' as const), pos: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('truncate' as const), pos: fc.nat() }),
  fc.record({
    kind: fc.constant('headerLength' as const),
    value: fc.oneof(fc.nat(5000), fc.constantFrom(0, 19, 20, 21, 4096, 4097, 0xffff)),
  }),
  fc.record({
    kind: fc.constant('attrLength' as const),
    index: fc.nat(40),
    value: fc.oneof(fc.constantFrom(0, 1, 2, 3, 255), fc.nat(255)),
  }),
  fc.record({ kind: fc.constant('append' as const), extra: fc.uint8Array({ maxLength: 40 }) }),
);

function mutate(seed: Buffer, mutations: Mutation[]): Buffer {
  let buf = Buffer.from(seed);
  for (const m of mutations) {
    if (buf.length === 0) break;
    switch (m.kind) {
      case 'flip':
        buf[m.pos % buf.length] ^= 1 << m.bit;
        break;
      case 'set':
        buf[m.pos % buf.length] = m.value;
        break;
      case 'truncate':
        buf = buf.subarray(0, m.pos % buf.length);
        break;
      case 'headerLength':
        if (buf.length >= 4) buf.writeUInt16BE(m.value, 2);
        break;
      case 'attrLength': {
        // Walk to the index-th attribute while the framing holds, then change its length byte.
        let p = 20;
        for (let i = 0; i < m.index && p + 1 < buf.length && buf[p + 1] >= 2; i++) p += buf[p + 1];
        if (p + 1 < buf.length) buf[p + 1] = m.value;
        break;
      }
      case 'append':
        buf = Buffer.concat([buf, m.extra]);
        break;
    }
  }
  return Buffer.from(buf);
}

/**
 * Recomputes Message-Authenticator and the authenticator of a mutated packet (as a peer holding the
 * secret would), so that the attribute decoder is reached instead of the authenticator check.
 */
function resign(buf: Buffer, authField: Buffer | 'own', signHeader: boolean): void {
  if (buf.length < 20) return;
  const len = Math.min(buf.readUInt16BE(2), buf.length);
  if (len < 20) return;
  const auth = authField === 'own' ? Buffer.from(buf.subarray(4, 20)) : authField;
  buf.set(auth, 4);
  for (let p = 20; p + 2 <= len; p += buf[p + 1]) {
    const l = buf[p + 1];
    if (l < 2 || p + l > len) break;
    if (buf[p] === 80 && l === 18) {
      buf.fill(0, p + 2, p + 18);
      createHmac('md5', SECRET)
        .update(buf.subarray(0, len))
        .digest()
        .copy(buf, p + 2);
      break;
    }
  }
  if (signHeader) md5(buf.subarray(0, 4), auth, buf.subarray(20, len), SECRET).copy(buf, 4);
}

/** Runs `fn`; anything it throws must be a RadiusError. */
function onlyRadiusErrors<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RadiusError) return undefined;
    throw err;
  }
}

function payloadText(p: Packet): string {
  return describeEntries(
    p.attributes.entries.filter((e: AttributeEntry) => e.def.name !== 'Message-Authenticator'),
  );
}

// ---------------------------------------------------------------------------------------------

describe('encode → decode is the identity', () => {
  const pool = valueAttributes(defaultDictionary);

  test('the built-in pool covers the interesting kinds of attribute', () => {
    const names = new Set(pool.map((d) => d.name));
    for (const n of [
      'MS-CHAP-Challenge',
      'MS-MPPE-Send-Key',
      'Tunnel-Password',
      'Tunnel-Type',
      'EAP-Message',
    ])
      assert.ok(names.has(n), n);
    assert.ok(pool.some((d) => d.parent?.number === 241));
  });

  test('random sets of built-in attributes, in requests and in replies', () => {
    fc.assert(
      fc.property(setArb(pool, 12), fc.boolean(), (drawn, asReply) =>
        roundTrip(defaultDictionary, drawn, asReply),
      ),
      { numRuns: RUNS },
    );
  });

  test('Microsoft VSAs, tagged attributes, 241.x and long EAP-Message together', () => {
    const focus = pool.filter(
      (d) => d.vendor?.id === 311 || d.flags.hasTag || d.parent?.number === 241 || d.flags.concat,
    );
    fc.assert(
      fc.property(setArb(focus, 10), fc.boolean(), (drawn, asReply) =>
        roundTrip(defaultDictionary, drawn, asReply),
      ),
      { numRuns: RUNS },
    );
  });

  test('EAP-Message of 0..1500 bytes is split and joined in order', () => {
    const eap = defaultDictionary.resolve('EAP-Message');
    fc.assert(
      fc.property(bytes(1500), fc.boolean(), (value, asReply) =>
        roundTrip(
          defaultDictionary,
          [{ def: eap, value, tag: undefined, expect: value, expectTag: undefined }],
          asReply,
        ),
      ),
      { numRuns: 500 },
    );
  });

  test('TLVs, extended TLVs, long-extended, EVS and vendor formats 2/2, 4/0, 2/1, 1/1/c', () => {
    const dict = structuresDictionary();
    const extra = valueAttributes(dict, (d) => d.name.startsWith('Test-'));
    assert.equal(extra.length, 15);
    // Weighted towards the structures, with the built-in attributes of the same dictionary mixed in.
    const mixed = [
      ...extra,
      ...extra,
      ...extra,
      ...valueAttributes(dict, (d) => !d.name.startsWith('Test-')),
    ];
    fc.assert(
      fc.property(setArb(mixed, 10), fc.boolean(), (drawn, asReply) => {
        // The same definition twice in a row would group into one TLV or join as concat: keep them apart.
        const unique = drawn.filter((d, i) => drawn.findIndex((x) => x.def === d.def) === i);
        roundTrip(dict, unique, asReply);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('malformed input only ever throws RadiusError', () => {
  const dict = structuresDictionary();
  const request = new AccessRequest(SECRET, { dictionary: dict, identifier: 77 });
  request.addAttributes(
    ['User-Name', 'fuzz'],
    ['User-Password', 'password-of-some-length'],
    ['EAP-Message', Buffer.alloc(300, 2)],
    ['Tunnel-Type:1', 'L2TP'],
    ['Tunnel-Password:2', 'x'],
    ['MS-CHAP-Challenge', Buffer.alloc(16, 1)],
    ['MS-MPPE-Send-Key', Buffer.alloc(32, 3)],
    ['Framed-IPv6-Prefix', '2001:db8::/48'],
    ['Frag-Status', 'More-Data-Pending'],
    ['Test-TLV-Int', 5],
    ['Test-TLV-Inner-Addr', '192.0.2.9'],
    ['Test-Long', Buffer.alloc(400, 4)],
    ['Test-EVS-Short', Buffer.from('evs')],
    ['Test-Wide', 'wide'],
    ['Test-No-Length', 9],
    ['Test-Cont-TLV-Str', 'c'],
    ['Event-Timestamp', new Date(1_700_000_000_000)],
  );
  const requestBytes = request.encode();
  const accounting = new AccountingRequest(SECRET, { dictionary: dict });
  accounting.addAttributes(
    ['User-Name', 'acct'],
    ['Acct-Session-Id', 's1'],
    ['Test-AVPair', 'a=b'],
    ['Tunnel-Password', 'acct'],
  );
  const accountingBytes = accounting.encode();
  const reply = request.createReply(ACCESS_ACCEPT, [
    ['Reply-Message', 'hello'],
    ['Tunnel-Password:1', 'reply-secret'],
    ['MS-MPPE-Recv-Key', Buffer.alloc(32, 5)],
    ['Class', Buffer.alloc(40, 6)],
    ['Test-Ext-TLV-Str', 'ext'],
    ['Test-EVS-Long', Buffer.alloc(300, 7)],
  ]);
  const replyBytes = reply.encode();

  test('random byte strings', () => {
    const header = fc
      .tuple(fc.constantFrom(1, 2, 3, 4, 5, 11, 12, 40, 43, 0, 255), fc.nat(255), bytes(16, 16), bytes(300))
      .map(([code, id, auth, attrs]) => {
        const b = Buffer.concat([Buffer.from([code, id, 0, 0]), auth, attrs]);
        b.writeUInt16BE(b.length, 2);
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(bytes(400), header), (data) => {
        onlyRadiusErrors(() => scanPacket(data));
        onlyRadiusErrors(() => decodeRequest(SECRET, data, { dictionary: dict }));
        onlyRadiusErrors(() => decodeResponse(SECRET, data, request, { dictionary: dict }));
      }),
      { numRuns: RUNS },
    );
  });

  test('random attribute bytes straight into the attribute decoder', () => {
    fc.assert(
      fc.property(bytes(600), (data) => {
        onlyRadiusErrors(() =>
          decodeAttributes(data, 0, data.length, new AttributesSet(dict), {
            secret: SECRET,
            authenticator: ZERO16,
          }),
        );
      }),
      { numRuns: RUNS },
    );
  });

  const seeds: { name: string; bytes: Buffer; auth: Buffer | 'own'; signHeader: boolean; reply: boolean }[] =
    [
      { name: 'Access-Request', bytes: requestBytes, auth: 'own', signHeader: false, reply: false },
      { name: 'Accounting-Request', bytes: accountingBytes, auth: ZERO16, signHeader: true, reply: false },
      {
        name: 'Access-Accept',
        bytes: replyBytes,
        auth: request.authenticator,
        signHeader: true,
        reply: true,
      },
    ];

  for (const seed of seeds) {
    test(`mutated ${seed.name}: bit flips, truncation, length fields, attribute lengths 0/1, past the end`, () => {
      fc.assert(
        fc.property(
          fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
          fc.boolean(),
          (mutations, sign) => {
            const data = mutate(seed.bytes, mutations);
            if (sign) resign(data, seed.auth, seed.signHeader);
            onlyRadiusErrors(() => scanPacket(data));
            const decoded = onlyRadiusErrors(() =>
              seed.reply
                ? decodeResponse(SECRET, data, request, { dictionary: dict })
                : decodeRequest(SECRET, data, { dictionary: dict }),
            );
            if (!decoded) return;
            // What decodes re-encodes, and the re-encoded packet decodes to the same attributes.
            const again = decoded.encode();
            const redecoded = seed.reply
              ? decodeResponse(SECRET, again, request, { dictionary: dict })
              : decodeRequest(SECRET, again, { dictionary: dict });
            assert.equal(payloadText(redecoded), payloadText(decoded));
          },
        ),
        { numRuns: RUNS },
      );
    });
  }

  test('the seeds themselves decode (so the mutations start from valid packets)', () => {
    assert.equal(
      decodeRequest(SECRET, requestBytes, { dictionary: dict }).get('Test-TLV-Inner-Addr'),
      '192.0.2.9',
    );
    assert.equal(decodeRequest(SECRET, accountingBytes, { dictionary: dict }).get('Test-AVPair'), 'a=b');
    assert.deepEqual(
      decodeResponse(SECRET, replyBytes, request, { dictionary: dict }).get('Test-EVS-Long'),
      Buffer.alloc(300, 7),
    );
  });
});

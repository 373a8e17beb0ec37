// Three codec rules: IP prefixes carry no host bits (RFC 3162 §2.3, RFC 8044 §3.10 / §3.11), a tag
// goes only on attributes that have one (RFC 2868 §3.1), and WiMAX VSAs (format=1,1,c) longer than
// one attribute 26 are split over several with the continuation bit and joined again.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { noFlags } from '../../src/dictionary/definitions.js';
import {
  AccessRequest,
  AttributeDef,
  type AttributeType,
  AttributesSet,
  Dictionary,
  decodeRequest,
  defaultDictionary,
  InvalidValueError,
  type Packet,
  PacketTooLargeError,
} from '../../src/index.js';
import { readValue, writeValue } from '../../src/protocol/values.js';

const SECRET = 'codec-gaps-secret';
const ZERO16 = Buffer.alloc(16);
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function attr(type: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, 2 + value.length]), value]);
}

/** An Accounting-Request (code 4) with its Request Authenticator (RFC 2866 §3). */
function accounting(...attrs: Buffer[]): Buffer {
  const b = Buffer.concat([Buffer.from([4, 1, 0, 0]), ZERO16, ...attrs]);
  b.writeUInt16BE(b.length, 2);
  createHash('md5').update(b).update(SECRET).digest().copy(b, 4);
  return b;
}

/** Top-level attributes of an encoded packet as [type, length, value]. */
function wire(b: Buffer): [number, number, Buffer][] {
  const out: [number, number, Buffer][] = [];
  for (let p = 20; p < b.length; p += b[p + 1]) out.push([b[p], b[p + 1], b.subarray(p + 2, p + b[p + 1])]);
  return out;
}

function request(dict: Dictionary = defaultDictionary): Packet {
  return new AccessRequest(SECRET, { dictionary: dict, messageAuthenticator: false });
}

function roundTrip(p: Packet): { bytes: Buffer; got: Packet } {
  const bytes = p.encode();
  return { bytes, got: decodeRequest(SECRET, bytes, { dictionary: p.dictionary }) };
}

function seq(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
}

function typeDef(type: AttributeType): AttributeDef {
  return new AttributeDef(`Test-${type}`, 1, type, noFlags(), undefined, undefined, '1');
}

function enc(d: AttributeDef, value: string): Buffer {
  const buf = Buffer.alloc(64);
  return Buffer.from(buf.subarray(0, writeValue(d, value, buf, 0)));
}

describe('IP prefixes carry no host bits (RFC 8044 §3.10, §3.11)', () => {
  const v4 = typeDef('ipv4prefix');
  const v6 = typeDef('ipv6prefix');

  test('ipv4prefix: host bits given in the text are cleared on the wire', () => {
    for (const [text, wireHex, back] of [
      ['10.1.2.3/8', '00 08 0a000000', '10.0.0.0/8'],
      ['192.0.2.77/26', '00 1a c0000240', '192.0.2.64/26'],
      ['198.51.100.255/31', '00 1f c63364fe', '198.51.100.254/31'],
      ['203.0.113.9/32', '00 20 cb007109', '203.0.113.9/32'],
      ['203.0.113.9', '00 20 cb007109', '203.0.113.9/32'],
      ['255.255.255.255/0', '00 00 00000000', '0.0.0.0/0'],
      ['0.0.0.0/0', '00 00 00000000', '0.0.0.0/0'],
    ]) {
      assert.deepEqual(enc(v4, text), hex(wireHex), text);
      assert.equal(readValue(v4, hex(wireHex), 0, 6), back, text);
    }
  });

  test('ipv6prefix: host bits given in the text are cleared, only the prefix bytes are sent', () => {
    for (const [text, wireHex, back] of [
      ['2001:db8::1/32', '00 20 20010db8', '2001:db8::/32'],
      ['2001:db8:abcd:12ff::1/60', '00 3c 20010db8abcd12f0', '2001:db8:abcd:12f0::/60'],
      ['ffff::/7', '00 07 fe', 'fe00::/7'],
      ['::1/0', '00 00', '::/0'],
    ]) {
      assert.deepEqual(enc(v6, text), hex(wireHex), text);
      const b = hex(wireHex);
      assert.equal(readValue(v6, b, 0, b.length), back, text);
    }
  });

  test('received with host bits set, both read as the prefix, and re-encode without them', () => {
    const p = accounting(
      attr(155, hex('00 08 0a010203')),
      attr(155, hex('00 1e c0000203')),
      attr(97, hex('00 40 20010db800010002 00000000000000ff')),
      attr(97, hex('00 07 ff')),
    );
    const got = decodeRequest(SECRET, p);
    assert.deepEqual(got.getAll('PMIP6-Home-IPv4-HoA'), ['10.0.0.0/8', '192.0.2.0/30']);
    assert.deepEqual(got.getAll('Framed-IPv6-Prefix'), ['2001:db8:1:2::/64', 'fe00::/7']);
    assert.deepEqual(wire(got.encode()), [
      [155, 8, hex('00 08 0a000000')],
      [155, 8, hex('00 1e c0000200')],
      [97, 12, hex('00 40 20010db800010002')],
      [97, 5, hex('00 07 fe')],
    ]);
  });

  test('ipv6prefix /0, /7, /64, /128 and short encodings round-trip through packets', () => {
    const prefixes = ['::/0', 'fe00::/7', '2001:db8:1:2::/64', '2001:db8::1/128', '2001:db8::/29'];
    const p = request();
    for (const v of prefixes) p.add('Framed-IPv6-Prefix', v);
    const { bytes, got } = roundTrip(p);
    assert.deepEqual(
      wire(bytes).map(([, len]) => len),
      [4, 5, 12, 20, 8],
    );
    assert.deepEqual(got.getAll('Framed-IPv6-Prefix'), prefixes);
    // More bytes than the length needs (up to 16, RFC 3162 §2.3) read the same.
    const long = accounting(attr(97, hex('00 07 fe00 00')), attr(97, hex('00 40 20010db800010002 0000')));
    assert.deepEqual(decodeRequest(SECRET, long).getAll('Framed-IPv6-Prefix'), [
      'fe00::/7',
      '2001:db8:1:2::/64',
    ]);
  });

  test('every prefix length with every value size: a prefix or undefined, never a throw', () => {
    const body = Buffer.alloc(18, 0xff);
    for (const [d, max] of [
      [v4, 32],
      [v6, 128],
    ] as const) {
      for (let bits = 0; bits < 256; bits++) {
        body[1] = bits;
        for (let len = 0; len <= body.length; len++) {
          const got = readValue(d, body, 0, len);
          if (got === undefined) continue;
          assert.ok(bits <= max, `${d.type} /${bits}`);
          assert.match(String(got), new RegExp(`/${bits}$`));
          // What was read is a valid prefix: written again it reads the same.
          const again = enc(d, String(got));
          assert.equal(readValue(d, again, 0, again.length), got, `${d.type} ${len} bytes /${bits}`);
        }
      }
    }
  });

  test('a length over the maximum, or too few bytes, is kept raw', () => {
    const bad = [hex('00 21 0a000000'), hex('00 08 0a0000'), hex('00 08 0a00000000')];
    const p = accounting(...bad.map((v) => attr(155, v)));
    const got = decodeRequest(SECRET, p);
    assert.equal(got.attributes.has('PMIP6-Home-IPv4-HoA'), false);
    assert.deepEqual(got.getAll('Attr-155'), bad);
    assert.deepEqual(got.encode(), p);
  });
});

describe('a tag only on a tagged attribute (RFC 2868 §3.1)', () => {
  const refused = (e: unknown, name: string) =>
    e instanceof InvalidValueError && e.attribute === name && /tag/.test(e.message);

  test('Name:tag or a tag argument on an untagged attribute is refused when added', () => {
    assert.throws(
      () => request().add('Reply-Message:1', 'hi'),
      (e) => refused(e, 'Reply-Message'),
    );
    assert.throws(
      () => request().add('Reply-Message', 'hi', 0),
      (e) => refused(e, 'Reply-Message'),
    );
    assert.throws(
      () => request().add('NAS-Port:3', 7),
      (e) => refused(e, 'NAS-Port'),
    );
    assert.throws(
      () => request().add('MS-CHAP-Domain:2', 'dom'),
      (e) => refused(e, 'MS-CHAP-Domain'),
    );
    const set = new AttributesSet(defaultDictionary);
    assert.throws(
      () => set.add('Session-Timeout', 60, 1),
      (e) => refused(e, 'Session-Timeout'),
    );
    assert.throws(
      () => set.set('Session-Timeout:1', 60),
      (e) => refused(e, 'Session-Timeout'),
    );
    assert.throws(
      () => set.addAttributes(['Filter-Id:4', 'x']),
      (e) => refused(e, 'Filter-Id'),
    );
    assert.throws(
      () => new AttributesSet(defaultDictionary, [['Class:1', Buffer.from('c')]]),
      (e) => refused(e, 'Class'),
    );
    assert.throws(
      () => request().createReply(undefined, [['Reply-Message:1', 'hi']]),
      (e) => refused(e, 'Reply-Message'),
    );
    assert.equal(set.size, 0);
  });

  test('tags 0..31 keep working on tagged attributes, integers and hidden strings alike', () => {
    const p = request();
    for (let t = 0; t <= 31; t++) {
      p.add(`Tunnel-Type:${t}`, 'VLAN');
      p.add('Tunnel-Password', `pw${t}`, t);
    }
    const got = roundTrip(p).got;
    for (let t = 0; t <= 31; t++) {
      assert.equal(got.get(`Tunnel-Type:${t}`), 'VLAN');
      assert.equal(got.get(`Tunnel-Password:${t}`), `pw${t}`);
    }
    assert.throws(() => request().add('Tunnel-Type:32', 'VLAN'), InvalidValueError);
    assert.throws(() => request().add('Tunnel-Type', 'VLAN', -1), InvalidValueError);
  });
});

// The WiMAX layout as FreeRADIUS's dictionary.wimax describes it: type, length, continuation byte.
const WIMAX_DICTIONARY = `
VENDOR WiMAX 24757 format=1,1,c
BEGIN-VENDOR WiMAX
ATTRIBUTE WiMAX-Capability 1 tlv
ATTRIBUTE WiMAX-Release 1.1 string
ATTRIBUTE WiMAX-Test-Note 1.99 string
ATTRIBUTE WiMAX-AAA-Session-Id 4 octets
ATTRIBUTE WiMAX-MSK 5 octets encrypt=2
ATTRIBUTE WiMAX-Hotline-Indicator 24 string
END-VENDOR WiMAX
`;
const WIMAX = hex('00 00 60 b5');

function wimaxDictionary(): Dictionary {
  return new Dictionary().loadText(WIMAX_DICTIONARY, 'wimax-test');
}

/** One attribute 26 of vendor WiMAX holding one sub-attribute: type, length, continuation byte, data. */
function wimaxAttr(type: number, more: boolean, data: Buffer): Buffer {
  return attr(26, Buffer.concat([WIMAX, Buffer.from([type, 3 + data.length, more ? 0x80 : 0]), data]));
}

describe('WiMAX continuation (format=1,1,c)', () => {
  test('a 600-byte value goes out as 246 + 246 + 108 bytes, the C bit on all but the last', () => {
    const dict = wimaxDictionary();
    const value = seq(600);
    const { bytes, got } = roundTrip(request(dict).add('WiMAX-AAA-Session-Id', value));
    assert.deepEqual(wire(bytes), [
      [26, 255, Buffer.concat([WIMAX, hex('04 f9 80'), value.subarray(0, 246)])],
      [26, 255, Buffer.concat([WIMAX, hex('04 f9 80'), value.subarray(246, 492)])],
      [26, 117, Buffer.concat([WIMAX, hex('04 6f 00'), value.subarray(492)])],
    ]);
    assert.deepEqual(got.get('WiMAX-AAA-Session-Id'), value);
    assert.equal(got.attributes.size, 1);
    assert.deepEqual(got.encode().subarray(20), bytes.subarray(20));
  });

  test('up to 246 bytes take one attribute with the C bit clear; 247 take two', () => {
    const dict = wimaxDictionary();
    for (const [n, lengths] of [
      // An empty value is not sent (RFC 2865 §5, as FreeRADIUS): no attribute at all.
      [0, []],
      [1, [10]],
      [246, [255]],
      [247, [255, 10]],
      [492, [255, 255]],
      [493, [255, 255, 10]],
    ] as const) {
      const { bytes, got } = roundTrip(request(dict).add('WiMAX-AAA-Session-Id', seq(n)));
      const attrs = wire(bytes);
      assert.deepEqual(
        attrs.map(([, len]) => len),
        lengths,
        `${n} bytes`,
      );
      assert.deepEqual(
        attrs.map(([, , v]) => v[6]),
        lengths.map((_, i) => (i < lengths.length - 1 ? 0x80 : 0)),
        `${n} bytes`,
      );
      assert.deepEqual(got.get('WiMAX-AAA-Session-Id'), n === 0 ? undefined : seq(n), `${n} bytes`);
    }
  });

  test('strings, hidden values and TLVs longer than one attribute, between other attributes', () => {
    const dict = wimaxDictionary();
    const note = 'n'.repeat(240);
    const p = request(dict)
      .add('User-Name', 'before')
      .add('WiMAX-Hotline-Indicator', 'h'.repeat(300))
      .add('WiMAX-MSK', seq(240))
      .add('WiMAX-Release', '2.1')
      .add('WiMAX-Test-Note', note)
      .add('NAS-Port', 9);
    const { bytes, got } = roundTrip(p);
    assert.deepEqual(
      wire(bytes).map(([type, len]) => [type, len]),
      [
        [1, 8],
        [26, 255], // 300 bytes: 246 + 54
        [26, 63],
        [26, 255], // a salt and 1 + 240 bytes padded to 256 (RFC 2868 §3.5): 258 = 246 + 12
        [26, 21],
        [26, 255], // one TLV holding both children, 5 + 242 bytes: 246 + 1
        [26, 10],
        [5, 6],
      ],
    );
    // WiMAX-MSK is hidden: toJSON masks it, so the round trip is read with revealHidden.
    assert.deepEqual(got.attributes.toObject({ revealHidden: true }), {
      'User-Name': ['before'],
      'WiMAX-Hotline-Indicator': ['h'.repeat(300)],
      'WiMAX-MSK': [`0x${seq(240).toString('hex')}`],
      'WiMAX-Release': ['2.1'],
      'WiMAX-Test-Note': [note],
      'NAS-Port': [9],
    });
  });

  test('fragments of any size are joined, whoever wrote them', () => {
    const dict = wimaxDictionary();
    const p = accounting(
      wimaxAttr(4, true, hex('0102')),
      wimaxAttr(4, true, hex('03')),
      wimaxAttr(4, false, hex('040506')),
      wimaxAttr(24, false, Buffer.from('alone')),
    );
    const got = decodeRequest(SECRET, p, { dictionary: dict });
    assert.deepEqual(got.attributes.toJSON(), {
      'WiMAX-AAA-Session-Id': ['0x010203040506'],
      'WiMAX-Hotline-Indicator': ['alone'],
    });
  });

  test('a broken chain keeps its first attribute raw, as before, and never throws', () => {
    const dict = wimaxDictionary();
    const first = wimaxAttr(4, true, hex('0102'));
    const cases: [string, Buffer[]][] = [
      ['nothing follows', []],
      ['another attribute follows', [attr(5, hex('00000001'))]],
      ['another vendor follows', [attr(26, hex('00000009 0103 61'))]],
      ['another WiMAX type follows', [wimaxAttr(24, false, Buffer.from('x'))]],
      ['two sub-attributes follow', [attr(26, Buffer.concat([WIMAX, hex('0404 00 03 1805 00 7878')]))]],
      ['a short attribute 26 follows', [attr(26, hex('000060b5 04'))]],
    ];
    for (const [why, rest] of cases) {
      const p = accounting(first, ...rest);
      const got = decodeRequest(SECRET, p, { dictionary: dict });
      assert.deepEqual(got.attributes.entries[0].def.name, 'Attr-26', why);
      assert.deepEqual(got.get('Attr-26'), first.subarray(2), why);
      assert.deepEqual(got.encode().subarray(20, 20 + first.length), first, why);
    }
    // A fragment that shares its attribute 26 with another sub-attribute is not joined either.
    const shared = attr(26, Buffer.concat([WIMAX, hex('1805 00 7878 0405 80 0102')]));
    const got = decodeRequest(SECRET, accounting(shared, wimaxAttr(4, false, hex('03'))), {
      dictionary: dict,
    });
    assert.deepEqual(got.get('Attr-26'), shared.subarray(2));
  });

  test('a value too long for the packet is a PacketTooLargeError', () => {
    const dict = wimaxDictionary();
    assert.throws(() => request(dict).add('WiMAX-AAA-Session-Id', seq(4000)).encode(), PacketTooLargeError);
  });

  const DEBIAN = '/usr/share/freeradius/dictionary.wimax';
  const skip = existsSync(DEBIAN) ? false : `${DEBIAN} is absent (install freeradius-common to run)`;
  test("with FreeRADIUS's dictionary.wimax: a 600-byte WiMAX-AAA-Session-Id round-trips", { skip }, () => {
    const dict = new Dictionary().load(DEBIAN);
    const { bytes, got } = roundTrip(request(dict).add('WiMAX-AAA-Session-Id', seq(600)));
    assert.deepEqual(
      wire(bytes).map(([type, len, v]) => [type, len, v[6]]),
      [
        [26, 255, 0x80],
        [26, 255, 0x80],
        [26, 117, 0],
      ],
    );
    assert.deepEqual(got.get('WiMAX-AAA-Session-Id'), seq(600));
  });
});

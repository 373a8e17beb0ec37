// The codec rows of the "what other RADIUS libraries got wrong" table, one describe per row.
// User-Password, shared secrets, Tunnel-Password salts and Status-Server are in vectors.test.ts;
// malformed input is in property.test.ts.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_CHALLENGE,
  ACCESS_REJECT,
  ACCOUNTING_RESPONSE,
  AccessRequest,
  AccountingRequest,
  AuthenticatorError,
  COA_ACK,
  COA_NAK,
  CoARequest,
  DISCONNECT_ACK,
  DISCONNECT_NAK,
  Dictionary,
  DisconnectRequest,
  decodeRequest,
  decodeResponse,
  defaultDictionary,
  InvalidValueError,
  type Packet,
  PacketTooLargeError,
  StatusServer,
  scanPacket,
} from '../../src/index.js';

const SECRET = 'lessons-secret';
const ZERO16 = Buffer.alloc(16);
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function attr(type: number, value: Buffer | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([Buffer.from([type, 2 + v.length]), v]);
}

/** Vendor-Specific with RFC 2865 §5.26 sub-attributes (1-byte type and length). */
function vsa(vendor: number, ...subs: [number, Buffer | string][]): Buffer {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(vendor);
  return attr(26, Buffer.concat([id, ...subs.map(([t, v]) => attr(t, v))]));
}

function packet(code: number, id: number, auth: Buffer, ...attrs: Buffer[]): Buffer {
  const b = Buffer.concat([Buffer.from([code, id, 0, 0]), auth, ...attrs]);
  b.writeUInt16BE(b.length, 2);
  return b;
}

function md5(...parts: Uint8Array[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Fills the first Message-Authenticator (RFC 3579 §3.2) computed with `authField` in the header. */
function fillMessageAuthenticator(b: Buffer, authField: Buffer): void {
  for (let p = 20; p < b.length; p += b[p + 1]) {
    if (b[p] !== 80) continue;
    const copy = Buffer.from(b);
    authField.copy(copy, 4);
    copy.fill(0, p + 2, p + 18);
    createHmac('md5', SECRET)
      .update(copy)
      .digest()
      .copy(b, p + 2);
    return;
  }
}

/** Signs a reply (RFC 2865 §3) or an Accounting/CoA request (RFC 2866 §3, `requestAuth` zeros). */
function sign(b: Buffer, requestAuth: Buffer): Buffer {
  fillMessageAuthenticator(b, requestAuth);
  md5(b.subarray(0, 4), requestAuth, b.subarray(20), Buffer.from(SECRET)).copy(b, 4);
  return b;
}

/** Top-level attributes of encoded bytes as [type, length, value]. */
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

function testDictionary(): Dictionary {
  const dict = new Dictionary();
  dict.addAttribute({ name: 'Test-Ext-Octets', path: [241, 6], type: 'octets' });
  dict.addAttribute({ name: 'Test-Long', path: [245, 1], type: 'octets' });
  dict.addVendor(9, 'Test-Cisco');
  dict.addAttribute({ name: 'Test-AVPair', path: [1], type: 'string', vendor: 9 });
  dict.addVendor(8164, 'Test-Starent', 2, 2);
  dict.addAttribute({ name: 'Test-Wide', path: [2], type: 'octets', vendor: 8164 });
  dict.addVendor(429, 'Test-USR', 4, 0);
  dict.addAttribute({ name: 'Test-No-Length', path: [3], type: 'octets', vendor: 429 });
  dict.addVendor(24757, 'Test-WiMAX', 1, 1, true);
  dict.addAttribute({ name: 'Test-Cont', path: [4], type: 'octets', vendor: 24757 });
  return dict;
}

describe('253-byte limit', () => {
  test('exactly 253 bytes of octets fit one attribute; 254 is a typed InvalidValueError', () => {
    const { bytes, got } = roundTrip(request().add('Class', seq(253)));
    assert.deepEqual(wire(bytes)[0].slice(0, 2), [25, 255]);
    assert.deepEqual(got.get('Class'), seq(253));
    assert.throws(
      () => request().add('Class', seq(254)).encode(),
      (e: unknown) => e instanceof InvalidValueError && e.attribute === 'Class',
    );
    assert.equal(roundTrip(request().add('Class', `0x${seq(253).toString('hex')}`)).bytes.length, 20 + 255);
    assert.throws(
      () =>
        request()
          .add('Class', `0x${seq(254).toString('hex')}`)
          .encode(),
      InvalidValueError,
    );
  });

  test('strings are limited in UTF-8 bytes', () => {
    assert.equal(
      roundTrip(request().add('Reply-Message', 'x'.repeat(253))).got.get('Reply-Message'),
      'x'.repeat(253),
    );
    assert.throws(() => request().add('Reply-Message', 'x'.repeat(254)).encode(), InvalidValueError);
    assert.equal(roundTrip(request().add('Reply-Message', 'é'.repeat(126))).bytes.length, 20 + 2 + 252);
    assert.throws(() => request().add('Reply-Message', 'é'.repeat(127)).encode(), InvalidValueError);
  });

  test('EAP-Message is split into 253-byte attributes in order and joined in order (RFC 3579 §3.1)', () => {
    for (const [n, lengths] of [
      [253, [255]],
      [254, [255, 3]],
      [506, [255, 255]],
      [600, [255, 255, 96]],
    ] as const) {
      const value = seq(n);
      // EAP needs Message-Authenticator (RFC 3579 §3.2); it comes first and is skipped below.
      const eapRequest = new AccessRequest(SECRET).add('EAP-Message', value);
      const { bytes, got } = roundTrip(eapRequest);
      const eap = wire(bytes).filter(([t]) => t === 79);
      assert.deepEqual(
        eap.map(([, l]) => l),
        lengths,
        `${n} bytes`,
      );
      assert.deepEqual(Buffer.concat(eap.map(([, , v]) => v)), value);
      assert.deepEqual(got.getAll('EAP-Message'), [value]);
    }
  });

  test('consecutive EAP-Message fragments of any size are joined; others stay apart', () => {
    const p = sign(
      packet(
        4,
        1,
        ZERO16,
        attr(80, ZERO16),
        attr(79, 'abc'),
        attr(79, seq(200)),
        attr(79, 'z'),
        attr(18, 'm'),
        attr(79, 'q'),
      ),
      ZERO16,
    );
    const got = decodeRequest(SECRET, p);
    assert.deepEqual(got.getAll('EAP-Message'), [
      Buffer.concat([Buffer.from('abc'), seq(200), Buffer.from('z')]),
      Buffer.from('q'),
    ]);
  });

  test('a 600-byte long-extended value is fragmented with the More flag and joined (RFC 6929 §2.2)', () => {
    const dict = testDictionary();
    const value = seq(600);
    const { bytes, got } = roundTrip(request(dict).add('Test-Long', value));
    const frags = wire(bytes);
    assert.deepEqual(
      frags.map(([t, l, v]) => [t, l, v[0], v[1]]),
      [
        [245, 255, 1, 0x80],
        [245, 255, 1, 0x80],
        [245, 4 + 98, 1, 0x00],
      ],
    );
    assert.deepEqual(Buffer.concat(frags.map(([, , v]) => v.subarray(2))), value);
    assert.deepEqual(got.get('Test-Long'), value);
    // 251 bytes fill one fragment, 252 need two.
    assert.equal(wire(roundTrip(request(dict).add('Test-Long', seq(251))).bytes).length, 1);
    assert.equal(wire(roundTrip(request(dict).add('Test-Long', seq(252))).bytes).length, 2);
  });

  test('hand-made long-extended fragments of other sizes join; a dangling More flag is kept raw', () => {
    const dict = testDictionary();
    const frag = (more: boolean, v: Buffer) =>
      attr(245, Buffer.concat([Buffer.from([1, more ? 0x80 : 0]), v]));
    const joined = decodeRequest(
      SECRET,
      sign(packet(4, 2, ZERO16, frag(true, seq(10)), frag(true, seq(1)), frag(false, seq(30))), ZERO16),
      { dictionary: dict },
    );
    assert.deepEqual(joined.get('Test-Long'), Buffer.concat([seq(10), seq(1), seq(30)]));
    const dangling = decodeRequest(SECRET, sign(packet(4, 3, ZERO16, frag(true, seq(10))), ZERO16), {
      dictionary: dict,
    });
    assert.equal(dangling.get('Test-Long'), undefined);
    assert.deepEqual(dangling.get('Attr-245'), Buffer.concat([Buffer.from([1, 0x80]), seq(10)]));
  });

  test('an extended (not long) attribute holds 252 bytes after its extended type', () => {
    const dict = testDictionary();
    assert.deepEqual(
      roundTrip(request(dict).add('Test-Ext-Octets', seq(252))).got.get('Test-Ext-Octets'),
      seq(252),
    );
    assert.throws(() => request(dict).add('Test-Ext-Octets', seq(253)).encode(), InvalidValueError);
  });

  test('VSA inner length limits: 247 bytes in a standard VSA, less with wider vendor headers', () => {
    const dict = testDictionary();
    for (const [name, max] of [
      ['MS-CHAP-Challenge', 247],
      ['Test-AVPair', 247],
      ['Test-Wide', 245],
      ['Test-No-Length', 245],
      ['Test-Cont', 246],
    ] as const) {
      const value = name === 'Test-AVPair' ? 'a'.repeat(max) : seq(max);
      const { bytes, got } = roundTrip(request(dict).add(name, value));
      assert.equal(bytes[21], 255, name);
      assert.deepEqual(got.get(name), value, name);
      const over = name === 'Test-AVPair' ? 'a'.repeat(max + 1) : seq(max + 1);
      if (name === 'Test-Cont') {
        // A WiMAX-style vendor goes on in a second attribute 26 instead (codec-gaps.test.ts).
        const long = roundTrip(request(dict).add(name, over));
        assert.equal(long.bytes[20 + 255], 26);
        assert.deepEqual(long.got.get(name), over);
      } else assert.throws(() => request(dict).add(name, over).encode(), InvalidValueError, name);
    }
  });

  test('a packet over 4096 bytes is a PacketTooLargeError', () => {
    const p = request();
    for (let i = 0; i < 17; i++) p.add('Class', seq(253));
    assert.throws(() => p.encode(), PacketTooLargeError);
    // 4050 bytes of EAP take 17 attributes: 4050 + 34 + 20 > 4096.
    assert.throws(
      () => new AccessRequest(SECRET).add('EAP-Message', Buffer.alloc(4050)).encode(),
      PacketTooLargeError,
    );
    // A value that could never fit any packet is refused as a value.
    assert.throws(
      () => new AccessRequest(SECRET).add('EAP-Message', Buffer.alloc(4100)).encode(),
      InvalidValueError,
    );
  });
});

describe('tags (RFC 2868 §3)', () => {
  test('a tagged integer is 6 bytes: the tag, then a 3-byte value', () => {
    const { bytes, got } = roundTrip(
      request().add('Tunnel-Type:1', 'L2TP').add('Tunnel-Medium-Type', 'IPv4', 2),
    );
    assert.deepEqual(wire(bytes), [
      [64, 6, hex('01 000003')],
      [65, 6, hex('02 000001')],
    ]);
    assert.deepEqual(got.attributes.toJSON(), {
      'Tunnel-Type:1': ['L2TP'],
      'Tunnel-Medium-Type:2': ['IPv4'],
    });
    assert.throws(() => request().add('Tunnel-Preference', 0x1000000, 1).encode(), InvalidValueError);
    assert.equal(
      roundTrip(request().add('Tunnel-Preference', 0xffffff, 1)).got.get('Tunnel-Preference'),
      0xffffff,
    );
  });

  test('tag 0 and no tag: a tagged string writes the tag byte only when there is a tag', () => {
    const { bytes, got } = roundTrip(
      request()
        .add('Tunnel-Client-Endpoint:0', 'a')
        .add('Tunnel-Client-Endpoint', 'b')
        .add('Tunnel-Client-Endpoint:31', 'c'),
    );
    assert.deepEqual(wire(bytes), [
      [66, 4, hex('00 61')],
      [66, 3, hex('62')],
      [66, 4, hex('1f 63')],
    ]);
    assert.deepEqual(
      got.attributes.entries.map((e) => [e.value, e.tag]),
      [
        ['a', 0],
        ['b', undefined],
        ['c', 31],
      ],
    );
  });

  test('a tagged integer without a tag still has its zero tag byte, read back as tag 0', () => {
    const { bytes, got } = roundTrip(request().add('Tunnel-Type', 'PPTP'));
    assert.deepEqual(wire(bytes), [[64, 6, hex('00 000001')]]);
    assert.equal(got.get('Tunnel-Type'), 'PPTP');
    assert.equal(got.attributes.entries[0].tag, 0);
  });

  test('a tag does not leak onto the next attribute', () => {
    const { got } = roundTrip(
      request()
        .add('Tunnel-Server-Endpoint:5', 'srv')
        .add('User-Name', 'bob')
        .add('Tunnel-Server-Endpoint', 'next')
        .add('Tunnel-Type:7', 'GRE')
        .add('NAS-Port', 1),
    );
    assert.deepEqual(
      got.attributes.entries.map((e) => [e.def.name, e.value, e.tag]),
      [
        ['Tunnel-Server-Endpoint', 'srv', 5],
        ['User-Name', 'bob', undefined],
        ['Tunnel-Server-Endpoint', 'next', undefined],
        ['Tunnel-Type', 'GRE', 7],
        ['NAS-Port', 1, undefined],
      ],
    );
    assert.deepEqual(got.getAll('Tunnel-Server-Endpoint:5'), ['srv']);
    assert.deepEqual(got.getAll('Tunnel-Server-Endpoint'), ['srv', 'next']);
  });

  test('has_tag strings received with and without a tag byte', () => {
    const p = sign(
      packet(4, 9, ZERO16, attr(81, hex('03 7669643130')), attr(81, 'vid20'), attr(81, hex('00'))),
      ZERO16,
    );
    const got = decodeRequest(SECRET, p);
    assert.deepEqual(
      got.attributes.entries.map((e) => [e.value, e.tag]),
      [
        ['vid10', 3],
        ['vid20', undefined],
        // One octet is the value, not a tag with an empty value (FreeRADIUS reads it so).
        ['\0', undefined],
      ],
    );
  });

  test('tags outside 0..31 are refused', () => {
    assert.throws(() => request().add('Tunnel-Type', 'L2TP', 32), InvalidValueError);
    assert.throws(() => request().add('Tunnel-Type', 'L2TP', -1), InvalidValueError);
  });
});

describe('vendor attributes (RFC 2865 §5.26)', () => {
  test('several sub-attributes in one attribute 26 all decode, in order', () => {
    const p = sign(
      packet(4, 1, ZERO16, vsa(311, [11, seq(8)], [10, 'dom'], [18, 'MSRASV5.20'], [11, seq(3)])),
      ZERO16,
    );
    const got = decodeRequest(SECRET, p);
    assert.deepEqual(
      got.attributes.entries.map((e) => e.def.name),
      ['MS-CHAP-Challenge', 'MS-CHAP-Domain', 'MS-RAS-Version', 'MS-CHAP-Challenge'],
    );
    assert.deepEqual(got.getAll('MS-CHAP-Challenge'), [seq(8), seq(3)]);
    assert.equal(got.get('MS-RAS-Version'), 'MSRASV5.20');
  });

  test('several attributes 26 of several vendors all decode', () => {
    const dict = testDictionary();
    const p = sign(
      packet(
        4,
        2,
        ZERO16,
        vsa(9, [1, 'shell:priv-lvl=15']),
        attr(1, 'bob'),
        vsa(311, [10, 'x']),
        vsa(9, [1, 'ip:addr-pool=p1'], [1, 'ip:dns=1']),
        vsa(999, [7, 'unknown vendor']),
      ),
      ZERO16,
    );
    const got = decodeRequest(SECRET, p, { dictionary: dict });
    assert.deepEqual(got.getAll('Test-AVPair'), ['shell:priv-lvl=15', 'ip:addr-pool=p1', 'ip:dns=1']);
    assert.deepEqual(got.getAll('User-Name'), ['bob']);
    assert.deepEqual(got.get('MS-CHAP-Domain'), Buffer.from('x'));
    assert.deepEqual(got.get('Attr-26.999.7'), Buffer.from('unknown vendor'));
  });

  test('a VSA is never flattened into the standard attribute of the same number', () => {
    // Vendor 9 type 1 (a Cisco-AVPair) with and without the vendor in the dictionary.
    const p = sign(packet(4, 3, ZERO16, vsa(9, [1, 'not-a-user-name'])), ZERO16);
    const plain = decodeRequest(SECRET, p);
    assert.equal(plain.attributes.has('User-Name'), false);
    assert.deepEqual(plain.get('Attr-26.9.1'), Buffer.from('not-a-user-name'));
    const known = decodeRequest(SECRET, p, { dictionary: testDictionary() });
    assert.equal(known.attributes.has('User-Name'), false);
    assert.equal(known.get('Test-AVPair'), 'not-a-user-name');
  });

  test('vendor type 80 is not Message-Authenticator', () => {
    const p = sign(packet(4, 4, ZERO16, vsa(311, [80, seq(16)]), attr(1, 'bob')), ZERO16);
    assert.equal(scanPacket(p).maOffset, -1);
    const got = decodeRequest(SECRET, p);
    assert.equal(got.messageAuthenticator, false);
    assert.equal(got.attributes.has('Message-Authenticator'), false);
    assert.deepEqual(got.get('Attr-26.311.80'), seq(16));
    assert.throws(() => decodeRequest(SECRET, p, { requireMessageAuthenticator: true }), AuthenticatorError);
    // An Access-Request with EAP-Message and only a vendor type 80 has no Message-Authenticator.
    const eap = packet(1, 5, seq(16), vsa(311, [80, seq(16)]), attr(79, hex('02 01 00 05 01')));
    assert.throws(() => decodeRequest(SECRET, eap), AuthenticatorError);
  });

  test('a VSA whose inner framing is broken is kept whole and re-encoded byte-exact', () => {
    const broken = attr(26, hex('00000137 0b 09 aabb'));
    const p = sign(packet(4, 5, ZERO16, broken, attr(1, 'bob')), ZERO16);
    const got = decodeRequest(SECRET, p);
    assert.deepEqual(got.get('Attr-26'), hex('00000137 0b 09 aabb'));
    assert.deepEqual(got.encode(), p);
  });

  test('encoded VSAs: one sub-attribute per attribute 26, the vendor id and lengths right', () => {
    const { bytes, got } = roundTrip(
      request().add('MS-CHAP-Challenge', seq(16)).add('MS-CHAP-Domain', 'dom'),
    );
    assert.deepEqual(wire(bytes), [
      [26, 24, Buffer.concat([hex('00000137 0b 12'), seq(16)])],
      [26, 11, hex('00000137 0a 05 646f6d')],
    ]);
    assert.deepEqual(got.get('MS-CHAP-Challenge'), seq(16));
  });
});

describe('IPv6 prefixes (RFC 3162 §2.3, RFC 8044 §3.10)', () => {
  const cases: [string, string, string][] = [
    ['::/0', '00 00', '::/0'],
    ['fe80::/7', '00 07 fe', 'fe00::/7'],
    ['2001:db8:1:2::/64', '00 40 20010db800010002', '2001:db8:1:2::/64'],
    ['2001:db8::1/128', '00 80 20010db8000000000000000000000001', '2001:db8::1/128'],
    ['2001:db8::/29', '00 1d 20010db8', '2001:db8::/29'],
    ['2001:db8:ffff::/33', '00 21 20010db880', '2001:db8:8000::/33'],
  ];
  for (const [input, wireHex, decoded] of cases) {
    test(`${input} is sent as ${wireHex} and reads ${decoded}`, () => {
      const { bytes, got } = roundTrip(request().add('Framed-IPv6-Prefix', input));
      assert.deepEqual(wire(bytes), [[97, 2 + hex(wireHex).length, hex(wireHex)]]);
      assert.equal(got.get('Framed-IPv6-Prefix'), decoded);
    });
  }

  test('short and full encodings decode; host bits a sender set are dropped', () => {
    const p = sign(
      packet(
        4,
        1,
        ZERO16,
        attr(97, hex('00 40 20010db800010002 0000000000000000')),
        attr(97, hex('00 07 fe')),
        attr(97, hex('00 00')),
        attr(97, hex('00 40 20010db800010002 0000000000000001')),
        attr(97, hex('00 30 20010db80001 0000')),
        // Fewer octets than the length covers: the rest are zero, as FreeRADIUS reads them.
        attr(97, hex('00 40 20010db8')),
      ),
      ZERO16,
    );
    assert.deepEqual(decodeRequest(SECRET, p).getAll('Framed-IPv6-Prefix'), [
      '2001:db8:1:2::/64',
      'fe00::/7',
      '::/0',
      '2001:db8:1:2::/64',
      '2001:db8:1::/48',
      '2001:db8::/64',
    ]);
  });

  test('a length over 128, one byte, or over 18 bytes: kept raw', () => {
    const bad = [hex('00 81 20010db8000000000000000000000001'), hex('00'), Buffer.alloc(19)];
    const p = sign(packet(4, 2, ZERO16, ...bad.map((v) => attr(97, v))), ZERO16);
    const got = decodeRequest(SECRET, p);
    assert.equal(got.attributes.has('Framed-IPv6-Prefix'), false);
    assert.deepEqual(got.getAll('Attr-97'), bad);
    assert.deepEqual(got.encode(), p);
  });

  test('invalid prefix text is an InvalidValueError', () => {
    for (const v of [
      '2001:db8::/129',
      '2001:db8::/',
      '2001:db8::/0x10',
      '2001:db8::/-1',
      'nope/64',
      '1.2.3.4/8',
    ])
      assert.throws(() => request().add('Framed-IPv6-Prefix', v).encode(), InvalidValueError, v);
  });
});

describe('unknown attributes are kept raw and re-encoded byte-exact', () => {
  test('Attr-N, Attr-26.V.T of an unknown vendor, unknown extended and long-extended types', () => {
    assert.equal(defaultDictionary.attributeByCode(200), undefined);
    const p = sign(
      packet(
        4,
        7,
        ZERO16,
        attr(200, 'abc'),
        vsa(999, [1, hex('aabbccdd')]),
        attr(241, hex('63 646566')),
        attr(245, hex('63 00 6768')),
        attr(1, 'bob'),
        attr(5, hex('000001')),
      ),
      ZERO16,
    );
    const got = decodeRequest(SECRET, p);
    assert.deepEqual(got.toJSON().attributes, {
      'Attr-200': ['0x616263'],
      'Attr-26.999.1': ['0xaabbccdd'],
      'Attr-241.99': ['0x646566'],
      'Attr-245.99': ['0x6768'],
      'User-Name': ['bob'],
      // NAS-Port is 4 bytes; 3 cannot be an integer, so the bytes are kept.
      'Attr-5': ['0x000001'],
    });
    assert.deepEqual(got.encode(), p);
  });

  test('an unknown long-extended value split at full fragments re-encodes byte-exact', () => {
    const value = seq(300);
    const frag = (more: boolean, v: Buffer) =>
      attr(245, Buffer.concat([Buffer.from([0x63, more ? 0x80 : 0]), v]));
    const p = sign(
      packet(4, 8, ZERO16, frag(true, value.subarray(0, 251)), frag(false, value.subarray(251))),
      ZERO16,
    );
    const got = decodeRequest(SECRET, p);
    assert.deepEqual(got.get('Attr-245.99'), value);
    assert.deepEqual(got.encode(), p);
  });

  test('raw names can be added and are written where their numbers say', () => {
    const { bytes, got } = roundTrip(
      request().add('Attr-200', hex('0102')).add('Attr-26.999.5', hex('03')).add('Attr-241.99', hex('04')),
    );
    assert.deepEqual(wire(bytes), [
      [200, 4, hex('0102')],
      [26, 9, hex('000003e7 05 03 03')],
      [241, 4, hex('63 04')],
    ]);
    assert.deepEqual(got.get('Attr-26.999.5'), hex('03'));
  });

  test('a value the dictionary does not name stays a number', () => {
    assert.equal(roundTrip(request().add('Service-Type', 4242)).got.get('Service-Type'), 4242);
  });
});

describe('verification runs over the bytes received', () => {
  test('a reply whose repeated attributes are not adjacent verifies, in wire order', () => {
    const req = new AccessRequest(SECRET, { identifier: 42 });
    req.add('User-Name', 'bob');
    req.encode();
    const reply = sign(
      packet(
        2,
        42,
        ZERO16,
        attr(18, 'one'),
        attr(25, 'class-a'),
        attr(80, ZERO16),
        attr(18, 'two'),
        attr(25, 'class-b'),
        attr(18, 'three'),
      ),
      req.authenticator,
    );
    const got = decodeResponse(SECRET, reply, req);
    assert.equal(got.code, ACCESS_ACCEPT);
    assert.equal(got.messageAuthenticator, true);
    assert.deepEqual(got.getAll('Reply-Message'), ['one', 'two', 'three']);
    assert.deepEqual(got.attributes.keys(), [
      'Reply-Message',
      'Class',
      'Message-Authenticator',
      'Reply-Message',
      'Class',
      'Reply-Message',
    ]);
    assert.deepEqual(got.raw, reply);
    // One changed byte anywhere fails.
    const bad = Buffer.from(reply);
    bad[bad.length - 1] ^= 1;
    assert.throws(() => decodeResponse(SECRET, bad, req), AuthenticatorError);
  });

  test('requests with interleaved repeats verify too (Accounting-Request, CoA-Request with Message-Authenticator)', () => {
    const acct = sign(
      packet(
        4,
        1,
        ZERO16,
        attr(33, 'ps1'),
        attr(1, 'bob'),
        attr(33, 'ps2'),
        attr(44, 'sess'),
        attr(33, 'ps3'),
      ),
      ZERO16,
    );
    assert.deepEqual(
      decodeRequest(SECRET, acct).getAll('Proxy-State'),
      ['ps1', 'ps2', 'ps3'].map((s) => Buffer.from(s)),
    );
    const coa = sign(
      packet(43, 2, ZERO16, attr(1, 'bob'), attr(80, ZERO16), attr(18, 'a'), attr(44, 'sess'), attr(18, 'b')),
      ZERO16,
    );
    const got = decodeRequest(SECRET, coa);
    assert.equal(got.messageAuthenticator, true);
    assert.deepEqual(got.getAll('Reply-Message'), ['a', 'b']);
  });

  test('the same interleaving survives our own encode → decode', () => {
    const p = new AccountingRequest(SECRET);
    p.addAttributes(
      ['Class', 'a'],
      ['User-Name', 'u'],
      ['Class', 'b'],
      ['Reply-Message', 'r'],
      ['Class', 'c'],
    );
    const got = decodeRequest(SECRET, p.encode());
    assert.deepEqual(got.attributes.keys(), ['Class', 'User-Name', 'Class', 'Reply-Message', 'Class']);
    const coa = new CoARequest(SECRET, { messageAuthenticator: true });
    coa.addAttributes(['User-Name', 'u'], ['Class', 'x'], ['User-Name', 'v']);
    assert.deepEqual(decodeRequest(SECRET, coa.encode()).getAll('User-Name'), ['u', 'v']);
  });
});

/** Offset of the first Message-Authenticator value in encoded bytes, or -1. */
function maOffset(b: Buffer): number {
  for (let p = 20; p < b.length; p += b[p + 1]) if (b[p] === 80) return p + 2;
  return -1;
}

/** RFC 3579 §3.2 computed independently: HMAC-MD5 with the value zeroed and `authField` in the header. */
function expectedMessageAuthenticator(b: Buffer, authField: Buffer): Buffer {
  const copy = Buffer.from(b);
  authField.copy(copy, 4);
  const at = maOffset(b);
  copy.fill(0, at, at + 16);
  return createHmac('md5', SECRET).update(copy).digest();
}

/** MD5(Code+ID+Length+`auth`+Attributes+Secret) over the bytes (RFC 2865 §3, RFC 2866 §3). */
function expectedAuthenticator(b: Buffer, auth: Buffer): Buffer {
  return md5(b.subarray(0, 4), auth, b.subarray(20), Buffer.from(SECRET));
}

describe('which authenticator each code uses', () => {
  test('Accounting, CoA and Disconnect requests: MD5 over the packet with a zero authenticator', () => {
    for (const p of [new AccountingRequest(SECRET), new CoARequest(SECRET), new DisconnectRequest(SECRET)]) {
      p.addAttributes(['User-Name', 'bob'], ['Acct-Session-Id', 'sess-1']);
      const b = p.encode();
      assert.deepEqual(b.subarray(4, 20), expectedAuthenticator(b, ZERO16), p.codeName);
      assert.deepEqual(p.authenticator, b.subarray(4, 20));
      assert.equal(decodeRequest(SECRET, b).get('Acct-Session-Id'), 'sess-1');
      const tampered = Buffer.from(b);
      tampered[tampered.length - 1] ^= 1;
      assert.throws(() => decodeRequest(SECRET, tampered), AuthenticatorError, p.codeName);
    }
  });

  test('their replies (Accounting-Response, CoA/Disconnect ACK and NAK) use the request authenticator', () => {
    const cases: [Packet, number][] = [
      [new AccountingRequest(SECRET), ACCOUNTING_RESPONSE],
      [new CoARequest(SECRET), COA_ACK],
      [new CoARequest(SECRET), COA_NAK],
      [new DisconnectRequest(SECRET), DISCONNECT_ACK],
      [new DisconnectRequest(SECRET), DISCONNECT_NAK],
    ];
    for (const [req, code] of cases) {
      req.add('User-Name', 'bob');
      const sent = decodeRequest(SECRET, req.encode());
      const reply = sent.createReply(code, [['Reply-Message', 'done']]);
      const b = reply.encode();
      assert.deepEqual(b.subarray(4, 20), expectedAuthenticator(b, req.authenticator), reply.codeName);
      assert.equal(decodeResponse(SECRET, b, req).get('Reply-Message'), 'done');
    }
  });

  test('Message-Authenticator: zeros in the header for Accounting/CoA requests, the request authenticator in replies', () => {
    const acct = new AccountingRequest(SECRET, { messageAuthenticator: true });
    acct.add('User-Name', 'bob');
    const a = acct.encode();
    assert.equal(maOffset(a), 22, 'placed first');
    // Computed before the authenticator is filled in, so over a zero header field (RFC 5176 §3.5).
    assert.deepEqual(a.subarray(22, 38), expectedMessageAuthenticator(a, ZERO16));
    assert.equal(decodeRequest(SECRET, a).messageAuthenticator, true);

    const req = new AccessRequest(SECRET);
    req.add('User-Name', 'bob');
    const r = req.encode();
    assert.deepEqual(r.subarray(22, 38), expectedMessageAuthenticator(r, req.authenticator));
    for (const code of [ACCESS_ACCEPT, ACCESS_REJECT]) {
      const reply = req.createReply(code, [['Reply-Message', 'x']]);
      const b = reply.encode();
      assert.deepEqual(b.subarray(22, 38), expectedMessageAuthenticator(b, req.authenticator));
      assert.deepEqual(b.subarray(4, 20), expectedAuthenticator(b, req.authenticator));
      assert.equal(decodeResponse(SECRET, b, req, { requireMessageAuthenticator: true }).code, code);
    }
  });

  test('Status-Server carries Message-Authenticator, and so do both of its replies (RFC 5997 §3)', () => {
    const status = new StatusServer(SECRET);
    const s = status.encode();
    assert.equal(maOffset(s), 22);
    assert.deepEqual(s.subarray(22, 38), expectedMessageAuthenticator(s, status.authenticator));
    const got = decodeRequest(SECRET, s);
    for (const code of [ACCESS_ACCEPT, ACCOUNTING_RESPONSE]) {
      const b = got.createReply(code).encode();
      assert.equal(maOffset(b), 22, `reply code ${code}`);
      assert.deepEqual(b.subarray(22, 38), expectedMessageAuthenticator(b, status.authenticator));
      assert.deepEqual(b.subarray(4, 20), expectedAuthenticator(b, status.authenticator));
      assert.equal(decodeResponse(SECRET, b, status, { requireMessageAuthenticator: true }).code, code);
    }
  });
});

describe('BlastRADIUS (codec side)', () => {
  test('Access-* packets carry Message-Authenticator first by default; accounting does not', () => {
    const req = new AccessRequest(SECRET);
    req.add('User-Name', 'bob');
    assert.equal(maOffset(req.encode()), 22);
    for (const code of [ACCESS_ACCEPT, ACCESS_REJECT, 11])
      assert.equal(maOffset(req.createReply(code).encode()), 22, `code ${code}`);
    assert.equal(maOffset(new AccountingRequest(SECRET).add('User-Name', 'bob').encode()), -1);
    // EAP-Message always brings one (RFC 3579 §3.2), in any packet.
    assert.equal(maOffset(new AccountingRequest(SECRET).add('EAP-Message', hex('0201000501')).encode()), 22);
    // A Message-Authenticator added by hand is still written once, first.
    const once = new AccountingRequest(SECRET)
      .add('User-Name', 'a')
      .add('Message-Authenticator', ZERO16)
      .encode();
    assert.deepEqual(
      wire(once).map(([t]) => t),
      [80, 1],
    );
  });

  test('require it in requests and replies on demand; an EAP request requires it in the reply', () => {
    const bare = new AccessRequest(SECRET, { messageAuthenticator: false }).add('User-Name', 'bob');
    const b = bare.encode();
    assert.equal(decodeRequest(SECRET, b).messageAuthenticator, false);
    assert.throws(() => decodeRequest(SECRET, b, { requireMessageAuthenticator: true }), AuthenticatorError);
    const reply = bare.createReply(ACCESS_ACCEPT);
    reply.messageAuthenticator = false;
    const rb = reply.encode();
    assert.equal(decodeResponse(SECRET, rb, bare).code, ACCESS_ACCEPT);
    assert.throws(
      () => decodeResponse(SECRET, rb, bare, { requireMessageAuthenticator: true }),
      AuthenticatorError,
    );
    const eap = new AccessRequest(SECRET).add('EAP-Message', hex('0201000501'));
    eap.encode();
    const eapReply = eap.createReply(ACCESS_ACCEPT);
    eapReply.messageAuthenticator = false;
    assert.throws(() => decodeResponse(SECRET, eapReply.encode(), eap), AuthenticatorError);
    const challenge = eap.createReply(ACCESS_CHALLENGE);
    challenge.messageAuthenticator = false;
    assert.throws(() => decodeResponse(SECRET, challenge.encode(), eap), AuthenticatorError);
    // An Access-Reject grants nothing: taken unsigned when it carries no EAP-Message (FreeRADIUS
    // refuses so when the EAP identity does not match User-Name), unless required.
    const reject = eap.createReply(ACCESS_REJECT);
    reject.messageAuthenticator = false;
    assert.equal(decodeResponse(SECRET, reject.encode(), eap).code, ACCESS_REJECT);
    assert.throws(
      () => decodeResponse(SECRET, reject.encode(), eap, { requireMessageAuthenticator: true }),
      AuthenticatorError,
    );
    const eapReject = eap.createReply(ACCESS_REJECT, [['EAP-Message', hex('04010004')]]);
    eapReject.messageAuthenticator = false;
    assert.throws(() => decodeResponse(SECRET, eapReject.encode(), eap), AuthenticatorError);
    // RFC 3579 §3.2: EAP-Message in a reply needs Message-Authenticator, whatever the request held.
    const stray = bare.createReply(ACCESS_REJECT, [['EAP-Message', hex('04010004')]]);
    stray.messageAuthenticator = false;
    assert.throws(() => decodeResponse(SECRET, stray.encode(), bare), AuthenticatorError);
  });
});

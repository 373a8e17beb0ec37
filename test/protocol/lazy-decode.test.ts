// decodeRequest with deferAttributes leaves the attributes in wire form until they are read: every
// read (one attribute by name, or the whole set) must give what decoding everything at once gives.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { MalformedPacketError } from '../../src/errors.js';
import { encryptUserPassword } from '../../src/protocol/crypt.js';
import { RawAttributes } from '../../src/protocol/decode-attributes.js';
import { AccessRequest, decodeRequest, type Packet } from '../../src/protocol/packet.js';

const SECRET = Buffer.from('lazy-decode-secret');
const AUTH = Buffer.from('0123456789abcdef');

/** An Access-Request (no Message-Authenticator, so nothing to sign) with these raw attributes. */
function rawRequest(attributes: Array<[number, Buffer]>): Buffer {
  const body = Buffer.concat(
    attributes.map(([type, value]) => Buffer.concat([Buffer.from([type, 2 + value.length]), value])),
  );
  const header = Buffer.alloc(20);
  header[0] = 1;
  header[1] = 42;
  header.writeUInt16BE(20 + body.length, 2);
  AUTH.copy(header, 4);
  return Buffer.concat([header, body]);
}

const hidden = (password: string) => encryptUserPassword(Buffer.from(password), SECRET, AUTH);
const vsa = (vendor: number, type: number, value: Buffer) => {
  const v = Buffer.alloc(6 + value.length);
  v.writeUInt32BE(vendor, 0);
  v[4] = type;
  v[5] = 2 + value.length;
  value.copy(v, 6);
  return v;
};

const PACKETS: Array<[string, Buffer]> = [
  [
    'plain PAP',
    rawRequest([
      [1, Buffer.from('alice')],
      [2, hidden('alicepw')],
      [4, Buffer.from([127, 0, 0, 1])],
    ]),
  ],
  [
    'repeats, Proxy-State, bad sizes, unknown types',
    rawRequest([
      [4, Buffer.from([10, 0, 0])], // 3 bytes: kept raw
      [4, Buffer.from([10, 0, 0, 9])],
      [33, Buffer.from('state-1')],
      [1, Buffer.from('bob')],
      [1, Buffer.from('second')],
      [33, Buffer.from('state-2')],
      [5, Buffer.from([0, 0, 1, 0])],
      [200, Buffer.from('unknown')],
      [2, Buffer.from('short')], // not a multiple of 16: kept raw
      [2, hidden('x')],
      [6, Buffer.from([0, 0, 0, 2])], // Service-Type, a named value
      [18, Buffer.from([0xff, 0xfe])], // Reply-Message that is not UTF-8
    ]),
  ],
  [
    'vendor, tagged, empty and long values',
    rawRequest([
      [26, vsa(311, 1, Buffer.from('ms-chap-challenge-16b'))],
      [26, Buffer.from([0, 0])], // too short for a VSA: raw
      [64, Buffer.from([1, 0, 0, 13])], // Tunnel-Type:1 = VLAN
      [81, Buffer.from([1, 0x31, 0x30])], // Tunnel-Private-Group-Id:1
      [30, Buffer.alloc(0)],
      [31, Buffer.alloc(200, 0x41)],
      [95, Buffer.alloc(16, 1)], // NAS-IPv6-Address
      [8, Buffer.from([192, 0, 2, 7])],
    ]),
  ],
];

const NAMES = [
  'User-Name',
  'User-Password',
  'NAS-IP-Address',
  'NAS-Port',
  'Service-Type',
  'Proxy-State',
  'Reply-Message',
  'Vendor-Specific',
  'MS-CHAP-Challenge',
  'Tunnel-Type',
  'Tunnel-Type:1',
  'Tunnel-Private-Group-Id',
  'Called-Station-Id',
  'Calling-Station-Id',
  'NAS-IPv6-Address',
  'Framed-IP-Address',
  'Attr-4',
  'Attr-2',
  'Attr-200',
  'Message-Authenticator',
];

/** The packet decoded, with its attributes decoded in full right away. */
function eager(data: Buffer): Packet {
  const packet = decodeRequest(SECRET, data);
  void packet.attributes.entries;
  return packet;
}

/** The packet decoded with its attributes left for later. */
const deferred = (data: Buffer, dictionary?: Dictionary) =>
  decodeRequest(SECRET, data, { deferAttributes: true, dictionary });

const view = (p: Packet) => p.attributes.entries.map((e) => [e.def.name, e.value, e.tag]);

describe('lazily decoded attributes', () => {
  for (const [what, data] of PACKETS) {
    test(`${what}: each name read alone gives what a full decode gives`, () => {
      const full = eager(data);
      for (const name of NAMES) {
        const lazy = deferred(data);
        assert.deepEqual(lazy.attributes.get(name), full.attributes.get(name), name);
        // ... and the set read as a whole afterwards is the same as well.
        assert.deepEqual(view(lazy), view(full), `${name}, then everything`);
      }
    });

    test(`${what}: has(), then get() of the same name, as a full decode answers`, () => {
      const full = eager(data);
      for (const name of NAMES) {
        const lazy = deferred(data);
        assert.equal(lazy.attributes.has(name), full.attributes.has(name), name);
        assert.deepEqual(lazy.attributes.get(name), full.attributes.get(name), name);
        assert.equal(lazy.attributes.has(name), full.attributes.has(name), name);
      }
      // False only when there is no vendor attribute; a full decode agrees.
      const vendor = full.attributes.entries.some((e) => e.def.vendor !== undefined);
      if (!deferred(data).attributes.mayHoldVendorAttributes()) assert.equal(vendor, false);
      assert.equal(full.attributes.mayHoldVendorAttributes(), vendor);
    });

    test(`${what}: names read one after the other, then the whole set`, () => {
      const full = eager(data);
      const lazy = deferred(data);
      for (const name of NAMES) assert.deepEqual(lazy.attributes.get(name), full.attributes.get(name), name);
      assert.equal(lazy.attributes.hasType(33), full.attributes.hasType(33));
      assert.deepEqual(lazy.attributes.toJSON(), full.attributes.toJSON());
      assert.equal(lazy.attributes.size, full.attributes.size);
    });
  }

  test('hasType answers without a full decode, and like one', () => {
    for (const [, data] of PACKETS) {
      for (const type of [1, 2, 4, 26, 33, 80, 200, 201]) {
        const full = eager(data);
        const lazy = deferred(data);
        assert.equal(lazy.attributes.hasType(type), full.attributes.hasType(type), `type ${type}`);
      }
    }
  });

  test('changing the set first decodes it: nothing is lost or reordered', () => {
    const data = PACKETS[1][1];
    const lazy = deferred(data);
    lazy.attributes.add('Reply-Message', 'added');
    const full = eager(data);
    full.attributes.add('Reply-Message', 'added');
    assert.deepEqual(view(lazy), view(full));
  });

  test('EAP-Message pieces are joined, whichever way the set is read', () => {
    const eap = Buffer.alloc(300, 7);
    const data = new AccessRequest(SECRET, { identifier: 3 })
      .add('User-Name', 'eve')
      .add('EAP-Message', eap)
      .encode();
    const lazy = deferred(data);
    assert.equal(lazy.attributes.get('User-Name'), 'eve');
    assert.deepEqual(lazy.attributes.get('EAP-Message'), eap);
    assert.deepEqual(view(lazy), view(eager(data)));
  });

  test('a packet the decoder must refuse is refused by decodeRequest itself', () => {
    assert.throws(() => decodeRequest(SECRET, rawRequest([[0, Buffer.from('x')]])), MalformedPacketError);
  });

  test('without deferAttributes the bytes may change afterwards; with it, reads see the bytes read then', () => {
    const data = Buffer.from(PACKETS[0][1]);
    const now = decodeRequest(SECRET, data);
    const later = deferred(data);
    data.write('mallo', 22, 'latin1'); // inside User-Name's value
    assert.equal(now.get('User-Name'), 'alice');
    assert.equal(later.get('User-Name'), 'mallo');
  });

  test('a vendor TLV child of the wrong size is kept raw inside its attribute 26, never thrown later', () => {
    const dict = new Dictionary().loadText(
      [
        'VENDOR Acme 9999',
        'BEGIN-VENDOR Acme',
        'ATTRIBUTE Acme-Caps 1 tlv',
        'ATTRIBUTE Acme-Caps-Level 1.2 byte',
        'END-VENDOR Acme',
      ].join('\n'),
    );
    // Acme-Caps holding Acme-Caps-Level with two bytes where a byte is one.
    const tlv = Buffer.from([1, 6, 2, 4, 0, 7]);
    const data = rawRequest([
      [1, Buffer.from('alice')],
      [26, Buffer.concat([Buffer.from([0, 0, 0x27, 0x0f]), tlv])],
      [5, Buffer.from([0, 0, 0, 3])],
    ]);
    for (const read of ['first a name', 'the whole set']) {
      const p = deferred(data, dict);
      if (read === 'first a name') assert.equal(p.get('User-Name'), 'alice');
      // Only the bad child is raw, under its own oid (as FreeRADIUS names it); the VSA around it decodes.
      assert.deepEqual(p.attributes.keys(), ['User-Name', 'Attr-26.9999.1.2', 'NAS-Port']);
      assert.deepEqual(p.attributes.get('Attr-26.9999.1.2'), data.subarray(37, 39));
      assert.equal(p.get('NAS-Port'), 3);
      assert.deepEqual(view(p), view(decodeRequest(SECRET, data, { dictionary: dict })));
    }
  });

  test('util.inspect shows names and values but neither the secret nor hidden values', () => {
    const p = deferred(PACKETS[0][1]);
    for (const text of [inspect(p.attributes), inspect(p, { depth: 5 })]) {
      assert.match(text, /User-Name/);
      assert.match(text, /alice/);
      assert.match(text, /User-Password.*<hidden>/);
      assert.doesNotMatch(text, /alicepw/);
      assert.doesNotMatch(text, /lazy-decode-secret|6c 61 7a 79/);
    }
  });

  test('packets built locally are unaffected', () => {
    const p = new AccessRequest(SECRET).add('User-Name', 'u');
    assert.equal(p.attributes.get('User-Name'), 'u');
    assert.equal(p.attributes.hasType(1), true);
    const raw = new RawAttributes(PACKETS[0][1], 20, PACKETS[0][1].length, {
      secret: SECRET,
      authenticator: AUTH,
    });
    assert.throws(() => p.attributes.deferDecode(raw), RangeError);
  });
});

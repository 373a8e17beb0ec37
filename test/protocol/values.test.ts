import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { noFlags } from '../../src/dictionary/definitions.js';
import {
  AccessRequest,
  AttributeDef,
  type AttributeFlags,
  type AttributeType,
  type AttributeValue,
  AttributesSet,
  decodeAttributes,
  Dictionary,
  decodeRequest,
  InvalidValueError,
  UnknownValueError,
} from '../../src/index.js';
import { readValue, writeValue } from '../../src/protocol/values.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function def(type: AttributeType, flags: Partial<AttributeFlags> = {}, values: Record<string, number> = {}) {
  const d = new AttributeDef(`Test-${type}`, 1, type, { ...noFlags(), ...flags }, undefined, undefined, '1');
  for (const [name, v] of Object.entries(values)) d.addValue(name, v);
  return d;
}

/** The wire bytes of `value` for an attribute of `type`. */
function enc(d: AttributeDef, value: unknown): Buffer {
  const buf = Buffer.alloc(600);
  const n = writeValue(d, value, buf, 0);
  return Buffer.from(buf.subarray(0, n));
}

function dec(d: AttributeDef, bytes: Buffer): AttributeValue | undefined {
  return readValue(d, bytes, 0, bytes.length);
}

/** encode then decode. */
function through(d: AttributeDef, value: unknown): AttributeValue | undefined {
  return dec(d, enc(d, value));
}

function rejects(
  d: AttributeDef,
  values: unknown[],
  error: typeof InvalidValueError | typeof UnknownValueError,
) {
  for (const v of values) assert.throws(() => enc(d, v), error, `${d.type}: ${String(v)}`);
}

describe('string and octets', () => {
  test('string: UTF-8 text, bytes accepted, invalid UTF-8 read back as bytes', () => {
    const s = def('string');
    assert.deepEqual(enc(s, 'héllo'), Buffer.from('héllo'));
    assert.equal(through(s, 'héllo ✓ 🔑'), 'héllo ✓ 🔑');
    assert.equal(through(s, ''), '');
    assert.equal(through(s, 'a\0b'), 'a\0b');
    assert.equal(through(s, Buffer.from('bytes')), 'bytes');
    assert.deepEqual(dec(s, hex('ff fe 41')), hex('ff fe 41'));
    rejects(s, [42, null, {}, true], InvalidValueError);
  });

  test('octets: Buffers, Uint8Arrays, 0x hex (either case), or text as UTF-8', () => {
    const o = def('octets');
    assert.deepEqual(enc(o, hex('0001ff')), hex('0001ff'));
    assert.deepEqual(enc(o, new Uint8Array([1, 2])), hex('0102'));
    assert.deepEqual(enc(o, '0xDEADbeef'), hex('deadbeef'));
    assert.deepEqual(enc(o, '0XDEAD'), hex('dead'));
    assert.deepEqual(enc(o, '0x'), Buffer.alloc(0));
    assert.deepEqual(enc(o, 'text'), Buffer.from('text'));
    assert.deepEqual(dec(o, hex('00ff')), hex('00ff'));
    rejects(o, ['0xabc', '0xzz', 12, null], InvalidValueError);
  });

  test('octets[N]: exactly N bytes each way', () => {
    const o = def('octets', { length: 4 });
    assert.deepEqual(through(o, hex('01020304')), hex('01020304'));
    rejects(o, [hex('010203'), hex('0102030405')], InvalidValueError);
    assert.equal(dec(o, hex('010203')), undefined);
  });

  test('abinary is kept as bytes', () => {
    assert.deepEqual(through(def('abinary'), hex('0101000000')), hex('0101000000'));
  });
});

describe('addresses', () => {
  test('ipaddr: dotted quads only', () => {
    const a = def('ipaddr');
    assert.deepEqual(enc(a, '192.0.2.1'), hex('c0000201'));
    assert.equal(through(a, '0.0.0.0'), '0.0.0.0');
    assert.equal(through(a, '255.255.255.255'), '255.255.255.255');
    rejects(
      a,
      [
        '256.0.0.1',
        '1.2.3',
        '1.2.3.4.5',
        '1..2.3',
        '1.2.3.4 ',
        '',
        'a.b.c.d',
        '::1',
        3232235777,
        hex('c0000201'),
      ],
      InvalidValueError,
    );
    assert.equal(dec(a, hex('c00002')), undefined);
  });

  test('ipv6addr: RFC 5952 text (lower case, first longest zero run, single zeros kept)', () => {
    const a = def('ipv6addr');
    const cases: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['0:0:1:0:0:1:0:0', '::1:0:0:1:0:0'],
      ['2001:DB8::ABCD', '2001:db8::abcd'],
      ['::', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
      ['fe80::1:2', 'fe80::1:2'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['::ffff:c000:201', '::ffff:192.0.2.1'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ];
    for (const [input, text] of cases) assert.equal(through(a, input), text, input);
    assert.deepEqual(enc(a, '2001:db8::1'), hex('20010db8000000000000000000000001'));
  });

  test('ipv6addr: invalid text is an InvalidValueError', () => {
    rejects(
      def('ipv6addr'),
      [
        '',
        ':',
        ':::',
        '1:2:3:4:5:6:7:8:9',
        '1:2:3:4:5:6:7',
        '1::2::3',
        '12345::',
        'g::1',
        ':1:2:3:4:5:6:7',
        '1:2:3:4:5:6:7:',
        '::1.2.3',
        '1.2.3.4',
        ' ::1',
        '::1 ',
        1,
      ],
      InvalidValueError,
    );
  });

  test('ipv6addr: any address text reads back as the WHATWG URL parser canonicalizes it', () => {
    const a = def('ipv6addr');
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const got = through(a, text);
        const url = new URL(`http://[${text}]/`).hostname.slice(1, -1);
        // RFC 5952 §5 keeps the dotted quad of IPv4-mapped addresses; URLs never do.
        if (typeof got === 'string' && got.startsWith('::ffff:') && got.includes('.')) {
          assert.equal(url.startsWith('::ffff:'), true);
          return;
        }
        assert.equal(got, url);
      }),
      { numRuns: 1000 },
    );
  });

  test('ifid: four groups of up to 4 hex digits, read back zero-padded', () => {
    const i = def('ifid');
    assert.deepEqual(enc(i, '0011:2233:4455:6677'), hex('0011223344556677'));
    assert.equal(through(i, '1:22:333:AbCd'), '0001:0022:0333:abcd');
    rejects(i, ['1:2:3', '1:2:3:4:5', '12345:1:1:1', 'g:1:1:1', '::1', ''], InvalidValueError);
    assert.equal(dec(i, hex('00112233')), undefined);
  });

  test('ether: colon, dash, dot-separated or bare, read back as lower-case colons', () => {
    const e = def('ether');
    for (const text of ['00:11:22:aa:bb:cc', '00-11-22-AA-BB-CC', '0011.22aa.bbcc', '001122AABBCC'])
      assert.equal(through(e, text), '00:11:22:aa:bb:cc', text);
    rejects(
      e,
      ['00:11:22:aa:bb', '00:11:22:aa:bb:cg', '0:11:22:aa:bb:cc', '00:11:22:aa:bb:cc:dd', ''],
      InvalidValueError,
    );
    assert.equal(dec(e, hex('0011')), undefined);
  });

  test('combo-ip: 4 bytes for IPv4, 16 for IPv6', () => {
    const c = def('combo-ip');
    assert.deepEqual(enc(c, '192.0.2.1'), hex('c0000201'));
    assert.equal(enc(c, '2001:db8::1').length, 16);
    assert.equal(through(c, '2001:db8::1'), '2001:db8::1');
    assert.equal(dec(c, hex('c000020101')), undefined);
    rejects(c, ['nope', '', 7], InvalidValueError);
  });

  test('ipv4prefix: reserved byte, length, four address bytes', () => {
    const p = def('ipv4prefix');
    assert.deepEqual(enc(p, '10.0.0.0/8'), hex('00 08 0a000000'));
    assert.deepEqual(enc(p, '192.0.2.1'), hex('00 20 c0000201'));
    assert.equal(through(p, '192.0.2.0/24'), '192.0.2.0/24');
    assert.equal(through(p, '0.0.0.0/0'), '0.0.0.0/0');
    rejects(p, ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/x', '10.0.0/8', '::/0', 8], InvalidValueError);
    assert.equal(dec(p, hex('00 21 0a000000')), undefined);
    assert.equal(dec(p, hex('00 08 0a00')), undefined);
  });

  test('ipv6prefix: only the significant bytes, host bits cleared both ways', () => {
    const p = def('ipv6prefix');
    assert.deepEqual(enc(p, '2001:db8::/32'), hex('00 20 20010db8'));
    assert.deepEqual(enc(p, '2001:db8::1'), hex('00 80 20010db8000000000000000000000001'));
    assert.deepEqual(enc(p, 'ffff::/9'), hex('00 09 ff80'));
    assert.equal(dec(p, hex('00 09 ffff')), 'ff80::/9');
    assert.equal(dec(p, hex('00 00')), '::/0');
    assert.equal(dec(p, hex('00 10 20010db8')), '2001::/16');
    assert.equal(dec(p, hex('00 81')), undefined);
    assert.equal(dec(p, hex('00')), undefined);
    rejects(p, ['2001:db8::/129', '2001:db8::/', '2001:db8::/ 8', '/8', 'x/8', 32], InvalidValueError);
  });

  test('ipv6prefix: what FreeRADIUS 3.2.1 reads (radclient -x), prefix octets left out read as zero', () => {
    // RFC 3162 §2.3 / RFC 8044 §3.10: Prefix-Length 0..128, a Prefix of up to 16 octets; none says
    // the octets the length covers must all be there.
    const p = def('ipv6prefix');
    for (const [wire, read] of [
      ['00 00', '::/0'],
      ['00 01', '::/1'],
      ['00 40', '::/64'],
      ['00 80', '::/128'],
      ['00 08 20', '2000::/8'],
      ['00 10 20', '2000::/16'],
      ['00 11 2001', '2001::/17'],
      ['00 40 2001', '2001::/64'],
      ['00 40 20010db8', '2001:db8::/64'],
      ['00 80 20010db8 00000000 00000000 0000', '2001:db8::/128'],
      ['00 78 20010db8 00000000 00000000 00ff', '2001:db8::ff:0/120'],
      ['00 80 20010db8 00000000 00000000 00000001', '2001:db8::1/128'],
      // The reserved octet is not looked at.
      ['01 20 20010db8', '2001:db8::/32'],
      ['ff 20 20010db8', '2001:db8::/32'],
      // Not a prefix: FreeRADIUS keeps these raw too.
      ['00', undefined],
      ['00 81', undefined],
      ['00 ff', undefined],
      ['00 81 20010db8 00000000 00000000 00000001', undefined],
      ['00 80 20010db8 00000000 00000000 00000001 00', undefined],
    ] as const) {
      assert.equal(dec(p, hex(wire)), read, wire);
    }
  });
});

describe('integers and dates', () => {
  const named = { 'Framed-User': 2, 'Login-User': 1, Alias: 2 };

  test('integer: 0..2^32-1 from numbers, numeric strings, hex strings, bigints and value names', () => {
    const i = def('integer', {}, named);
    assert.deepEqual(enc(i, 0xdeadbeef), hex('deadbeef'));
    assert.deepEqual(enc(i, '42'), hex('0000002a'));
    assert.deepEqual(enc(i, '0x2A'), hex('0000002a'));
    assert.deepEqual(enc(i, 7n), hex('00000007'));
    assert.deepEqual(enc(i, 'framed-user'), hex('00000002'));
    assert.deepEqual(enc(i, 'ALIAS'), hex('00000002'));
    // The first name given to a number is the one read back.
    assert.equal(dec(i, hex('00000002')), 'Framed-User');
    assert.equal(dec(i, hex('00000009')), 9);
    assert.equal(through(i, 0xffffffff), 0xffffffff);
    rejects(
      i,
      [-1, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2n ** 40n, true, null, hex('01')],
      InvalidValueError,
    );
    rejects(i, ['Nope', '', '1e3', 'x'], UnknownValueError);
    assert.equal(dec(i, hex('000001')), undefined);
    // Without value names (Session-Timeout), a word is not an integer: not an unknown name.
    const plain = def('integer');
    rejects(plain, ['abc', '1e3'], InvalidValueError);
    assert.throws(() => enc(plain, 'abc'), /"abc" is not an integer/);
  });

  test('signed, short and byte ranges', () => {
    const s = def('signed');
    assert.equal(through(s, -0x80000000), -0x80000000);
    assert.equal(through(s, 0x7fffffff), 0x7fffffff);
    assert.deepEqual(enc(s, -1), hex('ffffffff'));
    rejects(s, [0x80000000, -0x80000001], InvalidValueError);
    const sh = def('short');
    assert.equal(through(sh, 0xffff), 0xffff);
    rejects(sh, [0x10000, -1], InvalidValueError);
    assert.equal(dec(sh, hex('000001')), undefined);
    const b = def('byte', {}, { One: 1 });
    assert.equal(through(b, 255), 255);
    assert.equal(through(b, 'one'), 'One');
    rejects(b, [256, -1], InvalidValueError);
    assert.equal(dec(b, hex('0001')), undefined);
  });

  test('integer64: bigints, safe numbers and decimal strings up to 2^64-1', () => {
    const i = def('integer64');
    assert.equal(through(i, 0xffffffffffffffffn), 0xffffffffffffffffn);
    assert.equal(through(i, '18446744073709551615'), 0xffffffffffffffffn);
    assert.equal(through(i, 5), 5n);
    assert.deepEqual(enc(i, 1n), hex('0000000000000001'));
    rejects(i, [2n ** 64n, -1n, -1, 1.5, 'abc', '-5', null], InvalidValueError);
    assert.equal(dec(i, hex('00000001')), undefined);
  });

  test('date: whole seconds since 1970 up to 2106, from Dates, numbers and date strings', () => {
    const d = def('date');
    const when = new Date('2024-01-02T03:04:05.678Z');
    assert.equal((through(d, when) as Date).toISOString(), '2024-01-02T03:04:05.000Z');
    assert.equal((through(d, 1_700_000_000) as Date).getTime(), 1_700_000_000_000);
    assert.equal((through(d, '1700000000') as Date).getTime(), 1_700_000_000_000);
    assert.equal((through(d, '2024-01-02T03:04:05Z') as Date).toISOString(), '2024-01-02T03:04:05.000Z');
    assert.equal((through(d, 0xffffffff) as Date).getTime(), 0xffffffff * 1000);
    assert.equal((through(d, new Date(0)) as Date).getTime(), 0);
    rejects(
      d,
      [-1, 2 ** 32, new Date(-1000), new Date(Number.NaN), 'not a date', 1.5, null],
      InvalidValueError,
    );
    assert.equal(dec(d, hex('000001')), undefined);
  });

  test('container types hold no value of their own', () => {
    for (const t of ['vsa', 'extended', 'long-extended', 'evs'] as const)
      rejects(def(t), ['x', hex('01')], InvalidValueError);
    // A TLV takes bytes (its children, encoded) but no text.
    rejects(def('tlv'), ['x'], InvalidValueError);
    assert.deepEqual(enc(def('tlv'), hex('0103616263')), hex('0103616263'));
  });
});

describe('values through packets', () => {
  test('invalid values are typed errors at encode time, naming the attribute', () => {
    const cases: [string, unknown, typeof InvalidValueError | typeof UnknownValueError][] = [
      ['NAS-IP-Address', 'not-an-ip', InvalidValueError],
      ['NAS-Port', -5, InvalidValueError],
      ['Service-Type', 'No-Such-Service', UnknownValueError],
      ['Framed-IPv6-Prefix', '2001:db8::/200', InvalidValueError],
      ['Event-Timestamp', 'yesterday', InvalidValueError],
      ['Framed-Interface-Id', '1:2:3', InvalidValueError],
      ['Class', 5, InvalidValueError],
    ];
    for (const [name, value, error] of cases) {
      const p = new AccessRequest('s');
      p.attributes.entries.push({
        def: p.dictionary.resolve(name),
        value: value as AttributeValue,
        tag: undefined,
      });
      assert.throws(
        () => p.encode(),
        (e: unknown) => e instanceof error && (e as InvalidValueError).attribute === name,
        name,
      );
    }
  });

  test('a container given a value of its own is an InvalidValueError, not a crash', () => {
    for (const name of [
      'Vendor-Specific',
      'Extended-Type-1',
      'Long-Extended-Type-1',
      'Extended-Vendor-Specific-1',
    ]) {
      const p = new AccessRequest('s').add(name, 'x');
      assert.throws(() => p.encode(), InvalidValueError, name);
    }
  });

  test('a value of the wrong size for its type arrives as raw bytes under Attr-<oid>', () => {
    const set = new AttributesSet();
    const data = hex('04 05 c00002  05 07 0000000001  37 06 5f5e1000  60 06 00112233');
    decodeAttributes(data, 0, data.length, set, {
      secret: Buffer.from('s'),
      authenticator: Buffer.alloc(16),
    });
    assert.deepEqual(set.toJSON(), {
      'Attr-4': ['0xc00002'],
      'Attr-5': ['0x0000000001'],
      'Event-Timestamp': ['2020-09-13T12:26:40.000Z'],
      'Attr-96': ['0x00112233'],
    });
  });

  test('array attributes (FreeRADIUS `array`) decode to one value per element', () => {
    const dict = new Dictionary();
    dict.addAttribute({ name: 'Test-Addrs', path: [200], type: 'ipaddr', flags: { array: true } });
    const set = new AttributesSet(dict);
    const data = hex('c8 0e c0000201 c0000202 c0000203  c8 07 c000020101');
    decodeAttributes(data, 0, data.length, set, {
      secret: Buffer.from('s'),
      authenticator: Buffer.alloc(16),
    });
    assert.deepEqual(set.getAll('Test-Addrs'), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    assert.deepEqual(set.get('Attr-200'), hex('c000020101'));
  });

  test('every value type survives a packet round trip', () => {
    const dict = new Dictionary();
    const types: [AttributeType, unknown, AttributeValue][] = [
      ['integer64', 2n ** 63n, 2n ** 63n],
      ['byte', 200, 200],
      ['short', 65000, 65000],
      ['signed', -42, -42],
      ['ether', '00-AA-bb-01-02-03', '00:aa:bb:01:02:03'],
      ['combo-ip', '2001:db8::7', '2001:db8::7'],
      ['ipv4prefix', '198.51.100.0/24', '198.51.100.0/24'],
      ['abinary', hex('0102'), hex('0102')],
    ];
    types.forEach(([type], i) => {
      dict.addAttribute({ name: `Test-${type}`, path: [200 + i], type });
    });
    const p = new AccessRequest('s', { dictionary: dict });
    for (const [type, value] of types) p.add(`Test-${type}`, value as AttributeValue);
    const got = decodeRequest('s', p.encode(), { dictionary: dict });
    for (const [type, , expect] of types) assert.deepEqual(got.get(`Test-${type}`), expect, type);
  });
});

// Ascend binary filters (abinary): filter text ↔ the fixed binary layout NASes read (4-byte header:
// type, forward, direction, pad; then the body), and the text printed back the way FreeRADIUS prints
// it. The byte vectors are laid out field by field from that layout.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ASCEND_FILTER_LENGTH,
  ASCEND_IPV6_FILTER_LENGTH,
  decodeAscendFilter,
  Dictionary,
  encodeAscendFilter,
  decodeRequest,
  InvalidValueError,
} from '../../src/index.js';
import { accessRequest, decodeBody, encodeBody, h, hex, SECRET } from './codec-wire.js';

// [text, header, body] with every field named.
const VECTORS: Array<[string, string]> = [
  [
    'ip in drop tcp dstport > 1023',
    // ip, drop, in, pad | srcip, dstip, srcmask, dstmask, proto 6, est | srcport, dstport 1023, cmp -, cmp > | fill
    '01 00 01 00 | 00000000 00000000 00 00 06 00 | 0000 03ff 00 03 | 00000000 000000000000',
  ],
  [
    'ip in forward srcip 1.2.3.4/5 dstip 10.11.12.13/32 tcp srcport = 5 dstport = 1234',
    '01 01 01 00 | 01020304 0a0b0c0d 05 20 06 00 | 0005 04d2 02 02 | 00000000 000000000000',
  ],
  [
    'ip out forward dstip 192.168.1.0/24 udp est',
    '01 01 00 00 | 00000000 c0a80100 00 18 11 01 | 0000 0000 00 00 | 00000000 000000000000',
  ],
  [
    'ip out drop srcip 198.51.100.7/32 icmp',
    '01 00 00 00 | c6336407 00000000 20 00 01 00 | 0000 0000 00 00 | 00000000 000000000000',
  ],
  [
    'ip in forward ospf srcport < 1024 dstport != 22',
    '01 01 01 00 | 00000000 00000000 00 00 59 00 | 0400 0016 01 04 | 00000000 000000000000',
  ],
  [
    // generic, forward, in | offset 10, length 6, more | mask | value | compNeq | fill
    'generic in forward 10 ffff00000000 0a0b00000000 != more',
    '00 01 01 00 | 000a 0006 0001 | ffff00000000 | 0a0b00000000 | 01 | 000000 000000000000',
  ],
  [
    'generic out drop 0 00ff00ff00ff 001100220033 ==',
    '00 00 00 00 | 0000 0006 0000 | 00ff00ff00ff | 001100220033 | 00 | 000000 000000000000',
  ],
  [
    // ipx | source net, node, socket | destination net, node, socket | socket comparisons | fill
    'ipx out drop dstipxnet 0xabcd dstipxnode 0x112233445566 dstipxsock > 0x0452',
    '02 00 00 00 | 00000000 000000000000 0000 | 0000abcd 112233445566 0452 | 00 03 | 0000',
  ],
  [
    // ipv6 | srcip, dstip | srcprefix, dstprefix, proto, est | srcport, dstport, cmps | fill
    'ipv6 in forward srcip 2001:db8::1/64 udp dstport != 53',
    '03 01 01 00 | 20010db8000000000000000000000001 00000000000000000000000000000000 | 40 00 11 00 | 0000 0035 00 04 | 0000',
  ],
  [
    'ipv6 out drop dstip fe80::/10 tcp srcport = 80 est',
    '03 00 00 00 | 00000000000000000000000000000000 fe800000000000000000000000000000 | 00 0a 06 01 | 0050 0000 02 00 | 0000',
  ],
];

const bytes = (layout: string) => hex(layout.replace(/\|/g, ''));

describe('Ascend filters: text → bytes → the same text', () => {
  for (const [text, layout] of VECTORS) {
    test(text, () => {
      const want = bytes(layout);
      assert.equal(want.length, text.startsWith('ipv6') ? ASCEND_IPV6_FILTER_LENGTH : ASCEND_FILTER_LENGTH);
      assert.deepEqual(encodeAscendFilter(text), want);
      assert.equal(decodeAscendFilter(want), text);
    });
  }
});

describe('Ascend filters: other spellings read to the canonical text', () => {
  const CASES: Array<[string, string]> = [
    ['IP In Forward TCP', 'ip in forward tcp'],
    // Without /N the length is the address's class; 0.0.0.0 is "any" and not printed.
    ['ip in forward srcip 10.0.0.1 dstip 0.0.0.0/0 6', 'ip in forward srcip 10.0.0.1/8 tcp'],
    ['ip in forward srcip 172.16.0.1 udp', 'ip in forward srcip 172.16.0.1/16 udp'],
    ['ip in forward dstip 224.0.0.5 89', 'ip in forward dstip 224.0.0.5/32 ospf'],
    ['ip in forward tcp dstport = www srcport > ftp-data', 'ip in forward tcp srcport > 20 dstport = 80'],
    ['ip in forward tcp established', 'ip in forward tcp est'],
    ['  ip   out  drop   17  ', 'ip out drop udp'],
    // No protocol given: 0, printed as such.
    ['ip in forward', 'ip in forward 0'],
    // A protocol without a name stays a number (FreeRADIUS prints "??", which does not read back).
    ['ip out drop 47', 'ip out drop 47'],
    ['generic in drop', 'generic in drop'],
    ['generic in forward 2 FFFF00000000 0800ABCD0000', 'generic in forward 2 ffff00000000 0800abcd0000 =='],
    ['ipv6 in forward srcip 2001:DB8:0:0::1 tcp', 'ipv6 in forward srcip 2001:db8::1/128 tcp'],
    ['ipx in forward', 'ipx in forward'],
  ];
  for (const [input, text] of CASES) {
    test(`"${input}"`, () => {
      const b = encodeAscendFilter(input);
      assert.equal(decodeAscendFilter(b), text);
      assert.deepEqual(encodeAscendFilter(text), b);
    });
  }
});

describe('Ascend filters: short IPv4 addresses with /N, and a bare /N, as FreeRADIUS reads them', () => {
  // Missing trailing bytes are zero (10/8 is 10.0.0.0/8); a bare /N is address 0 with length N.
  const CASES: Array<[string, string, string | undefined]> = [
    [
      'ip in drop srcip 10/8',
      '01 00 01 00 | 0a000000 00000000 08 00 00 00 | 0000 0000 00 00 | 00000000 000000000000',
      'ip in drop srcip 10.0.0.0/8 0',
    ],
    [
      'ip in drop srcip 10.20/16',
      '01 00 01 00 | 0a140000 00000000 10 00 00 00 | 0000 0000 00 00 | 00000000 000000000000',
      'ip in drop srcip 10.20.0.0/16 0',
    ],
    [
      'ip in drop srcip 10.20.30/24',
      '01 00 01 00 | 0a141e00 00000000 18 00 00 00 | 0000 0000 00 00 | 00000000 000000000000',
      'ip in drop srcip 10.20.30.0/24 0',
    ],
    [
      'ip out forward srcip 172.16/12 dstip 192.168.7/24 tcp dstport = 443',
      '01 01 00 00 | ac100000 c0a80700 0c 18 06 00 | 0000 01bb 00 02 | 00000000 000000000000',
      'ip out forward srcip 172.16.0.0/12 dstip 192.168.7.0/24 tcp dstport = 443',
    ],
    [
      // "Any" address with a length: the text has no form for it (0 is left out), so it reads as bytes.
      'ip in drop dstip /24',
      '01 00 01 00 | 00000000 00000000 00 18 00 00 | 0000 0000 00 00 | 00000000 000000000000',
      undefined,
    ],
    [
      'ip in drop srcip /0 udp',
      '01 00 01 00 | 00000000 00000000 00 00 11 00 | 0000 0000 00 00 | 00000000 000000000000',
      'ip in drop udp',
    ],
  ];
  for (const [text, layout, decoded] of CASES) {
    test(`"${text}"`, () => {
      const b = encodeAscendFilter(text);
      assert.deepEqual(b, bytes(layout));
      assert.equal(decodeAscendFilter(b), decoded);
    });
  }
});

describe('Ascend filters: invalid text is an InvalidValueError naming the token', () => {
  const CASES: Array<[string, string]> = [
    ['ipv5 in forward', '"ipv5"'],
    ['ip sideways forward', '"sideways"'],
    ['ip in accept', '"accept"'],
    ['ip in', 'ends too early'],
    ['', 'ends too early'],
    ['ip in forward srcip 1.2.3', '"1.2.3"'],
    // A short address needs its length: FreeRADIUS would read 1.2 without one as 1.0.0.0/8.
    ['ip in forward srcip 1.2', '"1.2"'],
    ['ip in forward srcip 10', '"10"'],
    ['ip in forward srcip 10/33', '"10/33"'],
    ['ip in forward srcip 256/8', '"256/8"'],
    ['ip in forward srcip 1.2.3.4.5/8', '"1.2.3.4.5/8"'],
    ['ip in forward dstip /', '"/"'],
    ['ip in forward dstip 10./8', '"10./8"'],
    ['ip in forward srcip 1.2.3.256', '"1.2.3.256"'],
    ['ip in forward dstip 1.2.3.4/33', '"1.2.3.4/33"'],
    ['ip in forward srcip', 'ends too early'],
    ['ip in forward tcp dstport >= 80', '">="'],
    ['ip in forward tcp dstport = 70000', '"70000"'],
    ['ip in forward tcp dstport = gopherx', '"gopherx"'],
    ['ip in forward tcp dstport =', 'ends too early'],
    ['ip in forward tcp udp', '"udp"'],
    ['ip in forward bogus', '"bogus"'],
    ['ip in forward 256', '"256"'],
    ['ip in forward srcip 1.1.1.1 srcip 2.2.2.2', '"srcip"'],
    ['ip in forward est est', '"est"'],
    ['ipv6 in forward dstip 2001:db8::/129', '"2001:db8::/129"'],
    ['ipv6 in forward dstip 10.0.0.1', '"10.0.0.1"'],
    ['generic in forward 10 ffff 00', '"ffff"'],
    ['generic in forward x ffff00000000 000000000000', '"x"'],
    ['generic in forward 10 ffff00000000 0000000000zz', '"0000000000zz"'],
    ['generic in forward 10 ffff00000000 000000000000 maybe', '"maybe"'],
    ['generic in forward 10 ffff00000000 000000000000 more more', '"more"'],
    ['ipx in forward srcipxnet 1 srcipxnode 0x11', '"0x11"'],
    ['ipx in forward srcipxnet 1 dstipxnode 0x112233445566', '"dstipxnode"'],
  ];
  for (const [text, token] of CASES) {
    test(`"${text}"`, () => {
      assert.throws(
        () => encodeAscendFilter(text, 'Ascend-Data-Filter'),
        (err: unknown) =>
          err instanceof InvalidValueError &&
          err.attribute === 'Ascend-Data-Filter' &&
          err.message.includes(token),
      );
    });
  }
});

describe('Ascend filters: bytes that are no filter stay bytes', () => {
  const ip = bytes(VECTORS[0][1]);
  const CASES: Array<[string, Buffer]> = [
    ['31 bytes', ip.subarray(0, 31)],
    ['33 bytes', Buffer.concat([ip, hex('00')])],
    ['an IPv6 filter of 32 bytes', Buffer.concat([hex('03010100'), Buffer.alloc(28)])],
    ['an IPv4 filter of 48 bytes', Buffer.concat([ip, Buffer.alloc(16)])],
    ['type 4', Buffer.concat([hex('04010100'), Buffer.alloc(28)])],
    [
      'a generic filter of length 3',
      bytes('00 01 01 00 | 0000 0003 0000 | ffffff000000 | 0a0b0c000000 | 00 | 000000 000000000000'),
    ],
  ];
  for (const [what, b] of CASES) {
    test(what, () => assert.equal(decodeAscendFilter(b), undefined));
  }
});

describe('Ascend filters: bytes their text would not give back stay bytes', () => {
  // Each field the text leaves out must be zero, and each it shows must read back to the same byte:
  // otherwise FreeRADIUS prints text (with "??" for a bad comparison) but keeps and relays the bytes.
  const ip = '01 01 01 00 | 00000000 00000000 00 00 06 00 | 0000 0050 00 03 | 00000000 000000000000';
  const v6 =
    '03 01 01 00 | 00000000000000000000000000000000 00000000000000000000000000000000 | 00 00 06 00 | 0000 0050 00 03 | 0000';
  const ipx = '02 00 00 00 | 00000000 000000000000 0000 | 0000abcd 112233445566 0452 | 00 03 | 0000';
  const generic = '00 01 01 00 | 000a 0006 0001 | ffff00000000 | 0a0b00000000 | 01 | 000000 000000000000';
  /** `layout` with the bytes at `at` replaced by `hexBytes`. */
  const set = (layout: string | Buffer, at: number, hexBytes: string) => {
    const b = typeof layout === 'string' ? bytes(layout) : Buffer.from(layout);
    hex(hexBytes).copy(b, at);
    return b;
  };
  const CASES: Array<[string, Buffer]> = [
    ['ip: a port comparison byte above 4 (FreeRADIUS prints "??")', set(ip, 21, '0d')],
    ['ip: a port without a comparison', set(ip, 16, '0016')],
    ['ip: the header pad byte', set(ip, 3, '01')],
    ['ip: an action byte other than 0 or 1', set(ip, 1, '02')],
    ['ip: a direction byte other than 0 or 1', set(ip, 2, 'ff')],
    ['ip: an est byte other than 0 or 1', set(ip, 15, '02')],
    ['ip: a prefix length on the "any" address', set(ip, 12, '08')],
    ['ip: a prefix length above 32', set(set(ip, 4, '0a000001'), 12, '21')],
    ['ip: the fill bytes', set(ip, 31, '01')],
    ['ipv6: a port comparison byte above 4', set(v6, 45, '05')],
    ['ipv6: a prefix length above 128', set(set(v6, 20, 'fe80'), 37, '81')],
    ['ipv6: the fill bytes', set(v6, 46, '0001')],
    ['ipx: a socket comparison byte above 4', set(ipx, 29, '07')],
    ['ipx: a socket without a comparison', set(ipx, 29, '00')],
    ['ipx: a node without a net', set(ipx, 8, '01')],
    ['ipx: the fill bytes', set(ipx, 30, '0100')],
    ['generic: a "more" field other than 0 or 1', set(generic, 8, '0002')],
    ['generic: a comparison byte other than 0 or 1', set(generic, 22, '02')],
    ['generic: the fill bytes', set(generic, 25, '01')],
  ];
  for (const [what, b] of CASES) test(what, () => assert.equal(decodeAscendFilter(b), undefined));

  test('any filter bytes: no text, or text that encodes to the same bytes', () => {
    // Mostly zeros and ones; and the filters above with up to two bytes changed, most of which
    // differ from a filter in one field.
    const byte = fc.oneof(
      { weight: 8, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.constant(1) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) },
    );
    const random = fc.integer({ min: 0, max: 3 }).chain((type) => {
      const n = type === 3 ? ASCEND_IPV6_FILTER_LENGTH : ASCEND_FILTER_LENGTH;
      return fc
        .array(byte, { minLength: n - 1, maxLength: n - 1 })
        .map((rest) => Buffer.from([type, ...rest]));
    });
    const changed = fc
      .tuple(
        fc.constantFrom(...VECTORS.map(([, layout]) => bytes(layout))),
        fc.array(fc.tuple(fc.nat(), byte), { maxLength: 2 }),
      )
      .map(([base, edits]) => {
        const b = Buffer.from(base);
        for (const [at, v] of edits) b[1 + (at % (b.length - 1))] = v;
        return b;
      });
    const filter = fc.oneof(random, changed);
    let texts = 0;
    fc.assert(
      fc.property(filter, (b) => {
        const text = decodeAscendFilter(b);
        if (text === undefined) return;
        texts++;
        assert.deepEqual(encodeAscendFilter(text), b, text);
      }),
      { numRuns: 5000 },
    );
    assert.ok(texts > 500, `only ${texts} of the filters read as text`);
  });
});

describe('abinary attributes in packets', () => {
  // The Ascend vendor space (529) with its filter attribute, and an abinary attribute at the top level.
  const dict = new Dictionary();
  dict.addVendor(529, 'Ascend');
  dict.addAttribute({ name: 'Ascend-Data-Filter', path: [242], type: 'abinary', vendor: 529 });
  dict.addAttribute({ name: 'Test-Call-Filter', path: [243], type: 'abinary' });
  const [text, layout] = VECTORS[0];
  const filter = bytes(layout).toString('hex');

  test('text goes out as the binary filter, in its VSA or on its own, and reads back as text', () => {
    const body = encodeBody(
      [
        ['Ascend-Data-Filter', text],
        ['Test-Call-Filter', text],
      ],
      dict,
    );
    assert.equal(body, h(`1a 28 00000211 f2 22 ${filter}  f3 22 ${filter}`));
    assert.deepEqual(decodeBody(body, dict), [
      ['Ascend-Data-Filter', text],
      ['Test-Call-Filter', text],
    ]);
  });

  test('bytes (a Buffer or 0x hex) go out as they are; those that are no filter read back as bytes', () => {
    const body = encodeBody(
      [
        ['Test-Call-Filter', bytes(layout)],
        ['Test-Call-Filter', '0x010203'],
      ],
      dict,
    );
    assert.equal(body, h(`f3 22 ${filter} f3 05 010203`));
    assert.deepEqual(decodeBody(body, dict), [
      ['Test-Call-Filter', text],
      ['Test-Call-Filter', '0x010203'],
    ]);
  });

  test('a received filter its text would not give back reads as bytes, and is relayed byte-exact', () => {
    // ip in drop tcp, a source port comparison of 0x0d (FreeRADIUS: "srcport ?? 0"), dstport > 1023.
    const odd = bytes(
      '01 00 01 00 | 00000000 00000000 00 00 06 00 | 0000 03ff 0d 03 | 00000000 000000000000',
    );
    const body = h(`1a 28 00000211 f2 22 ${odd.toString('hex')}  f3 22 ${odd.toString('hex')}`);
    assert.deepEqual(decodeBody(body, dict), [
      ['Ascend-Data-Filter', `0x${odd.toString('hex')}`],
      ['Test-Call-Filter', `0x${odd.toString('hex')}`],
    ]);
    const again = decodeRequest(SECRET, accessRequest(hex(body)), { dictionary: dict }).encode();
    assert.equal(again.subarray(20).toString('hex'), body);
  });

  test('invalid text is refused when the packet is encoded, naming the attribute and the token', () => {
    assert.throws(
      () => encodeBody([['Ascend-Data-Filter', 'ip in forward tcp dstport ~ 80']], dict),
      (err: unknown) =>
        err instanceof InvalidValueError &&
        err.attribute === 'Ascend-Data-Filter' &&
        err.message.includes('"~"'),
    );
  });
});

// RFC 4849 §2 NAS-Filter-Rule: consecutive values go out as one stream of rules separated by NUL,
// in as few attributes as it takes (a rule may run on into the next attribute); received attributes
// are joined and split on NUL into one value per rule.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Dictionary, decodeRequest, InvalidValueError } from '../../src/index.js';
import { accessRequest, decodeBody, encodeBody, h, hex, SECRET } from './codec-wire.js';

const txt = (s: string) => Buffer.from(s).toString('hex');

const PERMIT = 'permit in ip from any to 10.0.0.1';
const DENY = 'deny in ip from any to any';

describe('NAS-Filter-Rule: values packed on encode', () => {
  const CASES: Array<[string, Array<[string, string]>, string]> = [
    ['one rule', [['NAS-Filter-Rule', PERMIT]], `5c ${(2 + PERMIT.length).toString(16)} ${txt(PERMIT)}`],
    [
      'two rules: one attribute, a NUL between them and none after',
      [
        ['NAS-Filter-Rule', PERMIT],
        ['NAS-Filter-Rule', DENY],
      ],
      `5c ${(2 + PERMIT.length + 1 + DENY.length).toString(16)} ${txt(PERMIT)} 00 ${txt(DENY)}`,
    ],
    [
      'three short rules',
      [
        ['NAS-Filter-Rule', 'a'],
        ['NAS-Filter-Rule', 'bc'],
        ['NAS-Filter-Rule', 'd'],
      ],
      '5c 08 61 00 6263 00 64',
    ],
    [
      'an empty rule is left out',
      [
        ['NAS-Filter-Rule', 'a'],
        ['NAS-Filter-Rule', ''],
        ['NAS-Filter-Rule', 'b'],
      ],
      '5c 05 61 00 62',
    ],
    [
      'a rule running on into the next attribute',
      [
        ['NAS-Filter-Rule', 'a'.repeat(240)],
        ['NAS-Filter-Rule', 'b'.repeat(20)],
      ],
      `5c ff ${txt('a'.repeat(240))} 00 ${txt('b'.repeat(12))}  5c 0a ${txt('b'.repeat(8))}`,
    ],
    [
      'a rule filling its attribute exactly: the NUL starts the next one, no empty attribute',
      [
        ['NAS-Filter-Rule', 'x'.repeat(253)],
        ['NAS-Filter-Rule', 'y'],
      ],
      `5c ff ${txt('x'.repeat(253))}  5c 04 00 79`,
    ],
    [
      'a last rule filling its attribute exactly',
      [['NAS-Filter-Rule', 'x'.repeat(253)]],
      `5c ff ${txt('x'.repeat(253))}`,
    ],
    [
      'a rule longer than an attribute continues across attributes (RFC 4849 §2)',
      [['NAS-Filter-Rule', 'z'.repeat(300)]],
      `5c ff ${txt('z'.repeat(253))}  5c 31 ${txt('z'.repeat(47))}`,
    ],
    [
      'rules apart are packed apart',
      [
        ['NAS-Filter-Rule', 'a'],
        ['User-Name', 'u'],
        ['NAS-Filter-Rule', 'b'],
      ],
      '5c 03 61  01 03 75  5c 03 62',
    ],
  ];
  for (const [what, pairs, wire] of CASES) {
    test(what, () => assert.equal(encodeBody(pairs), h(wire)));
  }

  test('a rule holding a NUL is an InvalidValueError (it would read back as two)', () => {
    assert.throws(
      () => encodeBody([['NAS-Filter-Rule', 'a\0b']]),
      (err: unknown) => err instanceof InvalidValueError && err.attribute === 'NAS-Filter-Rule',
    );
  });
});

describe('NAS-Filter-Rule: attributes joined and split on decode', () => {
  const CASES: Array<[string, string, Array<[string, string]>]> = [
    ['one rule', `5c ${(2 + PERMIT.length).toString(16)} ${txt(PERMIT)}`, [['NAS-Filter-Rule', PERMIT]]],
    [
      'two rules in one attribute',
      `5c ${(3 + PERMIT.length + DENY.length).toString(16)} ${txt(PERMIT)} 00 ${txt(DENY)}`,
      [
        ['NAS-Filter-Rule', PERMIT],
        ['NAS-Filter-Rule', DENY],
      ],
    ],
    [
      'a rule cut across two attributes',
      '5c 05 616263  5c 05 64 00 65',
      [
        ['NAS-Filter-Rule', 'abcd'],
        ['NAS-Filter-Rule', 'e'],
      ],
    ],
    [
      'a NUL at the end of one attribute, the next rule in the next',
      '5c 04 61 00  5c 03 62',
      [
        ['NAS-Filter-Rule', 'a'],
        ['NAS-Filter-Rule', 'b'],
      ],
    ],
    [
      'leading, repeated and trailing NULs give no empty rule',
      '5c 08 00 61 00 00 62 00',
      [
        ['NAS-Filter-Rule', 'a'],
        ['NAS-Filter-Rule', 'b'],
      ],
    ],
    ['NULs only', '5c 04 00 00', []],
    [
      'runs apart are not joined',
      '5c 04 6162  01 03 75  5c 04 6364',
      [
        ['NAS-Filter-Rule', 'ab'],
        ['User-Name', 'u'],
        ['NAS-Filter-Rule', 'cd'],
      ],
    ],
    [
      'a rule longer than one attribute',
      `5c ff ${txt('z'.repeat(253))}  5c 31 ${txt('z'.repeat(47))}`,
      [['NAS-Filter-Rule', 'z'.repeat(300)]],
    ],
  ];
  for (const [what, body, want] of CASES) {
    test(what, () => assert.deepEqual(decodeBody(body), want));
  }
});

describe('NAS-Filter-Rule: only the RFC 4849 attribute is packed and split, not any attribute 92', () => {
  test('without built-ins, raw Attr-92 values holding NULs decode one per attribute and go back byte-exact', () => {
    const dict = new Dictionary({ builtin: false });
    const body = '5c 08 61 00 62 00 00 63  5c 03 64';
    assert.deepEqual(decodeBody(body, dict), [
      ['Attr-92', '0x610062000063'],
      ['Attr-92', '0x64'],
    ]);
    const again = decodeRequest(SECRET, accessRequest(hex(body)), { dictionary: dict }).encode();
    assert.equal(again.subarray(20).toString('hex'), h(body));
  });

  test('an attribute 92 of another name holds any octets, each value in its own attribute', () => {
    const dict = new Dictionary({ builtin: false }).loadText('ATTRIBUTE My-Octets-92 92 octets\n');
    const body = encodeBody(
      [
        ['My-Octets-92', hex('00010203')],
        ['My-Octets-92', hex('ff')],
      ],
      dict,
    );
    assert.equal(body, h('5c 06 00010203  5c 03 ff'));
    assert.deepEqual(decodeBody(body, dict), [
      ['My-Octets-92', '0x00010203'],
      ['My-Octets-92', '0xff'],
    ]);
  });

  test('NAS-Filter-Rule defined by a FreeRADIUS-format dictionary, without built-ins, is packed and split', () => {
    const dict = new Dictionary({ builtin: false }).loadText('ATTRIBUTE NAS-Filter-Rule 92 string\n');
    const body = encodeBody(
      [
        ['NAS-Filter-Rule', 'a'],
        ['NAS-Filter-Rule', 'b'],
      ],
      dict,
    );
    assert.equal(body, h('5c 05 61 00 62'));
    assert.deepEqual(decodeBody(body, dict), [
      ['NAS-Filter-Rule', 'a'],
      ['NAS-Filter-Rule', 'b'],
    ]);
  });
});

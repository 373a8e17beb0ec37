// Raw octets assigned to a TLV attribute (WiMAX-Capability = 0x01ff...) are its children already
// encoded: they go out as they are, inside the TLV's own header (and VSA, and extended header), cut
// into continuation fragments where the vendor format has them; decoding gives the children.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Dictionary, InvalidValueError } from '../../src/index.js';
import { decodeBody, encodeBody, h } from './codec-wire.js';

function testDictionary(): Dictionary {
  const dict = new Dictionary();
  dict.addVendor(9999, 'Acme');
  dict.addAttribute({ name: 'Acme-Caps', path: [2], type: 'tlv', vendor: 9999 });
  dict.addAttribute({ name: 'Acme-Caps-Level', path: [2, 1], type: 'byte', vendor: 9999 });
  dict.addAttribute({ name: 'Acme-Caps-Range', path: [2, 2], type: 'tlv', vendor: 9999 });
  dict.addAttribute({ name: 'Acme-Caps-Range-Low', path: [2, 2, 1], type: 'byte', vendor: 9999 });
  dict.addAttribute({ name: 'Acme-Caps-Range-High', path: [2, 2, 2], type: 'byte', vendor: 9999 });
  dict.addVendor(24757, 'WiMAX', 1, 1, true);
  dict.addAttribute({ name: 'WiMAX-Capability', path: [1], type: 'tlv', vendor: 24757 });
  dict.addAttribute({ name: 'WiMAX-Release', path: [1, 1], type: 'string', vendor: 24757 });
  dict.addAttribute({ name: 'WiMAX-Accounting-Capabilities', path: [1, 2], type: 'byte', vendor: 24757 });
  dict.addAttribute({ name: 'Test-TLV', path: [173], type: 'tlv' });
  dict.addAttribute({ name: 'Test-TLV-Int', path: [173, 1], type: 'integer' });
  dict.addAttribute({ name: 'Test-Ext-TLV', path: [241, 5], type: 'tlv' });
  dict.addAttribute({ name: 'Test-Ext-TLV-Int', path: [241, 5, 1], type: 'integer' });
  dict.addAttribute({ name: 'Test-Long-TLV', path: [245, 3], type: 'tlv' });
  dict.addAttribute({ name: 'Test-Long-TLV-Data', path: [245, 3, 1], type: 'octets' });
  return dict;
}

type Case = [
  what: string,
  name: string,
  value: string | Buffer,
  wire: string,
  back: Array<[string, string | number]>,
];

const CASES: Case[] = [
  [
    'WiMAX-Capability as 0x hex: one VSA with the continuation byte clear',
    'WiMAX-Capability',
    '0x0105322e31020302',
    '1a 11 000060b5 01 0b 00 0105322e31 020302',
    [
      ['WiMAX-Release', '2.1'],
      ['WiMAX-Accounting-Capabilities', 2],
    ],
  ],
  [
    'a vendor TLV as a Buffer',
    'Acme-Caps',
    Buffer.from([1, 3, 5]),
    '1a 0b 0000270f 02 05 010305',
    [['Acme-Caps-Level', 5]],
  ],
  [
    'a TLV inside a TLV, as bytes',
    'Acme-Caps-Range',
    '0x010301020309',
    '1a 10 0000270f 02 0a 02 08 010301020309',
    [
      ['Acme-Caps-Range-Low', 1],
      ['Acme-Caps-Range-High', 9],
    ],
  ],
  ['a top-level TLV', 'Test-TLV', '0x010600000007', 'ad 08 010600000007', [['Test-TLV-Int', 7]]],
  ['an extended TLV', 'Test-Ext-TLV', '0x01060000000a', 'f1 09 05 01060000000a', [['Test-Ext-TLV-Int', 10]]],
];

describe('raw octets assigned to a TLV', () => {
  const dict = testDictionary();
  for (const [what, name, value, wire, back] of CASES) {
    test(what, () => {
      const body = encodeBody([[name, value]], dict);
      assert.equal(body, h(wire));
      assert.deepEqual(decodeBody(body, dict), back);
    });
  }

  test('a WiMAX TLV longer than one attribute 26 is cut into continuation fragments', () => {
    // WiMAX-Release of 300 octets inside WiMAX-Capability: 302 octets of TLV data.
    const release = Buffer.alloc(300, 0x45);
    // A child is at most 255 octets: the release is cut into two children of the same type.
    const data = Buffer.concat([
      Buffer.from([1, 255]),
      release.subarray(0, 253),
      Buffer.from([1, 2 + 47]),
      release.subarray(253),
    ]);
    const body = Buffer.from(encodeBody([['WiMAX-Capability', data]], dict), 'hex');
    const attrs: Array<[number, number, number]> = [];
    for (let p = 0; p < body.length; p += body[p + 1]) attrs.push([body[p], body[p + 1], body[p + 8]]);
    // 246 octets of value per attribute 26 (255 - 2 - 4 - 3), the C bit on all but the last.
    assert.deepEqual(attrs, [
      [26, 255, 0x80],
      [26, 2 + 4 + 3 + (data.length - 246), 0],
    ]);
    assert.deepEqual(decodeBody(body, dict), [
      ['WiMAX-Release', 'E'.repeat(253)],
      ['WiMAX-Release', 'E'.repeat(47)],
    ]);
  });

  test('a long-extended TLV longer than one attribute is cut into fragments with the More flag', () => {
    const data = Buffer.concat([
      Buffer.from([1, 255]),
      Buffer.alloc(253, 0xaa),
      Buffer.from([1, 2 + 47]),
      Buffer.alloc(47, 0xbb),
    ]);
    const body = Buffer.from(encodeBody([['Test-Long-TLV', data]], dict), 'hex');
    const attrs: Array<[number, number, number, number]> = [];
    for (let p = 0; p < body.length; p += body[p + 1])
      attrs.push([body[p], body[p + 1], body[p + 2], body[p + 3]]);
    // 251 octets of value per attribute (RFC 6929 §2.2), the More flag on all but the last.
    assert.deepEqual(attrs, [
      [245, 255, 3, 0x80],
      [245, 4 + (data.length - 251), 3, 0],
    ]);
    assert.deepEqual(decodeBody(body, dict), [
      ['Test-Long-TLV-Data', `0x${'aa'.repeat(253)}`],
      ['Test-Long-TLV-Data', `0x${'bb'.repeat(47)}`],
    ]);
  });

  test('text is no TLV value, and bytes too long for a plain VSA are refused', () => {
    assert.throws(() => encodeBody([['Acme-Caps', 'level 5']], dict), InvalidValueError);
    assert.throws(() => encodeBody([['Acme-Caps', Buffer.alloc(250, 1)]], dict), InvalidValueError);
  });
});

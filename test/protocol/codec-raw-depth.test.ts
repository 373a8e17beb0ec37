// Raw fallback at the right depth (RFC 6929 §2.8): what does not decode is kept as raw octets under
// the oid of the innermost broken piece (`Attr-26.<vendor>.<type>[.<sub>...]`, `Attr-241.5`), and what
// surrounds it decodes. Only a broken vendor framing keeps the whole attribute 26 raw, only an
// extended attribute too short for its header the whole `Attr-24x`, as FreeRADIUS does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AccessRequest, Dictionary, decodeRequest } from '../../src/index.js';
import { accessRequest, decodeBody, hex, SECRET } from './codec-wire.js';

function testDictionary(): Dictionary {
  const dict = new Dictionary();
  dict.addVendor(9999, 'Acme');
  dict.addAttribute({ name: 'Acme-Name', path: [1], type: 'string', vendor: 9999 });
  dict.addAttribute({ name: 'Acme-Caps', path: [2], type: 'tlv', vendor: 9999 });
  dict.addAttribute({ name: 'Acme-Caps-Level', path: [2, 1], type: 'byte', vendor: 9999 });
  dict.addAttribute({ name: 'Acme-Caps-Range', path: [2, 2], type: 'tlv', vendor: 9999 });
  dict.addAttribute({ name: 'Acme-Caps-Range-Low', path: [2, 2, 1], type: 'byte', vendor: 9999 });
  dict.addAttribute({ name: 'Acme-Caps-Range-High', path: [2, 2, 2], type: 'byte', vendor: 9999 });
  dict.addVendor(24757, 'WiMAX', 1, 1, true);
  dict.addAttribute({ name: 'WiMAX-Capability', path: [1], type: 'tlv', vendor: 24757 });
  dict.addAttribute({ name: 'WiMAX-Release', path: [1, 1], type: 'string', vendor: 24757 });
  dict.addAttribute({ name: 'WiMAX-Accounting-Capabilities', path: [1, 2], type: 'byte', vendor: 24757 });
  dict.addAttribute({ name: 'WiMAX-Session-Id', path: [4], type: 'octets', vendor: 24757 });
  dict.addAttribute({ name: 'Test-Ext-TLV', path: [241, 5], type: 'tlv' });
  dict.addAttribute({ name: 'Test-Ext-TLV-Int', path: [241, 5, 1], type: 'integer' });
  dict.addAttribute({ name: 'Test-Long', path: [245, 1], type: 'octets' });
  dict.addVendor(11344, 'Test-EVS-Vendor');
  dict.addAttribute({ name: 'Test-EVS-Short', path: [1], type: 'octets', vendor: 11344, evs: [241, 26] });
  return dict;
}

type Case = [what: string, body: string, want: Array<[string, string | number]>];

const VENDOR_CASES: Case[] = [
  [
    'a leaf of the wrong size inside a vendor TLV: only the leaf is raw',
    '1a 10 0000270f  01 04 6162  02 06 01 04 0007',
    [
      ['Acme-Name', 'ab'],
      ['Attr-26.9999.2.1', '0x0007'],
    ],
  ],
  [
    'a TLV whose child overruns it: the TLV is raw, its VSA sibling decodes',
    '1a 10 0000270f  01 04 6162  02 06 01 05 0007',
    [
      ['Acme-Name', 'ab'],
      ['Attr-26.9999.2', '0x01050007'],
    ],
  ],
  [
    'a broken TLV inside a TLV: the inner one is raw, the outer one decodes',
    '1a 13 0000270f  02 0d 01 03 05  02 08 01 03 01 02 04 09',
    [
      ['Acme-Caps-Level', 5],
      ['Attr-26.9999.2.2', '0x010301020409'],
    ],
  ],
  ['a TLV of fewer than 3 octets', '1a 09 0000270f 02 03 01', [['Attr-26.9999.2', '0x01']]],
  [
    'an unknown child of a known TLV is raw under its own number',
    '1a 0e 0000270f  02 08 01 03 05 07 03 aa',
    [
      ['Acme-Caps-Level', 5],
      ['Attr-26.9999.2.7', '0xaa'],
    ],
  ],
  [
    'a sub-attribute overrunning the VSA: the vendor framing is broken, the whole attribute 26 is raw',
    '1a 0b 0000270f 01 09 616263',
    [['Attr-26', '0x0000270f0109616263']],
  ],
];

const WIMAX_CASES: Case[] = [
  [
    'WiMAX: a TLV leaf of the wrong size',
    '1a 12 000060b5 01 0c 00  01 05 312e30  02 04 0100',
    [
      ['WiMAX-Release', '1.0'],
      ['Attr-26.24757.1.2', '0x0100'],
    ],
  ],
  [
    'WiMAX: a TLV whose last child is cut short',
    '1a 11 000060b5 01 0b 00  01 05 312e30  02 04 01',
    [['Attr-26.24757.1', '0x0105312e30020401']],
  ],
  [
    'WiMAX: continued fragments whose joined TLV is broken',
    '1a 0d 000060b5 01 07 80 0105312e  1a 0b 000060b5 01 05 00 3002',
    [['Attr-26.24757.1', '0x0105312e3002']],
  ],
  [
    'WiMAX: continued fragments whose joined TLV is sound',
    '1a 0d 000060b5 01 07 80 0105312e  1a 0d 000060b5 01 07 00 30 020301',
    [
      ['WiMAX-Release', '1.0'],
      ['WiMAX-Accounting-Capabilities', 1],
    ],
  ],
  [
    'WiMAX: no room for the continuation byte, the whole attribute 26 is raw',
    '1a 08 000060b5 01 02',
    [['Attr-26', '0x000060b50102']],
  ],
  [
    'WiMAX: the continuation bit set with nothing after it, the whole attribute 26 is raw',
    '1a 0a 000060b5 04 04 80 aa  01 03 62',
    [
      ['Attr-26', '0x000060b5040480aa'],
      ['User-Name', 'b'],
    ],
  ],
];

const EXTENDED_CASES: Case[] = [
  ['an extended attribute with its type and no value stays raw whole', 'f1 03 01', [['Attr-241', '0x01']]],
  [
    'an extended TLV whose child overruns it is raw as the TLV',
    'f1 08 05 01 06 000007',
    [['Attr-241.5', '0x0106000007']],
  ],
  [
    'an extended TLV leaf of the wrong size is raw as the leaf',
    'f1 08 05 01 05 000007',
    [['Attr-241.5.1', '0x000007']],
  ],
  [
    'an EVS attribute with no value is raw as the EVS attribute',
    'f1 08 1a 00002c50 01',
    [['Attr-241.26', '0x00002c5001']],
  ],
  [
    'a long-extended attribute with no room for its flags stays raw whole',
    'f5 03 01',
    [['Attr-245', '0x01']],
  ],
  ['a long-extended attribute with no data stays raw whole', 'f5 04 01 00', [['Attr-245', '0x0100']]],
  [
    'a long-extended "More" flag with nothing after it: raw whole, what follows decodes',
    'f5 06 01 80 aabb  01 03 62',
    [
      ['Attr-245', '0x0180aabb'],
      ['User-Name', 'b'],
    ],
  ],
  [
    'a long-extended "More" flag followed by another extended type: raw whole',
    'f5 06 01 80 aabb  f5 05 02 00 cc',
    [
      ['Attr-245', '0x0180aabb'],
      ['Attr-245.2', '0xcc'],
    ],
  ],
  ['long-extended fragments joined', 'f5 06 01 80 aabb  f5 05 01 00 cc', [['Test-Long', '0xaabbcc']]],
];

describe('raw fallback at the right depth', () => {
  const dict = testDictionary();
  for (const [what, body, want] of [...VENDOR_CASES, ...WIMAX_CASES, ...EXTENDED_CASES]) {
    test(what, () => {
      assert.deepEqual(decodeBody(body, dict), want);
      // Re-encoded (each raw piece in its place), the packet decodes to the same attributes.
      const data = accessRequest(hex(body));
      const again = decodeRequest(SECRET, decodeRequest(SECRET, data, { dictionary: dict }).encode(), {
        dictionary: dict,
      });
      assert.deepEqual(decodeBody(again.encode().subarray(20), dict), want);
    });
  }

  test('raw pieces can be named and sent by the caller, each inside its parents', () => {
    const p = new AccessRequest(SECRET, { dictionary: testDictionary(), messageAuthenticator: false });
    p.add('Attr-26.9999.2.2', hex('010301')).add('Attr-241.5.1', hex('07'));
    assert.equal(p.encode().subarray(20).toString('hex'), '1a0d0000270f02070205010301' + 'f10605010307');
  });
});

// Zero-length values (RFC 2865 §5: text and string values are one or more octets). An empty value is
// not sent, and a received zero-length attribute, at the top level or inside a VSA or TLV, gives no
// value: it is skipped, as FreeRADIUS does. Chargeable-User-Identity is the exception both ways
// (WiMAX sends it empty to ask for one); a hidden empty password is 16 octets of padding, not empty.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AccessRequest, Dictionary, decodeRequest, MalformedPacketError } from '../../src/index.js';
import { accessRequest, decodeBody, encodeBody, h, hex, SECRET } from './codec-wire.js';

function testDictionary(): Dictionary {
  const dict = new Dictionary();
  dict.addVendor(9999, 'Acme');
  dict.addAttribute({ name: 'Acme-Name', path: [1], type: 'string', vendor: 9999 });
  dict.addAttribute({ name: 'Acme-Caps', path: [2], type: 'tlv', vendor: 9999 });
  dict.addAttribute({ name: 'Acme-Caps-Label', path: [2, 1], type: 'string', vendor: 9999 });
  dict.addAttribute({ name: 'Acme-Caps-Level', path: [2, 2], type: 'byte', vendor: 9999 });
  return dict;
}

describe('empty values are not encoded', () => {
  const dict = testDictionary();
  const CASES: Array<[string, Array<[string, string | number | Buffer]>, string]> = [
    ['User-Name = ""', [['User-Name', '']], ''],
    [
      'between two others',
      [
        ['User-Name', 'bob'],
        ['Reply-Message', ''],
        ['NAS-Port', 1],
      ],
      '0105626f62 0506 00000001',
    ],
    ['octets given as an empty Buffer', [['Class', Buffer.alloc(0)]], ''],
    ['octets given as "0x"', [['Class', '0x']], ''],
    ['a string "0x" is text, not empty', [['Reply-Message', '0x']], '1204 3078'],
    ['a tagged string with nothing after its tag', [['Tunnel-Private-Group-Id:1', '']], ''],
    ['a vendor attribute', [['MS-CHAP-Domain', Buffer.alloc(0)]], ''],
    ['a vendor attribute of a loaded vendor', [['Acme-Name', '']], ''],
    [
      'an empty TLV child, its sibling kept',
      [
        ['Acme-Caps-Label', ''],
        ['Acme-Caps-Level', 3],
      ],
      '1a 0b 0000270f 02 05 02 03 03',
    ],
    [
      'an empty TLV child after a sibling',
      [
        ['Acme-Caps-Level', 3],
        ['Acme-Caps-Label', ''],
      ],
      '1a 0b 0000270f 02 05 02 03 03',
    ],
    ['Chargeable-User-Identity is sent empty (RFC 4372, WiMAX)', [['Chargeable-User-Identity', '']], '59 02'],
  ];
  for (const [what, pairs, wire] of CASES) {
    test(what, () => assert.equal(encodeBody(pairs, dict), h(wire)));
  }

  test('an empty password is still hidden as one 16-octet block (RFC 2865 §5.2)', () => {
    const p = new AccessRequest(SECRET, { messageAuthenticator: false }).add('User-Password', '');
    const body = p.encode().subarray(20);
    assert.deepEqual([body[0], body[1]], [2, 18]);
    assert.equal(decodeRequest(SECRET, p.encode()).get('User-Password'), '');
  });
});

describe('zero-length attributes received are skipped', () => {
  const dict = testDictionary();
  const CASES: Array<[string, string, Array<[string, string | number]>]> = [
    ['User-Name of length 2', '01 02', []],
    [
      'between two others',
      '01 05 626f62  12 02  05 06 00000001',
      [
        ['User-Name', 'bob'],
        ['NAS-Port', 1],
      ],
    ],
    ['an unknown attribute', 'c8 02  01 03 61', [['User-Name', 'a']]],
    ['a zero-length Vendor-Specific', '1a 02  01 03 61', [['User-Name', 'a']]],
    ['an empty sub-attribute of a VSA', '1a 0c 00000137 0a 02 0a 04 6162', [['MS-CHAP-Domain', '0x6162']]],
    ['a VSA holding only an empty sub-attribute', '1a 08 00000137 0a 02', []],
    ['an empty TLV child', '1a 0d 0000270f 02 07 01 02 02 03 03', [['Acme-Caps-Level', 3]]],
    ['Chargeable-User-Identity of length 2 is kept', '59 02', [['Chargeable-User-Identity', '0x']]],
    // One octet is the value of a has_tag string, not a tag before an empty value.
    ['a has_tag string of one octet', '51 03 01', [['Tunnel-Private-Group-ID', '\u0001']]],
    [
      'concat pieces around an empty one are joined',
      'b4 04 0201 b4 02 b4 05 000568',
      [['EAPoL-Announcement', '0x0201000568']],
    ],
  ];
  for (const [what, body, want] of CASES) {
    test(what, () => assert.deepEqual(decodeBody(body, dict), want));
  }

  test('an attribute of type 0 is still malformed, even empty', () => {
    assert.throws(() => decodeRequest(SECRET, accessRequest(hex('00 02 01 03 61'))), MalformedPacketError);
  });

  test('a lazily read name skips an empty one and finds the next', () => {
    const data = accessRequest(hex('01 02 01 05 626f62 21 02'));
    const p = decodeRequest(SECRET, data, { deferAttributes: true });
    assert.equal(p.get('User-Name'), 'bob');
    assert.equal(p.attributes.hasType(33), false);
    assert.deepEqual(p.attributes.getAll('User-Name'), ['bob']);
  });
});

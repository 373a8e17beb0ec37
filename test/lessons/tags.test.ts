// Lesson "tags" (RFC 2868 §3): a tag must not leak in either direction. Tag 0 vs absent, tagged
// integers of 6 bytes and has_tag strings with and without a tag byte are checked on our own bytes
// in test/protocol/lessons.test.ts; here, the ambiguous first byte, and FreeRADIUS's reading.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  AccessRequest,
  type AttributesSet,
  decodeRequest,
  encryptTunnelPassword,
  InvalidValueError,
  type Packet,
} from '../../src/index.js';
import { skipUnless } from '../helpers/peers.js';
import { radclientExchange } from './radclient-exchange.js';
import { accessRequest, hex } from '../protocol/codec-wire.js';

const SECRET = 'tags-lesson-secret';

/** [name as iterated, value, tag] of every attribute, Buffers as 0x hex. */
function entries(p: Packet): Array<[string, unknown, number | undefined]> {
  return [...p.attributes].map(([name, v], i) => [
    name,
    Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : v,
    p.attributes.entries[i].tag,
  ]);
}

/** Every name the set yields works with has, get, getAll and delete. */
function everyNameWorks(attrs: AttributesSet): void {
  for (const name of attrs.keys()) {
    assert.equal(attrs.has(name), true, name);
    assert.notEqual(attrs.get(name), undefined, name);
    assert.ok(attrs.getAll(name).length > 0, name);
  }
  for (const name of attrs.keys()) attrs.delete(name);
  assert.equal(attrs.size, 0);
}

describe('lesson: tags', { timeout: 60_000 }, () => {
  test('an untagged has_tag string whose first byte is 0x00..0x1F reads back unchanged (it needs a zero tag byte)', () => {
    // RFC 2868 §3.3: a first byte of 0x01..0x1F is a tag; "if the Tag field is unused, it MUST be zero".
    for (const value of ['\x01ctl', '\x1fx', '\x00abc', '\x1b[0m']) {
      const req = new AccessRequest(SECRET, { messageAuthenticator: false }).add(
        'Tunnel-Assignment-Id',
        value,
      );
      const got = decodeRequest(SECRET, req.encode());
      assert.equal(got.get('Tunnel-Assignment-Id'), value, JSON.stringify(value));
      assert.ok(!got.attributes.entries[0].tag, `${JSON.stringify(value)} came back with a tag`);
    }
  });

  test('a first byte above 0x1F is no tag: tagged integers read as four bytes, strings keep it, as FreeRADIUS reads them', () => {
    // RFC 2868 §3.1: a tag is 0x01..0x1F (0x00 when unused). radclient -x (FreeRADIUS 3.2.1) prints
    // 40 06 e5000003 as Tunnel-Type:0 = 3841982467 and 52 04 e541 as Tunnel-Assignment-Id:0 = "\345A".
    const body = hex('4006e5000003 40062000000d 40061f000003 5204e541 52042041 52040a41');
    const got = decodeRequest(SECRET, accessRequest(body));
    assert.deepEqual(entries(got), [
      ['Tunnel-Type', 3841982467, undefined],
      ['Tunnel-Type', 0x2000000d, undefined],
      ['Tunnel-Type:31', 'L2TP', 31],
      ['Tunnel-Assignment-ID', '0xe541', undefined],
      ['Tunnel-Assignment-ID', ' A', undefined],
      ['Tunnel-Assignment-ID:10', 'A', 10],
    ]);
    // Relayed as received.
    assert.deepEqual(got.encode().subarray(20), body);
    everyNameWorks(got.attributes);
  });

  test('an untagged integer above 24 bits is sent as its four bytes when its first byte is no tag', () => {
    const bytesOf = (p: Packet) => p.encode().subarray(20);
    const req = () => new AccessRequest(SECRET, { messageAuthenticator: false });
    assert.deepEqual(bytesOf(req().add('Tunnel-Type', 3841982467)), hex('4006e5000003'));
    // Its first byte would read as a tag (0x01..0x1F), or a tag is given: 24 bits are all there is.
    assert.throws(() => req().add('Tunnel-Type', 0x01000003).encode(), InvalidValueError);
    assert.throws(() => req().add('Tunnel-Type:0', 3841982467).encode(), InvalidValueError);
    assert.throws(() => req().add('Tunnel-Type:2', 3841982467).encode(), InvalidValueError);
  });

  test('Tunnel-Password: a tag byte above 0x1F is ignored (RFC 2868 §3.5): the unused tag 0, the value revealed', () => {
    // FreeRADIUS 3.2.1 reveals the value too, and prints the byte as a tag (Tunnel-Password:32,
    // Tunnel-Password:-27 for 0xe5), names no tag can have.
    const auth = accessRequest(Buffer.alloc(0)).subarray(4, 20);
    const tp = (tag: number, text: string) => {
      const hidden = encryptTunnelPassword(Buffer.from(text), Buffer.from(SECRET), auth);
      return Buffer.concat([Buffer.of(69, hidden.length + 3, tag), hidden]);
    };
    const body = Buffer.concat([tp(0x20, 'thirty-two'), tp(0xe5, 'big'), tp(0x1f, 'last'), tp(0, 'zero')]);
    const got = decodeRequest(SECRET, accessRequest(body));
    const want: Array<[string, unknown, number | undefined]> = [
      ['Tunnel-Password:0', 'thirty-two', 0],
      ['Tunnel-Password:0', 'big', 0],
      ['Tunnel-Password:31', 'last', 31],
      ['Tunnel-Password:0', 'zero', 0],
    ];
    assert.deepEqual(entries(got), want);
    // Re-encoded (with the unused tag, zero), it reads back the same.
    assert.deepEqual(entries(decodeRequest(SECRET, got.encode())), want);
    everyNameWorks(got.attributes);
  });

  test('radclient: FreeRADIUS tags (tag 0, absent, tagged integers) read as it meant them, and ours as we meant them', {
    skip: skipUnless('radclient'),
  }, async () => {
    let seen: Array<[string, unknown, number | undefined]> = [];
    const r = await radclientExchange(
      SECRET,
      [
        'User-Name = "tags"',
        'Tunnel-Type:3 = VLAN',
        'Tunnel-Medium-Type = IEEE-802',
        'Tunnel-Private-Group-Id = "none"',
        'Tunnel-Private-Group-Id:5 = "five"',
        'Tunnel-Server-Endpoint:31 = "srv"',
      ],
      (attrs) => {
        seen = attrs.entries
          .filter((e) => e.def.name.startsWith('Tunnel-'))
          .map((e) => [e.def.name, e.value, e.tag] as [string, unknown, number | undefined]);
        return [
          [
            ['Tunnel-Type:0', 'VLAN'],
            ['Tunnel-Medium-Type', 'IEEE-802'],
            ['Tunnel-Private-Group-Id:0', 'zero'],
            ['Tunnel-Private-Group-Id:5', 'five'],
            ['Tunnel-Private-Group-Id:31', 'thirty-one'],
          ],
          ACCESS_ACCEPT,
        ];
      },
    );
    assert.equal(r.replies[0]?.code, 'Access-Accept', r.stdout + r.stderr);
    // FreeRADIUS writes a zero tag byte for an untagged integer, none for an untagged string.
    assert.deepEqual(seen, [
      ['Tunnel-Type', 'VLAN', 3],
      ['Tunnel-Medium-Type', 'IEEE-802', 0],
      ['Tunnel-Private-Group-ID', 'none', undefined],
      ['Tunnel-Private-Group-ID', 'five', 5],
      ['Tunnel-Server-Endpoint', 'srv', 31],
    ]);
    // FreeRADIUS prints an absent tag as :0.
    assert.deepEqual(
      r.replies[0].attributes.filter(([n]) => n.startsWith('Tunnel-')),
      [
        ['Tunnel-Type:0', 'VLAN'],
        ['Tunnel-Medium-Type:0', 'IEEE-802'],
        ['Tunnel-Private-Group-Id:0', 'zero'],
        ['Tunnel-Private-Group-Id:5', 'five'],
        ['Tunnel-Private-Group-Id:31', 'thirty-one'],
      ],
    );
  });

  test('radclient: a tag byte above 0x1F sent either way is no tag, the four bytes the value', {
    skip: skipUnless('radclient'),
  }, async () => {
    let seen: Array<[string, unknown]> = [];
    // Raw bytes of attribute 64: FreeRADIUS sends them as they are.
    const r = await radclientExchange(SECRET, ['User-Name = "big"', 'Attr-64 = 0xe5000003'], (attrs) => {
      seen = [...attrs].filter(([n]) => n.startsWith('Tunnel-'));
      return [[['Tunnel-Type', 3841982467]], ACCESS_ACCEPT];
    });
    assert.equal(r.replies[0]?.code, 'Access-Accept', r.stdout + r.stderr);
    assert.deepEqual(seen, [['Tunnel-Type', 3841982467]]);
    assert.deepEqual(
      r.replies[0].attributes.filter(([n]) => n.startsWith('Tunnel-')),
      [['Tunnel-Type:0', '3841982467']],
    );
  });
});

// Lesson "tags" (RFC 2868 §3): a tag must not leak in either direction. Tag 0 vs absent, tagged
// integers of 6 bytes and has_tag strings with and without a tag byte are checked on our own bytes
// in test/protocol/lessons.test.ts; here, the ambiguous first byte, and FreeRADIUS's reading.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  AbstractRadiusServer,
  AccessRequest,
  type AttributesSet,
  decodeRequest,
} from '../../src/index.js';
import { radclient, skipUnless } from '../helpers/peers.js';

const SECRET = 'tags-lesson-secret';

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

  test('radclient: FreeRADIUS tags (tag 0, absent, tagged integers) read as it meant them, and ours as we meant them', {
    skip: skipUnless('radclient'),
  }, async () => {
    let seen: Array<[string, unknown, number | undefined]> = [];
    class TagServer extends AbstractRadiusServer {
      validateNas() {
        return SECRET;
      }
      override handleAuthPacket(attrs: AttributesSet) {
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
        ] as const;
      }
    }
    const server = new TagServer('127.0.0.1', { authPort: 0 });
    const port = (await server.start()).authPort as number;
    try {
      const r = await radclient({
        host: '127.0.0.1',
        port,
        type: 'auth',
        secret: SECRET,
        input: [
          'User-Name = "tags"',
          'Tunnel-Type:3 = VLAN',
          'Tunnel-Medium-Type = IEEE-802',
          'Tunnel-Private-Group-Id = "none"',
          'Tunnel-Private-Group-Id:5 = "five"',
          'Tunnel-Server-Endpoint:31 = "srv"',
          'Message-Authenticator = 0x00',
        ].join('\n'),
      });
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
    } finally {
      await server.close();
    }
  });
});

// Lesson "IPv6 prefixes" against FreeRADIUS's codec (radclient): prefix lengths that are not a
// multiple of 8, /0 and /128, both ways. The wire bytes and short encodings are checked in
// test/protocol/lessons.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACCESS_ACCEPT, AbstractRadiusServer, type AttributesSet } from '../../src/index.js';
import { radclient, skipUnless } from '../helpers/peers.js';

const SECRET = 'ipv6-prefix-secret';

/** [what is sent, how it reads back]: host bits past the prefix length are dropped. */
const PREFIXES: Array<[string, string]> = [
  ['::/0', '::/0'],
  ['fe80::/7', 'fe00::/7'],
  ['2001:db8::/29', '2001:db8::/29'],
  ['2001:db8:ffff::/33', '2001:db8:8000::/33'],
  ['2001:db8:1:2::/64', '2001:db8:1:2::/64'],
  ['2001:db8::1/128', '2001:db8::1/128'],
];

describe('lesson: IPv6 prefixes', { timeout: 60_000 }, () => {
  test('radclient sends /0, /7, /29, /33, /64 and /128 to us, and reads ours back', {
    skip: skipUnless('radclient'),
  }, async () => {
    let received: unknown[] = [];
    class PrefixServer extends AbstractRadiusServer {
      validateNas() {
        return SECRET;
      }
      override handleAuthPacket(attrs: AttributesSet) {
        received = attrs.getAll('Framed-IPv6-Prefix');
        return [
          PREFIXES.map(([sent]) => ['Framed-IPv6-Prefix', sent] as [string, string]),
          ACCESS_ACCEPT,
        ] as const;
      }
    }
    const server = new PrefixServer('127.0.0.1', { authPort: 0 });
    const port = (await server.start()).authPort as number;
    try {
      const r = await radclient({
        host: '127.0.0.1',
        port,
        type: 'auth',
        secret: SECRET,
        input: [
          'User-Name = "v6"',
          ...PREFIXES.map(([sent]) => `Framed-IPv6-Prefix = ${sent}`),
          'Message-Authenticator = 0x00',
        ].join('\n'),
      });
      assert.equal(r.replies[0]?.code, 'Access-Accept', r.stdout + r.stderr);
      assert.deepEqual(
        received,
        PREFIXES.map(([, read]) => read),
      );
      assert.deepEqual(
        r.replies[0].attributes.filter(([n]) => n === 'Framed-IPv6-Prefix').map(([, v]) => v),
        PREFIXES.map(([, read]) => read),
      );
    } finally {
      await server.close();
    }
  });
});

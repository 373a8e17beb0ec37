// Lesson "User-Password" across the network: passwords hidden by an implementation nobody here
// wrote (radclient) are revealed exactly, and a wrong secret gives the handler garbage, never a
// crash. The RFC 2865 §5.2 algorithm, lengths and NUL padding are in test/protocol/vectors.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  AbstractRadiusServer,
  AccessRequest,
  type AttributesSet,
} from '../../src/index.js';
import { radclient, skipUnless } from '../helpers/peers.js';
import { UdpPeer, waitFor } from './udp-peer.js';

const SECRET = 'user-password-secret';

class PasswordServer extends AbstractRadiusServer {
  /** The User-Password each User-Name arrived with. */
  readonly passwords = new Map<string, unknown>();
  readonly errors: unknown[] = [];
  expected = new Map<string, string>();
  validateNas() {
    return SECRET;
  }
  override handleAuthPacket(attrs: AttributesSet) {
    const user = String(attrs.get('User-Name'));
    const password = attrs.get('User-Password') ?? attrs.get('Attr-2');
    this.passwords.set(user, password);
    return [[], password === this.expected.get(user) ? ACCESS_ACCEPT : ACCESS_REJECT] as const;
  }
  override registerHandleException(error: unknown) {
    this.errors.push(error);
  }
}

/** Passwords of 1, 15, 16, 17 and 128 bytes, and multibyte UTF-8 counted in bytes. */
const PASSWORDS: Array<[string, string]> = [
  ['len1', 'a'],
  ['len15', 'abcdefghijklmno'],
  ['len16', 'abcdefghijklmnop'],
  ['len17', 'abcdefghijklmnopq'],
  ['len128', `${'p'.repeat(100)}0123456789abcdefghijklmnopqr`],
  ['utf8', 'pässwörd-密码-🔑'],
  ['utf8-128', 'é'.repeat(64)],
];

describe('lesson: User-Password', { timeout: 60_000 }, () => {
  test('radclient hides 1, 15, 16, 17, 128-byte and multibyte passwords; the handler sees each exactly', {
    skip: skipUnless('radclient'),
  }, async () => {
    const server = new PasswordServer('127.0.0.1', { authPort: 0 });
    const port = (await server.start()).authPort as number;
    try {
      server.expected = new Map(PASSWORDS);
      for (const [user, password] of PASSWORDS) {
        assert.ok(Buffer.byteLength(password) <= 128, user);
        const r = await radclient({
          host: '127.0.0.1',
          port,
          type: 'auth',
          secret: SECRET,
          input: `User-Name = "${user}", User-Password = "${password}", Message-Authenticator = 0x00`,
        });
        assert.equal(r.replies[0]?.code, 'Access-Accept', `${user}: ${r.stdout}${r.stderr}`);
      }
      assert.deepEqual(new Map(server.passwords), new Map(PASSWORDS));
      assert.deepEqual(server.errors, []);
    } finally {
      await server.close();
    }
  });

  test('a wrong secret gives the handler garbage (a string or bytes), never a crash, and is answered', async () => {
    const server = new PasswordServer('127.0.0.1', { authPort: 0, requireMessageAuthenticator: false });
    const port = (await server.start()).authPort as number;
    const peer = await UdpPeer.open();
    try {
      const N = 50;
      for (let i = 0; i < N; i++) {
        const user = `wrong-${i}`;
        server.expected.set(user, 'the-real-password-of-some-length');
        // Signed with another secret and no Message-Authenticator: nothing can tell before the handler.
        const req = new AccessRequest(randomBytes(1 + (i % 40)), { messageAuthenticator: false });
        req.addAttributes(['User-Name', user], ['User-Password', 'the-real-password-of-some-length']);
        peer.send(req.encode(), port);
        const got = await peer.next();
        assert.ok(got, `${user}: no reply`);
        assert.equal(got.data[0], ACCESS_REJECT);
      }
      assert.ok(await waitFor(() => server.passwords.size === N));
      for (const value of server.passwords.values()) {
        assert.ok(typeof value === 'string' || Buffer.isBuffer(value), String(value));
        assert.notEqual(value, 'the-real-password-of-some-length');
      }
      assert.deepEqual(server.errors, []);
      assert.equal(server.counters.rejects, N);
    } finally {
      peer.close();
      await server.close();
    }
  });
});

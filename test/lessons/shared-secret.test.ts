// Lesson "shared secret": secrets of 1 to more than 128 bytes over real sockets, between our own
// client and server and against radclient. Every length 1..200 through the codec is in
// test/protocol/vectors.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  AbstractRadiusServer,
  AccessRequest,
  AccountingRequest,
  type AttributesSet,
  RadiusClient,
} from '../../src/index.js';
import { radclient, skipUnless } from '../helpers/peers.js';

// Around the MD5 block (16), the HMAC block (64: longer keys are hashed first) and 128.
const LENGTHS = [1, 2, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200, 255];

/** A printable secret of `n` bytes, different for each length (not starting with '-': radclient reads it as an argument). */
function secretOf(n: number): string {
  let s = 'k';
  for (let i = 0; s.length < n; i++)
    s += String.fromCharCode(0x21 + ((i * 7 + n) % 94)).replace(/["\\]/, 'x');
  return s.slice(0, n);
}

class SecretServer extends AbstractRadiusServer {
  secret = '';
  validateNas() {
    return this.secret;
  }
  override handleAuthPacket(attrs: AttributesSet) {
    const ok = attrs.get('User-Password') === `pw-${this.secret.length}`;
    return [
      [
        ['Reply-Message', ok ? 'password ok' : 'password garbled'],
        ['Tunnel-Password:1', `tunnel-${this.secret.length}-longer-than-sixteen`],
      ],
      ACCESS_ACCEPT,
    ] as const;
  }
  override handleAccPacket() {
    return [[], null] as const;
  }
}

describe('lesson: shared secret', { timeout: 90_000 }, () => {
  test('RadiusClient and server with secrets of 1 to 255 bytes: User-Password, Tunnel-Password, both authenticators', async () => {
    const server = new SecretServer('127.0.0.1', { authPort: 0, accPort: 0 });
    const info = await server.start();
    const client = new RadiusClient({ timeout: 2, retries: 0, requireMessageAuthenticator: true });
    try {
      for (const n of LENGTHS) {
        server.secret = secretOf(n);
        assert.equal(Buffer.byteLength(server.secret), n);
        const req = new AccessRequest(server.secret).addAttributes(
          ['User-Name', 'u'],
          ['User-Password', `pw-${n}`],
        );
        const [reply] = await client.sendPacket(req, { remoteHost: '127.0.0.1', remotePort: info.authPort });
        assert.equal(reply.get('Reply-Message'), 'password ok', `secret of ${n} bytes`);
        assert.equal(
          reply.get('Tunnel-Password:1'),
          `tunnel-${n}-longer-than-sixteen`,
          `secret of ${n} bytes`,
        );
        const acct = new AccountingRequest(server.secret).addAttributes(
          ['Acct-Status-Type', 'Start'],
          ['Acct-Session-Id', `s${n}`],
        );
        await client.sendPacket(acct, { remoteHost: '127.0.0.1', remotePort: info.accPort });
      }
      assert.equal(client.statistics.invalidResponses, 0);
      assert.equal(server.counters.badAuthenticators, 0);
    } finally {
      client.close();
      await server.close();
    }
  });

  test('radclient with secrets of 1 to 255 bytes: answered, and it verifies and reveals our replies', {
    skip: skipUnless('radclient'),
  }, async () => {
    const server = new SecretServer('127.0.0.1', { authPort: 0 });
    const port = (await server.start()).authPort as number;
    try {
      for (const n of LENGTHS) {
        server.secret = secretOf(n);
        const r = await radclient({
          host: '127.0.0.1',
          port,
          type: 'auth',
          secret: server.secret,
          input: `User-Name = "u", User-Password = "pw-${n}", Message-Authenticator = 0x00`,
        });
        assert.equal(r.replies[0]?.code, 'Access-Accept', `secret of ${n} bytes: ${r.stdout}${r.stderr}`);
        const attrs = new Map(r.replies[0].attributes);
        assert.equal(attrs.get('Reply-Message'), 'password ok', `secret of ${n} bytes`);
        assert.equal(
          attrs.get('Tunnel-Password:1'),
          `tunnel-${n}-longer-than-sixteen`,
          `secret of ${n} bytes`,
        );
      }
      assert.equal(server.counters.badAuthenticators, 0);
    } finally {
      await server.close();
    }
  });
});

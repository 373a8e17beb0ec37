// Lesson "BlastRADIUS policy", client direction: replies the RadiusClient must refuse. The server
// direction (require / 'auto' / off per NAS, EAP, accounting exempt) is test/server/blastradius.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_CHALLENGE,
  AccessRequest,
  decodeRequest,
  RadiusClient,
  RadiusTimeoutError,
  StatusServer,
} from '../../src/index.js';
import { UdpPeer } from './udp-peer.js';

const SECRET = 'blast-client-secret';
const EAP_IDENTITY = Buffer.from([2, 1, 0, 8, 1, 0x62, 0x6f, 0x62]);

/** A server that answers every request, with or without Message-Authenticator as `withMA()` says. */
async function replier(withMA: () => boolean): Promise<UdpPeer> {
  return UdpPeer.open(({ data, remote }, peer) => {
    const req = decodeRequest(SECRET, data);
    const eap = req.get('EAP-Message') !== undefined;
    const reply = req.createReply(eap ? ACCESS_CHALLENGE : ACCESS_ACCEPT, [['Reply-Message', 'hi']]);
    reply.messageAuthenticator = withMA();
    peer.send(reply.encode(), remote.port);
  });
}

describe('lesson: BlastRADIUS policy', { timeout: 60_000 }, () => {
  test('RadiusClient: the reply to an EAP request must carry Message-Authenticator, even when not required', async () => {
    let withMA = false;
    const server = await replier(() => withMA);
    const client = new RadiusClient({ timeout: 0.8, retries: 1 });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    const eapRequest = () =>
      new AccessRequest(SECRET).addAttributes(['User-Name', 'bob'], ['EAP-Message', EAP_IDENTITY]);
    try {
      await assert.rejects(client.sendPacket(eapRequest(), opts), RadiusTimeoutError);
      assert.equal(client.statistics.invalid.badAuthenticator, 2);
      // The same client takes a plain reply without one (it was not told to require it) ...
      const [plain] = await client.sendPacket(new AccessRequest(SECRET).add('User-Name', 'bob'), opts);
      assert.equal(plain.messageAuthenticator, false);
      // ... and the EAP reply once it carries one.
      withMA = true;
      const [challenge] = await client.sendPacket(eapRequest(), opts);
      assert.equal(challenge.code, ACCESS_CHALLENGE);
      assert.equal(challenge.messageAuthenticator, true);
    } finally {
      client.close();
      server.close();
    }
  });

  test('RadiusClient: Access-Requests carry Message-Authenticator first, unless the packet is told not to (for NAS models that refuse it)', async () => {
    const received: Buffer[] = [];
    const server = await UdpPeer.open(({ data, remote }, peer) => {
      received.push(data);
      peer.send(decodeRequest(SECRET, data).createReply(ACCESS_ACCEPT).encode(), remote.port);
    });
    const client = new RadiusClient({ timeout: 2, retries: 0 });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    try {
      await client.sendPacket(new AccessRequest(SECRET).add('User-Name', 'default'), opts);
      await client.sendPacket(
        new AccessRequest(SECRET, { messageAuthenticator: false }).add('User-Name', 'legacy'),
        opts,
      );
      assert.deepEqual([received[0][20], received[0][21]], [80, 18]);
      assert.equal(decodeRequest(SECRET, received[0]).messageAuthenticator, true);
      assert.equal(decodeRequest(SECRET, received[1]).messageAuthenticator, false);
      assert.equal(decodeRequest(SECRET, received[1]).get('User-Name'), 'legacy');
    } finally {
      client.close();
      server.close();
    }
  });

  test("RadiusClient 'auto': once a server's reply carried Message-Authenticator, later replies without one are ignored", async () => {
    let withMA = true;
    const server = await replier(() => withMA);
    const client = new RadiusClient({ requireMessageAuthenticator: 'auto', timeout: 0.5, retries: 0 });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    try {
      const [first] = await client.sendPacket(new AccessRequest(SECRET).add('User-Name', 'a'), opts);
      assert.equal(first.messageAuthenticator, true);
      withMA = false;
      await assert.rejects(
        client.sendPacket(new AccessRequest(SECRET).add('User-Name', 'b'), opts),
        RadiusTimeoutError,
      );
    } finally {
      client.close();
      server.close();
    }
  });

  test("RadiusClient 'auto': what it learnt outlives the idle destination, and a Status-Server reply teaches nothing", async () => {
    let withMA = true;
    const server = await replier(() => withMA);
    const client = new RadiusClient({
      requireMessageAuthenticator: 'auto',
      timeout: 0.5,
      retries: 0,
      socketIdleTimeout: 0.1,
    });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    try {
      // A signed Status-Server reply, then an unsigned Access-Accept: still taken.
      const [status] = await client.sendPacket(new StatusServer(SECRET), opts);
      assert.equal(status.messageAuthenticator, true);
      withMA = false;
      const [plain] = await client.sendPacket(new AccessRequest(SECRET).add('User-Name', 'a'), opts);
      assert.equal(plain.messageAuthenticator, false);
      // A signed Access-Accept: from then on required, even after the idle socket is gone.
      withMA = true;
      await client.sendPacket(new AccessRequest(SECRET).add('User-Name', 'b'), opts);
      for (let i = 0; i < 50 && client.statistics.sockets > 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.equal(client.statistics.sockets, 0, 'the idle destination was not dropped');
      withMA = false;
      await assert.rejects(
        client.sendPacket(new AccessRequest(SECRET).add('User-Name', 'c'), opts),
        RadiusTimeoutError,
      );
    } finally {
      client.close();
      server.close();
    }
  });
});

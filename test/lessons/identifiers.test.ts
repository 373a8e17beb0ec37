// Lesson "identifiers": a reply is matched on (server, identifier, authenticator), never on the
// identifier alone. >256 in flight and replies from another source are in test/client/.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACCESS_ACCEPT, AccessRequest, decodeRequest, RadiusClient } from '../../src/index.js';
import { UdpPeer, waitFor } from './udp-peer.js';

const SECRET = 'identifiers-secret';

describe('lesson: identifiers', { timeout: 60_000 }, () => {
  test('a stale reply after a retransmission is ignored, also once its identifier serves a new request', async () => {
    let staleReply: Buffer | undefined;
    let transmissionsOfA = 0;
    const seen: Array<{ user: string; id: number; port: number }> = [];
    const server = await UdpPeer.open(({ data, remote }, peer) => {
      const req = decodeRequest(SECRET, data);
      const user = String(req.get('User-Name'));
      seen.push({ user, id: req.identifier, port: remote.port });
      const reply = req.createReply(ACCESS_ACCEPT, [['Reply-Message', `for ${user}`]]).encode();
      if (user === 'A') {
        // The first transmission is "lost"; the retransmission is answered twice, as a server
        // that saw both copies late would: the second copy reaches a client that is done with A.
        if (++transmissionsOfA === 1) return;
        staleReply = reply;
        peer.send(reply, remote.port);
        peer.send(reply, remote.port);
        return;
      }
      // B holds A's identifier: the stale reply to A arrives first, then B's own.
      if (user === 'B' && staleReply) peer.send(staleReply, remote.port);
      peer.send(reply, remote.port);
    });
    // One socket: 256 identifiers, handed out oldest-freed first.
    const client = new RadiusClient({ timeout: 1, retries: 2, maxSockets: 1 });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    try {
      const [a] = await client.sendPacket(new AccessRequest(SECRET).add('User-Name', 'A'), opts);
      assert.equal(a.get('Reply-Message'), 'for A');
      assert.equal(transmissionsOfA, 2);
      assert.ok(
        await waitFor(() => client.statistics.invalid.unknownIdentifier === 1),
        'the duplicate reply to A was not seen as a reply to nothing',
      );
      // 255 calls take the other identifiers, so the next call gets A's.
      await Promise.all(
        Array.from({ length: 255 }, (_, i) =>
          client.sendPacket(new AccessRequest(SECRET).add('User-Name', `filler-${i}`), opts),
        ),
      );
      const [b] = await client.sendPacket(new AccessRequest(SECRET).add('User-Name', 'B'), opts);
      const idOfA = seen.find((s) => s.user === 'A')?.id;
      const sentB = seen.find((s) => s.user === 'B');
      assert.equal(sentB?.id, idOfA, 'B did not reuse the identifier of A');
      assert.equal(sentB?.port, seen[0].port, 'not the same socket');
      assert.equal(b.get('Reply-Message'), 'for B');
      const stats = client.statistics;
      assert.equal(stats.invalid.badAuthenticator, 1, 'the stale reply was not refused by its authenticator');
      assert.equal(stats.invalidResponses, 2);
      assert.equal(stats.responses, 257);
    } finally {
      client.close();
      server.close();
    }
  });
});

// Lesson "Status-Server" (RFC 5997): the server answers it itself, on both ports, with
// Message-Authenticator, and never passes it to a handler; a client that requires
// Message-Authenticator refuses a reply without one. Requests without one are refused in
// test/server/bad-input.test.ts; radclient's view is in test/interop/server-clients.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCOUNTING_RESPONSE,
  AbstractRadiusServer,
  decodeRequest,
  decodeResponse,
  RadiusClient,
  RadiusTimeoutError,
  StatusServer,
} from '../../src/index.js';
import { UdpPeer } from './udp-peer.js';

const SECRET = 'status-lesson-secret';

describe('lesson: Status-Server', { timeout: 60_000 }, () => {
  test('answered on both ports with Message-Authenticator first; no handler runs, even one that throws', async () => {
    let handlerCalls = 0;
    const errors: unknown[] = [];
    class Server extends AbstractRadiusServer {
      validateNas() {
        return SECRET;
      }
      override handleAuthPacket(): never {
        handlerCalls++;
        throw new Error('a handler must not see Status-Server');
      }
      override handleAccPacket(): never {
        handlerCalls++;
        throw new Error('a handler must not see Status-Server');
      }
      override registerHandleException(error: unknown) {
        errors.push(error);
      }
    }
    const server = new Server('127.0.0.1', { authPort: 0, accPort: 0 });
    const info = await server.start();
    const peer = await UdpPeer.open();
    try {
      for (const [port, code] of [
        [info.authPort as number, ACCESS_ACCEPT],
        [info.accPort as number, ACCOUNTING_RESPONSE],
      ] as const) {
        const status = new StatusServer(SECRET);
        peer.send(status.encode(), port);
        const got = await peer.next();
        assert.ok(got, `no answer on port ${port}`);
        assert.equal(got.data[0], code);
        assert.deepEqual([got.data[20], got.data[21]], [80, 18], 'Message-Authenticator is not first');
        const reply = decodeResponse(SECRET, got.data, status, { requireMessageAuthenticator: true });
        assert.equal(reply.messageAuthenticator, true);
      }
      assert.equal(handlerCalls, 0);
      assert.deepEqual(errors, []);
      assert.equal(server.counters.statusServer, 2);
      assert.equal(server.counters.accessRequests + server.counters.accountingRequests, 0);
    } finally {
      peer.close();
      await server.close();
    }
  });

  test('RadiusClient with requireMessageAuthenticator: a Status-Server reply without one is ignored', async () => {
    let withMA = false;
    const server = await UdpPeer.open(({ data, remote }, peer) => {
      const req = decodeRequest(SECRET, data);
      const reply = req.createReply(ACCESS_ACCEPT);
      reply.messageAuthenticator = withMA;
      peer.send(reply.encode(), remote.port);
    });
    const client = new RadiusClient({ timeout: 0.8, retries: 0, requireMessageAuthenticator: true });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    try {
      await assert.rejects(client.sendPacket(new StatusServer(SECRET), opts), RadiusTimeoutError);
      assert.equal(client.statistics.invalid.badAuthenticator, 1);
      withMA = true;
      const [reply] = await client.sendPacket(new StatusServer(SECRET), opts);
      assert.equal(reply.code, ACCESS_ACCEPT);
      assert.equal(reply.messageAuthenticator, true);
    } finally {
      client.close();
      server.close();
    }
  });
});

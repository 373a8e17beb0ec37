// Lesson "retries": a reply signed with the wrong secret never completes a call nor keeps it alive,
// and timeouts of parallel calls run side by side, with the default window too. Retries 0 and the
// 1,000-call count are in test/client/radius-client.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  AccessRequest,
  AccountingRequest,
  decodeRequest,
  type Packet,
  RadiusClient,
  RadiusTimeoutError,
} from '../../src/index.js';
import { sleep, UdpPeer, waitFor } from './udp-peer.js';

const SECRET = 'retries-secret';

describe('lesson: retries', { timeout: 60_000 }, () => {
  test('a wrong-secret reply is ignored and counted; the call ends after retries + 1 attempts', async () => {
    let received = 0;
    const server = await UdpPeer.open(({ data, remote }, peer) => {
      received++;
      const req = decodeRequest(SECRET, data);
      const reply = req.createReply(req.code === 1 ? ACCESS_ACCEPT : undefined);
      reply.secret = Buffer.from('not-the-shared-secret');
      peer.send(reply.encode(), remote.port);
    });
    const client = new RadiusClient({ timeout: 0.5, retries: 2 });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    try {
      const requests: Packet[] = [
        new AccessRequest(SECRET).addAttributes(['User-Name', 'alice'], ['User-Password', 'pw']),
        new AccountingRequest(SECRET).addAttributes(['Acct-Status-Type', 'Start'], ['Acct-Session-Id', 's1']),
      ];
      for (const [i, request] of requests.entries()) {
        await assert.rejects(
          client.sendPacket(request, opts),
          (e: unknown) => e instanceof RadiusTimeoutError && e.attempts === 3,
        );
        assert.equal(received, 3 * (i + 1));
        assert.equal(client.statistics.invalid.badAuthenticator, 3 * (i + 1));
      }
      // Nothing more is sent once the call has failed.
      await sleep(3 * 500);
      assert.equal(received, 6);
      const stats = client.statistics;
      assert.equal(stats.responses, 0);
      assert.equal(stats.timeouts, 2);
      assert.equal(stats.retransmissions, 4);
      assert.equal(stats.pending, 0);
    } finally {
      client.close();
      server.close();
    }
  });

  test('1,000 timeouts in parallel with the default window finish in about one timeout', async () => {
    let received = 0;
    const server = await UdpPeer.open(() => {
      received++;
    });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    try {
      // Default options but the timers: the adaptive window holds most calls back. Once the
      // first calls got no answer at all, those waiting behind them end too, not at maxDuration.
      for (const retries of [0, 1]) {
        const client = new RadiusClient({ timeout: 0.5, retries });
        const t0 = performance.now();
        try {
          const results = await Promise.allSettled(
            Array.from({ length: 1000 }, (_, i) =>
              client.sendPacket(new AccessRequest(SECRET).add('User-Name', `d${i}`), opts),
            ),
          );
          const elapsed = performance.now() - t0;
          const errors = results.map((r) => (r.status === 'rejected' ? r.reason : undefined));
          assert.ok(
            errors.every((e) => e instanceof RadiusTimeoutError),
            `retries ${retries}: ${errors.find((e) => !(e instanceof RadiusTimeoutError))}`,
          );
          // One call takes 0.5 s (retries 0) or about 1.5 s (retries 1): a generous bound.
          assert.ok(elapsed < 5000 * (retries + 1), `retries ${retries}: ${elapsed} ms`);
          const unsent = (errors as RadiusTimeoutError[]).filter((e) => e.attempts === 0);
          assert.ok(unsent.length > 0, 'the window held calls back');
          assert.ok(unsent.every((e) => e.silentSeconds >= 0.4 && /answered none/.test(e.message)));
          assert.equal(client.statistics.timeouts, 1000);
          assert.equal(client.statistics.pending, 0);
        } finally {
          client.close();
        }
      }
      assert.ok(received < 2000, `${received} transmissions`);
    } finally {
      server.close();
    }
  });

  test('1,000 timeouts in parallel: every retransmission is sent before the first call times out', async () => {
    let received = 0;
    const server = await UdpPeer.open(() => {
      received++;
    });
    // A fixed window as wide as the burst, so that all 1,000 are in flight at once.
    const client = new RadiusClient({ timeout: 0.3, retries: 1, maxInFlight: 1000, adaptiveWindow: false });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    try {
      // Deadlines run side by side: when the first call gives up (after its second wait), all 1,000
      // first waits are over. Timeouts run one after another would show 1 retransmission here.
      let retransmissionsAtFirstTimeout: number | undefined;
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, (_, i) =>
          client.sendPacket(new AccessRequest(SECRET).add('User-Name', `t${i}`), opts).catch((e: unknown) => {
            retransmissionsAtFirstTimeout ??= client.statistics.retransmissions;
            throw e;
          }),
        ),
      );
      assert.equal(retransmissionsAtFirstTimeout, 1000);
      assert.equal(
        results.filter((r) => r.status === 'rejected' && r.reason instanceof RadiusTimeoutError).length,
        1000,
      );
      assert.equal(client.statistics.timeouts, 1000);
      assert.ok(await waitFor(() => received === 2000), `${received} transmissions, not 2,000`);
    } finally {
      client.close();
      server.close();
    }
  });
});

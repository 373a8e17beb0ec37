// What serve's /metrics shows of the proxy's home servers, read from RadiusProxy.status().
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, test } from 'node:test';
import { ServeMetrics } from '../../src/cli/metrics.js';
import {
  AccessRequest,
  createRadiusServer,
  type HomeServerStatus,
  type RadiusServerHandlers,
} from '../../src/index.js';
import { warningLogger } from '../helpers/warning-logger.js';

const row = (kind: HomeServerStatus['kind'], invalidReplies: number): HomeServerStatus => ({
  name: 'home',
  host: '127.0.0.1',
  kind,
  port: 1812,
  state: 'alive',
  alive: true,
  inFlight: 0,
  window: 10,
  waiting: 0,
  invalidReplies,
});

describe('ServeMetrics of home servers', () => {
  test('replies that failed verification, per home server port', async () => {
    const server = createRadiusServer('127.0.0.1', { secret: 's', auth: () => [[], 3] }, { authPort: 0 });
    const rows = [row('auth', 4), row('acct', 0)];
    const metrics = new ServeMetrics(server, () => undefined, { homeServers: () => rows });
    const text = await metrics.registry.metrics();
    assert.match(text, /radius_proxy_home_server_invalid_replies_total\{server="home",kind="auth"\} 4/);
    assert.match(text, /radius_proxy_home_server_invalid_replies_total\{server="home",kind="acct"\} 0/);
  });
});

describe('ServeMetrics of drops', () => {
  test('a failed handler is counted as handler_error, not also as a policy drop', async () => {
    const server = createRadiusServer('127.0.0.1', { secret: 's', auth: () => [[], 3] }, { authPort: 0 });
    server.counters.dropped = 7; // 5 handler failures and 2 BlastRADIUS drops, as the server counts them
    server.counters.handlerErrors = 5;
    const text = await new ServeMetrics(server, () => undefined).registry.metrics();
    assert.match(text, /radius_drops_total\{reason="handler_error"\} 5\n/);
    assert.match(text, /radius_drops_total\{reason="policy"\} 2\n/);
  });

  test('a retransmission answered from the cache is not a drop; one dropped is (RFC 5080 §2.2.2)', async () => {
    const server = createRadiusServer('127.0.0.1', { secret: 's', auth: () => [[], 3] }, { authPort: 0 });
    server.counters.duplicates = 9; // 6 answered from the cache, 3 dropped while their first copy was handled
    server.counters.duplicatesUnanswered = 3;
    const text = await new ServeMetrics(server, () => undefined).registry.metrics();
    assert.match(text, /radius_drops_total\{reason="duplicate"\} 3\n/);
  });

  test("each drop's log line names the radius_drops_total reason it is counted under (metricReason)", async () => {
    const { logger, lines } = warningLogger();
    const handlers: RadiusServerHandlers = { secret: 's3cret', auth: () => [[], 2] };
    const server = createRadiusServer('127.0.0.1', handlers, {
      authPort: 0,
      logger,
      requireMessageAuthenticator: true,
    });
    const port = (await server.start()).authPort as number;
    const metrics = new ServeMetrics(server, () => undefined);
    const sock = createSocket('udp4');
    const drops = async () => {
      const text = await metrics.registry.metrics();
      return new Map(
        [...text.matchAll(/^radius_drops_total\{reason="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
      );
    };
    try {
      const cases: Array<[string, Buffer]> = [
        ['malformed', Buffer.from([1, 2, 3])],
        ['unexpected_code', Buffer.from([2, ...new AccessRequest('s3cret').encode().subarray(1)])],
        ['bad_authenticator', new AccessRequest('wrong').addAttributes(['User-Name', 'a']).encode()],
        [
          'no_message_authenticator',
          new AccessRequest('s3cret', { messageAuthenticator: false })
            .addAttributes(['User-Name', 'a'], ['EAP-Message', Buffer.from([2, 1, 0, 6, 1, 97])])
            .encode(),
        ],
        [
          'blastradius',
          new AccessRequest('s3cret', { messageAuthenticator: false })
            .addAttributes(['User-Name', 'a'])
            .encode(),
        ],
      ];
      for (const [reason, bytes] of cases) {
        const before = await drops();
        const seen = lines.length;
        sock.send(bytes, port, '127.0.0.1');
        for (let i = 0; i < 200 && lines.length === seen; i++) await new Promise((r) => setTimeout(r, 10));
        const line = lines[seen];
        assert.equal(line?.reason, reason, JSON.stringify(lines));
        const after = await drops();
        const moved = [...after]
          .filter(([label, n]) => n !== (before.get(label) ?? 0))
          .map(([label]) => label);
        assert.deepEqual(moved, [line.metricReason], `${reason}: counted under ${moved}`);
      }
    } finally {
      sock.close();
      await server.close();
    }
  });
});

// What serve's /metrics shows of the proxy's home servers, read from RadiusProxy.status().
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServeMetrics } from '../../src/cli/metrics.js';
import { createRadiusServer, type HomeServerStatus } from '../../src/index.js';

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
});

// Socket errors are counted and logged; a socket that cannot be bound fails its calls at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RadiusClient } from '../../src/client/radius-client.js';
import { RadiusSocketError, RadiusTimeoutError } from '../../src/errors.js';
import { AccessRequest } from '../../src/protocol/packet.js';
import type { Logger } from '../../src/server/logger.js';
import { TestServer } from './udp-test-server.js';

const SECRET = 'testing123';

function accessRequest(user: string): AccessRequest {
  return new AccessRequest(SECRET).addAttributes(['User-Name', user], ['User-Password', 'pw']);
}

/** A logger that keeps what it is given. */
function recordingLogger(): Logger & { lines: Array<{ level: string; obj: unknown; msg?: string }> } {
  const lines: Array<{ level: string; obj: unknown; msg?: string }> = [];
  const at = (level: string) => (obj: object | string, msg?: string) => lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

test('a local address that cannot be bound: every call fails at once with RadiusSocketError, not a timeout', async () => {
  const server = await TestServer.start();
  const logger = recordingLogger();
  // 192.0.2.1 (TEST-NET-1, RFC 5737) is no address of this host.
  const client = new RadiusClient({ localAddress: '192.0.2.1', timeout: 5, retries: 3, logger });
  try {
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    const started = performance.now();
    const calls = Array.from({ length: 300 }, (_, i) => client.sendPacket(accessRequest(`b${i}`), opts));
    const results = await Promise.allSettled(calls);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const err = (r as PromiseRejectedResult).reason;
      assert.ok(err instanceof RadiusSocketError, String(err));
      assert.equal(err.code, 'ERR_RADIUS_SOCKET');
      assert.equal((err.cause as NodeJS.ErrnoException).code, 'EADDRNOTAVAIL');
      assert.match(err.message, /EADDRNOTAVAIL/);
    }
    // Long before the first 5 s timeout would have ended them.
    assert.ok(performance.now() - started < 4000);
    const stats = client.statistics;
    assert.ok(stats.socketErrors >= 1);
    assert.equal(stats.timeouts, 0);
    assert.equal(stats.pending, 0);
    assert.equal(stats.queued, 0);
    assert.equal(stats.sockets, 0);
    assert.equal(server.seen.length, 0);
    const logged = logger.lines.find((l) => l.level === 'error');
    assert.ok(logged !== undefined);
    assert.match(String(logged.msg), /bind failed/);
    assert.equal((logged.obj as { code: string }).code, 'EADDRNOTAVAIL');
    // The local address of the right kind works.
    const ok = new RadiusClient({ localAddress: '127.0.0.1' });
    try {
      await ok.sendPacket(accessRequest('bound'), opts);
      assert.equal(server.seen[0].remote.address, '127.0.0.1');
    } finally {
      ok.close();
    }
  } finally {
    client.close();
    server.close();
  }
});

test('failed sends are counted and logged (at most one line a second); the call still ends by its timers', async () => {
  const logger = recordingLogger();
  const client = new RadiusClient({ timeout: 0.05, retries: 2, logger });
  try {
    // A broadcast address without SO_BROADCAST: the kernel refuses every send (EACCES).
    await assert.rejects(
      client.sendPacket(accessRequest('nowhere'), { remoteHost: '255.255.255.255', remotePort: 1812 }),
      RadiusTimeoutError,
    );
    const stats = client.statistics;
    assert.equal(stats.socketErrors, 3);
    const warned = logger.lines.filter((l) => l.level === 'warn');
    assert.equal(warned.length, 1);
    assert.equal((warned[0].obj as { code: string }).code, 'EACCES');
  } finally {
    client.close();
  }
});

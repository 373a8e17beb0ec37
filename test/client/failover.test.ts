import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RadiusClient } from '../../src/client/radius-client.js';
import { ServerPool } from '../../src/client/server-pool.js';
import { RadiusTimeoutError } from '../../src/errors.js';
import { ACCESS_ACCEPT, ACCESS_REQUEST, STATUS_SERVER } from '../../src/protocol/codes.js';
import { AccessRequest } from '../../src/protocol/packet.js';
import { defaultAnswer, type Handler, TestServer, waitFor } from './udp-test-server.js';

const SECRET = 'testing123';

function accessRequest(user: string, secret = SECRET): AccessRequest {
  return new AccessRequest(secret).addAttributes(['User-Name', user], ['User-Password', 'pw']);
}

function count(server: TestServer, code: number): number {
  return server.seen.filter((s) => s.packet.code === code).length;
}

test('failover: a silent server is marked dead, probed with Status-Server, and back once it answers', async () => {
  let primaryAnswers = false;
  const silentUntilTold: Handler = (seen) => (primaryAnswers ? defaultAnswer(seen) : null);
  const primary = await TestServer.start({ handler: silentUntilTold });
  const backup = await TestServer.start();
  const client = new RadiusClient({
    servers: [
      { name: 'primary', host: '127.0.0.1', authPort: primary.port },
      { name: 'backup', host: '127.0.0.1', authPort: backup.port },
    ],
    timeout: 0.2,
    retries: 1,
    probeInterval: 0.1,
  });
  const aliveOf = (name: string) =>
    client.serverStatus().find((s) => s.name === name && s.kind === 'auth')?.alive;
  try {
    // The first request times out twice on the primary, then moves to the backup.
    const [r1] = await client.sendPacket(accessRequest('u1'));
    assert.equal(r1.get('Reply-Message'), 'hello u1');
    assert.equal(count(primary, ACCESS_REQUEST), 2);
    assert.equal(count(backup, ACCESS_REQUEST), 1);
    assert.equal(client.statistics.failovers, 1);
    assert.equal(aliveOf('primary'), false);

    // While the primary is dead, requests go straight to the backup.
    const [r2] = await client.sendPacket(accessRequest('u2'));
    assert.equal(r2.get('Reply-Message'), 'hello u2');
    assert.equal(count(primary, ACCESS_REQUEST), 2);
    assert.equal(count(backup, ACCESS_REQUEST), 2);

    // Probes: Status-Server with Message-Authenticator, to the auth port.
    assert.ok(await waitFor(() => count(primary, STATUS_SERVER) >= 2));
    const probe = primary.seen.find((s) => s.packet.code === STATUS_SERVER);
    assert.equal(probe?.packet.messageAuthenticator, true);
    assert.equal(aliveOf('primary'), false);
    assert.ok(client.statistics.probes >= 2);

    // The primary answers again: it is back in rotation.
    primaryAnswers = true;
    assert.ok(await waitFor(() => aliveOf('primary') === true));
    const [r3] = await client.sendPacket(accessRequest('u3'));
    assert.equal(r3.get('Reply-Message'), 'hello u3');
    assert.equal(count(primary, ACCESS_REQUEST), 3);
    assert.equal(count(backup, ACCESS_REQUEST), 2);
    // Probes are not requests of the caller.
    assert.equal(client.statistics.requests, 3);
    assert.equal(client.statistics.responses, 3);
  } finally {
    client.close();
    primary.close();
    backup.close();
  }
});

test('failover: when every server is silent, RadiusTimeoutError names them all', async () => {
  const a = await TestServer.start({ handler: () => null });
  const b = await TestServer.start({ handler: () => null });
  const client = new RadiusClient({
    servers: [
      { name: 'a', host: '127.0.0.1', authPort: a.port },
      { name: 'b', host: '127.0.0.1', authPort: b.port },
    ],
    timeout: 0.1,
    retries: 1,
    probeInterval: 60,
  });
  try {
    await assert.rejects(client.sendPacket(accessRequest('x')), (err: unknown) => {
      assert.ok(err instanceof RadiusTimeoutError);
      assert.equal(err.attempts, 4);
      assert.match(err.server, /^a \(auth port \d+\), b \(auth port \d+\)$/);
      return true;
    });
    assert.equal(a.seen.length, 2);
    assert.equal(b.seen.length, 2);
    // Both dead: the next request still goes out (to the first), and fails there alone.
    await assert.rejects(client.sendPacket(accessRequest('y')), { name: 'RadiusTimeoutError', attempts: 2 });
    assert.equal(a.seen.length, 4);
  } finally {
    client.close();
    a.close();
    b.close();
  }
});

test('failover: the calls waiting behind a silent server’s window move on with the first to time out', async () => {
  const silent = await TestServer.start({ handler: () => null });
  const backup = await TestServer.start();
  const client = new RadiusClient({
    servers: [
      { name: 'silent', host: '127.0.0.1', authPort: silent.port },
      { name: 'backup', host: '127.0.0.1', authPort: backup.port },
    ],
    timeout: 0.3,
    retries: 0,
  });
  try {
    // Calls made at once all pick the first server; its window takes 32. Without moving the
    // others on together, they would reach the backup a few per timeout as its window shrinks.
    const t0 = performance.now();
    const replies = await Promise.all(
      Array.from({ length: 300 }, (_, i) => client.sendPacket(accessRequest(`f${i}`))),
    );
    const elapsed = performance.now() - t0;
    assert.ok(replies.every(([r]) => r.code === ACCESS_ACCEPT));
    assert.ok(elapsed < 5000, `${elapsed} ms`);
    assert.equal(client.statistics.failovers, 300);
    assert.equal(count(backup, ACCESS_REQUEST), 300);
    assert.ok(count(silent, ACCESS_REQUEST) < 300, `${count(silent, ACCESS_REQUEST)} sent to the silent one`);
  } finally {
    client.close();
    silent.close();
    backup.close();
  }
});

test('round-robin spreads requests; `server` picks one by name', async () => {
  const a = await TestServer.start();
  const b = await TestServer.start();
  const client = new RadiusClient({
    servers: [
      { name: 'a', host: '127.0.0.1', authPort: a.port },
      { name: 'b', host: '127.0.0.1', authPort: b.port },
    ],
    failover: 'round-robin',
  });
  try {
    for (let i = 0; i < 10; i++) await client.sendPacket(accessRequest(`rr${i}`));
    assert.equal(a.seen.length, 5);
    assert.equal(b.seen.length, 5);
    await client.sendPacket(accessRequest('pinned'), { server: 'b' });
    assert.equal(b.seen.at(-1)?.packet.get('User-Name'), 'pinned');
  } finally {
    client.close();
    a.close();
    b.close();
  }
});

test('a server with its own secret: the request is re-signed (and the password re-hidden) with it', async () => {
  const dead = await TestServer.start({ secret: 'secret-of-dead', handler: () => null });
  const own = await TestServer.start({ secret: 'secret-of-own' });
  const client = new RadiusClient({
    servers: [
      { name: 'dead', host: '127.0.0.1', authPort: dead.port, secret: 'secret-of-dead' },
      { name: 'own', host: '127.0.0.1', authPort: own.port, secret: Buffer.from('secret-of-own') },
    ],
    timeout: 0.1,
    retries: 0,
    probeInterval: 60,
  });
  try {
    const request = accessRequest('carol', 'the-packets-secret');
    const [response] = await client.sendPacket(request);
    assert.equal(response.code, ACCESS_ACCEPT);
    assert.equal(dead.seen.length, 1, 'the first server decoded it with its secret');
    assert.equal(dead.undecodable, 0);
    assert.equal(own.seen.length, 1);
    assert.equal(own.seen[0].packet.get('User-Password'), 'pw');
    // A fresh Request Authenticator with the new identifier (RFC 5080 §2.2.1).
    assert.notDeepEqual(own.seen[0].packet.authenticator, dead.seen[0].packet.authenticator);
  } finally {
    client.close();
    dead.close();
    own.close();
  }
});

test('ServerPool: ordered picks the first live server; next() skips dead and tried ones', () => {
  const pool = new ServerPool(
    [
      { name: 'a', host: '127.0.0.1', authPort: 1 },
      { name: 'b', host: '127.0.0.1', authPort: 2 },
      { name: 'c', host: '127.0.0.1', authPort: 3 },
    ],
    'ordered',
    { auth: 1812, acct: 1813, coa: 3799 },
  );
  const [a, b, c] = pool.servers.map((s) => s.destinations.auth);
  assert.equal(pool.pick('auth'), a);
  a.alive = false;
  assert.equal(pool.pick('auth'), b);
  assert.equal(pool.next(b, [a]), c);
  assert.equal(pool.next(c, [b]), undefined, 'a is dead, b tried');
  b.alive = false;
  c.alive = false;
  assert.equal(pool.pick('auth'), a, 'all dead: the first anyway');
  // An authentication port alone: accounting on the next one; CoA on the client's default.
  assert.equal(pool.servers[0].destinations.acct.port, 2);
  assert.equal(pool.servers[0].destinations.coa.port, 3799);
});

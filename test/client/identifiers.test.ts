import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeadlineScheduler } from '../../src/client/deadline-scheduler.js';
import { IdentifierPool } from '../../src/client/identifier-pool.js';
import { RadiusClient } from '../../src/client/radius-client.js';
import { AccessRequest } from '../../src/protocol/packet.js';
import { TestServer, waitFor } from './udp-test-server.js';

test('IdentifierPool: 256 distinct identifiers, then none; freed ones come back oldest first', () => {
  const pool = new IdentifierPool<string>();
  const ids = new Set<number>();
  for (let i = 0; i < 256; i++) ids.add(pool.take(`r${i}`));
  assert.equal(ids.size, 256);
  assert.equal(pool.take('one too many'), -1);
  assert.equal(pool.available, 0);
  const [x, y] = [...ids];
  pool.release(y);
  pool.release(x);
  pool.release(x);
  assert.equal(pool.available, 2);
  assert.equal(pool.get(x), undefined);
  assert.equal(pool.take('a'), y);
  assert.equal(pool.take('b'), x);
  assert.equal(pool.get(x), 'b');
  assert.equal(pool.values().length, 256);
});

test('DeadlineScheduler: expires in order per delay, skips rescheduled, cancelled and released items', async () => {
  type Item = { name: string; generation: number };
  const fired: string[] = [];
  const sched = new DeadlineScheduler<Item>((item) => fired.push(item.name));
  // Slots 0..5 of one holder; emptying a slot drops the deadline of the item that held it.
  const slots: (Item | undefined)[] = [];
  const holder = { itemAt: (slot: number) => slots[slot] };
  const now = performance.now();
  const [a, b, c, d, e, f] = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ({ name, generation: -1 }));
  slots.push(a, b, c, d, e, f);
  sched.schedule(a, holder, 0, 40, now);
  sched.schedule(b, holder, 1, 10, now);
  sched.schedule(c, holder, 2, 40, now);
  sched.schedule(d, holder, 3, 40, now);
  sched.schedule(e, holder, 4, 40, now);
  sched.schedule(f, holder, 5, 40, now);
  sched.cancel(c);
  slots[3] = undefined; // d released its slot
  sched.schedule(e, holder, 4, 20, now); // rescheduled: only the new deadline counts
  slots[5] = { name: 'g', generation: -1 }; // f released its slot and another item took it
  assert.ok(await waitFor(() => fired.length >= 3, 2000));
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(fired, ['b', 'e', 'a']);
  sched.clear();
});

test('20,000 calls at once: all answered, no identifier reused on a socket while in flight', async () => {
  const server = await TestServer.start({ delayMs: 2 });
  server.record = false;
  // (client port, identifier) → Request Authenticator of the request the server holds.
  const held = new Map<number, string>();
  const ports = new Set<number>();
  let reused = 0;
  let received = 0;
  const key = (port: number, id: number) => port * 256 + id;
  server.onRequest = ({ raw, remote }) => {
    received++;
    ports.add(remote.port);
    const k = key(remote.port, raw[1]);
    const auth = raw.toString('latin1', 4, 20);
    const prior = held.get(k);
    // The same authenticator is a retransmission; another one is a new request on a busy identifier.
    if (prior !== undefined && prior !== auth) reused++;
    held.set(k, auth);
  };
  server.onReplySent = ({ raw, remote }) => held.delete(key(remote.port, raw[1]));
  // 8 sockets: a fixed window of 2,048 in flight, which the server's socket buffer holds; the rest
  // wait in order.
  const client = new RadiusClient({
    timeout: 5,
    retries: 3,
    maxSockets: 8,
    maxInFlight: 2048,
    adaptiveWindow: false,
  });
  try {
    const N = 20_000;
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    const calls = Array.from({ length: N }, (_, i) =>
      client.sendPacket(
        new AccessRequest('testing123').addAttributes(['User-Name', `u${i}`], ['User-Password', 'p']),
        opts,
      ),
    );
    assert.equal(client.statistics.sockets, 8);
    assert.equal(client.statistics.pending, N);
    const results = await Promise.all(calls);
    for (let i = 0; i < N; i++) assert.equal(results[i][0].get('Reply-Message'), `hello u${i}`);
    assert.equal(reused, 0);
    assert.ok(ports.size > 1, 'more than one socket');
    assert.equal(ports.size, 8);
    assert.ok(received >= N);
    const stats = client.statistics;
    assert.equal(stats.responses, N);
    assert.equal(stats.pending, 0);
    assert.equal(stats.invalidResponses, 0);
  } finally {
    client.close();
    server.close();
  }
});

test('more than 256 in flight opens more sockets; idle sockets are closed', async () => {
  const server = await TestServer.start({ delayMs: 20 });
  const client = new RadiusClient({ socketIdleTimeout: 0.2, maxInFlight: 1024, adaptiveWindow: false });
  try {
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    const calls = Array.from({ length: 600 }, (_, i) =>
      client.sendPacket(new AccessRequest('testing123').add('User-Name', `v${i}`), opts),
    );
    assert.equal(client.statistics.sockets, 3);
    await Promise.all(calls);
    assert.equal(new Set(server.seen.map((s) => s.remote.port)).size, 3);
    assert.ok(await waitFor(() => client.statistics.sockets === 0, 3000));
    // A new call opens a socket again.
    await client.sendPacket(new AccessRequest('testing123').add('User-Name', 'again'), opts);
    assert.equal(client.statistics.sockets, 1);
  } finally {
    client.close();
    server.close();
  }
});

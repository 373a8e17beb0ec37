// The per-NAS counters are bounded: a server whose validateNas accepts every source (a catch-all
// client range) keeps counters for 10,000 NASes at the most, so sources spoofed from a wide range
// cannot grow its memory without end. A new NAS beyond that makes it forget the one seen first.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { AccessRequest, RadiusResponseError } from '../../src/index.js';
import { AbstractRadiusServer } from '../../src/server/abstract-server.js';
import type { Remote, ReplyChannel } from '../../src/transport/remote.js';
import { waitFor } from '../client/udp-test-server.js';

const SECRET = 'bound-secret';
const BOUND = 10_000;
const UNKNOWN_BOUND = 1024;

class AnyNasServer extends AbstractRadiusServer {
  validateNas(): string {
    return SECRET;
  }
  override handleAuthPacket() {
    return [[], 3] as const;
  }
}

const remote = (i: number): Remote => ({
  address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  port: 40000,
  family: 'IPv4',
  transport: 'udp',
});

test(`counters of ${BOUND.toLocaleString('en')} NASes at the most; the first seen goes first`, async () => {
  const server = new AnyNasServer('127.0.0.1', { authPort: 0, accPort: 0 });
  await server.start();
  try {
    const replies: Buffer[] = [];
    const channel: ReplyChannel = { send: (data) => replies.push(data) };
    // A well-formed request under the wrong secret: counted for its NAS, then dropped.
    const wrong = new AccessRequest('not-the-secret').addAttributes(['User-Name', 'x']).encode();
    const extra = 50;
    for (let i = 0; i < BOUND + extra; i++) server.receive(wrong, remote(i), channel, 'auth');
    // Those whose handling waits (none here) would finish on later turns.
    await new Promise((resolve) => setImmediate(resolve));
    const list = server.nasList();
    assert.equal(list.length, BOUND);
    assert.equal(server.nasCounters(remote(0).address).requests, 0, 'the first NAS seen was forgotten');
    assert.equal(server.nasCounters(remote(extra - 1).address).requests, 0);
    assert.equal(server.nasCounters(remote(extra).address).requests, 1, 'the oldest kept');
    assert.equal(server.nasCounters(remote(BOUND + extra - 1).address).requests, 1);
    assert.equal(list[0].address, remote(extra).address, 'listed from the first seen');
    assert.equal(replies.length, 0, 'nothing answered under the wrong secret');
  } finally {
    await server.close();
  }
});

// A source validateNas refuses is counted by its address too (unknownNas), in a table of its own:
// bounded, least recently seen first out, so spoofed sources evict only one another, and not listed
// by nasList(), which lists the NASes the server accepts.
class SomeNasServer extends AbstractRadiusServer {
  refuse = (address: string) => address.startsWith('10.');
  validateNas(remote: Remote): string {
    if (this.refuse(remote.address)) throw new RadiusResponseError(`unknown NAS ${remote.address}`);
    return SECRET;
  }
  override handleAuthPacket() {
    return [[], 2] as const;
  }
  override registerHandleException() {}
}

test('a refused source: unknownNas counted for its address, not listed among the NASes', async () => {
  const server = new SomeNasServer('127.0.0.1', { authPort: 0, accPort: null });
  const port = (await server.start()).authPort as number;
  const stranger = createSocket('udp4');
  try {
    await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.9', resolve));
    server.refuse = (address) => address === '127.0.0.9';
    const request = new AccessRequest(SECRET).addAttributes(['User-Name', 'u']).encode();
    stranger.send(request, port, '127.0.0.1');
    stranger.send(request, port, '127.0.0.1');
    assert.ok(await waitFor(() => server.counters.unknownNas === 2));
    assert.equal(server.nasCounters('127.0.0.9').unknownNas, 2);
    assert.equal(server.nasCounters('127.0.0.9').requests, 0, 'requests count known NASes only');
    assert.deepEqual(server.nasList(), []);
    // Accepted from then on: its counters carry on, and it is listed.
    server.refuse = () => false;
    const reply = once(stranger, 'message');
    stranger.send(new AccessRequest(SECRET).addAttributes(['User-Name', 'v']).encode(), port, '127.0.0.1');
    await reply;
    assert.deepEqual(
      server.nasList().map(({ address, counters }) => [address, counters.unknownNas, counters.accepts]),
      [['127.0.0.9', 2, 1]],
    );
  } finally {
    stranger.close();
    await server.close();
  }
});

test(`refused sources: the last ${UNKNOWN_BOUND.toLocaleString('en')} kept, the NASes' counters untouched`, async () => {
  const server = new SomeNasServer('127.0.0.1', { authPort: 0, accPort: 0 });
  await server.start();
  try {
    const channel: ReplyChannel = { send: () => {} };
    const request = new AccessRequest(SECRET).addAttributes(['User-Name', 'x']).encode();
    const nas: Remote = { address: '192.0.2.1', port: 40000, family: 'IPv4', transport: 'udp' };
    server.receive(request, nas, channel, 'auth');
    const extra = 50;
    // remote(i) is 10.x.y.z: refused. The first one comes back often, so it stays.
    for (let i = 0; i < UNKNOWN_BOUND + extra; i++) {
      server.receive(request, remote(i), channel, 'auth');
      if (i % 100 === 0) server.receive(request, remote(0), channel, 'auth');
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(
      server.counters.unknownNas,
      UNKNOWN_BOUND + extra + Math.ceil((UNKNOWN_BOUND + extra) / 100),
    );
    assert.ok(server.nasCounters(remote(0).address).unknownNas > 1, 'seen again and again: kept');
    assert.equal(server.nasCounters(remote(1).address).unknownNas, 0, 'the least recently seen went');
    assert.equal(server.nasCounters(remote(extra + 1).address).unknownNas, 1);
    assert.equal(server.nasCounters(remote(UNKNOWN_BOUND + extra - 1).address).unknownNas, 1);
    assert.deepEqual(
      server.nasList().map((n) => n.address),
      ['192.0.2.1'],
    );
    assert.equal(server.nasCounters('192.0.2.1').requests, 1);
  } finally {
    await server.close();
  }
});

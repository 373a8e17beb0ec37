// The per-NAS counters are bounded: a server whose validateNas accepts every source (a catch-all
// client range) keeps counters for 10,000 NASes at the most, so sources spoofed from a wide range
// cannot grow its memory without end. A new NAS beyond that makes it forget the one seen first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccessRequest } from '../../src/index.js';
import { AbstractRadiusServer } from '../../src/server/abstract-server.js';
import type { Remote, ReplyChannel } from '../../src/transport/remote.js';

const SECRET = 'bound-secret';
const BOUND = 10_000;

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

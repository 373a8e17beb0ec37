// Two cluster links on loopback: a request handed over reaches the owner's server as if from the
// NAS and its reply comes back; a datagram under another key, a replayed one and a stale one are
// refused; an owner that does not answer costs one time limit, not a hang.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ClusterLink, type ForwardTarget } from '../../src/cluster/cluster-link.js';
import { encodeForwardRequest } from '../../src/cluster/forward-message.js';
import type { Remote, ReplyChannel } from '../../src/transport/remote.js';

const key = Buffer.from('a cluster key of sixteen octets or more');
const nas: Remote = { address: '192.0.2.7', port: 40123, family: 'IPv4', transport: 'udp' };

/** A server stand-in: records what it receives and answers with the packet reversed. */
class Echo implements ForwardTarget {
  readonly seen: Array<{ data: Buffer; remote: Remote }> = [];
  receive(data: Buffer, remote: Remote, channel: ReplyChannel): void {
    this.seen.push({ data, remote });
    channel.send(Buffer.from(data).reverse(), remote);
  }
}

describe('cluster link on loopback', () => {
  let owner: ClusterLink;
  let other: ClusterLink;
  const echo = new Echo();

  before(async () => {
    owner = await ClusterLink.open({ key, listen: '127.0.0.1:0' });
    other = await ClusterLink.open({
      key,
      listen: '127.0.0.1:0',
      timeoutMs: 300,
      peers: { isPeer: (a) => a === owner.address },
    });
    owner.attach(echo);
  });
  after(async () => {
    await owner.close();
    await other.close();
  });

  test("the owner's server gets the NAS's request as the NAS sent it, and its reply comes back", async () => {
    const packet = randomBytes(40);
    const reply = await other.forward(owner.address, packet, nas);
    assert.deepEqual(reply, Buffer.from(packet).reverse());
    const got = echo.seen.at(-1);
    assert.deepEqual(got?.data, packet);
    assert.equal(got?.remote.address, nas.address);
    assert.equal(got?.remote.port, nas.port);
    assert.equal(got?.remote.forwardedBy, other.address);
    assert.equal(await other.isPeer(owner.address), true);
    assert.equal(await other.isPeer('127.0.0.1:9'), false, 'only instances of the cluster');
  });

  test('another key: refused, and the sender gets no reply within its time limit', async () => {
    const stranger = await ClusterLink.open({
      key: Buffer.from('not the cluster key, but long'),
      listen: '127.0.0.1:0',
      timeoutMs: 200,
    });
    try {
      const before = echo.seen.length;
      const refused = owner.counters.refused;
      assert.equal(await stranger.forward(owner.address, randomBytes(40), nas), undefined);
      assert.equal(echo.seen.length, before);
      assert.equal(owner.counters.refused, refused + 1);
    } finally {
      await stranger.close();
    }
  });

  test('a captured datagram sent again, or one too old, is refused', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const port = Number(owner.address.split(':')[1]);
    const send = (data: Buffer) => new Promise<void>((r) => socket.send(data, port, '127.0.0.1', () => r()));
    const until = async (what: () => boolean) => {
      for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    try {
      const fresh = encodeForwardRequest(key, {
        nonce: randomBytes(16),
        sentAt: Date.now(),
        nasAddress: '192.0.2.9',
        nasPort: 1,
        packet: randomBytes(30),
      });
      const received = owner.counters.received;
      const refused = owner.counters.refused;
      await send(fresh);
      await until(() => owner.counters.received > received);
      await send(fresh);
      const stale = encodeForwardRequest(key, {
        nonce: randomBytes(16),
        sentAt: Date.now() - 120_000,
        nasAddress: '192.0.2.9',
        nasPort: 1,
        packet: randomBytes(30),
      });
      await send(stale);
      await until(() => owner.counters.refused >= refused + 2);
      assert.equal(owner.counters.received, received + 1, 'handled once');
      assert.equal(owner.counters.refused, refused + 2, 'the replay and the stale one');
    } finally {
      socket.close();
    }
  });

  test('an owner that does not answer: no reply after the time limit, counted', async () => {
    const silent = await ClusterLink.open({ key, listen: '127.0.0.1:0' });
    const address = silent.address;
    await silent.close();
    const timedOut = other.counters.timedOut;
    assert.equal(await other.forward(address, randomBytes(40), nas), undefined);
    assert.equal(other.counters.timedOut, timedOut + 1);
  });
});

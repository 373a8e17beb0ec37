// The client connections on real loopback sockets: a UDP socket (connected or not) and a TCP
// stream framed by the packets' Length field.
import assert from 'node:assert/strict';
import type { RemoteInfo } from 'node:dgram';
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, test } from 'node:test';
import {
  type ConnectionErrorKind,
  type ConnectionEvents,
  DatagramConnection,
  FramedStream,
} from '../../src/transport/connection.js';

/** A packet of `length` bytes with identifier `id` (only the header matters to the framing). */
function packet(id: number, length = 20): Buffer {
  const p = Buffer.alloc(length, 0xaa);
  p[0] = 1;
  p[1] = id;
  p.writeUInt16BE(length, 2);
  return p;
}

/** Events recorded, and a promise per count of packets received. */
class Recorder implements ConnectionEvents {
  packets: Buffer[] = [];
  remotes: RemoteInfo[] = [];
  errors: Array<[Error, ConnectionErrorKind]> = [];
  ups = 0;
  closed: Array<Error | undefined> = [];
  private waiters: Array<[number, () => void]> = [];

  onPacket(data: Buffer, remote: RemoteInfo): void {
    this.packets.push(data);
    this.remotes.push(remote);
    this.waiters = this.waiters.filter(([n, resolve]) => {
      if (this.packets.length < n) return true;
      resolve();
      return false;
    });
  }
  onError(error: Error, kind: ConnectionErrorKind): void {
    this.errors.push([error, kind]);
  }
  onUp(): void {
    this.ups++;
  }
  onClosed(error: Error | undefined): void {
    this.closed.push(error);
  }
  received(n: number): Promise<void> {
    if (this.packets.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push([n, resolve]));
  }
}

async function echoServer(): Promise<{ port: number; seen: Buffer[]; close(): void }> {
  const sock = dgram.createSocket('udp4');
  const seen: Buffer[] = [];
  sock.on('message', (msg, rinfo) => {
    seen.push(msg);
    sock.send(msg, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return { port: sock.address().port, seen, close: () => sock.close() };
}

const until = async (cond: () => boolean): Promise<void> => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

describe('DatagramConnection', () => {
  for (const connected of [false, true]) {
    test(`${connected ? 'connected' : 'unconnected'}: sends made before it is up go out, in order, and replies come back`, async () => {
      const server = await echoServer();
      const events = new Recorder();
      const conn = new DatagramConnection(
        { address: '127.0.0.1', port: server.port, family: 'udp4', connected },
        events,
      );
      try {
        for (let i = 0; i < 5; i++) conn.send(packet(i));
        await events.received(5);
        assert.deepEqual(
          events.packets.map((p) => p[1]),
          [0, 1, 2, 3, 4],
        );
        assert.equal(events.remotes[0].port, server.port);
        assert.equal(events.ups, 1);
        assert.equal(typeof conn.localPort, 'number');
        assert.deepEqual(events.errors, []);
      } finally {
        conn.close();
        server.close();
      }
      assert.equal(conn.isClosed, true);
      conn.send(packet(9)); // dropped, no throw
    });
  }

  test('a local address that cannot be bound is reported as a bind error, and the socket never comes up', async () => {
    const events = new Recorder();
    const conn = new DatagramConnection(
      { address: '127.0.0.1', port: 9, family: 'udp4', localAddress: '192.0.2.1' },
      events,
    );
    conn.send(packet(1));
    await until(() => events.errors.length > 0);
    assert.equal(events.errors[0][1], 'bind');
    assert.equal(events.ups, 0);
    conn.close();
  });
});

describe('FramedStream (TCP)', () => {
  test('packets split and joined across TCP segments are cut by their Length; writes wait for the connection', async () => {
    let serverSide: net.Socket | undefined;
    const received: Buffer[] = [];
    const server = net.createServer((s) => {
      serverSide = s;
      s.on('data', (d) => received.push(d));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const events = new Recorder();
    const conn = new FramedStream({ transport: 'tcp', address: '127.0.0.1', port }, events);
    try {
      conn.send(packet(1));
      conn.send(packet(2, 30));
      await until(() => Buffer.concat(received).length === 50);
      assert.deepEqual(Buffer.concat(received), Buffer.concat([packet(1), packet(2, 30)]));
      assert.equal(events.ups, 1);
      assert.equal(conn.established, true);
      // Three packets: the first cut in two, the second and third in one write.
      const a = packet(7, 24);
      const b = packet(8, 40);
      const c = packet(9);
      const s = serverSide as net.Socket;
      s.write(a.subarray(0, 3));
      await new Promise((r) => setTimeout(r, 20));
      s.write(Buffer.concat([a.subarray(3), b, c]));
      await events.received(3);
      assert.deepEqual(events.packets, [a, b, c]);
      assert.equal(events.remotes[0].port, port);
    } finally {
      conn.close();
      serverSide?.destroy();
      server.close();
    }
    assert.deepEqual(events.closed, [], 'close() does not report');
  });

  test('a Length outside 20..4096 drops the connection with an error', async () => {
    const server = net.createServer((s) => s.write(Buffer.from([2, 0, 0, 5])));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const events = new Recorder();
    const conn = new FramedStream({ transport: 'tcp', address: '127.0.0.1', port }, events);
    try {
      await until(() => events.closed.length > 0);
      assert.match(String(events.closed[0]), /invalid packet length 5/);
      assert.equal(conn.isClosed, true);
      assert.deepEqual(events.packets, []);
    } finally {
      server.close();
    }
  });

  test('who ended it: the peer (droppedHere false) or this side (a Length outside 20..4096); when it came up', async () => {
    // The first connection is closed by the server; the second gets a bad Length.
    let connections = 0;
    const server = net.createServer((s) => {
      if (connections++ === 0) s.end();
      else s.write(Buffer.from([2, 0, 0, 5]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const byPeer = new Recorder();
      const before = performance.now();
      const a = new FramedStream({ transport: 'tcp', address: '127.0.0.1', port }, byPeer);
      await until(() => byPeer.closed.length > 0);
      assert.deepEqual(byPeer.closed, [undefined]);
      assert.equal(a.droppedHere, false);
      assert.ok(a.upAt >= before && a.upAt <= performance.now(), String(a.upAt));
      assert.ok(a.connectMs >= 0 && a.connectMs <= a.upAt - before, String(a.connectMs));
      const byUs = new Recorder();
      const b = new FramedStream({ transport: 'tcp', address: '127.0.0.1', port }, byUs);
      await until(() => byUs.closed.length > 0);
      assert.match(String(byUs.closed[0]), /invalid packet length 5/);
      assert.equal(b.droppedHere, true);
    } finally {
      server.close();
    }
  });

  test('a refused connection is reported once, with the system error', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const events = new Recorder();
    const conn = new FramedStream({ transport: 'tcp', address: '127.0.0.1', port }, events);
    conn.send(packet(1));
    await until(() => events.closed.length > 0);
    assert.equal((events.closed[0] as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    assert.equal(events.ups, 0);
    assert.equal(events.closed.length, 1);
  });
});

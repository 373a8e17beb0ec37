// The TLS engine on its own, with a node:tls client over an in-memory stream: when its answers
// come out. A server answering a ClientHello only after a turn of the event loop makes the peer
// wait for every other datagram of that turn (each maybe a TLS handshake of its own).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { after, describe, test } from 'node:test';
import tls from 'node:tls';
import { tlsEndpoints } from '../../src/eap/tls-config.js';
import { TlsEngine } from '../../src/eap/tls-engine.js';
import { makeCa, makeCert } from '../helpers/certs.js';

/** A node:tls client over an in-memory stream: its flights out with next(), the server's in with give(). */
class Client {
  readonly received: Buffer[] = [];
  private out: Buffer[] = [];
  private readonly stream: Duplex;
  private readonly socket: tls.TLSSocket;

  constructor(options: tls.ConnectionOptions) {
    this.stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _e, cb) => {
        this.out.push(chunk);
        cb();
      },
    });
    this.socket = tls.connect({ socket: this.stream, checkServerIdentity: () => undefined, ...options });
    this.socket.on('data', (d: Buffer) => this.received.push(d));
    this.socket.on('error', () => {});
  }

  /** The client's next flight, once it has written one (bounded wait). */
  async next(): Promise<Buffer> {
    for (let i = 0; i < 50 && this.out.length === 0; i++) await new Promise<void>((r) => setImmediate(r));
    const flight = Buffer.concat(this.out);
    this.out = [];
    return flight;
  }

  give(bytes: Buffer): void {
    this.stream.push(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Records whether the event loop turns (an immediate runs) from now on. */
function turnWatch(): () => boolean {
  let turned = false;
  setImmediate(() => {
    turned = true;
  });
  return () => turned;
}

describe('TlsEngine', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-tls-engine-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('answers a ClientHello within the call, without a turn of the event loop', async () => {
    const ca = makeCa(dir, 'ca');
    const server = makeCert(dir, ca, 'server');
    const endpoints = tlsEndpoints({
      cert: server.certPem,
      key: server.keyPem,
      ca: ca.certPem,
      keepCertificate: false,
    });
    const client = new Client({ ca: ca.certPem, maxVersion: 'TLSv1.2' });
    const hello = await client.next();
    assert.equal(hello[0], 0x16, 'a handshake record');
    const engine = new TlsEngine(endpoints.tunnel);
    try {
      const turned = turnWatch();
      await engine.receive(hello);
      const flight = engine.takeOutput();
      assert.ok(flight.length > 0, 'the server flight came out');
      assert.equal(flight[0], 0x16);
      assert.equal(turned(), false, 'the event loop turned before the answer');
    } finally {
      engine.destroy();
      client.close();
    }
  });

  test("TLS 1.3: the finish data (RFC 9190's commitment) leaves with the handshake's last bytes", async () => {
    const ca = makeCa(dir, 'ca13');
    const server = makeCert(dir, ca, 'server13');
    const peer = makeCert(dir, ca, 'client13');
    const endpoints = tlsEndpoints({
      cert: server.certPem,
      key: server.keyPem,
      ca: ca.certPem,
      keepCertificate: false,
    });
    const client = new Client({
      ca: ca.certPem,
      cert: peer.certPem,
      key: peer.keyPem,
      maxVersion: 'TLSv1.3',
    });
    const engine = new TlsEngine(endpoints.certificate);
    try {
      await engine.receive(await client.next(), Buffer.from([0]));
      client.give(engine.takeOutput());
      // The client's Certificate, CertificateVerify and Finished: the handshake completes on it.
      const last = await client.next();
      assert.ok(last.length > 0);
      // A round trip later, as over the network: the stream has taken the server's last flight.
      for (let i = 0; i < 2; i++) await new Promise<void>((r) => setImmediate(r));
      const turned = turnWatch();
      await engine.receive(last, Buffer.from([0]));
      assert.equal(turned(), false, 'the event loop turned before the answer');
      assert.equal(engine.established, true);
      assert.equal(engine.facts?.protocol, 'TLSv1.3');
      assert.equal(engine.facts?.authorized, true);
      assert.equal(engine.facts?.finished, true, 'the finish data was written with the handshake');
      client.give(engine.takeOutput());
      for (let i = 0; i < 50 && client.received.length === 0; i++)
        await new Promise<void>((r) => setImmediate(r));
      assert.deepEqual(Buffer.concat(client.received), Buffer.from([0]), 'the client read the byte');
    } finally {
      engine.destroy();
      client.close();
    }
  });

  test('TLS 1.2: no finish data is written (RFC 9190 is for TLS 1.3 only)', async () => {
    const ca = makeCa(dir, 'ca12');
    const server = makeCert(dir, ca, 'server12');
    const peer = makeCert(dir, ca, 'client12');
    const endpoints = tlsEndpoints({
      cert: server.certPem,
      key: server.keyPem,
      ca: ca.certPem,
      keepCertificate: false,
    });
    const client = new Client({
      ca: ca.certPem,
      cert: peer.certPem,
      key: peer.keyPem,
      maxVersion: 'TLSv1.2',
    });
    const engine = new TlsEngine(endpoints.certificate);
    try {
      await engine.receive(await client.next(), Buffer.from([0]));
      client.give(engine.takeOutput());
      await engine.receive(await client.next(), Buffer.from([0]));
      assert.equal(engine.established, true);
      assert.equal(engine.facts?.protocol, 'TLSv1.2');
      assert.equal(engine.facts?.finished, false);
      client.give(engine.takeOutput());
      for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
      assert.equal(client.received.length, 0, 'no application data reached the client');
    } finally {
      engine.destroy();
      client.close();
    }
  });
});

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

/** A TLS client's first flight (its ClientHello), made by node:tls over an in-memory stream. */
async function clientHello(ca: Buffer): Promise<{ hello: Buffer; close: () => void }> {
  const out: Buffer[] = [];
  const stream = new Duplex({
    read() {},
    write: (chunk: Buffer, _e, cb) => {
      out.push(chunk);
      cb();
    },
  });
  const socket = tls.connect({
    socket: stream,
    ca,
    checkServerIdentity: () => undefined,
    maxVersion: 'TLSv1.2',
  });
  socket.on('error', () => {});
  for (let i = 0; i < 20 && out.length === 0; i++) await new Promise<void>((r) => setImmediate(r));
  return { hello: Buffer.concat(out), close: () => socket.destroy() };
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
    const { hello, close } = await clientHello(ca.certPem);
    assert.equal(hello[0], 0x16, 'a handshake record');
    const engine = new TlsEngine(endpoints.tunnel);
    try {
      let turned = false;
      setImmediate(() => {
        turned = true;
      });
      await engine.receive(hello);
      const flight = engine.takeOutput();
      assert.ok(flight.length > 0, 'the server flight came out');
      assert.equal(flight[0], 0x16);
      assert.equal(turned, false, 'the event loop turned before the answer');
    } finally {
      engine.destroy();
      close();
    }
  });
});

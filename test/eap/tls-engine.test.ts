// The TLS engine on its own, with a node:tls client over an in-memory stream: when its answers
// come out. A server answering a ClientHello only after a turn of the event loop makes the peer
// wait for every other datagram of that turn (each maybe a TLS handshake of its own).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type tls from 'node:tls';
import { type TlsEndpointKind, tlsEndpoints } from '../../src/eap/tls-config.js';
import { TlsEngine } from '../../src/eap/tls-engine.js';
import { makeCa, makeCert } from '../helpers/certs.js';
import { MemoryTlsPeer } from '../helpers/memory-tls-peer.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

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

  /** An engine of `kind` and a client (with a certificate) at `maxVersion`, under a new CA. */
  function pair(
    name: string,
    kind: TlsEndpointKind,
    maxVersion: tls.SecureVersion,
    resumptionLifetime?: number,
  ) {
    const ca = makeCa(dir, `${name}-ca`);
    const server = makeCert(dir, ca, `${name}-server`);
    const peer = makeCert(dir, ca, `${name}-client`);
    const endpoints = tlsEndpoints({
      cert: server.certPem,
      key: server.keyPem,
      ca: ca.certPem,
      keepCertificate: false,
      resumptionLifetime,
    });
    const client = new MemoryTlsPeer({ ca: ca.certPem, cert: peer.certPem, key: peer.keyPem, maxVersion });
    const engine = new TlsEngine(endpoints[kind]);
    return {
      client,
      engine,
      endpoint: endpoints[kind],
      close: () => {
        engine.destroy();
        client.destroy();
      },
    };
  }

  test('answers a ClientHello within the call, without a turn of the event loop', async () => {
    const { client, engine, close } = pair('hello', 'tunnel', 'TLSv1.2');
    try {
      const hello = await client.next();
      assert.equal(hello[0], 0x16, 'a handshake record');
      const turned = turnWatch();
      await engine.receive(hello);
      const flight = engine.takeOutput();
      assert.ok(flight.length > 0, 'the server flight came out');
      assert.equal(flight[0], 0x16);
      assert.equal(turned(), false, 'the event loop turned before the answer');
    } finally {
      close();
    }
  });

  test("TLS 1.3: the finish data (RFC 9190's commitment) leaves with the handshake's last bytes", async () => {
    const { client, engine, close } = pair('v13', 'certificate', 'TLSv1.3');
    try {
      await engine.receive(await client.next(), Buffer.from([0]));
      client.give(engine.takeOutput());
      // The client's Certificate, CertificateVerify and Finished: the handshake completes on it.
      const last = await client.next();
      assert.ok(last.length > 0);
      // A round trip later, as over the network: the stream has taken the server's last flight.
      for (let i = 0; i < 2; i++) await tick();
      const turned = turnWatch();
      await engine.receive(last, Buffer.from([0]));
      assert.equal(turned(), false, 'the event loop turned before the answer');
      assert.equal(engine.established, true);
      assert.equal(engine.facts?.protocol, 'TLSv1.3');
      assert.equal(engine.facts?.authorized, true);
      assert.equal(engine.facts?.finished, true, 'the finish data was written with the handshake');
      client.give(engine.takeOutput());
      for (let i = 0; i < 50 && client.received.length === 0; i++) await tick();
      assert.deepEqual(Buffer.concat(client.received), Buffer.from([0]), 'the client read the byte');
    } finally {
      close();
    }
  });

  for (const [lifetime, made] of [
    [undefined, true],
    [0, false],
  ] as const) {
    test(`resumptionLifetime ${lifetime ?? 'default'}: the sessions a TLS 1.3 login makes are ${made ? '' : 'not '}kept`, async () => {
      const { client, engine, endpoint, close } = pair(`life${lifetime}`, 'certificate', 'TLSv1.3', lifetime);
      try {
        await engine.receive(await client.next(), Buffer.from([0]));
        client.give(engine.takeOutput());
        await engine.receive(await client.next(), Buffer.from([0]));
        assert.equal(engine.facts?.authorized, true);
        // OpenSSL makes two per TLS 1.3 login (its tickets). With resumption off nothing may keep
        // them, and Node's session callbacks stay off (they cost every full login CPU).
        assert.equal(engine.sessionsMade.length > 0, made);
        assert.equal((endpoint.sessions?.size ?? 0) > 0, made);
        assert.equal(endpoint.server.listenerCount('newSession') > 0, made);
      } finally {
        close();
      }
    });
  }

  test('TLS 1.2: no finish data is written (RFC 9190 is for TLS 1.3 only)', async () => {
    const { client, engine, close } = pair('v12', 'certificate', 'TLSv1.2');
    try {
      await engine.receive(await client.next(), Buffer.from([0]));
      client.give(engine.takeOutput());
      await engine.receive(await client.next(), Buffer.from([0]));
      assert.equal(engine.established, true);
      assert.equal(engine.facts?.protocol, 'TLSv1.2');
      assert.equal(engine.facts?.finished, false);
      client.give(engine.takeOutput());
      for (let i = 0; i < 10; i++) await tick();
      assert.equal(client.received.length, 0, 'no application data reached the client');
    } finally {
      close();
    }
  });
});

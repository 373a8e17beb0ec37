// EAP-TLS driven in-process by a node:tls client (OpenSSL on the peer side too) where eapol_test
// cannot go: the MSK checked against the peer's own exporter, fragments beyond their declared
// length, wrong and stale Identifiers, unexpected ACKs, a peer that stops mid-handshake, and a
// mutated Response at every round of the conversation.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type tls from 'node:tls';
import { EAP_FAILURE, EAP_SUCCESS, EAP_TYPE } from '../../src/eap/codes.js';
import { EapServer, type EapServerOptions, type EapSession } from '../../src/eap/eap-server.js';
import { decodeEap, type EapPacket } from '../../src/eap/packet.js';
import { encodeAvp } from '../../src/eap/methods/ttls.js';
import { MemorySessionStore } from '../../src/eap/session-store.js';
import { EapDiscardError } from '../../src/errors.js';
import { ACCESS_ACCEPT, ACCESS_CHALLENGE, ACCESS_REJECT } from '../../src/protocol/codes.js';
import type { HandlerTuple } from '../../src/server/abstract-server.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import { attribute, Conversation } from '../helpers/eap-conversation.js';
import { MemoryTlsPeer as TlsPeer } from '../helpers/memory-tls-peer.js';

const L = 0x80;
const M = 0x40;

describe('EAP-TLS in-process against a node:tls peer', () => {
  let dir = '';
  let ca: CertFiles;
  let client: CertFiles;
  let serverTls: EapServerOptions['tls'];

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-eap-inproc-'));
    ca = makeCa(dir, 'inproc-ca');
    const cert = makeCert(dir, ca, 'inproc-server');
    client = makeCert(dir, ca, 'inproc-client');
    serverTls = { cert: cert.certPem, key: cert.keyPem, ca: ca.certPem };
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const server = (options: Partial<EapServerOptions> = {}) =>
    new EapServer({ methods: ['tls'], tls: serverTls, getCredentials: () => undefined, ...options });
  const peer = (maxVersion: tls.SecureVersion = 'TLSv1.3') =>
    new TlsPeer({ ca: ca.certPem, cert: client.certPem, key: client.keyPem, maxVersion });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    test(`${version}: the MS-MPPE keys are the peer's own MSK halves, never its EMSK`, async () => {
      const p = peer(version);
      const r = await new Conversation(server()).run(p);
      assert.equal(r[1], ACCESS_ACCEPT);
      assert.equal(p.socket.getProtocol(), version);
      const exported =
        version === 'TLSv1.3'
          ? p.socket.exportKeyingMaterial(128, 'EXPORTER_EAP_TLS_Key_Material', Buffer.from([EAP_TYPE.TLS]))
          : (p.socket.exportKeyingMaterial as (n: number, l: string) => Buffer).call(
              p.socket,
              128,
              'client EAP encryption',
            );
      assert.deepEqual(attribute(r, 'MS-MPPE-Recv-Key'), exported.subarray(0, 32));
      assert.deepEqual(attribute(r, 'MS-MPPE-Send-Key'), exported.subarray(32, 64));
      assert.equal(decodeEap(attribute(r, 'EAP-Message') as Buffer).code, EAP_SUCCESS);
      // RFC 9190 §2.1.1: under TLS 1.3 the peer got the one-byte commitment message.
      if (version === 'TLSv1.3') assert.deepEqual(Buffer.concat(p.received), Buffer.from([0]));
      p.destroy();
    });
  }

  test("TLS 1.3: the flight after the peer's Finished is one fragment (tickets are IDs, not the certificate)", async () => {
    const eap = server();
    const c = new Conversation(eap);
    // Flights the server sent: the TLS bytes of consecutive Requests, up to one without M.
    const flights: Buffer[][] = [[]];
    const respond = c.respond.bind(c);
    c.respond = async (type, data, identifier) => {
      const r = await respond(type, data, identifier);
      if (r[1] === ACCESS_CHALLENGE) {
        const d = (c.last as EapPacket).data;
        flights[flights.length - 1].push(d.subarray(d[0] & L ? 5 : 1));
        if (!(d[0] & M)) flights.push([]);
      }
      return r;
    };
    const p = peer('TLSv1.3');
    const r = await c.run(p);
    assert.equal(r[1], ACCESS_ACCEPT);
    // Start, the server's handshake flight, then the commitment message with the tickets.
    const last = flights[flights.length - 2];
    assert.equal(flights.length - 1, 3, String(flights.map((f) => f.length)));
    assert.equal(last.length, 1, 'one fragment');
    assert.ok(last[0].length < 400, `${last[0].length} bytes`);
    p.destroy();
  });

  test('authorizeCertificate decides who a verified certificate may be: CN equal to the identity', async () => {
    const eap = server({
      tls: {
        ...serverTls,
        authorizeCertificate: (cert, identity) => cert.subject.CN === identity,
      } as EapServerOptions['tls'],
    });
    const p = peer();
    assert.equal((await new Conversation(eap).run(p, { identity: 'someone-else' }))[1], ACCESS_REJECT);
    const q = peer();
    const r = await new Conversation(eap).run(q, { identity: 'inproc-client' });
    assert.equal(r[1], ACCESS_ACCEPT);
    assert.equal(String(attribute(r, 'User-Name')), 'inproc-client');
    p.destroy();
    q.destroy();
  });

  test('the peer cuts its flights into 100-byte fragments and the server into 300: Accept', async () => {
    const p = peer();
    const r = await new Conversation(server({ fragmentSize: 300 })).run(p, { size: 100 });
    assert.equal(r[1], ACCESS_ACCEPT);
    p.destroy();
  });

  test('fragments beyond the declared TLS Message Length: Reject with EAP-Failure', async () => {
    const c = new Conversation(server());
    await c.respond(EAP_TYPE.IDENTITY, Buffer.from('client'), 0);
    const head = Buffer.from([L | M, 0, 0, 0, 100]);
    const first = await c.respond(EAP_TYPE.TLS, Buffer.concat([head, Buffer.alloc(80, 0x16)]));
    assert.equal(first[1], ACCESS_CHALLENGE, 'the first fragment is acknowledged');
    const r = await c.respond(EAP_TYPE.TLS, Buffer.concat([Buffer.from([0]), Buffer.alloc(40, 0x16)]));
    assert.equal(r[1], ACCESS_REJECT);
    assert.equal(decodeEap(attribute(r, 'EAP-Message') as Buffer).code, EAP_FAILURE);
  });

  test('a declared TLS message over 64 KiB is refused at once', async () => {
    const c = new Conversation(server());
    await c.respond(EAP_TYPE.IDENTITY, Buffer.from('client'), 0);
    const r = await c.respond(
      EAP_TYPE.TLS,
      Buffer.concat([Buffer.from([L | M, 0x7f, 0xff, 0xff, 0xff]), Buffer.alloc(50)]),
    );
    assert.equal(r[1], ACCESS_REJECT);
  });

  test('a wrong Identifier mid-handshake is dropped; a stale one too; the handshake then completes', async () => {
    const p = peer();
    const c = new Conversation(server());
    await c.respond(EAP_TYPE.IDENTITY, Buffer.from('client'), 0);
    const startId = (c.last as EapPacket).identifier;
    await c.step(p); // ClientHello sent; the server's first flight (fragmented) comes back
    await c.step(p); // its first fragment acknowledged
    const current = (c.last as EapPacket).identifier;
    await assert.rejects(c.respond(EAP_TYPE.TLS, Buffer.from([0]), (current + 9) & 0xff), EapDiscardError);
    // Out of order: an answer to the TLS Start, two Requests ago (not the last round, not the current one).
    await assert.rejects(c.respond(EAP_TYPE.TLS, Buffer.from([0]), startId), EapDiscardError);
    const r = await c.run(p);
    assert.equal(r[1], ACCESS_ACCEPT);
    p.destroy();
  });

  test('a retransmitted round gets the same bytes and does not move the handshake on', async () => {
    const p = peer();
    const c = new Conversation(server());
    await c.respond(EAP_TYPE.IDENTITY, Buffer.from('client'), 0);
    c.readRequest();
    const hello = await p.take();
    const first = await c.sendTls(hello);
    const again = await c.respond(
      EAP_TYPE.TLS,
      Buffer.concat([Buffer.from([0]), hello]),
      (c.last as EapPacket).identifier - 1,
    );
    assert.deepEqual(attribute(again, 'EAP-Message'), attribute(first, 'EAP-Message'));
    const r = await c.run(p);
    assert.equal(r[1], ACCESS_ACCEPT);
    p.destroy();
  });

  test('an ACK where a TLS message is due, and data where an ACK is due: Reject', async () => {
    const c = new Conversation(server());
    await c.respond(EAP_TYPE.IDENTITY, Buffer.from('client'), 0);
    assert.equal((await c.respond(EAP_TYPE.TLS, Buffer.from([0])))[1], ACCESS_REJECT);

    const p = peer();
    const d = new Conversation(server({ fragmentSize: 300 }));
    await d.respond(EAP_TYPE.IDENTITY, Buffer.from('client'), 0);
    d.readRequest();
    const fragment = await d.sendTls(await p.take());
    assert.equal(
      decodeEap(attribute(fragment, 'EAP-Message') as Buffer).data[0] & M,
      M,
      'the server is sending fragments',
    );
    const r = await d.respond(EAP_TYPE.TLS, Buffer.from([0, 0x16, 3, 3, 0, 1, 0]));
    assert.equal(r[1], ACCESS_REJECT);
    p.destroy();
  });

  test('a peer that stops mid-handshake: its session expires and its TLS state is freed', async () => {
    let now = 5_000_000;
    const store = new MemorySessionStore<EapSession>({ idleLifetime: 60, now: () => now });
    const eap = server({ store });
    const p = peer();
    const c = new Conversation(eap);
    await c.respond(EAP_TYPE.IDENTITY, Buffer.from('client'), 0);
    await c.step(p);
    const session = store.get((c.state as Buffer).toString('hex'));
    assert.ok(session?.method, 'a TLS conversation is held');
    now += 61_000;
    const r = await c.respond(EAP_TYPE.TLS, Buffer.from([0]));
    assert.equal(r[1], ACCESS_REJECT, 'its State is no longer known');
    assert.equal(decodeEap(attribute(r, 'EAP-Message') as Buffer).code, EAP_FAILURE);
    assert.equal(store.size, 0);
    assert.equal(session?.method, undefined, 'the TLS engine was disposed');
    p.destroy();
  });

  test('a mutated Response at any round ends in Reject or is dropped; nothing else is thrown', async () => {
    // A small deterministic generator: the same mutations on every run.
    let seed = 0x2545f491;
    const random = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const eap = server({ fragmentSize: 300 });
    const outcomes = new Map<string, number>();
    for (let round = 1; round <= 8; round++) {
      for (let trial = 0; trial < 6; trial++) {
        const p = peer();
        const c = new Conversation(eap);
        const proper = c.respond.bind(c);
        let seen = 0;
        // At the chosen round, the Response the peer would send is mutated before it leaves.
        c.respond = async (type, data, identifier) => {
          if (++seen !== round) return proper(type, data, identifier);
          const bytes = Buffer.from(data);
          const kind = trial % 3;
          if (kind === 0 && bytes.length > 0)
            bytes[Math.floor(random() * bytes.length)] ^= 1 + Math.floor(random() * 255);
          const mutated = kind === 1 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
          const flags = kind === 2 ? Buffer.from([Math.floor(random() * 256)]) : Buffer.alloc(0);
          return proper(type, Buffer.concat([flags, mutated]), identifier);
        };
        let outcome: string;
        try {
          const r = await c.run(p, { rounds: 30 });
          outcome = r[1] === ACCESS_ACCEPT ? 'accept' : r[1] === ACCESS_REJECT ? 'reject' : 'challenge';
        } catch (err) {
          assert.ok(err instanceof EapDiscardError, `round ${round}: ${String(err)}`);
          outcome = 'dropped';
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        p.destroy();
      }
    }
    assert.ok((outcomes.get('reject') ?? 0) > 0, JSON.stringify([...outcomes]));
  });
});

describe('EAP-TTLS in-process against a node:tls peer: what Windows and Android peers send', () => {
  let dir = '';
  let ca: CertFiles;
  let eap: EapServer;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-ttls-inproc-'));
    ca = makeCa(dir, 'ttls-ca');
    const cert = makeCert(dir, ca, 'ttls-server');
    eap = new EapServer({
      methods: ['ttls'],
      tls: { cert: cert.certPem, key: cert.keyPem },
      getCredentials: (identity) => (identity === 'alice' ? { password: 'alicepw' } : undefined),
    });
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A TTLS login whose peer sends `avps` through the tunnel once the handshake is done. */
  async function login(avps: Buffer): Promise<HandlerTuple<number>> {
    const p = new TlsPeer({ ca: ca.certPem, maxVersion: 'TLSv1.2' });
    p.socket.once('secureConnect', () => p.socket.write(avps));
    try {
      return await new Conversation(eap, EAP_TYPE.TTLS).run(p, { identity: 'anonymous' });
    } finally {
      p.destroy();
    }
  }
  const userName = (name: string) => encodeAvp(1, Buffer.from(name));
  const password = (bytes: Buffer) => encodeAvp(2, bytes);

  test('a PAP password padded with NULs (RFC 5281 §11.2.5) is accepted; the inner name is the User-Name', async () => {
    for (const padded of [
      Buffer.from('alicepw\0\0\0'),
      Buffer.concat([Buffer.from('alicepw'), Buffer.alloc(9)]),
    ]) {
      const r = await login(Buffer.concat([userName('alice'), password(padded)]));
      assert.equal(r[1], ACCESS_ACCEPT);
      assert.equal(String(attribute(r, 'User-Name')), 'alice', 'not the outer "anonymous"');
      assert.equal(attribute(r, 'MS-MPPE-Recv-Key')?.length, 32);
    }
  });

  test('inner EAP begun, then AVPs without an EAP-Message (a Windows peer did this): Reject, not a crash', async () => {
    const p = new TlsPeer({ ca: ca.certPem, maxVersion: 'TLSv1.2' });
    // EAP-Response/Identity "alice" in an EAP-Message AVP (79) starts inner EAP (RFC 5281 §11.1).
    const identity = Buffer.concat([Buffer.from([2, 0, 0, 10, EAP_TYPE.IDENTITY]), Buffer.from('alice')]);
    let requests = 0;
    p.socket.once('secureConnect', () => p.socket.write(encodeAvp(79, identity)));
    // The server's inner request arrives; the peer answers with a User-Name and nothing else.
    p.socket.on('data', () => {
      requests++;
      p.socket.write(userName('alice'));
    });
    try {
      const r = await new Conversation(eap, EAP_TYPE.TTLS).run(p, { identity: 'anonymous' });
      assert.equal(requests, 1, 'the inner method sent its first request');
      assert.equal(r[1], ACCESS_REJECT);
      assert.equal(decodeEap(attribute(r, 'EAP-Message') as Buffer).code, EAP_FAILURE);
    } finally {
      p.destroy();
    }
  });

  test('a wrong password, no User-Name in the tunnel, or malformed AVPs: Reject with EAP-Failure', async () => {
    const bad = [
      Buffer.concat([userName('alice'), password(Buffer.from('alicepx'))]),
      password(Buffer.from('alicepw')),
      Buffer.from([0, 0, 0, 1, 0x40, 0, 0, 200, 1, 2, 3, 4]),
    ];
    for (const avps of bad) {
      const r = await login(avps);
      assert.equal(r[1], ACCESS_REJECT, avps.toString('hex'));
      assert.equal(decodeEap(attribute(r, 'EAP-Message') as Buffer).code, EAP_FAILURE);
    }
  });
});

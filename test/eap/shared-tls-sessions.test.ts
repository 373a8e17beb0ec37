// TLS sessions shared by instances (EapTlsOptions.sharedSessions): a session one EapServer's TLS
// endpoints make goes to the shared store, and another EapServer whose cache lacks the session a
// ClientHello offers loads it from there before it answers, in its own thread or in worker
// threads. A node:tls client (OpenSSL) is the peer; the store is a Map that can be taken down.
// Which sessions are kept: EAP-TLS keeps verified clients' only, without their certificate unless
// authorizeCertificate needs it on resumption. A tunnel's session carries the identity a method
// authenticated over it, for EAP-TTLS (test/eap/shared-ttls-resumption.test.ts drives that whole).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { X509Certificate } from 'node:crypto';
import type tls from 'node:tls';
import { EAP_TYPE } from '../../src/eap/codes.js';
import type { TlsEndpointKind } from '../../src/eap/tls-config.js';
import { makeCa, makeCert } from '../helpers/certs.js';
import { MapTlsSessions } from '../helpers/map-tls-sessions.js';
import { MemoryTlsPeer as TlsPeer } from '../helpers/memory-tls-peer.js';
import { playHandshake, tlsEngineSuite } from '../helpers/tls-engine-suite.js';

describe('TLS sessions shared by instances', () => {
  const suite = tlsEngineSuite('shared-tls');
  const instance = suite.instance;
  const peer = suite.peer;

  /** A full login on `config`: the session the peer keeps. */
  async function firstLogin(
    config: ReturnType<typeof instance>,
    kind: TlsEndpointKind,
    version: tls.SecureVersion,
  ): Promise<Buffer> {
    const p = peer(kind, version);
    const channel = config.open(kind, true);
    await playHandshake(channel, p);
    assert.equal(channel.facts?.reused, false);
    assert.equal(channel.facts?.protocol, version);
    const session = await p.session;
    channel.destroy();
    p.destroy();
    return session;
  }

  /** A login offering `session` on `config`: whether the server resumed it. */
  async function secondLogin(
    config: ReturnType<typeof instance>,
    kind: TlsEndpointKind,
    version: tls.SecureVersion,
    session: Buffer,
  ): Promise<{ reused: boolean | undefined; authorized: boolean | undefined }> {
    const p = peer(kind, version, session);
    const channel = config.open(kind, true);
    await playHandshake(channel, p);
    assert.ok(channel.established, String(channel.error));
    const facts = { reused: channel.facts?.reused, authorized: channel.facts?.authorized };
    assert.equal(p.socket.isSessionReused(), facts.reused);
    channel.destroy();
    p.destroy();
    return facts;
  }

  for (const workers of [0, 1]) {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const where = workers ? 'worker threads' : 'the EapServer thread';
      test(`${version}, ${where}: a session made by one instance resumes on another`, async () => {
        const store = new MapTlsSessions();
        const a = instance({ sharedSessions: store, workers });
        const b = instance({ sharedSessions: store, workers });
        const alone = instance({ workers });
        const session = await firstLogin(a, 'certificate', version);
        assert.ok(store.data.size > 0, 'the session went to the shared store');
        // Without the shared store the other instance cannot resume it.
        assert.equal((await secondLogin(alone, 'certificate', version, session)).reused, false);
        const resumed = await secondLogin(b, 'certificate', version, session);
        assert.equal(resumed.reused, true, 'resumed from the shared store');
        assert.equal(resumed.authorized, true, "the certificate's verdict travels with the session");
      });
    }
  }

  test('the store down: the other instance makes a full handshake', async () => {
    const store = new MapTlsSessions();
    const a = instance({ sharedSessions: store });
    const b = instance({ sharedSessions: store });
    const session = await firstLogin(a, 'certificate', 'TLSv1.3');
    store.down = true;
    const r = await secondLogin(b, 'certificate', 'TLSv1.3', session);
    assert.equal(r.reused, false);
    assert.equal(r.authorized, true);
  });

  test('a conversation barred from resuming, or a session in the local cache: no lookup', async () => {
    const store = new MapTlsSessions();
    const a = instance({ sharedSessions: store });
    const session = await firstLogin(a, 'certificate', 'TLSv1.2');
    store.lookups = 0;
    assert.equal((await secondLogin(a, 'certificate', 'TLSv1.2', session)).reused, true);
    assert.equal(store.lookups, 0, 'found in the local cache');
    const p = peer('certificate', 'TLSv1.2', session);
    const channel = a.open('certificate', false);
    await playHandshake(channel, p);
    assert.equal(channel.facts?.reused, false);
    assert.equal(store.lookups, 0);
    channel.destroy();
    p.destroy();
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    test(`${version}: a tunnel's session from the shared store never resumes as EAP-TLS`, async () => {
      const store = new MapTlsSessions();
      const a = instance({ sharedSessions: store });
      const b = instance({ sharedSessions: store });
      const session = await firstLogin(a, 'tunnel', version);
      assert.equal((await secondLogin(b, 'tunnel', version, session)).reused, true);
      const lookups = store.lookups;
      // Keyed by ID alone: OpenSSL refuses it under the EAP-TLS session ID context.
      const r = await secondLogin(b, 'certificate', version, session);
      assert.ok(store.lookups > lookups, 'it was looked up');
      assert.equal(r.reused, false);
      assert.equal(r.authorized, true, 'the client certificate was checked');
    });
  }

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    test(`${version}: a tunnel's session that stands for an identity resumes on another instance, for TTLS as that identity`, async () => {
      const store = new MapTlsSessions();
      const a = instance({ sharedSessions: store });
      const b = instance({ sharedSessions: store });
      const ttls = { type: EAP_TYPE.TTLS, tls12Label: 'ttls keying material' };
      /** A login on `config` offering `session`; `authenticatedOnly` as EAP-TTLS opens it. */
      const login = async (
        config: ReturnType<typeof instance>,
        authenticatedOnly: boolean,
        session?: Buffer,
      ) => {
        const p = peer('tunnel', version, session);
        const channel = config.open('tunnel', true, ttls, authenticatedOnly);
        await playHandshake(channel, p);
        assert.ok(channel.established, String(channel.error));
        assert.equal(p.socket.isSessionReused(), channel.facts?.reused);
        return { channel, p };
      };
      const first = await login(a, true);
      const session = await first.p.session;
      first.channel.authenticated('alice');
      first.channel.destroy();
      first.p.destroy();
      // PEAP asks the inner method again: the session as any other, standing for nobody.
      const peap = await login(b, false, session);
      assert.equal(peap.channel.facts?.reused, true);
      assert.equal(peap.channel.facts?.resumedIdentity, undefined);
      const resumed = await login(b, true, session);
      assert.equal(resumed.channel.facts?.reused, true);
      assert.equal(resumed.channel.facts?.resumedIdentity, 'alice');
      for (const { channel, p } of [peap, resumed]) {
        channel.destroy();
        p.destroy();
      }
    });
  }

  /** Whether any stored session holds `der` (a certificate's bytes). */
  const holds = (store: MapTlsSessions, der: Buffer) => [...store.data.values()].some((d) => d.includes(der));

  for (const workers of [0, 1]) {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const where = workers ? 'worker threads' : 'the EapServer thread';
      test(`${version}, ${where}: kept without the client certificate, resumed as verified`, async () => {
        const store = new MapTlsSessions();
        const a = instance({ sharedSessions: store, workers });
        const b = instance({ sharedSessions: store, workers });
        const session = await firstLogin(a, 'certificate', version);
        const certificate = new X509Certificate(suite.client.certPem).raw;
        assert.ok(store.data.size > 0);
        // Kept with authorizeCertificate, the same bytes are found (the next test).
        assert.equal(holds(store, certificate), false, 'no kept session holds the client certificate');
        assert.deepEqual(await secondLogin(a, 'certificate', version, session), {
          reused: true,
          authorized: true,
        });
        assert.deepEqual(await secondLogin(b, 'certificate', version, session), {
          reused: true,
          authorized: true,
        });
      });
    }
  }

  test('with authorizeCertificate: the certificate is kept, and is there on resumption', async () => {
    const store = new MapTlsSessions();
    const a = instance({ sharedSessions: store, authorizeCertificate: () => true });
    const session = await firstLogin(a, 'certificate', 'TLSv1.2');
    assert.equal(holds(store, new X509Certificate(suite.client.certPem).raw), true);
    const p = peer('certificate', 'TLSv1.2', session);
    const channel = a.open('certificate', true);
    await playHandshake(channel, p);
    assert.equal(channel.facts?.reused, true);
    assert.equal(channel.facts?.authorized, true);
    assert.equal(channel.facts?.peerCertificate?.subject?.CN, 'shared-tls-client');
    channel.destroy();
    p.destroy();
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    for (const who of ['no certificate', 'a certificate from another CA'] as const) {
      test(`${version}, a client with ${who}: not verified, its session not kept, never resumed`, async () => {
        const store = new MapTlsSessions();
        const a = instance({ sharedSessions: store });
        const other =
          who === 'no certificate'
            ? undefined
            : makeCert(suite.dir, makeCa(suite.dir, 'other-ca'), 'other-client');
        const options = {
          ca: suite.ca.certPem,
          maxVersion: version,
          cert: other?.certPem,
          key: other?.keyPem,
        };
        const p = new TlsPeer(options);
        const channel = a.open('certificate', true);
        await playHandshake(channel, p);
        assert.ok(channel.established, String(channel.error));
        assert.equal(channel.facts?.authorized, false);
        const session = await p.session;
        channel.destroy();
        p.destroy();
        assert.equal(store.data.size, 0, 'nothing went to the shared store');
        // Offered again (the local cache, then the store): a full handshake, not verified again.
        const again = new TlsPeer({ ...options, session });
        const second = a.open('certificate', true);
        await playHandshake(second, again);
        assert.equal(second.facts?.reused, false);
        assert.equal(second.facts?.authorized, false);
        second.destroy();
        again.destroy();
      });
    }
  }
});

// A TLS session resumed by an EAP-TTLS peer skips the authentication inside the tunnel, so a
// conversation opened with `authenticatedOnly` resumes only sessions over which a method went on to
// authenticate someone, and learns whom: a session whose inner authentication failed, or never
// happened, gets a full handshake. In this thread and in a worker thread, TLS 1.2 and 1.3.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EAP_TYPE } from '../../src/eap/codes.js';
import type { TlsChannel } from '../../src/eap/tls-engine.js';
import { playHandshake, tlsEngineSuite } from '../helpers/tls-engine-suite.js';
import type { MemoryTlsPeer } from '../helpers/memory-tls-peer.js';

const TTLS = { type: EAP_TYPE.TTLS, tls12Label: 'ttls keying material' };

/** The session the peer was given: TLS 1.3 tickets come after the handshake, within a turn. */
function sessionOf(peer: MemoryTlsPeer): Promise<Buffer | undefined> {
  return Promise.race([peer.session, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]);
}

describe('resuming only sessions a method authenticated someone over', () => {
  const suite = tlsEngineSuite('authenticated-resumption');

  for (const workers of [0, 1]) {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const where = workers ? 'a worker thread' : 'the EapServer thread';
      test(`${version}, ${where}`, async () => {
        const config = suite.instance({ workers });
        const channels: TlsChannel[] = [];
        const peers: MemoryTlsPeer[] = [];
        const login = async (session: Buffer | undefined, authenticatedOnly: boolean) => {
          const peer = suite.peer('tunnel', version, session);
          const channel = config.open('tunnel', true, TTLS, authenticatedOnly);
          peers.push(peer);
          channels.push(channel);
          await playHandshake(channel, peer);
          assert.ok(channel.established, String(channel.error));
          assert.equal(peer.socket.isSessionReused(), channel.facts?.reused);
          return { channel, session: await sessionOf(peer) };
        };
        try {
          // Nobody was authenticated over this one (the inner password was wrong, say).
          const failed = await login(undefined, true);
          assert.ok(failed.session);
          const again = await login(failed.session, true);
          assert.equal(again.channel.facts?.reused, false);
          assert.equal(again.channel.facts?.resumedIdentity, undefined);
          // A conversation that redoes the inner authentication (PEAP) may still resume it.
          const peap = await login(failed.session, false);
          assert.equal(peap.channel.facts?.reused, true);
          assert.equal(peap.channel.facts?.resumedIdentity, undefined);

          // Alice was authenticated over this one: it resumes, and stands for her.
          const ok = await login(undefined, true);
          ok.channel.authenticated('alice');
          const resumed = await login(ok.session, true);
          assert.equal(resumed.channel.facts?.reused, true);
          assert.equal(resumed.channel.facts?.resumedIdentity, 'alice');
          // And so does what that resumption made or kept, once it succeeds in turn.
          resumed.channel.authenticated('alice');
          const next = await login(resumed.session ?? ok.session, true);
          assert.equal(next.channel.facts?.reused, true);
          assert.equal(next.channel.facts?.resumedIdentity, 'alice');
        } finally {
          for (const c of channels) c.destroy();
          for (const p of peers) p.destroy();
        }
      });
    }
  }
});

// An EAP-TTLS peer that resumes skips the authentication inside the tunnel (RFC 5281 §7.4), so a
// TTLS session resumes only as the identity someone was authenticated as over it. With TLS sessions
// shared by instances (sharedSessions), that identity goes with the session: a TTLS login on one
// EapServer resumes on another, which answers as that identity without asking for credentials,
// and a session whose inner password was wrong resumes nowhere. Two EapServers share one
// in-memory store; TLS in their own thread or in worker threads; TLS 1.2 and 1.3.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type tls from 'node:tls';
import { EAP_TYPE } from '../../src/eap/codes.js';
import { EapServer } from '../../src/eap/eap-server.js';
import { encodeAvp } from '../../src/eap/methods/ttls.js';
import { readSessionRecord } from '../../src/eap/tls-session-record.js';
import { ACCESS_ACCEPT, ACCESS_REJECT } from '../../src/protocol/codes.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import { attribute, Conversation } from '../helpers/eap-conversation.js';
import { MapTlsSessions } from '../helpers/map-tls-sessions.js';
import { MemoryTlsPeer } from '../helpers/memory-tls-peer.js';

const LIFETIME = 600;

/** Records in the store that name `identity` (the sessions that stand for it). */
function naming(store: MapTlsSessions, identity: string): number {
  return [...store.data.values()].filter((r) => readSessionRecord(r).identity === identity).length;
}

/**
 * Waits (bounded) until more records name `identity` than `before`: an instance shares what a login
 * made a moment after its Accept (from a worker thread, through the EapServer's).
 */
async function shared(store: MapTlsSessions, identity: string, before: number): Promise<void> {
  for (let i = 0; i < 100 && naming(store, identity) <= before; i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.ok(naming(store, identity) > before, `a record naming ${identity} was shared`);
}

/** An instance: an EapServer offering TTLS, and the identities it asked credentials for. */
interface Instance {
  eap: EapServer;
  asked: string[];
}

/** What one TTLS login ended with, and the session the peer holds after it. */
interface Login {
  code: number;
  userName: string | undefined;
  reused: boolean;
  keys: number | undefined;
  session: Buffer | undefined;
}

describe('EAP-TTLS resumption across instances that share TLS sessions', () => {
  let dir = '';
  let ca: CertFiles;
  let server: CertFiles;
  const servers: EapServer[] = [];

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-shared-ttls-'));
    ca = makeCa(dir, 'shared-ttls-ca');
    server = makeCert(dir, ca, 'shared-ttls-server');
  });
  after(() => {
    for (const s of servers) s.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function instance(store: MapTlsSessions, workers: number): Instance {
    const asked: string[] = [];
    const eap = new EapServer({
      methods: ['ttls'],
      tls: {
        cert: server.certPem,
        key: server.keyPem,
        tunnelMaxVersion: 'TLSv1.3',
        resumptionLifetime: LIFETIME,
        sharedSessions: store,
        workers,
      },
      getCredentials: (identity) => {
        asked.push(identity);
        return identity === 'alice' ? { password: 'alicepw' } : undefined;
      },
    });
    servers.push(eap);
    return { eap, asked };
  }

  /**
   * A TTLS/PAP login of alice with `password` on `at`, offering `session`. As wpa_supplicant does,
   * the peer sends its PAP AVPs after a full handshake only, once it holds the new session (under
   * TLS 1.3 its ticket comes after the handshake); a resumed one sends nothing inside the tunnel.
   */
  async function login(
    at: Instance,
    version: tls.SecureVersion,
    password: string,
    session?: Buffer,
  ): Promise<Login> {
    const peer = new MemoryTlsPeer({ ca: ca.certPem, minVersion: version, maxVersion: version, session });
    let held: Buffer | undefined;
    peer.socket.on('session', (s: Buffer) => {
      held ??= s;
      if (peer.socket.isSessionReused() || held !== s) return;
      // Written from within the event, the record would wait for the server's next TLS bytes.
      const avps = Buffer.concat([encodeAvp(1, Buffer.from('alice')), encodeAvp(2, Buffer.from(password))]);
      setImmediate(() => peer.socket.write(avps));
    });
    try {
      const r = await new Conversation(at.eap, EAP_TYPE.TTLS).run(peer, { identity: 'anonymous' });
      const name = attribute(r, 'User-Name');
      return {
        code: r[1],
        userName: name === undefined ? undefined : String(name),
        reused: peer.socket.isSessionReused(),
        keys: attribute(r, 'MS-MPPE-Recv-Key')?.length,
        session: held,
      };
    } finally {
      peer.destroy();
    }
  }

  for (const workers of [0, 1]) {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const where = workers ? 'worker threads' : 'the EapServer thread';
      test(`${version}, ${where}: authenticated on A, resumed on B as that identity, inner authentication skipped`, async () => {
        const store = new MapTlsSessions();
        const a = instance(store, workers);
        const b = instance(store, workers);
        const first = await login(a, version, 'alicepw');
        assert.equal(first.code, ACCESS_ACCEPT);
        assert.equal(first.reused, false);
        assert.ok(first.session, 'the peer holds a session');
        assert.deepEqual(a.asked, ['alice']);
        await shared(store, 'alice', 0);

        const named = naming(store, 'alice');
        const resumed = await login(b, version, 'never sent', first.session);
        assert.equal(resumed.reused, true, 'resumed on the other instance');
        assert.equal(resumed.code, ACCESS_ACCEPT);
        assert.equal(resumed.userName, 'alice', 'as the identity authenticated on A');
        assert.equal(resumed.keys, 32);
        assert.deepEqual(b.asked, [], 'no inner authentication on B');
        // TLS 1.3 made new tickets on B, which B shares as hers in turn.
        if (version === 'TLSv1.3') await shared(store, 'alice', named);

        // What B gave the peer in turn (TLS 1.3: new tickets; TLS 1.2: the same session) stands for
        // her too, wherever it is offered next.
        const back = await login(a, version, 'never sent', resumed.session ?? first.session);
        assert.equal(back.reused, true);
        assert.equal(back.code, ACCESS_ACCEPT);
        assert.equal(back.userName, 'alice');
        assert.deepEqual(a.asked, ['alice']);
        // The store keeps every session for the resumption lifetime.
        for (const ttl of store.ttls.values()) assert.equal(ttl, LIFETIME * 1000);
      });

      test(`${version}, ${where}: a session whose inner password was wrong resumes on no instance`, async () => {
        const store = new MapTlsSessions();
        const a = instance(store, workers);
        const b = instance(store, workers);
        const failed = await login(a, version, 'wrong');
        assert.equal(failed.code, ACCESS_REJECT);
        assert.ok(failed.session, 'the peer holds a session');
        assert.ok(store.data.size > 0, 'the session itself went to the store');
        assert.equal(naming(store, 'alice'), 0, 'naming nobody');
        for (const at of [b, a]) {
          // A full handshake, and the inner authentication asked again.
          const again = await login(at, version, 'alicepw', failed.session);
          assert.equal(again.reused, false);
          assert.equal(again.code, ACCESS_ACCEPT);
          assert.equal(again.userName, 'alice');
        }
        assert.deepEqual(b.asked, ['alice']);
        assert.deepEqual(a.asked, ['alice', 'alice']);
      });
    }
  }
});

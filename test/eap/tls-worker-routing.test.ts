// With TLS in several worker threads, a resumption goes to the worker that made the session: the
// EapServer's thread keeps which worker made which session and reads the ClientHello's offer.
// Sessions are never copied between workers (N workers would each be sent every session).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type tls from 'node:tls';
import { playHandshake, postedOps, tlsEngineSuite } from '../helpers/tls-engine-suite.js';

describe('TLS worker threads: resumption goes to the session’s worker', () => {
  const suite = tlsEngineSuite('routing');

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const satisfies readonly tls.SecureVersion[]) {
    test(`${version}, 3 workers: every login offering the newest session resumes; no session copied`, async () => {
      const config = suite.instance({ workers: 3 });
      const outcomes: Array<boolean | undefined> = [];
      const ops = await postedOps(async () => {
        let session: Buffer | undefined;
        // Logins dealt in turn would land on another worker two times in three.
        for (let i = 0; i < 7; i++) {
          const peer = suite.peer('certificate', version, session);
          const channel = config.open('certificate', true);
          await playHandshake(channel, peer);
          assert.ok(channel.established, String(channel.error));
          outcomes.push(channel.facts?.reused);
          assert.equal(peer.socket.isSessionReused(), channel.facts?.reused);
          // The newest session: a resumed TLS 1.2 login makes none (the one offered stays).
          const made = await Promise.race([
            peer.session,
            new Promise<undefined>((r) => setImmediate(() => r(undefined))),
          ]);
          session = made ?? session;
          channel.destroy();
          peer.destroy();
        }
      });
      assert.deepEqual(outcomes, [false, true, true, true, true, true, true]);
      assert.equal(ops.filter((op) => op === 'open').length, 7);
      assert.ok(
        ops.every((op) => ['open', 'receive', 'write', 'export', 'close'].includes(op)),
        ops.join(' '),
      );
    });
  }

  test('new logins are dealt to the workers in turn; one not allowed to resume is too', async () => {
    const config = suite.instance({ workers: 2 });
    const first = suite.peer('tunnel', 'TLSv1.2');
    const a = config.open('tunnel', true);
    await playHandshake(a, first);
    const session = await first.session;
    // Barred from resuming (allowResumption said no): its offer is not followed to the owner.
    const barred = suite.peer('tunnel', 'TLSv1.2', session);
    const b = config.open('tunnel', false);
    await playHandshake(b, barred);
    assert.ok(b.established, String(b.error));
    assert.equal(b.facts?.reused, false);
    // A new login takes the first worker's turn; the next offer of the session still goes there.
    const fresh = suite.peer('tunnel', 'TLSv1.2');
    const d = config.open('tunnel', true);
    await playHandshake(d, fresh);
    assert.equal(d.facts?.reused, false);
    const again = suite.peer('tunnel', 'TLSv1.2', session);
    const c = config.open('tunnel', true);
    await playHandshake(c, again);
    assert.equal(c.facts?.reused, true);
    for (const p of [first, barred, fresh, again]) p.destroy();
    for (const ch of [a, b, c, d]) ch.destroy();
  });
});

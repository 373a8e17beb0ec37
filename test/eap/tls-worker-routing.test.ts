// With TLS in worker threads, full handshakes go to the workers in turn, and a resumption of a
// session the EapServer's thread holds runs in that thread: workers tell it every session they
// make, and keep none (N workers would otherwise each hold every session, or miss most offers).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type tls from 'node:tls';
import { playHandshake, postedOps, receivedOps, tlsEngineSuite } from '../helpers/tls-engine-suite.js';

describe('TLS worker threads: full handshakes in the workers, resumptions here', () => {
  const suite = tlsEngineSuite('routing');

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const satisfies readonly tls.SecureVersion[]) {
    test(`${version}, 3 workers: every login offering the newest session resumes, in this thread`, async () => {
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
      // Only the first login's session was made in a worker: its two flights, then its close.
      assert.equal(ops.filter((op) => op === 'open').length, 1, ops.join(' '));
      assert.equal(ops.filter((op) => op === 'receive').length, 2, ops.join(' '));
      assert.ok(
        ops.every((op) => ['open', 'receive', 'write', 'export', 'close'].includes(op)),
        ops.join(' '),
      );
    });
  }

  test('a full login crosses to its worker twice (its two flights) and back twice: sessions ride along, closes gather', async () => {
    const config = suite.instance({ workers: 1 });
    const logins = 5;
    let back: string[] = [];
    const there = await postedOps(async () => {
      back = await receivedOps(async () => {
        const channels = [];
        const peers = [];
        for (let i = 0; i < logins; i++) {
          const peer = suite.peer('certificate', 'TLSv1.3');
          const channel = config.open('certificate', true);
          await playHandshake(channel, peer);
          assert.ok(channel.established, String(channel.error));
          assert.equal(channel.facts?.authorized, true);
          channels.push(channel);
          peers.push(peer);
        }
        // Ended in one turn: one message closes them all.
        for (const channel of channels) channel.destroy();
        for (const peer of peers) peer.destroy();
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setImmediate(resolve));
      });
    });
    assert.deepEqual(
      there.filter((op) => op !== 'close'),
      Array.from({ length: logins }, () => ['receive', 'open', 'receive']).flat(),
    );
    assert.equal(there.filter((op) => op === 'close').length, 1, there.join(' '));
    // Each answer carries the sessions made meanwhile (TLS 1.3 tickets): nothing else comes back.
    assert.deepEqual(
      back.filter((op) => op !== 'ready'),
      Array.from({ length: 2 * logins }, () => 'state'),
    );
  });

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

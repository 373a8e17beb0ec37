// `serve --workers 2` with EAP: the kernel hands each datagram to either worker, so the rounds of
// one PEAP or EAP-TLS conversation reach both; the worker that does not hold the TLS session hands
// the round to the one that does (over the cluster link, keyed by the primary), and relays its reply.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { eapolTest, tailOf } from '../helpers/eapol.js';
import { runCommand, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { startServe, tempDir } from './serve-helpers.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

test('serve --workers 2: PEAP/MSCHAPv2 and EAP-TLS succeed with MPPE keys though rounds land on both workers', {
  skip: skipUnless('eapol_test'),
}, async () => {
  const { dir, remove } = await tempDir('aioradius-workers-eap-');
  const [auth, acct] = await freePorts(2);
  const made = await runCommand(process.execPath, [MAIN, 'certs', dir, '--auth', String(auth)], {
    timeoutMs: 60_000,
  });
  assert.equal(made.code, 0, made.stderr);
  const file = path.join(dir, 'aioradius.yaml');
  const text = readFileSync(file, 'utf8').replace(/acct: \d+/, `acct: ${acct}\nlog: { level: debug }`);
  writeFileSync(file, text);
  const serve = await startServe(file, 20_000, ['--workers', '2']);
  try {
    // Both workers, and both their cluster links, are up before the first conversation.
    await serve.waitForLog(() => serve.logs.filter((l) => l.msg === 'aioradius ready').length >= 2, 20_000);
    const network = (name: string) =>
      Object.fromEntries(
        readFileSync(path.join(dir, name), 'utf8')
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l.includes('=') && !l.startsWith('network'))
          .map((l) => {
            const eq = l.indexOf('=');
            return [l.slice(0, eq), l.slice(eq + 1).replace(/^"(.*)"$/, '$1')];
          }),
      );
    for (let i = 0; i < 3; i++) {
      for (const name of ['peap.conf', 'tls.conf']) {
        const r = await eapolTest(network(name), auth, 'testing123');
        assert.ok(r.success, `${name} #${i + 1}\n${tailOf(r)}`);
        assert.equal(r.mppeOk, 1, name);
        assert.equal(r.mppeMismatch, 0, name);
      }
    }
    const forwarded = serve.logs.filter((l) => l.msg === 'EAP round answered by the instance that owns it');
    const answeredBy = new Set(serve.logs.filter((l) => l.msg === 'Access-Accept').map((l) => l.pid));
    // The kernel spread the rounds: some were handed over (a single worker would never need to).
    assert.ok(
      forwarded.length > 0,
      `rounds handed to their owner: ${forwarded.length}, accepts by ${[...answeredBy]}`,
    );
  } finally {
    await serve.stop('SIGTERM');
    await remove();
  }
});

// `serve --workers 2` with EAP: the kernel hands each datagram to either worker, so the rounds of
// one PEAP or EAP-TLS conversation reach both; the worker that does not hold the TLS session hands
// the round to the one that does (over the cluster link, keyed by the primary), and relays its reply.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { RadiusClient } from '../../src/client/radius-client.js';
import { AccessRequest } from '../../src/protocol/packet.js';
import { type EapolNetwork, eapolTest, readEapolNetwork, tailOf } from '../helpers/eapol.js';
import { runCommand, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { httpGet, startServe, tempDir } from './serve-helpers.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

/** `aioradius certs` in a fresh directory, `serve --workers 2` on its config, both workers ready. */
async function startWorkers(): Promise<{
  auth: number;
  metrics: number;
  network: (name: string) => EapolNetwork;
  serve: Awaited<ReturnType<typeof startServe>>;
  close: () => Promise<void>;
}> {
  const { dir, remove } = await tempDir('aioradius-workers-eap-');
  const [auth, acct, metrics] = await freePorts(3);
  const made = await runCommand(process.execPath, [MAIN, 'certs', dir, '--auth', String(auth)], {
    timeoutMs: 60_000,
  });
  assert.equal(made.code, 0, made.stderr);
  const file = path.join(dir, 'aioradius.yaml');
  const text = readFileSync(file, 'utf8').replace(
    /acct: \d+/,
    `acct: ${acct}\nlog: { level: debug }\nmetrics: { port: ${metrics} }`,
  );
  writeFileSync(file, text);
  const serve = await startServe(file, 20_000, ['--workers', '2']).catch(async (err: unknown) => {
    await remove();
    throw err;
  });
  // Both workers, and both their cluster links, are up before the first conversation.
  await serve
    .waitForLog(() => serve.logs.filter((l) => l.msg === 'aioradius ready').length >= 2, 20_000)
    .catch(async (err: unknown) => {
      await serve.stop('SIGKILL');
      await remove();
      throw err;
    });
  const network = (name: string) => readEapolNetwork(path.join(dir, name));
  return {
    auth,
    metrics,
    network,
    serve,
    close: async () => {
      await serve.stop('SIGTERM');
      await remove();
    },
  };
}

test('serve --workers 2: PEAP/MSCHAPv2 and EAP-TLS succeed with MPPE keys though rounds land on both workers', {
  skip: skipUnless('eapol_test'),
}, async () => {
  const { auth, metrics, network, serve, close } = await startWorkers();
  try {
    let rounds = 0;
    for (let i = 0; i < 3; i++) {
      for (const name of ['peap.conf', 'tls.conf']) {
        const r = await eapolTest(network(name), auth, 'testing123');
        assert.ok(r.success, `${name} #${i + 1}\n${tailOf(r)}`);
        assert.equal(r.mppeOk, 1, name);
        assert.equal(r.mppeMismatch, 0, name);
        rounds += r.stdout.match(/Received RADIUS message/g)?.length ?? 0;
      }
    }
    const forwarded = serve.logs.filter((l) => l.msg === 'EAP round answered by the instance that owns it');
    const answeredBy = new Set(serve.logs.filter((l) => l.msg === 'Access-Accept').map((l) => l.pid));
    // The kernel spread the rounds: some were handed over (a single worker would never need to).
    assert.ok(
      forwarded.length > 0,
      `rounds handed to their owner: ${forwarded.length}, accepts by ${[...answeredBy]}`,
    );
    // The metrics summed over the workers count each round once, though two workers handled the
    // rounds handed over (the one the NAS sent it to counts it).
    const text = await httpGet(metrics);
    const value = (line: RegExp) => Number(text.match(line)?.[1]);
    assert.equal(value(/^radius_requests_total\{type="access"\} (\d+)/m), rounds, text);
    assert.equal(value(/^radius_replies_total\{code="Access-Accept"\} (\d+)/m), 6, text);
    assert.equal(value(/^radius_replies_total\{code="Access-Challenge"\} (\d+)/m), rounds - 6, text);
  } finally {
    await close();
  }
});

// A conversation stays in the worker its first round reached: the second login of `-r 1` starts
// on either worker, and resumes there with the session the other one made (the primary keeps the
// workers' sessions). Before, about half of these logins fell back to a full handshake.
test('serve --workers 2: eapol_test -r 1 resumes every EAP-TLS (TLS 1.3 and 1.2) and TTLS session, on either worker', {
  skip: skipUnless('eapol_test'),
}, async () => {
  const { auth, network, close } = await startWorkers();
  try {
    const tls12 = { ...network('tls.conf'), phase1: 'tls_disable_tlsv1_3=1' };
    const runs: Array<[string, EapolNetwork]> = [
      ['EAP-TLS 1.3', network('tls.conf')],
      ['EAP-TLS 1.2', tls12],
      ['TTLS', network('ttls.conf')],
    ];
    // PAP requests from 32 loops keep both workers busy meanwhile, so that the kernel gives each
    // datagram to either: an idle worker would take nearly all of them, the first round of both
    // logins of a run included, and never need the other's session.
    const client = new RadiusClient({ timeout: 2, retries: 0 });
    let loading = true;
    const load = Promise.all(
      Array.from({ length: 32 }, async () => {
        while (loading) {
          const request = new AccessRequest('testing123', {
            attributes: [
              ['User-Name', 'alice'],
              ['User-Password', 'alicepw'],
            ],
          });
          await client
            .sendPacket(request, { remoteHost: '127.0.0.1', remotePort: auth })
            .catch(() => undefined);
        }
      }),
    );
    const logins: Array<{ name: string; r: Awaited<ReturnType<typeof eapolTest>> }> = [];
    try {
      for (let i = 0; i < 8; i++) {
        const [name, conf] = runs[i % runs.length];
        logins.push({ name, r: await eapolTest(conf, auth, 'testing123', { reauths: 1 }) });
      }
    } finally {
      loading = false;
      await load;
      client.close();
    }
    for (const [i, { name, r }] of logins.entries()) {
      assert.ok(r.success, `${name} #${i + 1}\n${tailOf(r)}`);
      assert.equal(r.mppeOk, 2, `${name} #${i + 1}\n${tailOf(r)}`);
      assert.match(r.stdout, /resumed=1/, `${name} #${i + 1}: the second login did not resume\n${tailOf(r)}`);
    }
  } finally {
    await close();
  }
});

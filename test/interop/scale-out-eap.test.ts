// EAP across instances: two `serve` processes behind nginx's round-robin UDP balancer, so that
// consecutive rounds of one conversation reach different instances. A round of a TLS-based
// conversation is handed to the instance that owns it (the owner is named in the State); MD5 and
// MSCHAPv2 conversations live in Redis, so any instance continues them; TLS sessions resume on
// whichever instance the next authentication reaches (sessions in Redis), a TTLS one as the identity
// authenticated over it (a relay sends the first login to one instance, the second to the other).
// The second instance runs its TLS in a worker thread, whose lookups of Redis go through the main
// thread.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { type EapolResult, eapolTest, tailOf } from '../helpers/eapol.js';
import { startLoginRelay } from '../helpers/login-relay.js';
import { type NginxPeer, nginxMissing, startNginxUdp } from '../helpers/nginx.js';
import { radclient, runCommand, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { type RedisPeer, redisMissing, startRedis } from '../helpers/redis.js';
import { type ServeProcess, startServe, tempDir } from '../cli/serve-helpers.js';

const SECRET = 'testing123';
const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const FORWARDED = 'EAP round answered by the instance that owns it';

const skip = redisMissing() || nginxMissing() || skipUnless('eapol_test', 'radclient');

/**
 * `links`: the peers this instance is told of (none: it finds them in Redis, where each registers);
 * `tlsWorkers`: worker threads for its TLS (0: its main thread).
 */
function configText(
  auth: number,
  acct: number,
  link: number,
  links: number[],
  redisUrl: string,
  tlsWorkers: number,
  metrics: number,
): string {
  return `listen: { host: 127.0.0.1, auth: ${auth}, acct: ${acct} }
metrics: { port: ${metrics} }
clients: [ { address: 127.0.0.0/8, secret: ${SECRET} } ]
users: [ { name: alice, password: alicepw } ]
log: { level: debug }
database: ./serve-${auth}.db
sharedState: ${redisUrl}
eap:
  certificate: server.pem
  privateKey: server.key
  ca: ca.pem
  methods: [peap, ttls, tls, mschapv2, md5]
  tls: { workers: ${tlsWorkers} }
cluster:
  listen: 127.0.0.1:${link}
  key: { env: SCALE_EAP_CLUSTER_KEY }
${links.length > 0 ? `  peers: [${links.map((p) => `"127.0.0.1:${p}"`).join(', ')}]\n` : ''}`;
}

/** Asserts eapol_test's SUCCESS and, where keys exist, `MPPE keys OK: n  mismatch: 0`. */
function succeeded(r: EapolResult, name: string, keys = 1): void {
  assert.ok(r.success, `${name}\n${tailOf(r)}`);
  if (keys > 0) {
    assert.equal(r.mppeOk, keys, `${name}\n${tailOf(r)}`);
    assert.equal(r.mppeMismatch, 0, name);
  }
}

describe('EAP through a round-robin balancer to two serve instances', { skip }, () => {
  let redis: RedisPeer;
  let nginx: NginxPeer;
  let tmp: { dir: string; remove(): Promise<void> };
  const serves: ServeProcess[] = [];
  let front = 0;
  /** The instances' own auth ports. */
  let authPorts: number[] = [];
  let metricsPorts: number[] = [];
  let peap: Record<string, string>;
  let eapTls: (v13: boolean) => Record<string, string>;

  before(async () => {
    redis = await startRedis();
    tmp = await tempDir('aioradius-scale-eap-');
    const ports = await freePorts(8);
    metricsPorts = [ports[6], ports[7]];
    const made = await runCommand(process.execPath, [MAIN, 'certs', tmp.dir, '--auth', String(ports[0])], {
      timeoutMs: 60_000,
    });
    assert.equal(made.code, 0, made.stderr);
    const links = [ports[4], ports[5]];
    authPorts = [ports[0], ports[2]];
    const files = [0, 1].map((i) => path.join(tmp.dir, `serve${i}.yaml`));
    await Promise.all(
      // The first instance knows both from its config, the second finds the first in Redis and
      // runs its TLS in a worker thread.
      files.map((f, i) =>
        writeFile(
          f,
          configText(
            ports[2 * i],
            ports[2 * i + 1],
            links[i],
            i === 0 ? links : [],
            redis.url,
            i,
            metricsPorts[i],
          ),
        ),
      ),
    );
    process.env.SCALE_EAP_CLUSTER_KEY = 'a cluster key of this test run';
    serves.push(...(await Promise.all(files.map((f) => startServe(f)))));
    nginx = await startNginxUdp([[ports[0], ports[2]]]);
    [front] = nginx.ports;
    const ca = path.join(tmp.dir, 'ca.pem');
    peap = {
      eap: 'PEAP',
      identity: 'alice',
      anonymous_identity: 'anonymous',
      password: 'alicepw',
      ca_cert: ca,
      phase1: 'peapver=0',
      phase2: 'auth=MSCHAPV2',
    };
    eapTls = (v13) => ({
      eap: 'TLS',
      identity: 'client',
      ca_cert: ca,
      client_cert: path.join(tmp.dir, 'client.pem'),
      private_key: path.join(tmp.dir, 'client.key'),
      phase1: `tls_disable_tlsv1_3=${v13 ? 0 : 1}`,
    });
  });

  after(async () => {
    await Promise.all(serves.map((s) => s.stop('SIGTERM')));
    await nginx?.stop();
    await redis?.stop();
    await tmp?.remove();
  });

  /** Log lines with message `msg` written by both instances so far. */
  const count = (msg: string) => serves.reduce((n, s) => n + s.logs.filter((l) => l.msg === msg).length, 0);
  /** Access-Accepts logged by each instance so far. */
  const accepts = () => serves.map((s) => s.logs.filter((l) => l.msg === 'Access-Accept').length);

  test('PEAP/MSCHAPv2, EAP-TLS (1.2 and 1.3) and TTLS/PAP: SUCCESS, MPPE keys OK, rounds handed to the owner', async () => {
    const forwarded = count(FORWARDED);
    for (const [name, network] of [
      ['PEAP/MSCHAPv2', peap],
      ['EAP-TLS 1.2', eapTls(false)],
      ['EAP-TLS 1.3', eapTls(true)],
      ['TTLS/PAP', { ...peap, eap: 'TTLS', phase1: '', phase2: 'auth=PAP' }],
      // A second PEAP run starts on the other instance when the first took an odd number of rounds.
      ['PEAP/MSCHAPv2 again', peap],
    ] as const) {
      succeeded(await eapolTest(network, front, SECRET), name);
    }
    // Round-robin put every other round on the instance that does not hold the TLS session.
    assert.ok(count(FORWARDED) - forwarded >= 4, `forwarded: ${count(FORWARDED) - forwarded}`);
    // The link's counters are metrics: what one instance forwarded, the other received and answered.
    const sum = async (event: string) => {
      let n = 0;
      for (const port of metricsPorts) {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const m = new RegExp(`radius_cluster_requests_total\\{event="${event}"\\} (\\d+)`).exec(text);
        assert.ok(m, `${event} on ${port}`);
        n += Number(m[1]);
      }
      return n;
    };
    const sent = await sum('forwarded');
    assert.ok(sent >= 4, `forwarded: ${sent}`);
    assert.equal(await sum('received'), sent);
    assert.equal(await sum('answered'), sent);
    assert.equal(await sum('refused'), 0);
  });

  test('EAP-MSCHAPv2 and EAP-MD5 live in Redis: rounds on both instances, none handed over', async () => {
    const forwarded = count(FORWARDED);
    const before = accepts();
    succeeded(
      await eapolTest({ eap: 'MSCHAPV2', identity: 'alice', password: 'alicepw' }, front, SECRET),
      'MSCHAPv2',
    );
    succeeded(
      await eapolTest({ eap: 'MD5', identity: 'alice', password: 'alicepw' }, front, SECRET, { keys: false }),
      'MD5',
      0,
    );
    succeeded(
      await eapolTest({ eap: 'MSCHAPV2', identity: 'alice', password: 'alicepw' }, front, SECRET),
      'MSCHAPv2',
    );
    assert.equal(count(FORWARDED), forwarded, 'the shared store served every round where it landed');
    // The instances' log lines reach this process a little after the replies: wait for them (bounded).
    const accepted = () => accepts().reduce((n, a, i) => n + a - before[i], 0);
    for (let i = 0; i < 40 && accepted() < 3; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(accepted(), 3, JSON.stringify(serves.map((s) => s.logs.slice(-12))));
  });

  test('eapol_test -r 1: the TLS session resumes on whichever instance the second login reaches', async () => {
    for (const [name, network] of [
      ['PEAP', peap],
      ['EAP-TLS 1.2', eapTls(false)],
      ['EAP-TLS 1.3', eapTls(true)],
    ] as const) {
      // Twice, a datagram apart: one of the two runs starts its second login on the other instance.
      for (let run = 0; run < 2; run++) {
        const r = await eapolTest(network, front, SECRET, { reauths: 1 });
        succeeded(r, `${name} -r 1`, 2);
        const handshakes = [...r.stdout.matchAll(/Handshake finished - resumed=(\d)/g)].map((m) => m[1]);
        // A full handshake, then a resumed one (TLS 1.3 prints each twice).
        assert.equal(handshakes[0], '0', `${name}: full\n${tailOf(r)}`);
        assert.equal(handshakes.at(-1), '1', `${name}: then resumed\n${tailOf(r)}`);
        // Status-Server shifts the balancer's rotation by one.
        const status = await radclient({
          host: '127.0.0.1',
          port: front,
          type: 'status',
          secret: SECRET,
          input: 'Message-Authenticator = 0x00',
        });
        assert.equal(status.code, 0, status.stdout + status.stderr);
      }
    }
    // Conversations began on both: each instance handed rounds to the other (found in its config,
    // or in Redis).
    for (const [i, s] of serves.entries()) {
      assert.ok(
        s.logs.some((l) => l.msg === FORWARDED),
        `instance ${i} handed no round over`,
      );
    }
  });

  test('eapol_test -r 1, TTLS/PAP: authenticated on one instance, resumed on the other as that identity', async () => {
    const ttls = { ...peap, eap: 'TTLS', phase1: '', phase2: 'auth=PAP' };
    /** The users of the Access-Accepts each instance logged so far. */
    const accepted = () =>
      serves.map((s) => s.logs.filter((l) => l.msg === 'Access-Accept').map((l) => String(l.user)));
    // Both ways: the second instance runs its TLS in a worker thread, the first in its own.
    for (const order of [
      [0, 1],
      [1, 0],
    ]) {
      const before = accepted().map((users) => users.length);
      const relay = await startLoginRelay(order.map((i) => authPorts[i]));
      try {
        const r = await eapolTest(ttls, relay.port, SECRET, { reauths: 1 });
        const name = `TTLS/PAP -r 1, instance ${order[0]} then ${order[1]}`;
        succeeded(r, name, 2);
        assert.deepEqual(relay.logins, [1, 1], `${name}: one login on each`);
        const handshakes = [...r.stdout.matchAll(/Handshake finished - resumed=(\d)/g)].map((m) => m[1]);
        assert.deepEqual(handshakes, ['0', '1'], `${name}: full, then resumed\n${tailOf(r)}`);
      } finally {
        await relay.close();
      }
      // Each instance accepted alice once (the log lines reach this process a little after the
      // replies: wait for them, bounded).
      const added = () => accepted().map((users, i) => users.slice(before[i]));
      for (let i = 0; i < 40 && added().some((users) => users.length < 1); i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(added(), [['alice'], ['alice']]);
    }
  });

  test('Redis down: one log line per instance, no crash; rounds still reach their owner (peers known from the config, or from Redis before)', async () => {
    const outage = /shared state \(Redis\) unavailable/;
    const before = serves.map(
      (s) => s.logs.filter((l) => typeof l.msg === 'string' && outage.test(l.msg)).length,
    );
    await redis.kill();
    try {
      const forwarded = count(FORWARDED);
      for (const [name, network, keys] of [
        ['MSCHAPv2', { eap: 'MSCHAPV2', identity: 'alice', password: 'alicepw' }, 1],
        ['PEAP/MSCHAPv2', peap, 1],
        ['MD5', { eap: 'MD5', identity: 'alice', password: 'alicepw' }, 0],
      ] as const) {
        succeeded(
          await eapolTest(network, front, SECRET, { keys: keys > 0 }),
          `${name} with Redis down`,
          keys,
        );
      }
      // The MD5 and MSCHAPv2 conversations stayed with the instance that began them. The instances'
      // log lines reach this process a little after the replies: wait for them (bounded).
      for (let i = 0; i < 100 && count(FORWARDED) - forwarded < 4; i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.ok(count(FORWARDED) - forwarded >= 4, `forwarded: ${count(FORWARDED) - forwarded}`);
      const after = serves.map(
        (s) => s.logs.filter((l) => typeof l.msg === 'string' && outage.test(l.msg)).length,
      );
      assert.deepEqual(
        after.map((n, i) => n - before[i]),
        [1, 1],
        'one line per instance',
      );
      for (const s of serves) assert.equal(s.child.exitCode, null, 'still running');
    } finally {
      await redis.start();
    }
  });
});

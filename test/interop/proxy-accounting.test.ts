// Store-and-forward accounting through the proxy to a FreeRADIUS home server writing a detail
// file: 10,000 Accounting-Requests while the home server is stopped and started again mid-run, and
// while the proxy itself is killed with SIGKILL and restarted: every request the NAS saw
// acknowledged is in the detail file (counted by Acct-Session-Id), exactly once. When the proxy is
// killed, the records in flight at that moment come again with the same bytes: FreeRADIUS keeps no
// duplicate cache for accounting (see below), so the home server gets one (rlm_cache, a few lines).
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { AccountingRequest, createRadiusServer, RadiusClient, RadiusProxy } from '../../src/index.js';
import { type ServeProcess, startServe, tempDir } from '../cli/serve-helpers.js';
import { type FreeradiusPeer, skipUnless, startFreeradius } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';

const NAS_SECRET = 'acct-nas-s3cret';
const HOME_SECRET = 'acct-home-s3cret';
const N = 10_000;

/**
 * A duplicate cache for FreeRADIUS's accounting, which it lacks (RFC 5080 §2.2.2): an
 * Accounting-Request whose attributes (Proxy-State and Acct-Delay-Time included, so only a
 * byte-identical retransmission) were stored within the hour is answered without being recorded.
 * The key is taken before preprocess adds Event-Timestamp (the time of arrival); the entry is made
 * once detail has stored the record, so a record that failed to be stored is stored when resent.
 */
const FREERADIUS_ACCT_DUPLICATE_CACHE = {
  extraModules: `cache acct_seen {
\tdriver = "rlm_cache_rbtree"
\tkey = "%{control:Tmp-String-8}"
\tttl = 3600
\tupdate {
\t\t&control:Tmp-String-9 := "seen"
\t}
}
`,
  extraPreacct: `\tupdate control {
\t\t&Tmp-String-8 := "%{md5:%{pairs:request:}}"
\t}`,
  extraAccounting: `\tupdate control {
\t\t&Cache-Status-Only := yes
\t}
\tacct_seen {
\t\tnotfound = 1
\t}
\tif (ok) {
\t\treturn
\t}
\tupdate control {
\t\t&Cache-Status-Only !* ANY
\t}`,
  afterDetail: '\tacct_seen',
};

/** Acct-Session-Ids in a FreeRADIUS's detail files, in file order. */
function detailSessions(peer: FreeradiusPeer): string[] {
  const dir = path.join(path.dirname(peer.dir), 'log', 'radacct', '127.0.0.1');
  const out: string[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.startsWith('detail'));
  } catch {
    return out;
  }
  for (const f of files.sort()) {
    for (const m of readFileSync(path.join(dir, f), 'utf8').matchAll(/Acct-Session-Id = "([^"]+)"/g))
      out.push(m[1]);
  }
  return out;
}

async function until(check: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 50) await new Promise((r) => setTimeout(r, 50));
}

/** A NAS's bare UDP socket towards `port`: each datagram sent as given, the codes of the replies kept. */
async function rawNas(port: number): Promise<{ send(b: Buffer): void; replies: number[]; close(): void }> {
  const sock = createSocket('udp4');
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  const replies: number[] = [];
  sock.on('message', (m) => replies.push(m[1]));
  return { send: (b) => sock.send(b, port, '127.0.0.1'), replies, close: () => sock.close() };
}

/** Whether a process is still there (signal 0 checks without sending anything). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('store-and-forward: a home server stopped and started again mid-run gets every acknowledged record, repeats only of those in flight as it stopped', {
  skip: skipUnless('freeradius'),
}, async (t) => {
  const [authPort, acctPort, proxyAcct] = await freePorts(3);
  const tmp = await tempDir('aioradius-proxy-acct-');
  const startHome = () => startFreeradius({ secret: HOME_SECRET, authPort, acctPort });
  let homeA: FreeradiusPeer | undefined = await startHome();
  let homeB: FreeradiusPeer | undefined;
  const proxy = new RadiusProxy({
    homeServers: [{ name: 'a', host: '127.0.0.1', auth: authPort, acct: acctPort, secret: HOME_SECRET }],
    pools: [{ name: 'p', servers: ['a'] }],
    realms: [{ name: 'DEFAULT', pool: 'p' }],
    timeout: 0.5,
    retries: 1,
    maxDuration: 2,
    probeInterval: 0.5,
    accounting: { file: path.join(tmp.dir, 'queue.db'), retryDelay: 0.3 },
  });
  const server = createRadiusServer(
    '127.0.0.1',
    { secret: NAS_SECRET, acct: (attributes, context) => proxy.handleAcct(attributes, context) },
    { accPort: proxyAcct },
  );
  await server.start();
  const nas = new RadiusClient({ timeout: 2, retries: 3, maxInFlight: 256 });
  try {
    const acked = new Set<string>();
    let killedAt = -1;
    let killed = false;
    const first: string[] = [];
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < N; i++) {
      const id = `q-${i}`;
      const req = new AccountingRequest(NAS_SECRET).addAttributes(
        ['User-Name', `u${i}@example.com`],
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', id],
      );
      sends.push(
        nas.sendPacket(req, { remoteHost: '127.0.0.1', remotePort: proxyAcct }).then(() => {
          acked.add(id);
          // The home server is stopped while requests are flowing to it.
          if (!killed && acked.size >= N / 3 && homeA) {
            killed = true;
            killedAt = acked.size;
            process.kill(homeA.pid, 'SIGTERM');
          }
        }),
      );
    }
    await Promise.all(sends);
    assert.equal(acked.size, N, 'every request acknowledged: queued while the home server was down');
    assert.ok(killed);
    const stoppedPid = (homeA as FreeradiusPeer).pid;
    await until(() => !running(stoppedPid), 10_000);
    first.push(...detailSessions(homeA as FreeradiusPeer));
    await homeA?.stop();
    homeA = undefined;
    const depthWhileDown = proxy.queue?.depth ?? 0;
    t.diagnostic(
      `killed after ${killedAt} acks; written by the first home server: ${first.length}; queued while down: ${depthWhileDown}`,
    );
    assert.ok(depthWhileDown > 0, 'requests wait in the queue while the home server is down');

    homeB = await startHome();
    await until(() => proxy.queue?.depth === 0, 60_000);
    assert.equal(proxy.queue?.depth, 0, 'the queue drained once the home server came back');
    await new Promise((r) => setTimeout(r, 200));
    const second = detailSessions(homeB);
    const all = [...first, ...second];
    const counts = new Map<string, number>();
    for (const s of all) counts.set(s, (counts.get(s) ?? 0) + 1);
    const missing = [...acked].filter((id) => !counts.has(id));
    assert.deepEqual(missing, [], 'acknowledged but never reached the home server');
    const twice = [...counts].filter(([, n]) => n > 1).map(([s]) => s);
    t.diagnostic(`detail records: ${all.length} for ${counts.size} sessions; twice: ${twice.length}`);
    assert.equal(new Set(first).size, first.length, 'the first home server got no record twice');
    assert.equal(new Set(second).size, second.length, 'the second home server got no record twice');
    // Across the restart a record can arrive twice only if the first server wrote it as it was
    // stopped, before its reply left (delivery is at least once, RFC 2866 §2): one of its last.
    const lastWritten = new Set(first.slice(-64));
    assert.deepEqual(
      twice.filter((s) => !lastWritten.has(s)),
      [],
      'a record reached both home servers that the first had answered long before it stopped',
    );
    assert.equal(all.length, N + twice.length, 'one detail record per request, and one per such repeat');
    // Drained in order: the second home server saw the queue oldest first.
    const order = second.map((s) => Number(s.slice(2)));
    const inversions = order.filter((v, i) => i > 0 && v < order[i - 1]).length;
    t.diagnostic(`order inversions in the drain: ${inversions} of ${order.length}`);
  } finally {
    nas.close();
    await proxy.close();
    await server.close();
    await homeA?.stop();
    await homeB?.stop();
    await tmp.remove();
  }
});

/**
 * Sends N Accounting-Requests through `serve` (proxying everything to 127.0.0.1:homeAcct), kills
 * `serve` with SIGKILL after a third were acknowledged and starts it again at once; resolves with
 * the acknowledged Acct-Session-Ids once `recorded` holds them all (bounded wait).
 */
async function killServeMidRun(
  t: { diagnostic(message: string): void },
  homeAcct: number,
  recorded: () => string[],
): Promise<Set<string>> {
  const [serveAuth, serveAcct] = await freePorts(2);
  const tmp = await tempDir('aioradius-proxy-kill-');
  const config = path.join(tmp.dir, 'serve.yaml');
  await writeFile(
    config,
    `listen:\n  host: 127.0.0.1\n  auth: ${serveAuth}\n  acct: ${serveAcct}\n` +
      `clients:\n  - address: 127.0.0.1\n    secret: ${NAS_SECRET}\ndatabase: ./serve.db\n` +
      'proxy:\n  timeout: 0.5\n  retries: 1\n  homeServers:\n' +
      `    - { name: a, host: 127.0.0.1, acct: ${homeAcct}, secret: ${HOME_SECRET} }\n` +
      '  pools:\n    - { name: p, servers: [a] }\n  realms:\n    - { name: DEFAULT, pool: p }\n',
  );
  let serve: ServeProcess | undefined = await startServe(config);
  const nas = new RadiusClient({ timeout: 1, retries: 6, maxTimeout: 2, maxInFlight: 256 });
  try {
    const acked = new Set<string>();
    let killed = false;
    let restarting: Promise<void> | undefined;
    let restartMs = 0;
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < N; i++) {
      const id = `k-${i}`;
      const req = new AccountingRequest(NAS_SECRET).addAttributes(
        ['User-Name', `u${i}@example.com`],
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', id],
      );
      sends.push(
        nas.sendPacket(req, { remoteHost: '127.0.0.1', remotePort: serveAcct }).then(
          () => {
            acked.add(id);
            if (!killed && acked.size >= N / 3 && serve) {
              killed = true;
              const dying = serve;
              dying.child.kill('SIGKILL');
              // Started again at once: the NAS's retransmissions reach the new process.
              const killedAt = performance.now();
              restarting = dying.exited(10_000).then(async () => {
                serve = await startServe(config);
                restartMs = performance.now() - killedAt;
              });
            }
          },
          () => {}, // Not acknowledged: the NAS keeps it; nothing to check for it.
        ),
      );
    }
    await Promise.all(sends);
    await restarting;
    assert.ok(killed, 'the proxy was killed midway');
    t.diagnostic(
      `acknowledged: ${acked.size} of ${N}; killed to listening again: ${Math.round(restartMs)} ms`,
    );
    await until(() => new Set(recorded()).size >= acked.size, 60_000);
    // Records resent after the restart may still be on their way.
    await new Promise((r) => setTimeout(r, 1000));
    return acked;
  } finally {
    nas.close();
    await serve?.stop('SIGTERM');
    await tmp.remove();
  }
}

/** How many records each Acct-Session-Id has, and those acknowledged but missing. */
function tally(sessions: string[], acked: Set<string>) {
  const counts = new Map<string, number>();
  for (const s of sessions) counts.set(s, (counts.get(s) ?? 0) + 1);
  const missing = [...acked].filter((id) => !counts.has(id));
  const twice = [...counts].filter(([, n]) => n > 1).length;
  return { counts, missing, twice };
}

test('store-and-forward in serve, killed with SIGKILL mid-run: a home server with a duplicate cache records each acknowledged record once', async (t) => {
  // A home server that keeps answered requests 5 s (RFC 5080 §2.2.2): records in flight at the
  // kill come again after the restart with the same bytes from the same port and are answered
  // from its cache, not recorded again.
  const sessions: string[] = [];
  const home = createRadiusServer(
    '127.0.0.1',
    {
      secret: HOME_SECRET,
      acct: (attributes) => {
        sessions.push(String(attributes.get('Acct-Session-Id')));
        return [[], null];
      },
    },
    { accPort: 0 },
  );
  const info = await home.start();
  try {
    const acked = await killServeMidRun(t, info.accPort as number, () => sessions);
    const { counts, missing, twice } = tally(sessions, acked);
    assert.deepEqual(missing, [], 'acknowledged but never reached the home server');
    t.diagnostic(`records: ${sessions.length} for ${counts.size} sessions; twice: ${twice}`);
    assert.equal(twice, 0, 'no record reached the home server twice');
  } finally {
    await home.close();
  }
});

test('store-and-forward in serve, killed with SIGKILL mid-run: FreeRADIUS with a duplicate cache records each acknowledged record once', {
  skip: skipUnless('freeradius'),
}, async (t) => {
  const home = await startFreeradius({ secret: HOME_SECRET, ...FREERADIUS_ACCT_DUPLICATE_CACHE });
  try {
    const acked = await killServeMidRun(t, home.acctPort, () => detailSessions(home));
    const sessions = detailSessions(home);
    const { counts, missing, twice } = tally(sessions, acked);
    assert.deepEqual(missing, [], 'acknowledged but never reached the home server');
    t.diagnostic(`detail records: ${sessions.length} for ${counts.size} sessions; twice: ${twice}`);
    // FreeRADIUS 3.2 forgets an answered Accounting-Request at once (see the next test): the records
    // in flight at the kill, answered but not yet marked delivered, come again after the restart
    // with the same bytes, and only its duplicate cache keeps them from being recorded twice.
    assert.equal(twice, 0, 'no record reached the detail file twice');
  } finally {
    await home.stop();
  }
});

test('FreeRADIUS 3.2 keeps answered Accounting-Requests no longer than it takes to answer them', {
  skip: skipUnless('freeradius'),
}, async () => {
  // What the proxy can count on after a restart: FreeRADIUS does not answer a byte-identical
  // retransmission of an answered Accounting-Request from a cache (its process.c skips cleanup_delay
  // for accounting), so it records it again. An Access-Request would be answered from cache.
  const home = await startFreeradius({ secret: HOME_SECRET });
  const nas = await rawNas(home.acctPort);
  const { replies } = nas;
  try {
    const later = new AccountingRequest(HOME_SECRET)
      .addAttributes(['User-Name', 'u'], ['Acct-Status-Type', 'Start'], ['Acct-Session-Id', 'later'])
      .encode();
    nas.send(later);
    await until(() => replies.length >= 1, 5000);
    await new Promise((r) => setTimeout(r, 2000));
    nas.send(later);
    await until(() => replies.length >= 2, 5000);
    await until(() => detailSessions(home).length >= 2, 3000);
    const counts = detailSessions(home).filter((id) => id === 'later').length;
    assert.equal(counts, 2, 'the same bytes two seconds after the answer are recorded again');
  } finally {
    nas.close();
    await home.stop();
  }
});

test('FreeRADIUS with the duplicate cache: the same bytes are answered again but recorded once; new bytes are recorded', {
  skip: skipUnless('freeradius'),
}, async () => {
  const home = await startFreeradius({ secret: HOME_SECRET, ...FREERADIUS_ACCT_DUPLICATE_CACHE });
  const nas = await rawNas(home.acctPort);
  const { replies } = nas;
  try {
    const record = (delay: number) =>
      new AccountingRequest(HOME_SECRET)
        .addAttributes(
          ['User-Name', 'u'],
          ['Acct-Status-Type', 'Start'],
          ['Acct-Session-Id', 'cached'],
          ['Acct-Delay-Time', delay],
        )
        .encode();
    const first = record(0);
    nas.send(first);
    await until(() => replies.length >= 1, 5000);
    await new Promise((r) => setTimeout(r, 1500));
    nas.send(first);
    await until(() => replies.length >= 2, 5000);
    assert.equal(replies.length, 2, 'the retransmission is answered');
    // A NAS's own retry changes Acct-Delay-Time: a new request (RFC 2866 §5.2), recorded.
    nas.send(record(3));
    await until(() => replies.length >= 3, 5000);
    await until(() => detailSessions(home).length >= 2, 3000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(detailSessions(home).filter((id) => id === 'cached').length, 2);
  } finally {
    nas.close();
    await home.stop();
  }
});

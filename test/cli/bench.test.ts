// `aioradius bench` and its load engine: counts, summaries, acct sessions, fixed rate, rejects,
// retransmissions, verification of replies, and usage errors. The command runs as a user would run
// it (the built main.js in a child process) against small servers in this process.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BenchSummary } from '../../src/cli/bench.js';
import { LatencyHistogram, LoadEngine, runLoadEngine } from '../../src/cli/load-engine.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { ACCESS_ACCEPT, ACCESS_REJECT } from '../../src/protocol/codes.js';
import { AbstractRadiusServer, type NasConfig } from '../../src/server/abstract-server.js';
import { type RunResult, runCommand } from '../helpers/peers.js';
import { ipv6LoopbackAvailable } from '../helpers/ports.js';

// This file runs as build/test/cli/bench.test.js; the command is build/src/cli/main.js.
const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const SECRET = 'bench-t3st-s3cret';

function cli(args: string[]): Promise<RunResult> {
  return runCommand(process.execPath, [MAIN, 'bench', ...args], { timeoutMs: 60_000 });
}

function show(r: RunResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

function summaryOf(r: RunResult): BenchSummary {
  try {
    return JSON.parse(r.stdout) as BenchSummary;
  } catch {
    throw new Error(`no JSON summary:\n${show(r)}`);
  }
}

/** PAP for alice/alicepw on the auth port, accounting on the other; remembers what it was sent. */
class Target extends AbstractRadiusServer {
  authRequests = 0;
  readonly sessions = new Set<string>();
  acctRequests = 0;

  constructor(host: string) {
    super(host, { authPort: 0, accPort: 0 });
  }

  // A request without a valid Message-Authenticator is dropped (RFC 3579 §3.2, BlastRADIUS).
  validateNas(): NasConfig {
    return { secret: SECRET, requireMessageAuthenticator: true };
  }

  override handleAuthPacket(attributes: AttributesSet) {
    this.authRequests++;
    const ok = attributes.get('User-Name') === 'alice' && attributes.get('User-Password') === 'alicepw';
    return [[], ok ? ACCESS_ACCEPT : ACCESS_REJECT] as const;
  }

  override handleAccPacket(attributes: AttributesSet) {
    this.acctRequests++;
    this.sessions.add(String(attributes.get('Acct-Session-Id')));
    return [[], null] as const;
  }
}

/** Ways a raw responder misbehaves. */
type Mode = 'ok' | 'drop-first' | 'forge' | 'bad-message-authenticator' | 'silent';

/**
 * A raw UDP responder answering Access-Requests with a bare Access-Accept, misbehaving as told:
 * answering only retransmissions, forging the Response Authenticator, adding a wrong
 * Message-Authenticator, or never answering.
 */
async function rawResponder(
  mode: Mode,
): Promise<{ port: number; received: number; ids: number[]; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  const seen = new Set<string>();
  const state = { received: 0 };
  const ids: number[] = [];
  sock.on('message', (msg, rinfo) => {
    state.received++;
    ids.push(msg[1]);
    if (mode === 'silent' || msg.length < 20) return;
    const key = msg.subarray(0, 20).toString('hex');
    if (mode === 'drop-first' && !seen.has(key)) {
      seen.add(key);
      return;
    }
    const withMa = mode === 'bad-message-authenticator';
    const out = Buffer.alloc(withMa ? 38 : 20);
    out[0] = ACCESS_ACCEPT;
    out[1] = msg[1];
    out.writeUInt16BE(out.length, 2);
    if (withMa) {
      out[20] = 80;
      out[21] = 18;
      msg.copy(out, 4, 4, 20);
      createHmac('md5', SECRET).update(out).digest().copy(out, 22);
      out[22] ^= 1; // one wrong bit
    }
    const h = createHash('md5').update(out.subarray(0, 4)).update(msg.subarray(4, 20));
    h.update(out.subarray(20)).update(SECRET);
    h.digest().copy(out, 4);
    if (mode === 'forge') out[4] ^= 0xff;
    sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return {
    port: sock.address().port,
    get received() {
      return state.received;
    },
    ids,
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

describe('aioradius bench against a server of this library', () => {
  let server: Target;
  let authPort = 0;
  let acctPort = 0;

  before(async () => {
    server = new Target('127.0.0.1');
    const info = await server.start();
    authPort = info.authPort as number;
    acctPort = info.accPort as number;
  });
  after(async () => {
    await server.close();
  });

  test('auth -n 2000 -c 256: every request answered once, the JSON summary complete', async () => {
    const before = server.authRequests;
    const r = await cli([
      `127.0.0.1:${authPort}`,
      'auth',
      SECRET,
      '-n',
      '2000',
      '-p',
      '256',
      '-u',
      'alice',
      '-w',
      'alicepw',
      '--json',
    ]);
    assert.equal(r.code, 0, show(r));
    const s = summaryOf(r);
    assert.equal(s.server, `127.0.0.1:${authPort}`);
    assert.equal(s.type, 'auth');
    assert.equal(s.concurrency, 256);
    assert.equal(s.rate, 0);
    assert.deepEqual(
      [s.requests, s.answered, s.accepts, s.rejects, s.timeouts, s.bad, s.others, s.retransmissions],
      [2000, 2000, 2000, 0, 0, 0, 0, 0],
    );
    assert.ok(s.seconds > 0 && s.requestsPerSecond > 0, show(r));
    const l = s.latencyMs;
    for (const v of [l.p50, l.p90, l.p99, l.max, l.mean]) assert.ok(Number.isFinite(v) && v >= 0, show(r));
    assert.ok(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max, show(r));
    // The server checked every Message-Authenticator and User-Password: none was dropped or resent.
    assert.equal(server.authRequests - before, 2000);
  });

  test('acct -n 2000 -c 256: every request a new Acct-Session-Id, answered after the handler', async () => {
    const sessionsBefore = server.sessions.size;
    const requestsBefore = server.acctRequests;
    const r = await cli([`127.0.0.1:${acctPort}`, 'acct', SECRET, '-n', '2000', '-p', '256', '--json']);
    assert.equal(r.code, 0, show(r));
    const s = summaryOf(r);
    assert.equal(s.type, 'acct');
    assert.deepEqual([s.requests, s.answered, s.accepts, s.timeouts, s.bad], [2000, 2000, 2000, 0, 0]);
    assert.equal(server.acctRequests - requestsBefore, 2000);
    assert.equal(server.sessions.size - sessionsBefore, 2000);
  });

  test('the text summary', async () => {
    const r = await cli([`127.0.0.1:${acctPort}`, 'acct', SECRET, '-n', '100', '-p', '4']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^acct against 127\.0\.0\.1:\d+, concurrency 4$/m);
    assert.match(r.stdout, /^requests +100 in [\d.]+ s$/m);
    assert.match(r.stdout, /^answered +100 \(\d+\/s\)$/m);
    assert.match(r.stdout, /^timeouts +0$/m);
    assert.match(
      r.stdout,
      /^latency +p50 [\d.]+ ms +p90 [\d.]+ ms +p99 [\d.]+ ms +max [\d.]+ ms +mean [\d.]+ ms$/m,
    );
    assert.doesNotMatch(r.stdout, /rejects/); // accounting has none
  });

  test('--rate: a fixed rate finishes the count', async () => {
    const r = await cli([
      `127.0.0.1:${authPort}`,
      'auth',
      SECRET,
      '--rate',
      '4000',
      '-n',
      '600',
      '-p',
      '16',
      '-u',
      'alice',
      '-w',
      'alicepw',
      '--json',
    ]);
    assert.equal(r.code, 0, show(r));
    const s = summaryOf(r);
    assert.equal(s.rate, 4000);
    assert.deepEqual([s.requests, s.answered, s.timeouts], [600, 600, 0]);
    const t = await cli([`127.0.0.1:${acctPort}`, 'acct', SECRET, '--rate', '500', '-n', '50']);
    assert.equal(t.code, 0, show(t));
    assert.match(t.stdout, /concurrency 256, rate 500\/s/);
    assert.match(t.stdout, /^answered +50 /m);
  });

  test('a wrong password: every request answered with Access-Reject, counted, exit 0', async () => {
    const r = await cli([
      `127.0.0.1:${authPort}`,
      'auth',
      SECRET,
      '-n',
      '300',
      '-u',
      'alice',
      '-w',
      'wrong',
      '--json',
    ]);
    assert.equal(r.code, 0, show(r));
    const s = summaryOf(r);
    assert.deepEqual([s.answered, s.rejects, s.accepts, s.timeouts], [300, 300, 0, 0]);
    const t = await cli([`127.0.0.1:${authPort}`, 'auth', SECRET, '-n', '10']);
    assert.match(t.stdout, /^rejects +10$/m, show(t)); // the default user bench is unknown here
    // Nothing but rejects: measured by mistake, most likely; the summary says so.
    assert.match(t.stderr, /warning: every answer was an Access-Reject: does the server know user "bench"/);
    assert.match(r.stderr, /warning: every answer was an Access-Reject/);
  });

  test('--svg: the latency distribution as an SVG bar chart', async () => {
    const file = path.join(os.tmpdir(), `aioradius-bench-${process.pid}.svg`);
    try {
      const r = await cli([`127.0.0.1:${acctPort}`, 'acct', SECRET, '-n', '500', '-p', '16', '--svg', file]);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /latency chart written to /);
      const svg = readFileSync(file, 'utf8');
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(svg, /<\/svg>\n$/);
      // One bar per bin; their counts add up to the replies measured.
      const counts = [...svg.matchAll(/<title>≤ [^:]+: (\d+)<\/title>/g)].map((m) => Number(m[1]));
      assert.ok(counts.length >= 1);
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        500,
      );
      assert.match(svg, />p50</);
    } finally {
      rmSync(file, { force: true });
    }
  });

  test('a duration: the load stops, everything sent is answered', async () => {
    const r = await cli([`127.0.0.1:${acctPort}`, 'acct', SECRET, '-d', '0.3', '-p', '8', '--json']);
    assert.equal(r.code, 0, show(r));
    const s = summaryOf(r);
    assert.ok(s.requests > 0, show(r));
    assert.equal(s.answered, s.requests);
    assert.equal(s.timeouts, 0);
  });

  test('--progress prints the progress line on stderr', async () => {
    const r = await cli([`127.0.0.1:${acctPort}`, 'acct', SECRET, '-n', '50', '--progress']);
    assert.equal(r.code, 0, show(r));
    assert.match(
      r.stderr,
      /sent 50 {2}answered 50 {2}\d+\/s {2}p50 [\d.]+ ms {2}p99 [\d.]+ ms {2}timeouts 0/,
    );
  });

  test('SIGINT stops the load and still prints the summary', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [MAIN, 'bench', `127.0.0.1:${acctPort}`, 'acct', SECRET, '-d', '60', '-p', '4', '--json', '--progress'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    // 'close': the process has exited and its output has been read to the end.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      // The first progress line (after about a second) shows the load is running.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no progress line: ${err}`)), 20_000);
        child.stderr?.setEncoding('utf8').on('data', (d: string) => {
          err += d;
          if (/answered [1-9]/.test(err)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      child.kill('SIGINT');
      assert.equal(await exited, 0, `${out}\n${err}`);
    } finally {
      clearTimeout(killer);
    }
    const s = JSON.parse(out) as BenchSummary;
    assert.ok(s.requests > 0);
    assert.equal(s.answered, s.requests);
  });

  test('the engine in this process: IPv4, counters, progress', async () => {
    const engine = new LoadEngine({
      port: authPort,
      secret: SECRET,
      user: 'alice',
      password: 'alicepw',
      concurrency: 300, // three sockets of 100
      seconds: 0,
      count: 1500,
    });
    await engine.open();
    const report = await engine.run();
    assert.equal(report.sockets, 3);
    assert.deepEqual(
      [report.requests, report.transmissions, report.answered, report.windowReplies, report.accepts],
      [1500, 1500, 1500, 1500, 1500],
    );
    assert.deepEqual([report.bad, report.stray, report.timeouts], [0, 0, 0]);
    const p = engine.progress();
    assert.deepEqual([p.requests, p.answered, p.timeouts], [1500, 1500, 0]);
  });
});

describe('aioradius bench: replies that do not verify, timeouts, retries', () => {
  test('a forged Response Authenticator is counted as bad, the request times out, exit 1', async () => {
    const peer = await rawResponder('forge');
    try {
      const r = await cli([
        `127.0.0.1:${peer.port}`,
        'auth',
        SECRET,
        '-n',
        '20',
        '-p',
        '5',
        '-t',
        '0.2',
        '--json',
      ]);
      assert.equal(r.code, 1, show(r));
      const s = summaryOf(r);
      assert.deepEqual([s.requests, s.answered, s.bad, s.timeouts], [20, 0, 20, 20]);
    } finally {
      await peer.close();
    }
  });

  test('a freed identifier is reused only after the others', async () => {
    const peer = await rawResponder('ok');
    try {
      const report = await runLoadEngine({
        port: peer.port,
        secret: SECRET,
        concurrency: 4,
        seconds: 0,
        count: 600,
      });
      assert.equal(report.answered, 600);
      assert.equal(report.sockets, 1);
      // The first 256 requests take every identifier in turn although only 4 are out at once.
      assert.deepEqual(
        peer.ids.slice(0, 256),
        Array.from({ length: 256 }, (_, i) => i),
      );
    } finally {
      await peer.close();
    }
  });

  test('a wrong Message-Authenticator in the reply is counted as bad', async () => {
    const peer = await rawResponder('bad-message-authenticator');
    try {
      const report = await runLoadEngine({
        port: peer.port,
        secret: SECRET,
        concurrency: 5,
        seconds: 0,
        count: 10,
        timeoutMs: 200,
      });
      assert.deepEqual([report.answered, report.bad, report.timeouts], [0, 10, 10]);
    } finally {
      await peer.close();
    }
  });

  test('-r 2: a lost request is retransmitted (same bytes) and answered', async () => {
    const peer = await rawResponder('drop-first');
    try {
      const r = await cli([
        `127.0.0.1:${peer.port}`,
        'auth',
        SECRET,
        '-n',
        '30',
        '-p',
        '10',
        '-t',
        '0.1',
        '-r',
        '1',
        '--json',
      ]);
      assert.equal(r.code, 0, show(r));
      const s = summaryOf(r);
      assert.deepEqual([s.requests, s.answered, s.retransmissions, s.timeouts], [30, 30, 30, 0]);
      assert.equal(s.noResponses, 30, 'each first try went unanswered');
      assert.equal(peer.received, 60);
    } finally {
      await peer.close();
    }
  });

  test('no answer at all: every request times out after its tries, exit 1', async () => {
    const peer = await rawResponder('silent');
    try {
      const r = await cli([`127.0.0.1:${peer.port}`, 'acct', SECRET, '-n', '6', '-t', '0.05', '-r', '2']);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stdout, /^timeouts +6$/m);
      assert.match(r.stdout, /^no reply +18 tries unanswered in time$/m);
      assert.match(r.stdout, /^resent +12$/m);
      assert.equal(peer.received, 18);
    } finally {
      await peer.close();
    }
  });

  test('IPv6 loopback', async (t) => {
    if (!(await ipv6LoopbackAvailable())) {
      t.skip('no ::1');
      return;
    }
    const server = new Target('::1');
    const info = await server.start();
    try {
      const r = await cli([
        `[::1]:${info.authPort}`,
        'auth',
        SECRET,
        '-n',
        '200',
        '-u',
        'alice',
        '-w',
        'alicepw',
        '--json',
      ]);
      assert.equal(r.code, 0, show(r));
      const s = summaryOf(r);
      assert.equal(s.server, `[::1]:${info.authPort}`);
      assert.deepEqual([s.answered, s.accepts], [200, 200]);
    } finally {
      await server.close();
    }
  });
});

describe('aioradius bench: usage', () => {
  test('bad arguments: usage on stderr, exit 2, nothing sent', async () => {
    for (const args of [
      [],
      ['127.0.0.1', 'auth'],
      ['127.0.0.1', 'coa', 's'],
      ['127.0.0.1', 'auth', 's', 'extra'],
      ['127.0.0.1', 'auth', ''],
      ['127.0.0.1', 'auth', 's', '-p', '0'],
      ['127.0.0.1', 'auth', 's', '-p', 'many'],
      ['127.0.0.1', 'auth', 's', '-n', '1.5'],
      ['127.0.0.1', 'auth', 's', '--rate', '-5'],
      ['127.0.0.1', 'auth', 's', '-d', '0'],
      ['127.0.0.1', 'auth', 's', '-t', '0'],
      ['127.0.0.1', 'auth', 's', '-r', '100'],
      ['127.0.0.1', 'auth', 's', '-c', '8'],
      ['127.0.0.1', 'auth', 's', '--what'],
      ['127.0.0.1:99999', 'auth', 's'],
      ['127.0.0.1', 'auth', 's', '-w', 'x'.repeat(129)],
      ['127.0.0.1', 'auth', 's', '-u', ''],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${show(r)}`);
      // One line (and where the options are described), not the whole help text.
      assert.match(
        r.stderr,
        /^aioradius bench: [^\n]+\n(Try 'aioradius bench --help' for the options\.\n)?$/,
        args.join(' '),
      );
      assert.equal(r.stdout, '', args.join(' '));
    }
  });

  test('--help exits 0', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^Usage: aioradius bench SERVER\[:PORT\] auth\|acct SECRET/);
  });
});

describe('LatencyHistogram', () => {
  test('quantiles within 1% of the exact ones, exact below 128 µs', () => {
    const h = new LatencyHistogram();
    const values: number[] = [];
    for (let i = 0; i < 10_000; i++) values.push(((i * 7919) % 10_000) / 100 + 0.001); // 0.001..100 ms
    for (const v of values) h.record(v);
    values.sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = values[Math.ceil(q * values.length) - 1];
      assert.ok(Math.abs(h.quantile(q) - exact) <= exact * 0.01, `q ${q}: ${h.quantile(q)} vs ${exact}`);
    }
    assert.equal(h.max(), 99.991);
    assert.equal(h.count, 10_000);
    const small = new LatencyHistogram();
    for (const v of [0.05, 0.1, 0.12]) small.record(v);
    assert.deepEqual([small.quantile(0), small.quantile(0.5), small.quantile(1)], [0.05, 0.1, 0.12]);
    small.clear();
    assert.deepEqual(small.summary(), { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });
});

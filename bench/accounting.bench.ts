/**
 * Durable accounting benchmark: Accounting-Requests per second answered by `aioradius serve`, each
 * answered only after its record is committed to SQLite (WAL, synchronous=FULL, group commit).
 *
 * The server runs in a child process; this process is the load generator: a fixed number of
 * requests in flight, every request a new Acct-Session-Id (so every one is a new row), every reply's
 * Response Authenticator checked. Run: `node build/bench/accounting.bench.js [seconds] [inflight]`
 * after `npm run build:test`; prints a table, or one JSON line with `--json`.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ACCOUNTING_REQUEST } from '../src/protocol/codes.js';
import { createPacket, decodeResponse, type Packet } from '../src/protocol/packet.js';
import { fmtInt, quantileSorted, table } from './stats.js';

const SECRET = 'bench-acct-secret';
const SERVE_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/serve.js');

/** What one run measured. */
export interface AccountingBenchResult {
  seconds: number;
  inflight: number;
  replies: number;
  timeouts: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
  /** Rows in the database afterwards (must equal the replies plus any committed but unanswered). */
  rows: number;
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts serve on a fresh database; resolves once it logged "aioradius ready". */
async function startServer(dir: string, port: number) {
  const auth = await freeUdpPort();
  const config = path.join(dir, 'bench.yaml');
  writeFileSync(
    config,
    `listen:\n  host: 127.0.0.1\n  auth: ${auth}\n  acct: ${port}\nclients:\n  - address: 127.0.0.1\n    secret: ${SECRET}\nlog:\n  level: info\ndatabase: ./bench.db\n`,
  );
  const child = spawn(process.execPath, [SERVE_JS, '--config', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('serve did not start within 15 s')), 15_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('"aioradius ready"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}`));
    });
  });
  child.stdout.resume();
  return child;
}

/** Runs the load for `seconds` with `inflight` requests outstanding. */
export async function runAccountingBench(seconds = 5, inflight = 512): Promise<AccountingBenchResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-acct-bench-'));
  const port = await freeUdpPort();
  const child = await startServer(dir, port);
  const sockets: dgram.Socket[] = [];
  const perSocket = 256;
  const socketCount = Math.ceil(inflight / perSocket);
  const slots: Array<{ packet: Packet; sentAt: number } | undefined> = new Array(socketCount * perSocket);
  const latencies = new Float64Array(1 << 22);
  let samples = 0;
  let replies = 0;
  let timeouts = 0;
  let seq = 0;
  let running = true;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;

  const send = (slot: number) => {
    if (!running) {
      slots[slot] = undefined;
      return;
    }
    const packet = createPacket(ACCOUNTING_REQUEST, SECRET, {
      identifier: slot % perSocket,
      attributes: [
        ['Acct-Session-Id', `bench-${seq++}`],
        ['Acct-Status-Type', 'Interim-Update'],
        ['User-Name', 'bench'],
        ['NAS-Port', slot],
        ['Acct-Session-Time', 60],
        ['Acct-Input-Octets', 123456],
        ['Acct-Output-Octets', 654321],
      ],
    });
    const bytes = packet.encode();
    slots[slot] = { packet, sentAt: performance.now() };
    sockets[Math.floor(slot / perSocket)].send(bytes, port, '127.0.0.1');
  };

  for (let s = 0; s < socketCount; s++) {
    const sock = dgram.createSocket('udp4');
    sock.on('message', (msg) => {
      const slot = s * perSocket + msg[1];
      const pending = slots[slot];
      if (!pending) return;
      try {
        decodeResponse(SECRET, msg, pending.packet);
      } catch {
        return;
      }
      const now = performance.now();
      if (now <= deadline) {
        replies++;
        if (samples < latencies.length) latencies[samples++] = now - pending.sentAt;
      }
      send(slot);
    });
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    sockets.push(sock);
  }
  for (let slot = 0; slot < inflight; slot++) send(slot);
  // Requests lost to a full socket buffer are resent after 2 s (a new record each).
  const sweep = setInterval(() => {
    const now = performance.now();
    for (let slot = 0; slot < inflight; slot++) {
      const p = slots[slot];
      if (p && now - p.sentAt > 2000) {
        timeouts++;
        send(slot);
      }
    }
  }, 250);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  running = false;
  clearInterval(sweep);
  await new Promise((r) => setTimeout(r, 500));
  for (const s of sockets) s.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(path.join(dir, 'bench.db'), { readonly: true });
  const rows = (db.prepare('SELECT COUNT(*) AS n FROM acct_records').get() as { n: number }).n;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  const sorted = latencies.subarray(0, samples).sort();
  return {
    seconds,
    inflight,
    replies,
    timeouts,
    rps: replies / seconds,
    p50ms: quantileSorted(sorted, samples, 0.5),
    p99ms: quantileSorted(sorted, samples, 0.99),
    maxms: samples ? sorted[samples - 1] : Number.NaN,
    rows,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2).filter((a) => a !== '--json');
  const json = process.argv.includes('--json');
  const r = await runAccountingBench(Number(args[0] ?? 5), Number(args[1] ?? 512));
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else {
    process.stdout.write(
      `${table([
        ['durable accounting (serve)', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'timeouts', 'rows'],
        [
          `${r.inflight} in flight, ${r.seconds} s`,
          fmtInt(r.rps),
          r.p50ms.toFixed(2),
          r.p99ms.toFixed(2),
          r.maxms.toFixed(1),
          String(r.timeouts),
          String(r.rows),
        ],
      ])}\n`,
    );
  }
}

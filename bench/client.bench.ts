/**
 * Client throughput: requests/s that RadiusClient completes with N requests in flight against a
 * raw UDP responder (a child process that only computes the Response Authenticator with
 * node:crypto MD5), beside a client built on npm `radius` with a dgram socket. Contenders
 * alternate within each round; medians over rounds and their ratio are printed.
 * Run with `node build/bench/client.bench.js [--seconds 3] [--rounds 3] [--inflight 256,1024]`.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import radius from 'radius';
import { RadiusClient } from '../src/client/radius-client.js';
import { AccessRequest } from '../src/protocol/packet.js';

const SECRET = 'bench-secret';

/** One measurement: a contender, its load, and what it achieved. */
export interface ClientBenchResult {
  contender: string;
  inFlight: number;
  requestsPerSecond: number;
  failures: number;
}

/** Options of the client benchmark. */
export interface ClientBenchOptions {
  seconds?: number;
  rounds?: number;
  inFlight?: number[];
}

// ---------------------------------------------------------------------------------------------
// The responder (child process)

/** Answers every datagram with a bare Access-Accept: header plus Response Authenticator (RFC 2865 §3). */
function runResponder(secret: Buffer): void {
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 20) return;
    const out = Buffer.allocUnsafe(20);
    out[0] = 2;
    out[1] = msg[1];
    out.writeUInt16BE(20, 2);
    createHash('md5')
      .update(out.subarray(0, 4))
      .update(msg.subarray(4, 20))
      .update(secret)
      .digest()
      .copy(out, 4);
    sock.send(out, rinfo.port, rinfo.address);
  });
  sock.bind(0, '127.0.0.1', () => {
    sock.setRecvBufferSize(4 << 20);
    sock.setSendBufferSize(4 << 20);
    process.send?.({ port: sock.address().port });
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Contenders: each keeps `inFlight` requests outstanding for `seconds`, counting completions.

interface Contender {
  name: string;
  run(port: number, inFlight: number, seconds: number): Promise<{ completed: number; failures: number }>;
}

/** RadiusClient, one fresh AccessRequest (User-Name, User-Password) per call. */
function ourClient(messageAuthenticator: boolean): Contender {
  return {
    name: messageAuthenticator ? 'aioradius (with Message-Authenticator)' : 'aioradius',
    async run(port, inFlight, seconds) {
      const client = new RadiusClient({ timeout: 2, retries: 0 });
      const opts = { remoteHost: '127.0.0.1', remotePort: port };
      let stop = false;
      let counting = false;
      let completed = 0;
      let failures = 0;
      let n = 0;
      const worker = async () => {
        while (!stop) {
          const request = new AccessRequest(SECRET, { messageAuthenticator });
          request.addAttributes(['User-Name', `user${n++ & 0xffff}`], ['User-Password', 'password']);
          try {
            await client.sendPacket(request, opts);
            if (counting) completed++;
          } catch {
            failures++;
          }
        }
      };
      const workers = Array.from({ length: inFlight }, worker);
      await sleep(500);
      counting = true;
      const t0 = performance.now();
      await sleep(seconds * 1000);
      counting = false;
      const elapsed = (performance.now() - t0) / 1000;
      stop = true;
      await Promise.all(workers);
      client.close();
      return { completed: completed / elapsed, failures };
    },
  };
}

/** npm `radius`: encode, dgram sockets of 256 identifiers each, decode and verify_response per reply. */
const npmRadius: Contender = {
  name: 'npm radius',
  async run(port, inFlight, seconds) {
    let stop = false;
    let counting = false;
    let completed = 0;
    let failures = 0;
    let n = 0;
    interface Slot {
      request: Buffer;
      sentAt: number;
    }
    const sockets: Socket[] = [];
    const slots: (Slot | undefined)[][] = [];
    const sendOne = (s: number, id: number) => {
      const request = radius.encode({
        code: 'Access-Request',
        secret: SECRET,
        identifier: id,
        attributes: [
          ['User-Name', `user${n++ & 0xffff}`],
          ['User-Password', 'password'],
        ],
      });
      slots[s][id] = { request, sentAt: performance.now() };
      sockets[s].send(request, port, '127.0.0.1');
    };
    const socketCount = Math.ceil(inFlight / 256);
    for (let s = 0; s < socketCount; s++) {
      const sock = createSocket('udp4');
      const table: (Slot | undefined)[] = new Array(256).fill(undefined);
      sock.on('message', (msg) => {
        const id = msg[1];
        const slot = table[id];
        if (!slot) return;
        const ok = radius.verify_response({ request: slot.request, response: msg, secret: SECRET });
        if (!ok) return;
        radius.decode({ packet: msg, secret: SECRET });
        table[id] = undefined;
        if (counting) completed++;
        if (!stop) sendOne(s, id);
      });
      sock.bind(0);
      await once(sock, 'listening');
      sock.setRecvBufferSize(1 << 20);
      sockets.push(sock);
      slots.push(table);
    }
    // Lost requests are replaced after 2 s, like the other contender's timeout.
    const sweep = setInterval(() => {
      const now = performance.now();
      for (let s = 0; s < socketCount; s++)
        for (let id = 0; id < 256; id++) {
          const slot = slots[s][id];
          if (slot && now - slot.sentAt > 2000) {
            failures++;
            slots[s][id] = undefined;
            if (!stop) sendOne(s, id);
          }
        }
    }, 500);
    for (let k = 0; k < inFlight; k++) sendOne(k >> 8, k & 0xff);
    await sleep(500);
    counting = true;
    const t0 = performance.now();
    await sleep(seconds * 1000);
    counting = false;
    const elapsed = (performance.now() - t0) / 1000;
    stop = true;
    await sleep(200);
    clearInterval(sweep);
    for (const sock of sockets) sock.close();
    return { completed: completed / elapsed, failures };
  },
};

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs every contender at every load, `rounds` times, rotating the order each round. */
export async function runClientBench(options: ClientBenchOptions = {}): Promise<ClientBenchResult[]> {
  const seconds = options.seconds ?? 3;
  const rounds = options.rounds ?? 3;
  const loads = options.inFlight ?? [256, 1024];
  const child = fork(fileURLToPath(import.meta.url), ['--responder'], { stdio: 'inherit' });
  try {
    const [{ port }] = (await once(child, 'message')) as [{ port: number }];
    const contenders = [ourClient(false), npmRadius, ourClient(true)];
    const results: ClientBenchResult[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const inFlight of loads) {
        for (let k = 0; k < contenders.length; k++) {
          const c = contenders[(k + round) % contenders.length];
          const { completed, failures } = await c.run(port, inFlight, seconds);
          results.push({ contender: c.name, inFlight, requestsPerSecond: completed, failures });
          console.log(
            `round ${round + 1}  ${String(inFlight).padStart(5)} in flight  ${c.name.padEnd(40)} ` +
              `${Math.round(completed).toLocaleString('en-US').padStart(8)} req/s  failures ${failures}`,
          );
        }
      }
    }
    return results;
  } finally {
    child.disconnect();
    child.kill();
  }
}

/** Medians per contender and load, with the ratio of aioradius to npm radius. */
export function summarize(results: readonly ClientBenchResult[]): string {
  const lines: string[] = [];
  const loads = [...new Set(results.map((r) => r.inFlight))];
  const names = [...new Set(results.map((r) => r.contender))];
  for (const inFlight of loads) {
    const med = new Map<string, number>();
    for (const name of names) {
      const vals = results.filter((r) => r.inFlight === inFlight && r.contender === name);
      med.set(name, median(vals.map((r) => r.requestsPerSecond)));
    }
    const base = med.get('npm radius') ?? Number.NaN;
    for (const name of names) {
      const v = med.get(name) ?? Number.NaN;
      lines.push(
        `${String(inFlight).padStart(5)} in flight  ${name.padEnd(40)} median ` +
          `${Math.round(v).toLocaleString('en-US').padStart(8)} req/s  ${(v / base).toFixed(2)}x npm radius`,
      );
    }
  }
  return lines.join('\n');
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--responder')) runResponder(Buffer.from(SECRET));
  else {
    const inFlight = arg('--inflight')?.split(',').map(Number);
    const results = await runClientBench({
      seconds: arg('--seconds') ? Number(arg('--seconds')) : undefined,
      rounds: arg('--rounds') ? Number(arg('--rounds')) : undefined,
      inFlight,
    });
    console.log(`\nmedians over rounds (requests/s completed, responder: node dgram + node:crypto MD5)`);
    console.log(summarize(results));
  }
}

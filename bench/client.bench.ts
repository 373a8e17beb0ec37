/**
 * Client throughput: requests/s that RadiusClient completes with N requests in flight, beside a
 * client built on npm `radius` with dgram sockets, against the same raw UDP responder (a child
 * process that answers every request with a bare Access-Accept).
 *
 * Both contenders do the same work per request: build an Access-Request with User-Name and a
 * hidden User-Password, send it, and check the reply against the request (Response Authenticator,
 * then decode). In the `+MA` pairs both also sign the request with Message-Authenticator, the
 * responder signs its reply with one too, and both verify it (RFC 3579 §3.2). The npm contender
 * sends each request as soon as its identifier frees, with dgram's default address lookup, as a
 * plain client does; RadiusClient's own transport (numeric lookup, one batch of sends per turn of
 * the event loop) is part of what is measured. Contenders alternate within each round (order
 * rotated per round). Each run reports requests/s, the client's CPU time per request (user +
 * system, the steadier figure on a busy machine), and how busy the responder was (below 100%: the
 * responder does not set the pace).
 * Run with `node build/bench/client.bench.js [--seconds 3] [--rounds 3] [--inflight 256,1024]`.
 */
import { fork } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import radius from 'radius';
import { RadiusClient } from '../src/client/radius-client.js';
import { HmacMd5Key, Md5 } from '../src/protocol/md5.js';
import { AccessRequest } from '../src/protocol/packet.js';

const SECRET = 'bench-secret';
const MESSAGE_AUTHENTICATOR = 80;

/** One measurement: a contender, its load, and what it achieved. */
export interface ClientBenchResult {
  contender: string;
  /** The npm `radius` contender doing the same work. */
  baseline: string;
  round: number;
  inFlight: number;
  requestsPerSecond: number;
  /** Client CPU time (user + system) per completed request, in microseconds. */
  cpuMicrosPerRequest: number;
  /** Share of one core the responder used meanwhile (0..1). */
  responderBusy: number;
  failures: number;
}

/** Options of the client benchmark. */
export interface ClientBenchOptions {
  seconds?: number;
  rounds?: number;
  inFlight?: number[];
  log?: (line: string) => void;
}

// ---------------------------------------------------------------------------------------------
// The responder (child process)

/** dgram looks up the address of every send; the responder only answers numeric ones, at once. */
function numericLookup(
  address: string,
  family: unknown,
  callback: (err: null, address: string, family: number) => void,
): void {
  callback(null, address, family === 6 ? 6 : 4);
}

function hasMessageAuthenticator(msg: Buffer): boolean {
  const end = Math.min(msg.length, msg.readUInt16BE(2));
  for (let at = 20; at + 2 <= end && msg[at + 1] >= 2; at += msg[at + 1])
    if (msg[at] === MESSAGE_AUTHENTICATOR) return true;
  return false;
}

/**
 * Answers every datagram with a bare Access-Accept (RFC 2865 §3), signed with Message-Authenticator
 * when the request carries one (RFC 3579 §3.2). As cheap as a Node responder gets (the codec's MD5,
 * no per-send lookup), so that it takes little of the shared CPUs and the clients set the pace.
 * Answers `'cpu'` messages with its process.cpuUsage().
 */
function runResponder(secret: Buffer): void {
  const md5 = new Md5();
  const hmac = new HmacMd5Key(secret);
  const sock = createSocket({
    type: 'udp4',
    recvBufferSize: 4 << 20,
    sendBufferSize: 4 << 20,
    lookup: numericLookup,
  });
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 20) return;
    const ma = hasMessageAuthenticator(msg);
    const length = ma ? 38 : 20;
    // A fresh buffer per reply: a send the kernel cannot take at once is queued by reference.
    const out = Buffer.allocUnsafe(length);
    out[0] = 2;
    out[1] = msg[1];
    out[2] = 0;
    out[3] = length;
    if (ma) {
      // HMAC over the reply with the Request Authenticator and a zeroed Message-Authenticator.
      msg.copy(out, 4, 4, 20);
      out[20] = MESSAGE_AUTHENTICATOR;
      out[21] = 18;
      out.fill(0, 22, 38);
      hmac.digestInto(out, 22, out, 0, 38);
    }
    md5.reset().update(out, 0, 4).update(msg, 4, 20);
    if (ma) md5.update(out, 20, 38);
    md5.update(secret).digestInto(out, 4);
    sock.send(out, rinfo.port, rinfo.address);
  });
  sock.bind(0, '127.0.0.1', () => process.send?.({ port: sock.address().port }));
  process.on('message', (m) => {
    if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Contenders: each keeps `inFlight` requests outstanding; `measure` counts completions in a window.

/** Starts load on `port`; `stop` ends it and resolves once every request has settled. */
interface Load {
  completed(): number;
  failures(): number;
  stop(): Promise<void>;
}

interface Contender {
  name: string;
  baseline: string;
  start(port: number, inFlight: number): Promise<Load>;
}

/** RadiusClient, one fresh AccessRequest (User-Name, User-Password) per call. */
function ourClient(messageAuthenticator: boolean): Contender {
  return {
    name: messageAuthenticator ? 'aioradius +MA' : 'aioradius',
    baseline: messageAuthenticator ? 'npm radius +MA' : 'npm radius',
    async start(port, inFlight) {
      // Its window as wide as the load, so that both contenders have N requests in flight.
      const client = new RadiusClient({ timeout: 2, retries: 0, maxInFlight: inFlight });
      const opts = { remoteHost: '127.0.0.1', remotePort: port };
      let stop = false;
      let completed = 0;
      let failures = 0;
      let n = 0;
      const worker = async () => {
        while (!stop) {
          const request = new AccessRequest(SECRET, { messageAuthenticator });
          request.addAttributes(['User-Name', `user${n++ & 0xffff}`], ['User-Password', 'password']);
          try {
            await client.sendPacket(request, opts);
            completed++;
          } catch {
            failures++;
          }
        }
      };
      const workers = Array.from({ length: inFlight }, worker);
      return {
        completed: () => completed,
        failures: () => failures,
        async stop() {
          stop = true;
          await Promise.all(workers);
          client.close();
        },
      };
    },
  };
}

/** npm `radius`: encode, dgram sockets of 256 identifiers each, verify_response and decode per reply. */
function npmRadius(messageAuthenticator: boolean): Contender {
  const name = messageAuthenticator ? 'npm radius +MA' : 'npm radius';
  return {
    name,
    baseline: name,
    async start(port, inFlight) {
      let stop = false;
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
          add_message_authenticator: messageAuthenticator,
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
          // Checks the Response Authenticator, and Message-Authenticator when the request had one.
          const ok = radius.verify_response({ request: slot.request, response: msg, secret: SECRET });
          if (!ok) return;
          radius.decode({ packet: msg, secret: SECRET });
          table[id] = undefined;
          completed++;
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
      return {
        completed: () => completed,
        failures: () => failures,
        async stop() {
          stop = true;
          await sleep(200);
          clearInterval(sweep);
          for (const sock of sockets) sock.close();
        },
      };
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The responder's CPU time so far, in microseconds. */
async function responderCpu(child: ReturnType<typeof fork>): Promise<number> {
  const reply = once(child, 'message') as Promise<[{ cpu: NodeJS.CpuUsage }]>;
  child.send('cpu');
  const [{ cpu }] = await reply;
  return cpu.user + cpu.system;
}

/** Runs every contender at every load, `rounds` times, rotating the order each round. */
export async function runClientBench(options: ClientBenchOptions = {}): Promise<ClientBenchResult[]> {
  const seconds = options.seconds ?? 3;
  const rounds = options.rounds ?? 3;
  const loads = options.inFlight ?? [256, 1024];
  const log = options.log ?? (() => {});
  const child = fork(fileURLToPath(import.meta.url), ['--responder'], { stdio: 'inherit' });
  try {
    const [{ port }] = (await once(child, 'message')) as [{ port: number }];
    const contenders = [ourClient(false), npmRadius(false), ourClient(true), npmRadius(true)];
    const results: ClientBenchResult[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const inFlight of loads) {
        for (let k = 0; k < contenders.length; k++) {
          const c = contenders[(k + round) % contenders.length];
          const load = await c.start(port, inFlight);
          await sleep(500);
          const r0 = await responderCpu(child);
          const c0 = process.cpuUsage();
          const n0 = load.completed();
          const t0 = performance.now();
          await sleep(seconds * 1000);
          const n1 = load.completed();
          const t1 = performance.now();
          const cpu = process.cpuUsage(c0);
          const r1 = await responderCpu(child);
          await load.stop();
          const elapsed = (t1 - t0) / 1000;
          const done = n1 - n0;
          const result: ClientBenchResult = {
            contender: c.name,
            baseline: c.baseline,
            round,
            inFlight,
            requestsPerSecond: done / elapsed,
            cpuMicrosPerRequest: (cpu.user + cpu.system) / done,
            responderBusy: (r1 - r0) / 1e6 / elapsed,
            failures: load.failures(),
          };
          results.push(result);
          log(
            `round ${round + 1}  ${String(inFlight).padStart(5)} in flight  ${c.name.padEnd(15)} ` +
              `${Math.round(result.requestsPerSecond).toLocaleString('en-US').padStart(8)} req/s  ` +
              `client ${result.cpuMicrosPerRequest.toFixed(1).padStart(5)} µs CPU/req  ` +
              `responder busy ${Math.round(result.responderBusy * 100)}%  failures ${result.failures}`,
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

/** Median req/s and CPU/req of one contender, and its median ratio per round against another. */
function compare(mine: readonly ClientBenchResult[], base: readonly ClientBenchResult[]): string {
  const paired = mine.flatMap((r) => {
    const b = base.find((x) => x.round === r.round);
    return b ? [r.requestsPerSecond / b.requestsPerSecond] : [];
  });
  const rps = median(mine.map((r) => r.requestsPerSecond)) / median(base.map((r) => r.requestsPerSecond));
  const cpu = median(base.map((r) => r.cpuMicrosPerRequest)) / median(mine.map((r) => r.cpuMicrosPerRequest));
  return `${rps.toFixed(2)}x req/s (per round ${median(paired).toFixed(2)}x), ${cpu.toFixed(2)}x less CPU/req`;
}

/**
 * Medians per contender and load, and each aioradius contender against the npm `radius` one doing
 * the same work: the ratio of the median requests/s, the median of the per-round ratios (both ran
 * in the same round, so shared-machine noise cancels), and the ratio of CPU time per request.
 * `+MA` rows are also set against plain npm `radius`, which does less work.
 */
export function summarize(results: readonly ClientBenchResult[]): string {
  const lines: string[] = [];
  const loads = [...new Set(results.map((r) => r.inFlight))];
  const names = [...new Set(results.map((r) => r.contender))];
  const of = (inFlight: number, name: string) =>
    results.filter((r) => r.inFlight === inFlight && r.contender === name);
  for (const inFlight of loads) {
    for (const name of names) {
      const mine = of(inFlight, name);
      const rps = median(mine.map((r) => r.requestsPerSecond));
      const cpu = median(mine.map((r) => r.cpuMicrosPerRequest));
      lines.push(
        `${String(inFlight).padStart(5)} in flight  ${name.padEnd(15)} median ` +
          `${Math.round(rps).toLocaleString('en-US').padStart(8)} req/s  ${cpu.toFixed(1).padStart(5)} µs CPU/req`,
      );
      const baseline = mine[0]?.baseline;
      if (baseline === undefined || baseline === name) continue;
      for (const other of new Set([baseline, 'npm radius'])) {
        const base = of(inFlight, other);
        if (base.length > 0) lines.push(`${' '.repeat(23)}vs ${other.padEnd(15)} ${compare(mine, base)}`);
      }
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
      log: (line) => console.log(line),
    });
    console.log(
      `\nnode ${process.version}; medians over rounds; +MA: Message-Authenticator in requests and replies, ` +
        `both verified`,
    );
    console.log(summarize(results));
  }
}

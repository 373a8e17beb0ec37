/**
 * An open-loop load: PAP Access-Requests sent at a fixed rate whatever the server answers (a
 * closed-loop generator slows down with the server and can never overload it). Every request is
 * distinct (its own identifier, source port and Request Authenticator, signed and hidden with the
 * secret), built before the run into one buffer so that sending allocates nothing; replies are
 * counted, not verified. Runs in a process of its own ({@link startBlaster}); the parent sets the
 * rate per phase and reads the counts each second.
 */
import { fork } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { AccessRequest } from '../src/protocol/packet.js';
import { numericLookup } from '../src/transport/udp.js';

/** What the blaster sends and how many distinct requests it prepares. */
export interface BlasterOptions {
  port: number;
  secret: string;
  user: string;
  password: string;
  /** Distinct requests prepared and sent in a cycle (enough that none repeats within the server's duplicate window). */
  pool: number;
  /** Source sockets (a request's source port is part of its duplicate key). */
  sockets: number;
}

/** Counts since the start, read by the parent. */
export interface BlasterCounts {
  sent: number;
  replies: number;
}

/** The parent's handle on a blaster process. */
export interface Blaster {
  /** Requests per second from now on (0 pauses). */
  setRate(rate: number): void;
  /** Totals so far. */
  counts(): Promise<BlasterCounts>;
  stop(): void;
}

type ToChild = { rate: number } | 'counts' | 'stop';

/** Forks the blaster and resolves once its requests are prepared. */
export function startBlaster(options: BlasterOptions): Promise<Blaster> {
  const child = fork(fileURLToPath(import.meta.url), ['--child'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  const waiting: Array<(c: BlasterCounts) => void> = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the blaster did not get ready within 120 s'));
    }, 120_000);
    child.once('exit', (code) => reject(new Error(`the blaster exited with ${code}`)));
    child.on('message', (m: 'ready' | BlasterCounts) => {
      if (m === 'ready') {
        clearTimeout(timer);
        resolve({
          setRate: (rate) => child.send({ rate } satisfies ToChild),
          counts: () =>
            new Promise((done) => {
              waiting.push(done);
              child.send('counts' satisfies ToChild);
            }),
          stop: () => {
            child.removeAllListeners('exit');
            child.kill('SIGKILL');
          },
        });
      } else waiting.shift()?.(m);
    });
    child.send(options);
  });
}

/** In the child: prepares the requests, then sends at the rate the parent sets. */
async function runChild(o: BlasterOptions): Promise<void> {
  const sockets: Socket[] = [];
  const counts: BlasterCounts = { sent: 0, replies: 0 };
  for (let i = 0; i < o.sockets; i++) {
    const s = createSocket({ type: 'udp4', lookup: numericLookup });
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    s.setSendBufferSize(4 * 1024 * 1024);
    s.setRecvBufferSize(4 * 1024 * 1024);
    s.on('message', () => {
      counts.replies++;
    });
    sockets.push(s);
  }
  // One buffer holds every request; offsets and lengths index it.
  const offsets = new Int32Array(o.pool);
  const lengths = new Int32Array(o.pool);
  const chunks: Buffer[] = [];
  let total = 0;
  for (let i = 0; i < o.pool; i++) {
    const bytes = new AccessRequest(o.secret, { identifier: i & 0xff })
      .addAttributes(['User-Name', o.user], ['User-Password', o.password], ['NAS-IP-Address', '127.0.0.1'])
      .encode();
    offsets[i] = total;
    lengths[i] = bytes.length;
    total += bytes.length;
    chunks.push(bytes);
  }
  const all = Buffer.concat(chunks, total);
  chunks.length = 0;

  let rate = 0;
  let next = 0;
  let phaseStart = performance.now();
  let phaseSent = 0;
  const tick = (): void => {
    if (rate > 0) {
      // Catch up to where the rate says we should be (bounded per turn, so replies are still read).
      const due = Math.min(Math.floor(((performance.now() - phaseStart) * rate) / 1000) - phaseSent, 2000);
      for (let k = 0; k < due; k++) {
        const i = next;
        next = next + 1 === o.pool ? 0 : next + 1;
        // The socket is picked by the request's index: a request always leaves from the same port.
        sockets[(i >> 8) % sockets.length].send(all, offsets[i], lengths[i], o.port, '127.0.0.1');
        phaseSent++;
        counts.sent++;
      }
    }
    setImmediate(tick);
  };
  process.on('message', (m: ToChild) => {
    if (m === 'counts') process.send?.(counts);
    else if (m === 'stop') process.exit(0);
    else {
      rate = m.rate;
      phaseStart = performance.now();
      phaseSent = 0;
    }
  });
  process.once('disconnect', () => process.exit(0));
  setImmediate(tick);
  process.send?.('ready');
}

if (process.argv.includes('--child') && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.once('message', (o: BlasterOptions) => {
    runChild(o).catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
  });
}

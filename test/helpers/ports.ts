// Free loopback ports for tests that start real peers on non-default ports.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Options for picking free ports. */
export interface FreePortOptions {
  /** Also require the port to be free on ::1 (a peer that listens on both families). */
  ipv6?: boolean;
  /** Also require the TCP port to be free (RADIUS over TCP/TLS). */
  tcp?: boolean;
}

// Ports handed out by this process: never give the same one twice, even after its probe closed.
const handedOut = new Set<number>();

// Pick below the kernel's ephemeral range so a port we hand out is never taken meanwhile as the
// source port of some client socket (radclient, pyrad, our own client).
function candidateRange(): [number, number] {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const ephemeralLow = Number(low);
    if (Number.isInteger(ephemeralLow) && ephemeralLow > 12000) return [10000, ephemeralLow - 1];
  } catch {
    // not Linux: fall through to the IANA dynamic-range complement
  }
  return [20000, 32767];
}

function bindUdp(port: number, address: string): Promise<dgram.Socket | null> {
  return new Promise((resolve) => {
    const sock = address.includes(':')
      ? dgram.createSocket({ type: 'udp6', ipv6Only: true })
      : dgram.createSocket({ type: 'udp4' });
    sock.once('error', () => {
      sock.close();
      resolve(null);
    });
    sock.bind({ port, address, exclusive: true }, () => resolve(sock));
  });
}

function bindTcp(port: number, address: string): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(null));
    srv.listen({ port, host: address, exclusive: true }, () => resolve(srv));
  });
}

type Probe = { close(): void };

async function probe(port: number, opts: FreePortOptions): Promise<Probe[] | null> {
  const held: Probe[] = [];
  const addresses = opts.ipv6 ? ['127.0.0.1', '::1'] : ['127.0.0.1'];
  for (const address of addresses) {
    const u = await bindUdp(port, address);
    if (!u) break;
    held.push(u);
    if (opts.tcp) {
      const t = await bindTcp(port, address);
      if (!t) break;
      held.push(t);
    }
  }
  if (held.length === addresses.length * (opts.tcp ? 2 : 1)) return held;
  for (const h of held) h.close();
  return null;
}

/** Returns `count` distinct ports that are free on loopback right now (UDP, plus ::1/TCP if asked). */
export async function freePorts(count: number, opts: FreePortOptions = {}): Promise<number[]> {
  const [low, high] = candidateRange();
  const found: number[] = [];
  const held: Probe[] = [];
  try {
    // Bounded: a busy machine still has thousands of free ports in the range.
    for (let attempt = 0; attempt < 500 && found.length < count; attempt++) {
      const port = low + Math.floor(Math.random() * (high - low + 1));
      if (handedOut.has(port) || found.includes(port)) continue;
      const p = await probe(port, opts);
      if (!p) continue;
      held.push(...p);
      found.push(port);
    }
  } finally {
    for (const h of held) h.close();
  }
  if (found.length < count) throw new Error(`could not find ${count} free loopback ports`);
  for (const p of found) handedOut.add(p);
  return found;
}

/** Returns one port that is free on loopback right now. */
export async function freePort(opts: FreePortOptions = {}): Promise<number> {
  const [port] = await freePorts(1, opts);
  return port;
}

let ipv6Loopback: Promise<boolean> | undefined;

/** True when ::1 can be bound here (some containers run with IPv6 disabled). */
export function ipv6LoopbackAvailable(): Promise<boolean> {
  ipv6Loopback ??= bindUdp(0, '::1').then((s) => {
    s?.close();
    return s !== null;
  });
  return ipv6Loopback;
}

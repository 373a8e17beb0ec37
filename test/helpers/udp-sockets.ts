// Which UDP sockets a process holds: to show that a server opened none, without binding the
// well-known ports (1812, 1813, 3799) it would otherwise have taken.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * UDP sockets open in this process, once sockets being closed are gone (a handle closes in a
 * later turn of the event loop).
 */
export async function udpSocketsOpen(): Promise<number> {
  await sleep(20);
  return process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
}

/** Whether {@link udpPortsOf} can look into other processes (Linux's /proc). */
export const procNetAvailable = existsSync('/proc/self/fd') && existsSync('/proc/net/udp');

/** The local ports of the UDP sockets (IPv4 and IPv6) process `pid` holds, from /proc. */
export function udpPortsOf(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]);
  }
  const ports: number[] = [];
  for (const table of [`/proc/${pid}/net/udp`, `/proc/${pid}/net/udp6`]) {
    if (!existsSync(table)) continue;
    // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode"
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || !inodes.has(cols[9])) continue;
      ports.push(Number.parseInt(cols[1].split(':')[1], 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

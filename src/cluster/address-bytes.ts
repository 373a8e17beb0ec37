// An IP address and port in the few octets the cluster's datagrams and States carry.
import { isIP } from 'node:net';
import { readIPv4, readIPv6, writeIPv4, writeIPv6 } from '../protocol/address.js';

/** Family octet (4 or 6), the address, the port: 7 or 19 octets. */
export function encodeAddressPort(host: string, port: number): Buffer {
  const v6 = isIP(host) === 6;
  const out = Buffer.alloc(v6 ? 19 : 7);
  out[0] = v6 ? 6 : 4;
  const ok = v6 ? writeIPv6(host, out, 1) : writeIPv4(host, out, 1);
  if (!ok) throw new RangeError(`not an IP address: ${host}`);
  out.writeUInt16BE(port, out.length - 2);
  return out;
}

/** Reads what encodeAddressPort wrote at `off`; undefined when the octets do not hold one. */
export function decodeAddressPort(
  buf: Buffer,
  off: number,
): { host: string; port: number; length: number } | undefined {
  const family = buf[off];
  const size = family === 4 ? 4 : family === 6 ? 16 : 0;
  if (size === 0 || buf.length < off + 1 + size + 2) return undefined;
  const host = size === 4 ? readIPv4(buf, off + 1) : readIPv6(buf, off + 1);
  return { host, port: buf.readUInt16BE(off + 1 + size), length: 3 + size };
}

/** "host:port" or "[v6]:port" into its parts; throws RangeError on anything else. */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || isIP(m[1]) === 0 || !(port >= 0 && port < 65536)) {
    throw new RangeError(`not an IP address and port: ${address}`);
  }
  return { host: m[1], port };
}

/** "host:port" in one canonical form (IPv6 in brackets, RFC 5952 text), to compare addresses. */
export function joinHostPort(host: string, port: number): string {
  if (isIP(host) !== 6) return `${host}:${port}`;
  const b = Buffer.alloc(16);
  writeIPv6(host, b, 0);
  return `[${readIPv6(b, 0)}]:${port}`;
}

// Ascend binary filters (`abinary`: Ascend-Data-Filter, Ascend-Call-Filter, ...). NASes of the
// Ascend/Lucent line and many that copied them (ERX, Alcatel SR...) read a fixed binary layout, not
// text: a 4-byte header (type, forward, direction, pad) and a type-specific body, 32 bytes in all
// (48 for IPv6). The text form is the one FreeRADIUS parses in its users files and prints in
// radclient -x, so that operators can move filters between the two unchanged:
//
//   ip   in|out forward|drop [srcip A.B.C.D[/N]] [dstip A.B.C.D[/N]] [PROTO]   (also A[.B[.C]]/N, /N)
//        [srcport CMP PORT] [dstport CMP PORT] [est]
//   ipv6 in|out forward|drop [srcip ADDR[/N]] [dstip ADDR[/N]] [PROTO] [srcport ...] [dstport ...] [est]
//   ipx  in|out forward|drop [srcipxnet NET srcipxnode NODE [srcipxsock CMP SOCK]] [dstipxnet ...]
//   generic in|out forward|drop OFFSET MASK VALUE [==|!=] [more]
//
// where CMP is one of = != < >. Keywords are case-insensitive; the fields after the header may come
// in any order, each once.

import { InvalidValueError } from '../errors.js';
import { readIPv6, writeIPv6 } from './address.js';

/** Wire size of an IPv4, IPX or generic Ascend filter. */
export const ASCEND_FILTER_LENGTH = 32;
/** Wire size of an IPv6 Ascend filter (the header and a 44-byte IPv6 body). */
export const ASCEND_IPV6_FILTER_LENGTH = 48;

// Filter types (the first octet); 0 is generic.
const IP = 1;
const IPX = 2;
const IPV6 = 3;

const TYPE_NAMES = ['generic', 'ip', 'ipx', 'ipv6'];

// Port comparisons as stored in the filter: 0 means "no comparison".
const COMPARE: Record<string, number> = { '<': 1, '=': 2, '>': 3, '!=': 4 };
const COMPARE_NAMES = ['', '<', '=', '>', '!='];

// The protocol names the filter syntax has always known; any other protocol is given by number.
const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, ospf: 89, icmp: 1 };
const PROTOCOL_NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 89: 'ospf', 1: 'icmp' };

// Well-known ports accepted by name (printed back as numbers).
const PORTS: Record<string, number> = {
  'ftp-data': 20,
  ftp: 21,
  telnet: 23,
  smtp: 25,
  nameserver: 42,
  domain: 53,
  tftp: 69,
  gopher: 70,
  finger: 79,
  www: 80,
  kerberos: 88,
  hostname: 101,
  nntp: 119,
  ntp: 123,
  exec: 512,
  login: 513,
  cmd: 514,
  talk: 517,
};

/** A token of the text that is not valid where it stands. */
class FilterSyntax {
  constructor(
    readonly token: string,
    readonly why: string,
  ) {}
}

function fail(token: string | undefined, why: string): never {
  throw new FilterSyntax(token ?? '', why);
}

/**
 * Encodes Ascend filter text to its binary layout (32 bytes, 48 for `ipv6`); invalid text is an
 * InvalidValueError for `attribute` that names the offending token.
 */
export function encodeAscendFilter(text: string, attribute = 'Ascend-Data-Filter'): Buffer {
  const tokens = text.trim().split(/\s+/).filter(Boolean);
  try {
    return parseFilter(tokens);
  } catch (err) {
    if (!(err instanceof FilterSyntax)) throw err;
    const where = err.token === '' ? 'the filter ends too early' : `bad token "${err.token}"`;
    throw new InvalidValueError(attribute, `${where} in Ascend filter "${text}": ${err.why}`);
  }
}

function parseFilter(tokens: string[]): Buffer {
  const kind = tokens[0]?.toLowerCase();
  const type = kind === undefined ? -1 : TYPE_NAMES.indexOf(kind);
  if (type < 0) fail(tokens[0], 'the filter type must be ip, ipv6, ipx or generic');
  const out = Buffer.alloc(type === IPV6 ? ASCEND_IPV6_FILTER_LENGTH : ASCEND_FILTER_LENGTH);
  out[0] = type;
  const dir = tokens[1]?.toLowerCase();
  if (dir !== 'in' && dir !== 'out') fail(tokens[1], 'the direction must be in or out');
  out[2] = dir === 'in' ? 1 : 0;
  const action = tokens[2]?.toLowerCase();
  if (action !== 'forward' && action !== 'drop') fail(tokens[2], 'the action must be forward or drop');
  out[1] = action === 'forward' ? 1 : 0;
  const rest = tokens.slice(3);
  if (type === IP || type === IPV6) parseIp(rest, out, type === IPV6);
  else if (type === IPX) parseIpx(rest, out);
  else parseGeneric(rest, out);
  return out;
}

// Offsets of the IP fields after the 4-byte header; IPv6 has 16-byte addresses.
interface IpLayout {
  srcIp: number;
  dstIp: number;
  srcLen: number;
  dstLen: number;
  proto: number;
  est: number;
  srcPort: number;
  dstPort: number;
  srcCmp: number;
  dstCmp: number;
}

const IPV4_LAYOUT: IpLayout = {
  srcIp: 4,
  dstIp: 8,
  srcLen: 12,
  dstLen: 13,
  proto: 14,
  est: 15,
  srcPort: 16,
  dstPort: 18,
  srcCmp: 20,
  dstCmp: 21,
};

const IPV6_LAYOUT: IpLayout = {
  srcIp: 4,
  dstIp: 20,
  srcLen: 36,
  dstLen: 37,
  proto: 38,
  est: 39,
  srcPort: 40,
  dstPort: 42,
  srcCmp: 44,
  dstCmp: 45,
};

function parseIp(tokens: string[], out: Buffer, v6: boolean): void {
  const at = v6 ? IPV6_LAYOUT : IPV4_LAYOUT;
  const seen = new Set<string>();
  let i = 0;
  const once = (what: string, token: string) => {
    if (seen.has(what)) fail(token, `${what} given twice`);
    seen.add(what);
  };
  while (i < tokens.length) {
    const token = tokens[i];
    const word = token.toLowerCase();
    if (word === 'srcip' || word === 'dstip') {
      once(word, token);
      const src = word === 'srcip';
      const addr = tokens[i + 1];
      if (addr === undefined) fail(undefined, `${word} needs an address`);
      const bits = v6
        ? parseIPv6Prefix(addr, out, src ? at.srcIp : at.dstIp)
        : parseIPv4Prefix(addr, out, src ? at.srcIp : at.dstIp);
      out[src ? at.srcLen : at.dstLen] = bits;
      i += 2;
    } else if (word === 'srcport' || word === 'dstport') {
      once(word, token);
      const src = word === 'srcport';
      out[src ? at.srcCmp : at.dstCmp] = parseCompare(tokens[i + 1]);
      out.writeUInt16BE(parsePort(tokens[i + 2]), src ? at.srcPort : at.dstPort);
      i += 3;
    } else if (word === 'est' || word === 'established') {
      once('est', token);
      out[at.est] = 1;
      i++;
    } else {
      // Anything else must be the protocol, by name or number.
      if (seen.has('protocol')) fail(token, 'not a filter keyword (the protocol is already given)');
      seen.add('protocol');
      out[at.proto] = parseProtocol(token);
      i++;
    }
  }
}

function parseProtocol(token: string): number {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    if (n > 255) fail(token, 'an IP protocol number is 0..255');
    return n;
  }
  const n = PROTOCOLS[token.toLowerCase()];
  if (n === undefined) fail(token, 'not a filter keyword nor a protocol (tcp, udp, icmp, ospf or a number)');
  return n;
}

function parseCompare(token: string | undefined): number {
  const c = token === undefined ? undefined : COMPARE[token];
  if (c === undefined) fail(token, 'a port comparison is one of = != < >');
  return c;
}

function parsePort(token: string | undefined): number {
  if (token === undefined) fail(token, 'a port comparison needs a port');
  const n = /^\d+$/.test(token) ? Number(token) : PORTS[token.toLowerCase()];
  if (n === undefined || n > 65535) fail(token, 'a port is 0..65535 or a known service name');
  return n;
}

// `A.B.C.D[/N]`; without /N the length is the address's class (A /8, B /16, C /24, else /32; 0.0.0.0
// is /0), as the filter syntax has always read it. With /N the address may be short, its missing
// trailing bytes zero (`10/8` is 10.0.0.0/8), or absent (`/24`: address 0, length 24), as FreeRADIUS
// reads it. A short address without /N is refused: FreeRADIUS would drop its last byte unsaid.
function parseIPv4Prefix(text: string, out: Buffer, off: number): number {
  const m = /^(\d{1,3}(?:\.\d{1,3}){0,3})?(?:\/(\d{1,2}))?$/.exec(text);
  const bytes = m?.[1]?.split('.') ?? [];
  if (!m || (m[2] === undefined && bytes.length !== 4))
    fail(text, 'an IPv4 address is A.B.C.D or A.B.C.D/N (A/N, A.B/N, A.B.C/N and /N leave the rest 0)');
  for (let k = 0; k < 4; k++) {
    const n = k < bytes.length ? Number(bytes[k]) : 0;
    if (n > 255) fail(text, 'an address byte is 0..255');
    out[off + k] = n;
  }
  if (m[2] !== undefined) {
    const bits = Number(m[2]);
    if (bits > 32) fail(text, 'an IPv4 prefix length is 0..32');
    return bits;
  }
  const first = out[off];
  if (out.readUInt32BE(off) === 0) return 0;
  if ((first & 0x80) === 0) return 8;
  if ((first & 0xc0) === 0x80) return 16;
  if ((first & 0xe0) === 0xc0) return 24;
  return 32;
}

function parseIPv6Prefix(text: string, out: Buffer, off: number): number {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const bits = slash < 0 ? 128 : /^\d{1,3}$/.test(text.slice(slash + 1)) ? Number(text.slice(slash + 1)) : -1;
  if (bits < 0 || bits > 128) fail(text, 'an IPv6 prefix length is 0..128');
  if (!writeIPv6(addr, out, off)) fail(text, 'not an IPv6 address');
  return bits;
}

// IPX body: source net (4), node (6), socket (2), then the destination's, then the two socket
// comparisons.
function parseIpx(tokens: string[], out: Buffer): void {
  const seen = new Set<string>();
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i];
    const word = token.toLowerCase();
    if (word !== 'srcipxnet' && word !== 'dstipxnet') {
      fail(token, 'an IPX filter holds srcipxnet and dstipxnet clauses only');
    }
    if (seen.has(word)) fail(token, `${word} given twice`);
    seen.add(word);
    const side = word.slice(0, 3);
    const base = side === 'src' ? 4 : 16;
    const net = tokens[i + 1];
    if (net === undefined || !/^(0x)?[0-9a-f]{1,8}$/i.test(net))
      fail(net, 'an IPX net is up to 8 hex digits');
    out.writeUInt32BE(Number.parseInt(net.replace(/^0x/i, ''), 16), base);
    if (tokens[i + 2]?.toLowerCase() !== `${side}ipxnode`) fail(tokens[i + 2], `${side}ipxnode must follow`);
    const node = tokens[i + 3];
    if (node === undefined || !/^(0x)?[0-9a-f]{12}$/i.test(node)) fail(node, 'an IPX node is 12 hex digits');
    out.write(node.replace(/^0x/i, ''), base + 4, 'hex');
    i += 4;
    if (tokens[i]?.toLowerCase() === `${side}ipxsock`) {
      out[side === 'src' ? 28 : 29] = parseCompare(tokens[i + 1]);
      const sock = tokens[i + 2];
      if (sock === undefined || !/^(0x)?[0-9a-f]{1,4}$/i.test(sock))
        fail(sock, 'an IPX socket is up to 4 hex digits');
      out.writeUInt16BE(Number.parseInt(sock.replace(/^0x/i, ''), 16), base + 10);
      i += 3;
    }
  }
}

// Generic body: offset (2), length (2), more (2), mask (6), value (6), compNeq (1).
function parseGeneric(tokens: string[], out: Buffer): void {
  if (tokens.length === 0) return;
  const [offset, mask, value, ...rest] = tokens;
  if (!/^\d+$/.test(offset) || Number(offset) > 65535) fail(offset, 'the offset is 0..65535');
  out.writeUInt16BE(Number(offset), 4);
  if (mask === undefined || !/^[0-9a-f]{12}$/i.test(mask))
    fail(mask, 'the mask is 6 bytes in hex (12 digits)');
  if (value === undefined || !/^[0-9a-f]{12}$/i.test(value))
    fail(value, 'the value is 6 bytes in hex (12 digits)');
  out.writeUInt16BE(6, 6);
  out.write(mask, 10, 'hex');
  out.write(value, 16, 'hex');
  const seen = new Set<string>();
  for (const token of rest) {
    const word = token.toLowerCase();
    const what = word === 'more' ? 'more' : word === '==' || word === '!=' ? 'comparison' : undefined;
    if (what === undefined) fail(token, 'after the value come only == or != and more');
    if (seen.has(what)) fail(token, `${what} given twice`);
    seen.add(what);
    if (word === 'more') out.writeUInt16BE(1, 8);
    else out[22] = word === '!=' ? 1 : 0;
  }
}

/**
 * Decodes an Ascend filter to its text, as FreeRADIUS prints it; undefined when the bytes are not a
 * filter of a known type and size, or hold what the text cannot carry (the caller keeps them as
 * bytes). Text returned here always encodes back to the same bytes.
 */
export function decodeAscendFilter(buf: Uint8Array, start = 0, end = buf.length): string | undefined {
  const len = end - start;
  if (len < ASCEND_FILTER_LENGTH) return undefined;
  const b = Buffer.from(buf.buffer, buf.byteOffset + start, len);
  const type = b[0];
  if (type > IPV6 || (type === IPV6 ? len !== ASCEND_IPV6_FILTER_LENGTH : len !== ASCEND_FILTER_LENGTH)) {
    return undefined;
  }
  // The text has a word for 0 and 1 of action and direction, none for other values or the pad.
  if (b[1] > 1 || b[2] > 1 || b[3] !== 0) return undefined;
  const head = `${TYPE_NAMES[type]} ${b[2] ? 'in' : 'out'} ${b[1] ? 'forward' : 'drop'}`;
  let body: string | undefined;
  if (type === IP || type === IPV6) body = formatIp(b, type === IPV6);
  else if (type === IPX) body = formatIpx(b);
  else body = formatGeneric(b);
  return body === undefined ? undefined : head + body;
}

/** True when `b[from, to)` is all zero. */
function zeros(b: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (b[k] !== 0) return false;
  return true;
}

// FreeRADIUS prints a bad comparison as "??" and leaves out a port without one; neither reads back,
// so such a filter stays bytes (FreeRADIUS keeps and relays its bytes too).
function formatIp(b: Buffer, v6: boolean): string | undefined {
  const at = v6 ? IPV6_LAYOUT : IPV4_LAYOUT;
  const size = v6 ? 16 : 4;
  let text = '';
  for (const [word, ip, bits] of [
    ['srcip', at.srcIp, at.srcLen],
    ['dstip', at.dstIp, at.dstLen],
  ] as const) {
    // An all-zero address means "any" and is left out, with its (zero) prefix length.
    if (zeros(b, ip, ip + size)) {
      if (b[bits] !== 0) return undefined;
      continue;
    }
    if (b[bits] > size * 8) return undefined;
    const addr = v6 ? readIPv6(b, ip) : `${b[ip]}.${b[ip + 1]}.${b[ip + 2]}.${b[ip + 3]}`;
    text += ` ${word} ${addr}/${b[bits]}`;
  }
  // FreeRADIUS prints "??" for a protocol it has no name for; the number reads back.
  const proto = b[at.proto];
  text += ` ${PROTOCOL_NAMES[proto] ?? String(proto)}`;
  for (const [word, port, cmp] of [
    ['srcport', at.srcPort, at.srcCmp],
    ['dstport', at.dstPort, at.dstCmp],
  ] as const) {
    const c = b[cmp];
    if (c >= COMPARE_NAMES.length || (c === 0 && b.readUInt16BE(port) !== 0)) return undefined;
    if (c !== 0) text += ` ${word} ${COMPARE_NAMES[c]} ${b.readUInt16BE(port)}`;
  }
  if (b[at.est] > 1) return undefined;
  if (b[at.est] !== 0) text += ' est';
  return zeros(b, at.dstCmp + 1, b.length) ? text : undefined;
}

function formatIpx(b: Buffer): string | undefined {
  let text = '';
  for (const [side, base, cmp] of [
    ['src', 4, 28],
    ['dst', 16, 29],
  ] as const) {
    const c = b[cmp];
    const net = b.readUInt32BE(base);
    // Without a net the side is left out: its node, socket and comparison must be zero too.
    if (net === 0) {
      if (c !== 0 || !zeros(b, base + 4, base + 12)) return undefined;
      continue;
    }
    if (c >= COMPARE_NAMES.length || (c === 0 && b.readUInt16BE(base + 10) !== 0)) return undefined;
    const node = b.toString('hex', base + 4, base + 10);
    text += ` ${side}ipxnet 0x${net.toString(16).padStart(4, '0')} ${side}ipxnode 0x${node}`;
    if (c !== 0) {
      const sock = b
        .readUInt16BE(base + 10)
        .toString(16)
        .padStart(4, '0');
      text += ` ${side}ipxsock ${COMPARE_NAMES[c]} 0x${sock}`;
    }
  }
  return zeros(b, 30, ASCEND_FILTER_LENGTH) ? text : undefined;
}

// FreeRADIUS 3.2 prints nothing past the header when the length field is 6, the only length its
// parser writes (a `>=` where `>` was meant); the whole filter is printed here, so that the text
// reads back to the same bytes. A filter with no match (length 0, all zero) is the header alone.
function formatGeneric(b: Buffer): string | undefined {
  const n = b.readUInt16BE(6);
  if (n === 0) return zeros(b, 4, ASCEND_FILTER_LENGTH) ? '' : undefined;
  // The text always has 6-byte masks: another length would not read back, so it stays bytes.
  if (n !== 6) return undefined;
  // "more" and "!=" are flags the text can only write as 1; the fill must be zero.
  const more = b.readUInt16BE(8);
  if (more > 1 || b[22] > 1 || !zeros(b, 23, ASCEND_FILTER_LENGTH)) return undefined;
  const mask = b.toString('hex', 10, 16);
  const value = b.toString('hex', 16, 22);
  return ` ${b.readUInt16BE(4)} ${mask} ${value} ${b[22] ? '!=' : '=='}${more ? ' more' : ''}`;
}

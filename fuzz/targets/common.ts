// What the fuzz targets share: the oracle (only RadiusError may escape), the dictionaries the
// decoder runs with, and a reader that touches every attribute of a decoded packet.
import { existsSync } from 'node:fs';
import { inspect } from 'node:util';
import { formatAttributes } from '../../src/cli/format.js';
import { Dictionary, defaultDictionary } from '../../src/dictionary/dictionary.js';
import { RadiusError } from '../../src/errors.js';
import { jsonValue } from '../../src/protocol/attributes.js';
import { computeMessageAuthenticator, signPacket } from '../../src/protocol/authenticator.js';
import type { Packet } from '../../src/protocol/packet.js';

export const SECRET = Buffer.from('fuzz-secret');

/**
 * Runs `fn`: malformed input may only raise our typed errors, so a RadiusError is swallowed (and
 * returned) and anything else is rethrown, which the fuzzer reports as a finding.
 */
export function typed<T>(fn: () => T): T | RadiusError {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RadiusError) return err;
    throw err;
  }
}

/** A finding that is not an exception of the code under test: a broken invariant. */
export class InvariantError extends Error {}

/**
 * A dictionary written for fuzzing (not taken from FreeRADIUS): vendors of every type/length
 * format, TLVs nested two deep, tags, the three encryptions, arrays, fixed-size octets, every
 * value type, RFC 6929 extended, long-extended and EVS attributes, and a concat attribute.
 */
export const FUZZ_DICTIONARY_TEXT = `
VENDOR Fuzz-Vendor 65001
VENDOR Fuzz-Wide 65002 format=2,2
VENDOR Fuzz-Four 65003 format=4,0
VENDOR Fuzz-Cont 65004 format=1,1,c
BEGIN-VENDOR Fuzz-Vendor
ATTRIBUTE Fuzz-String 1 string
ATTRIBUTE Fuzz-Octets 2 octets
ATTRIBUTE Fuzz-Integer 3 integer
VALUE Fuzz-Integer One 1
VALUE Fuzz-Integer Two 2
ATTRIBUTE Fuzz-Tagged 4 string has_tag
ATTRIBUTE Fuzz-Tagged-Int 5 integer has_tag
VALUE Fuzz-Tagged-Int Three 3
ATTRIBUTE Fuzz-Password 6 string encrypt=1
ATTRIBUTE Fuzz-Tunnel-Password 7 string has_tag,encrypt=2
ATTRIBUTE Fuzz-Ascend-Secret 8 string encrypt=3
ATTRIBUTE Fuzz-Tlv 9 tlv
ATTRIBUTE Fuzz-Tlv-Int 9.1 integer
ATTRIBUTE Fuzz-Tlv-String 9.2 string
ATTRIBUTE Fuzz-Tlv-Nested 9.3 tlv
ATTRIBUTE Fuzz-Tlv-Nested-Addr 9.3.1 ipaddr
ATTRIBUTE Fuzz-Tlv-Nested-Octets 9.3.2 octets
ATTRIBUTE Fuzz-Addr-Array 10 ipaddr array
ATTRIBUTE Fuzz-Short-Array 11 short array
ATTRIBUTE Fuzz-Ipv6-Prefix 12 ipv6prefix
ATTRIBUTE Fuzz-Ipv4-Prefix 13 ipv4prefix
ATTRIBUTE Fuzz-Date 14 date
ATTRIBUTE Fuzz-Integer64 15 integer64
ATTRIBUTE Fuzz-Signed 16 signed
ATTRIBUTE Fuzz-Ether 17 ether
ATTRIBUTE Fuzz-Ifid 18 ifid
ATTRIBUTE Fuzz-Combo 19 combo-ip
ATTRIBUTE Fuzz-Byte 20 byte
ATTRIBUTE Fuzz-Fixed 21 octets[8]
ATTRIBUTE Fuzz-Abinary 22 abinary
ATTRIBUTE Fuzz-Ipv6 23 ipv6addr
ATTRIBUTE Fuzz-String-Array 24 string array
END-VENDOR Fuzz-Vendor
BEGIN-VENDOR Fuzz-Wide
ATTRIBUTE Fuzz-Wide-String 300 string
ATTRIBUTE Fuzz-Wide-Integer 1 integer
END-VENDOR Fuzz-Wide
BEGIN-VENDOR Fuzz-Four
ATTRIBUTE Fuzz-Four-String 70000 string
END-VENDOR Fuzz-Four
BEGIN-VENDOR Fuzz-Cont
ATTRIBUTE Fuzz-Cont-Octets 1 octets
ATTRIBUTE Fuzz-Cont-Tlv 2 tlv
ATTRIBUTE Fuzz-Cont-Tlv-String 2.1 string
END-VENDOR Fuzz-Cont
ATTRIBUTE Fuzz-Ext-Integer 241.200 integer
ATTRIBUTE Fuzz-Ext-Tlv 241.201 tlv
ATTRIBUTE Fuzz-Ext-Tlv-String 241.201.1 string
ATTRIBUTE Fuzz-Long-Octets 245.200 octets
ATTRIBUTE Fuzz-Concat 200 octets concat
BEGIN-VENDOR Fuzz-Vendor format=Extended-Vendor-Specific-1
ATTRIBUTE Fuzz-Evs-String 1 string
ATTRIBUTE Fuzz-Evs-Tlv 2 tlv
ATTRIBUTE Fuzz-Evs-Tlv-Integer 2.1 integer
END-VENDOR Fuzz-Vendor
BEGIN-VENDOR Fuzz-Vendor format=Extended-Vendor-Specific-5
ATTRIBUTE Fuzz-Long-Evs-Octets 1 octets
END-VENDOR Fuzz-Vendor
`;

/** The built-in dictionary plus {@link FUZZ_DICTIONARY_TEXT}. */
export const fuzzDictionary = new Dictionary().loadText(FUZZ_DICTIONARY_TEXT, 'fuzz.dictionary');

/**
 * FreeRADIUS's own dictionary when installed (read at run time, never committed): its hundreds of
 * vendors make a third layout; the fuzz dictionary stands in for it where it is absent.
 */
function freeradiusDictionary(): Dictionary {
  const file = process.env.AIORADIUS_FUZZ_FREERADIUS_DICTIONARY ?? '/usr/share/freeradius/dictionary';
  if (!existsSync(file)) return fuzzDictionary;
  try {
    return new Dictionary().load(file);
  } catch {
    return fuzzDictionary;
  }
}

/** Chosen by two bits of the fuzz input. */
export const dictionaries: readonly Dictionary[] = [
  defaultDictionary,
  fuzzDictionary,
  freeradiusDictionary(),
  defaultDictionary,
];

/** Names read one at a time before a full read: the lazy path of a deferred packet. */
const PROBES = [
  'User-Name',
  'User-Password',
  'CHAP-Password',
  'NAS-IP-Address',
  'NAS-Port',
  'Service-Type',
  'Framed-IP-Address',
  'Class',
  'Vendor-Specific',
  'Session-Timeout',
  'Called-Station-Id',
  'Calling-Station-Id',
  'Acct-Status-Type',
  'Proxy-State',
  'EAP-Message',
  'Message-Authenticator',
  'Tunnel-Type',
  'Tunnel-Type:1',
  'Tunnel-Password',
  'MS-CHAP-Challenge',
  'MS-CHAP2-Response',
  'Framed-IPv6-Prefix',
  'Event-Timestamp',
  'Fuzz-String',
  'Fuzz-Tlv-Int',
  'Fuzz-Evs-String',
  'Fuzz-Ext-Integer',
];

/** What the reads of a packet gave, as text, to compare an eager and a deferred decode. */
export function readEverything(packet: Packet): string {
  const out: string[] = [];
  const dict = packet.dictionary;
  // One at a time first: with deferred decoding these go through the lazy lookups.
  for (const name of PROBES) {
    if (!dict.attribute(name) && !/:\d+$/.test(name)) continue;
    const has = typed(() => packet.attributes.has(name));
    const first = typed(() => packet.get(name));
    out.push(`${name} ${show(has)} ${show(first)}`);
  }
  out.push(`type26 ${show(typed(() => packet.attributes.hasType(26)))}`);
  out.push(`vendor ${show(typed(() => packet.attributes.mayHoldVendorAttributes()))}`);
  // Then everything: entries, iteration, JSON, every name's values, and the CLI's printers.
  const all = typed(() => {
    const lines: string[] = [];
    for (const [name, value] of packet.attributes) lines.push(`${name}=${show(value)}`);
    for (const name of packet.attributes.keys()) lines.push(`${name}:${show(packet.getAll(name))}`);
    lines.push(JSON.stringify(packet.toJSON()));
    lines.push(...formatAttributes(packet));
    lines.push(JSON.stringify(packet.attributes.toObject({ revealHidden: true })));
    lines.push(String(packet.attributes.size));
    inspect(packet, { depth: 4 });
    return lines.join('\n');
  });
  out.push(show(all));
  return out.join('\n');
}

function show(v: unknown): string {
  if (v instanceof RadiusError) return `!${v.name}: ${v.message}`;
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v) || v instanceof Date || typeof v === 'number' || typeof v === 'bigint')
    return String(jsonValue(v));
  return JSON.stringify(v);
}

/**
 * Makes a fuzzed packet carry the authenticators that `secret` gives it, so that the decoder gets
 * past the checks of MD5 and HMAC-MD5 (which mutation cannot forge) to the attributes. `authField`
 * is what bytes 4..20 stand for in the hashes: the Request Authenticator, or zeros.
 * `signWholePacket` also writes the MD5 authenticator into bytes 4..20.
 */
export function sign(data: Buffer, authField: Buffer, signWholePacket: boolean): void {
  if (data.length < 20) return;
  const length = data.readUInt16BE(2);
  if (length < 20 || length > data.length) return;
  let p = 20;
  while (p + 2 <= length) {
    const l = data[p + 1];
    if (l < 2 || p + l > length) return;
    if (data[p] === 80 && l === 18) {
      computeMessageAuthenticator(data, length, p + 2, authField, SECRET).copy(data, p + 2);
      break;
    }
    p += l;
  }
  if (signWholePacket) signPacket(data, length, authField, SECRET);
}

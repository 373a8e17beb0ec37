// Wire helpers shared by the codec edge-case tests: packets built byte by byte, decoded both at once
// and lazily (deferAttributes, as the server does), which must agree.
import assert from 'node:assert/strict';
import {
  AccessRequest,
  type Dictionary,
  decodeRequest,
  defaultDictionary,
  type Packet,
} from '../../src/index.js';

export const SECRET = 'codec-edge-secret';
const AUTH = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

/** Bytes from hex text, spaces ignored. */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** An Access-Request (no Message-Authenticator) holding `body`, the attributes in wire form. */
export function accessRequest(body: Buffer): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 1;
  header[1] = 7;
  header.writeUInt16BE(20 + body.length, 2);
  AUTH.copy(header, 4);
  return Buffer.concat([header, body]);
}

/** [name, value] of every attribute; Buffers as 0x hex so that failures read well. */
export type View = Array<[string, string | number | bigint]>;

function view(p: Packet): View {
  return p.attributes.entries.map((e) => {
    const v = e.value;
    const shown = Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : v instanceof Date ? v.toISOString() : v;
    return [e.tag === undefined ? e.def.name : `${e.def.name}:${e.tag}`, shown];
  });
}

/**
 * The attributes of an Access-Request holding `body` (hex), decoded at once; the same packet decoded
 * lazily must give the same, read whole or one name first.
 */
export function decodeBody(body: string | Buffer, dictionary: Dictionary = defaultDictionary): View {
  const data = accessRequest(typeof body === 'string' ? hex(body) : body);
  const eager = view(decodeRequest(SECRET, data, { dictionary }));
  const lazy = decodeRequest(SECRET, data, { dictionary, deferAttributes: true });
  const first = eager[0]?.[0];
  if (first !== undefined && !first.includes(':')) lazy.attributes.get(first);
  assert.deepEqual(view(lazy), eager, 'lazy decoding differs from eager decoding');
  return eager;
}

/** The attribute bytes (after the header) of a request holding `pairs`, without Message-Authenticator. */
export function encodeBody(
  pairs: ReadonlyArray<readonly [string, string | number | Buffer]>,
  dictionary: Dictionary = defaultDictionary,
): string {
  const p = new AccessRequest(SECRET, { dictionary, messageAuthenticator: false });
  for (const [name, value] of pairs) p.add(name, value);
  return p.encode().subarray(20).toString('hex');
}

/** Normalized hex text (no spaces, lower case) for comparing with encodeBody. */
export const h = (s: string): string => s.replace(/\s+/g, '').toLowerCase();

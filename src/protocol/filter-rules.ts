// RFC 4849 §2: the NAS-Filter-Rule (92) attributes of a packet carry one stream of IPFilterRule text
// in which rules are separated by a NUL octet; an attribute may hold part of a rule, one rule or
// several, and a rule may continue into the next attribute. FreeRADIUS packs consecutive values that
// way and splits what it receives the same way: one value per rule, whatever the attribute boundaries.

import type { AttributeDef } from '../dictionary/definitions.js';
import { InvalidValueError } from '../errors.js';
import type { AttributesSet } from './attributes.js';
import { readValue } from './values.js';

/** The attribute number of NAS-Filter-Rule (RFC 4849). */
export const NAS_FILTER_RULE = 92;

/**
 * True for NAS-Filter-Rule itself, whose values are packed and split on NUL: the standard attribute 92
 * by the name RFC 4849 gives it (the built-in dictionary's, FreeRADIUS's dictionary.rfc4849). Another
 * definition of number 92 (a raw `Attr-92`, a dictionary's own) holds its octets as they are.
 */
export function isNasFilterRule(def: AttributeDef): boolean {
  return (
    def.number === NAS_FILTER_RULE &&
    def.parent === undefined &&
    def.vendor === undefined &&
    (def.type === 'string' || def.type === 'octets') &&
    def.name.toLowerCase() === 'nas-filter-rule'
  );
}

/**
 * The stream of several rules (their wire bytes), NUL-separated. A rule holding a NUL would be read
 * back as two, so it is refused.
 */
export function joinFilterRules(def: AttributeDef, rules: readonly Buffer[]): Buffer {
  for (const r of rules) {
    if (r.includes(0))
      throw new InvalidValueError(def.name, 'a filter rule cannot hold a NUL octet (RFC 4849 §2)');
  }
  const parts: Buffer[] = [];
  for (const r of rules) {
    if (parts.length > 0) parts.push(NUL);
    parts.push(r);
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

const NUL = Buffer.of(0);

/**
 * Decodes the run of consecutive NAS-Filter-Rule attributes starting at `pos` (framing checked up to
 * the first attribute that is not one) into one value per rule; empty rules (NUL NUL) are dropped.
 * Returns the position after the run.
 */
export function decodeFilterRules(
  def: AttributeDef,
  buf: Buffer,
  pos: number,
  end: number,
  out: AttributesSet,
): number {
  const parts: Buffer[] = [];
  while (pos + 2 <= end && buf[pos] === NAS_FILTER_RULE) {
    const len = buf[pos + 1];
    // A broken header ends the run here; the caller reports it.
    if (len < 2 || pos + len > end) break;
    parts.push(buf.subarray(pos + 2, pos + len));
    pos += len;
  }
  const stream = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  let start = 0;
  for (let i = 0; i <= stream.length; i++) {
    if (i < stream.length && stream[i] !== 0) continue;
    if (i > start) {
      const value = readValue(def, stream, start, i);
      if (value !== undefined) out.push(def, value);
    }
    start = i + 1;
  }
  return pos;
}

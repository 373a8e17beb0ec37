import { existsSync } from 'node:fs';
import type { AttributeEntry } from '../protocol/attributes.js';
import { HIDDEN_VALUE } from '../protocol/attributes.js';
import type { Packet } from '../protocol/packet.js';
import { closestAttributeName } from '../dictionary/closest-name.js';
import { type Dictionary, defaultDictionary } from '../dictionary/dictionary.js';
import { UnknownAttributeError } from '../errors.js';
import { UsageError } from './args.js';

/** One `Name = value` pair as read from input: the value still as text. */
export type TextPair = [name: string, value: string];

/** Quotes a string FreeRADIUS style: double quotes, with `"`, `\` and control bytes escaped. */
export function quote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const MICROSOFT = 311;
// RFC 2548 §2.1.5 MS-CHAP-Error and §2.3.3 MS-CHAP2-Success: an Ident octet, then text.
const MS_TEXT_ATTRIBUTES = new Set([2, 26]);

/** True for octets that are an Ident byte and printable text (MS-CHAP-Error "E=691 R=0 V=3"). */
function identAndText(v: Buffer): boolean {
  if (v.length < 2) return false;
  for (let i = 1; i < v.length; i++) if (v[i] < 0x20 || v[i] > 0x7e) return false;
  return true;
}

/** The value of one attribute as radclient prints it: strings quoted, bytes as 0x hex, names for enums. */
export function formatEntry(entry: AttributeEntry): string {
  const v = entry.value;
  if (
    Buffer.isBuffer(v) &&
    entry.def.vendor?.id === MICROSOFT &&
    MS_TEXT_ATTRIBUTES.has(entry.def.number) &&
    identAndText(v)
  )
    // The Ident octet always as an escape (\001), even when printable, then the text.
    return `"\\${v[0].toString(8).padStart(3, '0')}${quote(v.toString('latin1', 1)).slice(1)}`;
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (v instanceof Date) return quote(v.toISOString());
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return String(v);
  // Strings of address-like and enum types print bare; only text types are quoted.
  return entry.def.type === 'string' ? quote(v) : v;
}

/** The display name of an entry (`Name:tag` for tagged attributes). */
export function entryName(entry: AttributeEntry): string {
  return entry.tag === undefined ? entry.def.name : `${entry.def.name}:${entry.tag}`;
}

/** Where Debian's freeradius-common package puts its dictionaries. */
export const FREERADIUS_DICTIONARY = '/usr/share/freeradius/dictionary';

/**
 * What an unknown attribute's message adds when no dictionary was loaded: `-D` with FreeRADIUS's
 * dictionaries where they are installed (a path that is not there would not help), else `-D PATH`.
 */
export function dictionaryHint(freeradius = FREERADIUS_DICTIONARY): string {
  return existsSync(freeradius)
    ? `vendor attributes need their dictionary: -D ${freeradius} loads FreeRADIUS's`
    : 'vendor attributes need their dictionary: -D PATH loads a FreeRADIUS-format one';
}

/**
 * The message of an error building a packet from the command line. An unknown attribute gets the
 * name it was probably meant to be, else (no dictionary given) the hint that vendor attributes
 * need their dictionary.
 */
export function attributeErrorText(err: unknown, dictionary: Dictionary | undefined): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!(err instanceof UnknownAttributeError)) return message;
  const near = closestAttributeName(dictionary ?? defaultDictionary, err.attribute);
  if (near) return `${message} (did you mean ${near}?)`;
  return dictionary ? message : `${message} (${dictionaryHint()})`;
}

/**
 * A packet's attributes as `<indent>Name = value` lines. Hidden ones (any encrypt flag: passwords,
 * MPPE keys, tunnel passwords) print as `<hidden>`, as in the packet's JSON.
 */
export function formatAttributes(packet: Packet, indent = '\t'): string[] {
  // What goes on the wire: a server-side attribute (FreeRADIUS's Packet-Type...) never does.
  return packet.attributes.entries
    .filter((e) => !e.def.flags.virtual)
    .map((e) => {
      const value = e.def.flags.encrypt ? HIDDEN_VALUE : formatEntry(e);
      return `${indent}${entryName(e)} = ${value}`;
    });
}

const OPERATORS = [':=', '+=', '==', '='];

/**
 * Parses radclient-style input: `Name = value` items, one per line or separated by commas,
 * values optionally double-quoted (with `\"`, `\\`, `\n`, `\t` escapes); `#` starts a comment;
 * a blank line ends a packet. Returns one list of pairs per packet. Throws UsageError with the line.
 */
export function parseAttributeText(text: string): TextPair[][] {
  const packets: TextPair[][] = [];
  let current: TextPair[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') {
      if (current.length) packets.push(current);
      current = [];
      continue;
    }
    if (/^\s*#/.test(line)) continue;
    try {
      current.push(...parseLine(line));
    } catch (err) {
      throw new UsageError(`line ${i + 1}: ${(err as Error).message}`);
    }
  }
  if (current.length) packets.push(current);
  return packets;
}

/** The `Name = value` items of one line. */
export function parseLine(line: string): TextPair[] {
  const out: TextPair[] = [];
  let p = 0;
  const skipSpace = () => {
    while (p < line.length && (line[p] === ' ' || line[p] === '\t')) p++;
  };
  while (true) {
    skipSpace();
    if (p >= line.length || line[p] === '#') break;
    const nameMatch = /^[A-Za-z0-9][\w.:-]*/.exec(line.slice(p));
    if (!nameMatch) throw new Error(`expected an attribute name at column ${p + 1}`);
    // A trailing ':' belongs to ':=' rather than to the name.
    let name = nameMatch[0];
    if (name.endsWith(':') && line[p + name.length] === '=') name = name.slice(0, -1);
    p += name.length;
    skipSpace();
    const op = OPERATORS.find((o) => line.startsWith(o, p));
    if (!op) throw new Error(`expected "=" after ${name}`);
    p += op.length;
    skipSpace();
    let value: string;
    if (line[p] === '"' || line[p] === "'") {
      const q = line[p++];
      value = '';
      while (p < line.length && line[p] !== q) {
        if (line[p] === '\\' && p + 1 < line.length) {
          const e = line[++p];
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
        } else value += line[p];
        p++;
      }
      if (p >= line.length) throw new Error(`unterminated quoted value for ${name}`);
      p++;
    } else {
      const start = p;
      while (p < line.length && line[p] !== ',' && line[p] !== '#') p++;
      value = line.slice(start, p).trim();
      if (value === '') throw new Error(`no value for ${name}`);
    }
    out.push([name, value]);
    skipSpace();
    if (p < line.length && line[p] === ',') p++;
    else if (p < line.length && line[p] !== '#') throw new Error(`unexpected text at column ${p + 1}`);
  }
  return out;
}

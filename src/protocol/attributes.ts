import type { AttributeDef } from '../dictionary/definitions.js';
import { Dictionary, defaultDictionary } from '../dictionary/dictionary.js';
import type { AttributeInput, AttributeValue } from '../dictionary/types.js';
import { InvalidValueError } from '../errors.js';
import { NEEDS_FULL_DECODE, type RawAttributes } from './decode-attributes.js';

/** One attribute in an AttributesSet: its definition, value and optional RFC 2868 tag. */
export interface AttributeEntry {
  readonly def: AttributeDef;
  value: AttributeValue;
  tag: number | undefined;
}

/** A `[name, value]` pair as accepted by `addAttributes` and returned by iteration. */
export type AttributePair = readonly [name: string, value: AttributeInput];

/**
 * A pair as a handler may return it: `['Reply-Message', 'hi']` typed as a tuple or, when
 * TypeScript widened it, as an array (checked at run time).
 */
export type ReplyAttributePair = AttributePair | readonly (string | AttributeInput)[];

/** Attributes of a reply, as handlers return them. */
export type ReplyAttributes = Iterable<ReplyAttributePair>;

/** JSON form of a value: Buffers as `0x` hex, bigints as decimal strings, Dates as ISO strings. */
export type JsonAttributeValue = string | number;

/** Options of {@link AttributesSet.toObject}. */
export interface ToObjectOptions {
  /**
   * Show hidden attributes (User-Password, Tunnel-Password, MS-MPPE keys, any `encrypt=`
   * attribute) in clear. Off by default: JSON reaches logs and stores, which must not hold them.
   */
  revealHidden?: boolean;
}

/** What a hidden attribute's value is replaced with in JSON and util.inspect output. */
export const HIDDEN_VALUE = '<hidden>';

/**
 * An ordered multi-map of attribute name → typed values: the attributes of one packet, in wire
 * order. Names are resolved through the dictionary (case-insensitive); `Name:tag` selects a tag.
 */
export class AttributesSet implements Iterable<[string, AttributeValue]> {
  readonly dictionary: Dictionary;
  private readonly list: AttributeEntry[] = [];
  // Attributes of a received packet not decoded yet (see deferDecode). A # field: util.inspect
  // does not show it, and it holds the shared secret.
  #raw: RawAttributes | undefined;

  /** A set of `pairs` (as a Map takes its entries), on the default dictionary. */
  constructor(pairs: Iterable<AttributePair>);
  /** An empty set, or one of `pairs`, on `dictionary` (default: the built-in one). */
  constructor(dictionary?: Dictionary, pairs?: Iterable<AttributePair>);
  constructor(first?: Dictionary | Iterable<AttributePair>, pairs?: Iterable<AttributePair>) {
    // Checked here: from JavaScript, anything else would make a set that fails on first use.
    if (first === undefined || first instanceof Dictionary) {
      this.dictionary = first ?? defaultDictionary;
    } else if (isIterableObject(first) && pairs === undefined) {
      this.dictionary = defaultDictionary;
      pairs = first;
    } else {
      throw new InvalidValueError(
        'AttributesSet',
        pairs === undefined
          ? `the first argument is a Dictionary or [name, value] pairs, not ${kindOf(first)}`
          : 'with pairs, the Dictionary comes first: new AttributesSet(dictionary, pairs)',
      );
    }
    if (pairs !== undefined) {
      if (!isIterableObject(pairs))
        throw new InvalidValueError(
          'AttributesSet',
          `pairs must be [name, value] pairs, not ${kindOf(pairs)}`,
        );
      for (const pair of pairs) {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string')
          throw new InvalidValueError(
            'AttributesSet',
            `each pair must be [name, value], not ${kindOf(pair)}`,
          );
        this.add(pair[0], pair[1]);
      }
    }
  }

  /** The entries in order; exposed for codecs and advanced use. */
  get entries(): AttributeEntry[] {
    const raw = this.#raw;
    if (raw !== undefined) {
      this.#raw = undefined;
      try {
        raw.decodeInto(this);
      } catch (err) {
        // Never a half-decoded set: every later read fails the same way.
        this.list.length = 0;
        this.#raw = raw;
        throw err;
      }
    }
    return this.list;
  }

  /**
   * Makes this (empty) set hold the attributes of `raw`, decoded when first needed: in full when
   * the set is used as a whole, one at a time by {@link get} for plain top-level attributes.
   */
  deferDecode(raw: RawAttributes): void {
    if (this.list.length > 0 || this.#raw !== undefined) throw new RangeError('deferDecode on a set in use');
    this.#raw = raw;
  }

  /** Whether an attribute of top-level type `type` (e.g. 33, Proxy-State) is present. */
  hasType(type: number): boolean {
    const quick = this.#raw?.hasType(this.dictionary, type);
    if (quick !== undefined) return quick;
    for (const e of this.entries) if (e.def.number === type && !e.def.parent && !e.def.vendor) return true;
    return false;
  }

  /**
   * Whether any vendor attribute may be present: false means none is (so that, say, looking for the
   * MS-CHAP VSAs can be skipped without decoding a received packet); true, that one is or may be.
   */
  mayHoldVendorAttributes(): boolean {
    const raw = this.#raw;
    // In wire form, vendor attributes live in attribute 26 and in the extended types 241..246 (EVS).
    if (raw !== undefined) return raw.hasAnyType(26, 241, 246);
    for (const e of this.entries) if (e.def.vendor !== undefined) return true;
    return false;
  }

  /** Number of attributes. */
  get size(): number {
    return this.entries.length;
  }

  /** Appends one attribute. `name` may carry a tag as `Tunnel-Type:1`, or pass `tag`. */
  add(name: string, value: AttributeInput, tag?: number): this {
    const { def, tag: nameTag } = this.lookup(name);
    const t = checkTag(def, tag ?? nameTag);
    this.entries.push({ def, value: normalize(value), tag: t });
    return this;
  }

  /** Appends several `[name, value]` pairs (the spec's `add_attributes`). */
  addAttributes(...pairs: AttributePair[]): this {
    for (const [name, value] of pairs) this.add(name, value);
    return this;
  }

  /** Appends pairs given loosely (handler results); each must be `[name, value]`. */
  addPairs(pairs: ReplyAttributes): this {
    for (const pair of pairs) {
      const [name, value] = pair;
      if (pair.length !== 2 || typeof name !== 'string' || value === undefined || value === null) {
        throw new InvalidValueError(String(name), 'each reply attribute must be a [name, value] pair');
      }
      this.add(name, value as AttributeInput);
    }
    return this;
  }

  /** Appends an already-resolved entry (used by the decoder). */
  push(def: AttributeDef, value: AttributeValue, tag?: number): void {
    this.entries.push({ def, value, tag });
  }

  /** The first value of `name`, or undefined. */
  get(name: string): AttributeValue | undefined {
    const { def, tag } = this.lookup(name);
    const raw = this.#raw;
    if (raw !== undefined && tag === undefined) {
      const value = raw.first(this.dictionary, def);
      if (value !== NEEDS_FULL_DECODE) return value;
    }
    for (const e of this.entries)
      if (sameDef(e.def, def) && (tag === undefined || e.tag === tag)) return e.value;
    return undefined;
  }

  /** Every value of `name`, in order. */
  getAll(name: string): AttributeValue[] {
    const { def, tag } = this.lookup(name);
    const out: AttributeValue[] = [];
    for (const e of this.entries)
      if (sameDef(e.def, def) && (tag === undefined || e.tag === tag)) out.push(e.value);
    return out;
  }

  /** True when at least one `name` is present. */
  has(name: string): boolean {
    const found = this.tryLookup(name);
    if (!found) return false;
    const raw = this.#raw;
    if (raw !== undefined && found.tag === undefined) {
      const value = raw.first(this.dictionary, found.def);
      if (value !== NEEDS_FULL_DECODE) return value !== undefined;
    }
    for (const e of this.entries)
      if (sameDef(e.def, found.def) && (found.tag === undefined || e.tag === found.tag)) return true;
    return false;
  }

  /** Replaces every `name` with a single value (in place of the first one, or appended). */
  set(name: string, value: AttributeInput, tag?: number): this {
    const { def, tag: nameTag } = this.lookup(name);
    const t = checkTag(def, tag ?? nameTag);
    // The place of the first entry that delete() removes (with `Name:tag`, the first of that tag).
    const idx = this.entries.findIndex(
      (e) => sameDef(e.def, def) && (nameTag === undefined || e.tag === nameTag),
    );
    this.delete(name);
    const entry = { def, value: normalize(value), tag: t };
    if (idx < 0 || idx > this.entries.length) this.entries.push(entry);
    else this.entries.splice(idx, 0, entry);
    return this;
  }

  /** Removes every `name`; returns how many were removed. */
  delete(name: string): number {
    const found = this.tryLookup(name);
    if (!found) return 0;
    let removed = 0;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (sameDef(e.def, found.def) && (found.tag === undefined || e.tag === found.tag)) {
        this.entries.splice(i, 1);
        removed++;
      }
    }
    return removed;
  }

  /** `[name, value]` pairs in order; tagged attributes are named `Name:tag`. */
  *[Symbol.iterator](): IterableIterator<[string, AttributeValue]> {
    for (const e of this.entries) yield [displayName(e), e.value];
  }

  /** Attribute names in order (repeats included). */
  keys(): string[] {
    return this.entries.map(displayName);
  }

  /**
   * What console.log and util.inspect show: names and values in order, with hidden attributes
   * (User-Password, Tunnel-Password, MPPE keys...) masked, so that printing a request for
   * debugging does not print a password.
   */
  [Symbol.for('nodejs.util.inspect.custom')](
    _depth: number,
    options: object,
    inspect: (value: unknown, options: object) => string,
  ): string {
    const shown = new Map<string, unknown[]>();
    for (const e of this.entries) {
      const name = displayName(e);
      const list = shown.get(name) ?? [];
      list.push(e.def.flags.encrypt ? HIDDEN_VALUE : e.value);
      shown.set(name, list);
    }
    const body = [...shown].map(([k, v]) => [k, v.length === 1 ? v[0] : v]);
    return `AttributesSet ${inspect(Object.fromEntries(body), options)}`;
  }

  /**
   * What JSON.stringify shows: name → list of JSON-safe values, in first-seen order, hidden
   * attributes masked (loggers such as pino serialise through JSON). See {@link toObject}.
   */
  toJSON(): Record<string, JsonAttributeValue[]> {
    return this.toObject();
  }

  /**
   * A plain object: name → list of JSON-safe values, in first-seen order. Hidden attributes are
   * masked unless `revealHidden` is set.
   */
  toObject(options: ToObjectOptions = {}): Record<string, JsonAttributeValue[]> {
    const reveal = options.revealHidden === true;
    const out: Record<string, JsonAttributeValue[]> = {};
    for (const e of this.entries) {
      const name = displayName(e);
      const list = out[name] ?? (out[name] = []);
      list.push(e.def.flags.encrypt && !reveal ? HIDDEN_VALUE : jsonValue(e.value));
    }
    return out;
  }

  private lookup(name: string): { def: AttributeDef; tag: number | undefined } {
    const direct = this.dictionary.attribute(name);
    if (direct) return { def: direct, tag: undefined };
    const colon = name.lastIndexOf(':');
    if (colon > 0 && /^\d{1,2}$/.test(name.slice(colon + 1))) {
      return { def: this.dictionary.resolve(name.slice(0, colon)), tag: Number(name.slice(colon + 1)) };
    }
    return { def: this.dictionary.resolve(name), tag: undefined };
  }

  private tryLookup(name: string): { def: AttributeDef; tag: number | undefined } | undefined {
    try {
      return this.lookup(name);
    } catch {
      return undefined;
    }
  }
}

// RFC 2868 §3: a tag is one octet, 0x00..0x1F, and only attributes defined with one (has_tag) carry
// it; on any other the encoder would drop it, so it is refused here, where the caller gave it.
function checkTag(def: AttributeDef, t: number | undefined): number | undefined {
  if (t === undefined) return t;
  if (!def.flags.hasTag)
    throw new InvalidValueError(def.name, `tag ${t} given, but it is not a tagged attribute`);
  if (!Number.isInteger(t) || t < 0 || t > 0x1f) {
    throw new InvalidValueError(def.name, `tag ${t} is outside 0..31`);
  }
  return t;
}

function displayName(e: AttributeEntry): string {
  return e.tag === undefined ? e.def.name : `${e.def.name}:${e.tag}`;
}

function normalize(value: AttributeInput): AttributeValue {
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value);
  return value as AttributeValue;
}

/** JSON-safe form of an attribute value. */
export function jsonValue(v: AttributeValue): JsonAttributeValue {
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  return v;
}

/**
 * The same definition: the same object, or for raw `Attr-<oid>` ones (which the dictionary makes on
 * demand and may make again), the same oid and name.
 */
function sameDef(a: AttributeDef, b: AttributeDef): boolean {
  return a === b || (a.oid === b.oid && a.name === b.name && a.name.startsWith('Attr-'));
}

/** Whether `value` is an object (an array, a Map...) that can be iterated; strings are not. */
function isIterableObject(value: unknown): value is Iterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.iterator in value;
}

/** A short description of a wrong argument for an error message. */
function kindOf(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  return typeof value === 'string' ? `the string "${value}"` : typeof value;
}

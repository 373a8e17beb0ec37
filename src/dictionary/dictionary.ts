import { UnknownAttributeError } from '../errors.js';
import { installBuiltins } from './builtin/index.js';
import { AttributeDef, noFlags, VendorDef } from './definitions.js';
import { loadDictionaryFile, loadDictionaryText, type LoadOptions } from './parser.js';
import type { AttributeFlags, AttributeType } from './types.js';

/** What `addAttribute` needs to define one attribute. */
export interface AttributeSpec {
  name: string;
  /**
   * Numeric path inside its space: `[1]` for User-Name, `[241, 1]` for an extended attribute,
   * `[26, 4]` for the TLV child of a top-level TLV 26... With `vendor`, the path is inside the
   * vendor's space (`[16]` for MS-MPPE-Send-Key). With `evs`, inside that EVS vendor space.
   */
  path: readonly number[];
  type: AttributeType;
  flags?: Partial<AttributeFlags>;
  /** Vendor id or name: the attribute is a VSA (RFC 2865 §5.26) of that vendor. */
  vendor?: number | string;
  /** With `vendor`: put it under this Extended-Vendor-Specific attribute (`[241, 26]`) instead of 26. */
  evs?: readonly number[];
}

/** Cap on the synthesized definitions kept for unknown attributes seen on the wire. */
const UNKNOWN_CACHE_LIMIT = 4096;

/** Highest number of a FreeRADIUS internal attribute (top level, above 255). */
const INTERNAL_MAX = 0xffff;

/**
 * A set of attribute and vendor definitions with fast lookups both ways.
 * `new Dictionary()` starts with the built-in RFC attributes; `load(path)` merges a
 * FreeRADIUS-format dictionary file (following `$INCLUDE`s) into it.
 */
export class Dictionary {
  /** Top-level attributes by code (1..255). */
  readonly standard: (AttributeDef | undefined)[] = new Array(256).fill(undefined);
  readonly vendors = new Map<number, VendorDef>();
  /** FreeRADIUS's server-side attributes (numbers 256..65535, no vendor): named, never on the wire. */
  readonly internal = new Map<number, AttributeDef>();
  private readonly vendorsByName = new Map<string, VendorDef>();
  private readonly byName = new Map<string, AttributeDef>();
  private readonly byLowerName = new Map<string, AttributeDef>();
  private readonly unknown = new Map<string, AttributeDef>();

  constructor(options: { builtin?: boolean } = {}) {
    if (options.builtin !== false) installBuiltins(this);
  }

  /** Loads a FreeRADIUS-format dictionary file into this dictionary, following `$INCLUDE`s. */
  load(path: string, options?: LoadOptions): this {
    loadDictionaryFile(this, path, options);
    return this;
  }

  /** Loads dictionary text (as found in a file) into this dictionary. */
  loadText(text: string, fileName = '<text>', options?: LoadOptions): this {
    loadDictionaryText(this, text, fileName, options);
    return this;
  }

  /** Defines (or redefines) a vendor. */
  addVendor(
    id: number,
    name: string,
    typeSize: 1 | 2 | 4 = 1,
    lengthSize: 0 | 1 | 2 = 1,
    continuation = false,
  ) {
    let vendor = this.vendors.get(id);
    if (vendor) {
      vendor.name = name;
      vendor.typeSize = typeSize;
      vendor.lengthSize = lengthSize;
      vendor.continuation = continuation;
    } else {
      vendor = new VendorDef(id, name, typeSize, lengthSize, continuation);
      this.vendors.set(id, vendor);
    }
    this.vendorsByName.set(name.toLowerCase(), vendor);
    return vendor;
  }

  /** A vendor by id or (case-insensitive) name. */
  vendor(idOrName: number | string): VendorDef | undefined {
    return typeof idOrName === 'number'
      ? this.vendors.get(idOrName)
      : this.vendorsByName.get(idOrName.toLowerCase());
  }

  /** Defines (or redefines) an attribute and returns its definition. */
  addAttribute(spec: AttributeSpec): AttributeDef {
    const flags: AttributeFlags = { ...noFlags(), ...spec.flags };
    const path = spec.path;
    if (path.length === 0) throw new RangeError(`attribute ${spec.name}: empty number`);
    let vendor: VendorDef | undefined;
    let space: Map<number, AttributeDef> | undefined;
    let parent: AttributeDef | undefined;
    let oidPrefix: string;
    if (spec.vendor !== undefined) {
      vendor = this.vendor(spec.vendor);
      if (!vendor) throw new RangeError(`attribute ${spec.name}: unknown vendor ${spec.vendor}`);
      if (spec.evs) {
        const evs = this.walk(undefined, spec.evs, spec.name);
        if (!evs?.evsVendors)
          throw new RangeError(`attribute ${spec.name}: ${spec.evs.join('.')} is not an evs attribute`);
        parent = evs;
        space = evs.evsVendors.get(vendor.id);
        if (!space) evs.evsVendors.set(vendor.id, (space = new Map()));
        oidPrefix = `${evs.oid}.${vendor.id}`;
      } else {
        space = vendor.attributes;
        oidPrefix = `26.${vendor.id}`;
      }
    } else {
      oidPrefix = '';
    }
    // Walk down to the parent of the last path element.
    for (let i = 0; i < path.length - 1; i++) {
      const n = path[i];
      const next: AttributeDef | undefined = space ? space.get(n) : this.standard[n];
      if (!next)
        throw new RangeError(`attribute ${spec.name}: no parent attribute ${path.slice(0, i + 1).join('.')}`);
      parent = next;
      space = next.children;
      oidPrefix = next.oid;
      if (!space) throw new RangeError(`attribute ${spec.name}: parent ${next.name} cannot have children`);
    }
    const number = path[path.length - 1];
    const internal = space === undefined && path.length === 1 && number > 255;
    // Internal attributes only exist inside a server, so they are virtual by nature.
    if (internal) flags.virtual = true;
    const max = internal ? INTERNAL_MAX : space === undefined ? 255 : maxChildNumber(parent, vendor);
    if (!Number.isInteger(number) || number < 0 || number > max) {
      throw new RangeError(`attribute ${spec.name}: number ${number} out of range 0..${max}`);
    }
    const oid = oidPrefix ? `${oidPrefix}.${number}` : String(number);
    const def = new AttributeDef(spec.name, number, spec.type, flags, vendor, parent, oid);
    const old = this.byName.get(spec.name);
    // Keep existing named values when a definition is repeated (dictionaries often do).
    if (old && old.oid === oid) for (const v of old.values.values()) def.addValue(v.name, v.value);
    const previous = space ? space.get(number) : internal ? this.internal.get(number) : this.standard[number];
    // A container redefined (often under another name) keeps the children already defined in it.
    if (previous?.children && def.children) for (const [k, v] of previous.children) def.children.set(k, v);
    if (previous?.evsVendors && def.evsVendors)
      for (const [k, v] of previous.evsVendors) def.evsVendors.set(k, v);
    if (old && old.oid !== oid) this.vacate(old);
    if (space) space.set(number, def);
    else if (internal) this.internal.set(number, def);
    else this.standard[number] = def;
    this.byName.set(spec.name, def);
    this.byLowerName.set(spec.name.toLowerCase(), def);
    return def;
  }

  /**
   * A name moved to another number (FreeRADIUS's tree names Digest-Response 103 in rfc5090, then
   * 206 in iana): its old number no longer decodes under it, or a decoded packet would re-encode
   * it elsewhere. The number is then unknown, kept raw and re-encoded byte-exact, as FreeRADIUS
   * does. A container keeps its place: the attributes defined inside it still encode there.
   */
  private vacate(old: AttributeDef): void {
    if (old.isContainer) return;
    const parent = old.parent;
    const space = parent?.evsVendors
      ? parent.evsVendors.get(old.vendor?.id ?? -1)
      : parent
        ? parent.children
        : old.vendor
          ? old.vendor.attributes
          : old.number > 255
            ? this.internal
            : undefined;
    if (space) {
      if (space.get(old.number) === old) space.delete(old.number);
    } else if (this.standard[old.number] === old) {
      this.standard[old.number] = undefined;
    }
  }

  /** Adds a named value to an attribute. */
  addValue(attribute: string, name: string, value: number | bigint): void {
    const def = this.attribute(attribute);
    if (!def) throw new UnknownAttributeError(attribute);
    def.addValue(name, value);
  }

  /** An attribute by name (exact first, then case-insensitive), or undefined. */
  attribute(name: string): AttributeDef | undefined {
    return this.byName.get(name) ?? this.byLowerName.get(name.toLowerCase());
  }

  /** An attribute by name; throws UnknownAttributeError when absent. Understands `Attr-26.9.1` names. */
  resolve(name: string): AttributeDef {
    const def = this.attribute(name);
    if (def) return def;
    if (/^attr-\d/i.test(name)) {
      const raw = this.unknownByOid(name.slice(5));
      if (raw) return raw;
    }
    throw new UnknownAttributeError(name);
  }

  /** A standard attribute by code. */
  attributeByCode(code: number): AttributeDef | undefined {
    return this.standard[code];
  }

  /** A vendor attribute by vendor id and vendor type. */
  vendorAttribute(vendorId: number, type: number): AttributeDef | undefined {
    return this.vendors.get(vendorId)?.attributes.get(type);
  }

  /** Every named attribute definition (each once). */
  *attributes(): IterableIterator<AttributeDef> {
    yield* this.byName.values();
  }

  /**
   * A raw octets definition for an attribute the dictionary does not know, named `Attr-<oid>`,
   * so that it can be kept and re-encoded byte-exact. Returns undefined for an impossible oid.
   */
  unknownByOid(oid: string): AttributeDef | undefined {
    const cached = this.unknown.get(oid);
    if (cached) return cached;
    const parts = oid.split('.').map((p) => (/^\d{1,10}$/.test(p) ? Number(p) : Number.NaN));
    if (parts.some((p) => Number.isNaN(p))) return undefined;
    const def = this.synthesize(parts);
    if (def) {
      // Bounded (a packet can name any vendor and type): when full it starts again, empty. Evicting
      // the oldest one by one walked the holes earlier deletions left in the Map (1.5 µs of the 4 a
      // new unknown attribute cost). AttributesSet compares these definitions by oid, so a set
      // holding a forgotten one still finds it by name.
      if (this.unknown.size >= UNKNOWN_CACHE_LIMIT) this.unknown.clear();
      this.unknown.set(oid, def);
    }
    return def;
  }

  private synthesize(parts: number[]): AttributeDef | undefined {
    const top = parts[0];
    if (top < 1 || top > 255) return undefined;
    const name = `Attr-${parts.join('.')}`;
    if (parts.length === 1)
      return new AttributeDef(name, top, 'octets', noFlags(), undefined, undefined, name.slice(5));
    if (top === 26) {
      if (parts.length > 3)
        return this.rawInTlv(this.vendors.get(parts[1])?.attributes.get(parts[2]), parts, 3, name);
      // Attr-26.<vendor>.<type>: VSA of a vendor we may not know (assume the RFC layout then).
      if (parts.length !== 3 || parts[1] > 0xffffffff) return undefined;
      const vendor = this.vendors.get(parts[1]) ?? new VendorDef(parts[1], `Vendor-${parts[1]}`);
      if (parts[2] >= 2 ** (8 * vendor.typeSize)) return undefined;
      return new AttributeDef(name, parts[2], 'octets', noFlags(), vendor, undefined, name.slice(5));
    }
    const container = this.standard[top];
    if (!container) return undefined;
    if (container.children && parts.length === 2 && parts[1] <= 255) {
      return new AttributeDef(name, parts[1], 'octets', noFlags(), undefined, container, name.slice(5));
    }
    const child = container.children?.get(parts[1]);
    if (child?.evsVendors) {
      if (parts.length > 4)
        return this.rawInTlv(child.evsVendors.get(parts[2])?.get(parts[3]), parts, 4, name);
      if (parts.length === 4 && parts[2] <= 0xffffffff && parts[3] <= 255) {
        const vendor = this.vendors.get(parts[2]) ?? new VendorDef(parts[2], `Vendor-${parts[2]}`);
        return new AttributeDef(name, parts[3], 'octets', noFlags(), vendor, child, name.slice(5));
      }
      return undefined;
    }
    if (parts.length > 2) return this.rawInTlv(child, parts, 2, name);
    return undefined;
  }

  /**
   * A raw child inside known TLVs (`Attr-26.9999.2.7`, RFC 6929 §2.8): `tlv` is the TLV named
   * by parts[0, from), parts[from..] walk down known TLVs to the parent of the last number.
   */
  private rawInTlv(tlv: AttributeDef | undefined, parts: number[], from: number, name: string) {
    let parent = tlv;
    for (let k = from; k < parts.length - 1 && parent; k++) parent = parent.children?.get(parts[k]);
    const n = parts[parts.length - 1];
    if (parent?.type !== 'tlv' || n > 255) return undefined;
    return new AttributeDef(name, n, 'octets', noFlags(), parent.vendor, parent, name.slice(5));
  }

  private walk(space: Map<number, AttributeDef> | undefined, path: readonly number[], what: string) {
    let def: AttributeDef | undefined;
    for (const n of path) {
      def = space ? space.get(n) : this.standard[n];
      if (!def) throw new RangeError(`attribute ${what}: no attribute ${path.join('.')}`);
      space = def.children;
    }
    return def;
  }
}

function maxChildNumber(parent: AttributeDef | undefined, vendor: VendorDef | undefined): number {
  if (parent) return 255;
  if (vendor) return vendor.typeSize === 4 ? 0xffffffff : 2 ** (8 * vendor.typeSize) - 1;
  return 255;
}

/** The built-in dictionary: standard RFC attributes and Microsoft's (RFC 2548). */
export const defaultDictionary: Dictionary = new Dictionary();

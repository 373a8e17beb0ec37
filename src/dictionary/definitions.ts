import type { AttributeFlags, AttributeType } from './types.js';

/** A vendor (RFC 2865 §5.26) and the layout of its sub-attributes (`format=t,l[,c]`). */
export class VendorDef {
  readonly id: number;
  name: string;
  /** Octets of the vendor type field: 1, 2 or 4. */
  typeSize: 1 | 2 | 4;
  /** Octets of the vendor length field: 0, 1 or 2. */
  lengthSize: 0 | 1 | 2;
  /** WiMAX-style continuation byte after the length. */
  continuation: boolean;
  /** Vendor sub-attributes by vendor type. */
  readonly attributes = new Map<number, AttributeDef>();

  constructor(
    id: number,
    name: string,
    typeSize: 1 | 2 | 4 = 1,
    lengthSize: 0 | 1 | 2 = 1,
    continuation = false,
  ) {
    this.id = id;
    this.name = name;
    this.typeSize = typeSize;
    this.lengthSize = lengthSize;
    this.continuation = continuation;
  }

  /** True when the vendor uses the RFC 2865 §5.26 suggested layout (1-byte type and length). */
  get isStandardFormat(): boolean {
    return this.typeSize === 1 && this.lengthSize === 1 && !this.continuation;
  }
}

/** One attribute definition: where it lives on the wire, its type, flags and named values. */
export class AttributeDef {
  readonly name: string;
  /** Number within its parent space (top level, vendor, TLV or extended parent). */
  readonly number: number;
  readonly type: AttributeType;
  readonly flags: AttributeFlags;
  /** The vendor whose VSA (or EVS) space holds this attribute; undefined for standard attributes. */
  readonly vendor: VendorDef | undefined;
  /** The enclosing TLV / extended / EVS attribute; undefined at the top of a space. */
  readonly parent: AttributeDef | undefined;
  /** Full numeric path, FreeRADIUS style: `1`, `26.311.16`, `241.1`, `245.26.11344.1`. */
  readonly oid: string;
  /** Children of `tlv`, `extended` and `long-extended` attributes. */
  readonly children: Map<number, AttributeDef> | undefined;
  /** For `evs` attributes: vendor id → vendor type → attribute. */
  readonly evsVendors: Map<number, Map<number, AttributeDef>> | undefined;
  /** Named values, by lower-case name. */
  readonly values = new Map<string, { name: string; value: number | bigint }>();
  /** Value names by number. */
  readonly valueNames = new Map<number | bigint, string>();

  constructor(
    name: string,
    number: number,
    type: AttributeType,
    flags: AttributeFlags,
    vendor: VendorDef | undefined,
    parent: AttributeDef | undefined,
    oid: string,
  ) {
    this.name = name;
    this.number = number;
    this.type = type;
    this.flags = flags;
    this.vendor = vendor;
    this.parent = parent;
    this.oid = oid;
    this.children = type === 'tlv' || type === 'extended' || type === 'long-extended' ? new Map() : undefined;
    this.evsVendors = type === 'evs' ? new Map() : undefined;
  }

  /** True for container types whose value is other attributes. */
  get isContainer(): boolean {
    return this.children !== undefined || this.evsVendors !== undefined || this.type === 'vsa';
  }

  /** Adds (or replaces) a named value. */
  addValue(name: string, value: number | bigint): void {
    const key = name.toLowerCase();
    const old = this.values.get(key);
    this.values.set(key, { name, value });
    if (old && old.value !== value && this.valueNames.get(old.value) === old.name) {
      // The name moved to another number (FreeRADIUS's dictionary.microsoft renumbers
      // MS-MPPE-Encryption-Types): the old number no longer decodes to it, or a decoded value would
      // re-encode as the new one. Another name for the old number, if any, takes its place.
      this.valueNames.delete(old.value);
      for (const v of this.values.values()) {
        if (v.value === old.value) {
          this.valueNames.set(v.value, v.name);
          break;
        }
      }
    }
    // The first name given to a number wins for printing, as FreeRADIUS does.
    if (!this.valueNames.has(value)) this.valueNames.set(value, name);
  }
}

/** Default flags: nothing set. */
export function noFlags(): AttributeFlags {
  return { encrypt: 0, hasTag: false, concat: false, array: false, virtual: false };
}

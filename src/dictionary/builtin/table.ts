import type { AttributeFlags, AttributeType } from '../types.js';

/**
 * One attribute row of a built-in table: number (or dotted path such as `241.1` / `26.4` for
 * children), name, type and optional flags.
 */
export type BuiltinAttribute = readonly [
  path: number | string,
  name: string,
  type: AttributeType,
  flags?: Partial<AttributeFlags>,
];

/** A built-in dictionary table written from an RFC's attribute list. */
export interface BuiltinTable {
  /** The RFC (or document) the table is written from, e.g. `RFC 2865`. */
  source: string;
  /** Set for vendor tables: the attributes are sub-attributes of this vendor's VSA. */
  vendor?: { id: number; name: string; typeSize?: 1 | 2 | 4; lengthSize?: 0 | 1 | 2; continuation?: boolean };
  /** With `vendor`: the Extended-Vendor-Specific attribute (e.g. `245.26`) that holds the vendor space. */
  evs?: string;
  attributes: readonly BuiltinAttribute[];
  /** Named values: attribute name → value name → number. */
  values?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

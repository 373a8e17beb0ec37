/** The data types an attribute can have, as named in FreeRADIUS-format dictionaries. */
export type AttributeType =
  | 'string'
  | 'octets'
  | 'ipaddr'
  | 'ipv4prefix'
  | 'ipv6addr'
  | 'ipv6prefix'
  | 'ifid'
  | 'integer'
  | 'integer64'
  | 'date'
  | 'byte'
  | 'short'
  | 'signed'
  | 'ether'
  | 'combo-ip'
  | 'abinary'
  | 'tlv'
  | 'vsa'
  | 'extended'
  | 'long-extended'
  | 'evs';

/** Every attribute type name accepted in a dictionary, in the order of the type list above. */
export const ATTRIBUTE_TYPES: readonly AttributeType[] = [
  'string',
  'octets',
  'ipaddr',
  'ipv4prefix',
  'ipv6addr',
  'ipv6prefix',
  'ifid',
  'integer',
  'integer64',
  'date',
  'byte',
  'short',
  'signed',
  'ether',
  'combo-ip',
  'abinary',
  'tlv',
  'vsa',
  'extended',
  'long-extended',
  'evs',
];

/** Hiding methods: 1 = User-Password (RFC 2865 §5.2), 2 = salted (RFC 2868 §3.5), 3 = Ascend secret. */
export type EncryptMethod = 0 | 1 | 2 | 3;

/** Dictionary flags of an attribute. */
export interface AttributeFlags {
  encrypt: EncryptMethod;
  /** RFC 2868 tag byte before the value. */
  hasTag: boolean;
  /** Long values split over several attributes and joined on decode (EAP-Message). */
  concat: boolean;
  /** Several values packed into one attribute. */
  array: boolean;
  /** Never on the wire (server-side only). */
  virtual: boolean;
  /** Fixed size of an `octets[N]` attribute. */
  length?: number;
}

/** The decoded value of a RADIUS attribute, typed by its dictionary type. */
export type AttributeValue = string | number | bigint | Buffer | Date;

/** A value as accepted when adding an attribute (strings are parsed for non-string types). */
export type AttributeInput = AttributeValue | Uint8Array;

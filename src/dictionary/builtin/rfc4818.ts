import type { BuiltinTable } from './table.js';

/** RFC 4818 (RADIUS Delegated-IPv6-Prefix attribute). */
export const rfc4818: BuiltinTable = {
  source: 'RFC 4818',
  // §3: same layout as Framed-IPv6-Prefix (RFC 3162 §2.3).
  attributes: [[123, 'Delegated-IPv6-Prefix', 'ipv6prefix']],
};

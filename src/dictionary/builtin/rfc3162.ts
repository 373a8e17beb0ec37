import type { BuiltinTable } from './table.js';

/** RFC 3162 (RADIUS and IPv6) attributes, section 2. */
export const rfc3162: BuiltinTable = {
  source: 'RFC 3162',
  attributes: [
    [95, 'NAS-IPv6-Address', 'ipv6addr'],
    // §2.2: the 8-octet IPv6 interface identifier.
    [96, 'Framed-Interface-Id', 'ifid'],
    [97, 'Framed-IPv6-Prefix', 'ipv6prefix'],
    [98, 'Login-IPv6-Host', 'ipv6addr'],
    [99, 'Framed-IPv6-Route', 'string'],
    [100, 'Framed-IPv6-Pool', 'string'],
  ],
};

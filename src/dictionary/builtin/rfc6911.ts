import type { BuiltinTable } from './table.js';

/** RFC 6911 (RADIUS attributes for IPv6 access networks), section 3. */
export const rfc6911: BuiltinTable = {
  source: 'RFC 6911',
  attributes: [
    [168, 'Framed-IPv6-Address', 'ipv6addr'],
    [169, 'DNS-Server-IPv6-Address', 'ipv6addr'],
    [170, 'Route-IPv6-Information', 'ipv6prefix'],
    [171, 'Delegated-IPv6-Prefix-Pool', 'string'],
    [172, 'Stateful-IPv6-Address-Pool', 'string'],
  ],
};

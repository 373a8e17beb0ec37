import type { BuiltinTable } from './table.js';

/** RFC 6572 (RADIUS support for Proxy Mobile IPv6), section 4. */
export const rfc6572: BuiltinTable = {
  source: 'RFC 6572',
  attributes: [
    [145, 'Mobile-Node-Identifier', 'octets'],
    [146, 'Service-Selection', 'string'],
    [147, 'PMIP6-Home-LMA-IPv6-Address', 'ipv6addr'],
    [148, 'PMIP6-Visited-LMA-IPv6-Address', 'ipv6addr'],
    [149, 'PMIP6-Home-LMA-IPv4-Address', 'ipaddr'],
    [150, 'PMIP6-Visited-LMA-IPv4-Address', 'ipaddr'],
    [151, 'PMIP6-Home-HN-Prefix', 'ipv6prefix'],
    [152, 'PMIP6-Visited-HN-Prefix', 'ipv6prefix'],
    [153, 'PMIP6-Home-Interface-ID', 'ifid'],
    [154, 'PMIP6-Visited-Interface-ID', 'ifid'],
    // §4.12, §4.13: reserved bits, a 6-bit prefix length and an IPv4 address.
    [155, 'PMIP6-Home-IPv4-HoA', 'ipv4prefix'],
    [156, 'PMIP6-Visited-IPv4-HoA', 'ipv4prefix'],
    [157, 'PMIP6-Home-DHCP4-Server-Address', 'ipaddr'],
    [158, 'PMIP6-Visited-DHCP4-Server-Address', 'ipaddr'],
    [159, 'PMIP6-Home-DHCP6-Server-Address', 'ipv6addr'],
    [160, 'PMIP6-Visited-DHCP6-Server-Address', 'ipv6addr'],
    [161, 'PMIP6-Home-IPv4-Gateway', 'ipaddr'],
    [162, 'PMIP6-Visited-IPv4-Gateway', 'ipaddr'],
  ],
};

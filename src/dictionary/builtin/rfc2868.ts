import type { BuiltinTable } from './table.js';

/** RFC 2868 (RADIUS tunnel attributes). Every attribute carries the §3 tag byte. */
export const rfc2868: BuiltinTable = {
  source: 'RFC 2868',
  attributes: [
    // §3.1, §3.2, §3.8: integers whose value is three octets after the tag.
    [64, 'Tunnel-Type', 'integer', { hasTag: true }],
    [65, 'Tunnel-Medium-Type', 'integer', { hasTag: true }],
    [66, 'Tunnel-Client-Endpoint', 'string', { hasTag: true }],
    [67, 'Tunnel-Server-Endpoint', 'string', { hasTag: true }],
    // §3.5: salted hiding.
    [69, 'Tunnel-Password', 'string', { hasTag: true, encrypt: 2 }],
    [81, 'Tunnel-Private-Group-ID', 'string', { hasTag: true }],
    [82, 'Tunnel-Assignment-ID', 'string', { hasTag: true }],
    [83, 'Tunnel-Preference', 'integer', { hasTag: true }],
    [90, 'Tunnel-Client-Auth-ID', 'string', { hasTag: true }],
    [91, 'Tunnel-Server-Auth-ID', 'string', { hasTag: true }],
  ],
  values: {
    'Tunnel-Type': {
      PPTP: 1,
      L2F: 2,
      L2TP: 3,
      ATMP: 4,
      VTP: 5,
      AH: 6,
      'IP-IP': 7,
      'MIN-IP-IP': 8,
      ESP: 9,
      GRE: 10,
      DVS: 11,
      'IP-in-IP': 12,
    },
    // §3.2: the relevant part of the IANA "Address Family Numbers".
    'Tunnel-Medium-Type': {
      IPv4: 1,
      IPv6: 2,
      NSAP: 3,
      HDLC: 4,
      'BBN-1822': 5,
      'IEEE-802': 6,
      'E.163': 7,
      'E.164': 8,
      'F.69': 9,
      'X.121': 10,
      IPX: 11,
      AppleTalk: 12,
      'DecNet-IV': 13,
      'Banyan-Vines': 14,
      'E.164-NSAP': 15,
    },
  },
};

import type { BuiltinTable } from './table.js';

/** RFC 2548 (Microsoft vendor-specific RADIUS attributes), vendor 311, section 2. */
export const microsoft: BuiltinTable = {
  source: 'RFC 2548',
  vendor: { id: 311, name: 'Microsoft' },
  attributes: [
    [1, 'MS-CHAP-Response', 'octets'],
    // §2.1.5, §2.1.4, §2.3.3: a binary Ident octet precedes the text, so keep them as octets.
    [2, 'MS-CHAP-Error', 'octets'],
    [3, 'MS-CHAP-CPW-1', 'octets'],
    [4, 'MS-CHAP-CPW-2', 'octets'],
    [5, 'MS-CHAP-LM-Enc-PW', 'octets'],
    [6, 'MS-CHAP-NT-Enc-PW', 'octets'],
    [7, 'MS-MPPE-Encryption-Policy', 'integer'],
    // §2.4.5: a bit set (L = 40-bit RC4, S = 128-bit RC4).
    [8, 'MS-MPPE-Encryption-Types', 'integer'],
    [9, 'MS-RAS-Vendor', 'integer'],
    [10, 'MS-CHAP-Domain', 'octets'],
    [11, 'MS-CHAP-Challenge', 'octets'],
    // §2.4.1: hidden like User-Password (RFC 2865 §5.2).
    [12, 'MS-CHAP-MPPE-Keys', 'octets', { encrypt: 1 }],
    [13, 'MS-BAP-Usage', 'integer'],
    [14, 'MS-Link-Utilization-Threshold', 'integer'],
    [15, 'MS-Link-Drop-Time-Limit', 'integer'],
    // §2.4.2, §2.4.3: salted hiding, the same scheme as Tunnel-Password (RFC 2868 §3.5).
    [16, 'MS-MPPE-Send-Key', 'octets', { encrypt: 2 }],
    [17, 'MS-MPPE-Recv-Key', 'octets', { encrypt: 2 }],
    [18, 'MS-RAS-Version', 'string'],
    [19, 'MS-Old-ARAP-Password', 'octets'],
    [20, 'MS-New-ARAP-Password', 'octets'],
    [21, 'MS-ARAP-Password-Change-Reason', 'integer'],
    [22, 'MS-Filter', 'octets'],
    [23, 'MS-Acct-Auth-Type', 'integer'],
    [24, 'MS-Acct-EAP-Type', 'integer'],
    [25, 'MS-CHAP2-Response', 'octets'],
    [26, 'MS-CHAP2-Success', 'octets'],
    [27, 'MS-CHAP2-CPW', 'octets'],
    [28, 'MS-Primary-DNS-Server', 'ipaddr'],
    [29, 'MS-Secondary-DNS-Server', 'ipaddr'],
    [30, 'MS-Primary-NBNS-Server', 'ipaddr'],
    [31, 'MS-Secondary-NBNS-Server', 'ipaddr'],
    [33, 'MS-ARAP-Challenge', 'octets'],
  ],
  values: {
    'MS-MPPE-Encryption-Policy': { 'Encryption-Allowed': 1, 'Encryption-Required': 2 },
    'MS-MPPE-Encryption-Types': {
      'RC4-40bit-Allowed': 2,
      'RC4-128bit-Allowed': 4,
      'RC4-40or128-bit-Allowed': 6,
    },
    'MS-BAP-Usage': { 'Not-Allowed': 0, Allowed: 1, Required: 2 },
    'MS-ARAP-Password-Change-Reason': {
      'Just-Change-Password': 1,
      'Expired-Password': 2,
      'Admin-Requires-Password-Change': 3,
      'Password-Too-Short': 4,
    },
    'MS-Acct-Auth-Type': { PAP: 1, CHAP: 2, 'MS-CHAP-1': 3, 'MS-CHAP-2': 4, EAP: 5 },
    'MS-Acct-EAP-Type': { MD5: 4, OTP: 5, 'Generic-Token-Card': 6, TLS: 13 },
  },
};

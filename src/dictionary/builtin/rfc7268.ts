import type { BuiltinTable } from './table.js';

/** RFC 7268 (RADIUS attributes for IEEE 802 networks), section 2. */
export const rfc7268: BuiltinTable = {
  source: 'RFC 7268',
  attributes: [
    // §2.2: allocated by RFC 4072; the value is the binary EAP Session-Id.
    [102, 'EAP-Key-Name', 'octets'],
    [174, 'Allowed-Called-Station-Id', 'string'],
    // §2.3, §2.4, §2.7: to be handled as undistinguished octets.
    [175, 'EAP-Peer-Id', 'octets'],
    [176, 'EAP-Server-Id', 'octets'],
    [177, 'Mobility-Domain-Id', 'integer'],
    [178, 'Preauth-Timeout', 'integer'],
    [179, 'Network-Id-Name', 'octets'],
    // §2.8: several attributes are joined before the TLVs inside are parsed.
    [180, 'EAPoL-Announcement', 'octets', { concat: true }],
    [181, 'WLAN-HESSID', 'string'],
    [182, 'WLAN-Venue-Info', 'integer'],
    // §2.11: an ISO-639 code, padded with a zero octet when it has two letters.
    [183, 'WLAN-Venue-Language', 'octets'],
    [184, 'WLAN-Venue-Name', 'string'],
    [185, 'WLAN-Reason-Code', 'integer'],
    [186, 'WLAN-Pairwise-Cipher', 'integer'],
    [187, 'WLAN-Group-Cipher', 'integer'],
    [188, 'WLAN-AKM-Suite', 'integer'],
    [189, 'WLAN-Group-Mgmt-Cipher', 'integer'],
    [190, 'WLAN-RF-Band', 'integer'],
  ],
};

import type { BuiltinTable } from './table.js';

/** RFC 5090 (RADIUS extension for Digest authentication), section 3. */
export const rfc5090: BuiltinTable = {
  source: 'RFC 5090',
  attributes: [
    [103, 'Digest-Response', 'string'],
    [104, 'Digest-Realm', 'string'],
    [105, 'Digest-Nonce', 'string'],
    [106, 'Digest-Response-Auth', 'string'],
    [107, 'Digest-Nextnonce', 'string'],
    [108, 'Digest-Method', 'string'],
    [109, 'Digest-URI', 'string'],
    [110, 'Digest-Qop', 'string'],
    [111, 'Digest-Algorithm', 'string'],
    [112, 'Digest-Entity-Body-Hash', 'string'],
    [113, 'Digest-CNonce', 'string'],
    [114, 'Digest-Nonce-Count', 'string'],
    [115, 'Digest-Username', 'string'],
    [116, 'Digest-Opaque', 'string'],
    [117, 'Digest-Auth-Param', 'string'],
    [118, 'Digest-AKA-Auts', 'string'],
    [119, 'Digest-Domain', 'string'],
    [120, 'Digest-Stale', 'string'],
    [121, 'Digest-HA1', 'string'],
    [122, 'SIP-AOR', 'string'],
  ],
};

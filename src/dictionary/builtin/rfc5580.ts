import type { BuiltinTable } from './table.js';

/** RFC 5580 (location information in RADIUS), section 4. */
export const rfc5580: BuiltinTable = {
  source: 'RFC 5580',
  attributes: [
    // §4.1: a one-octet namespace id followed by the operator name (text).
    [126, 'Operator-Name', 'string'],
    // §4.2 to §4.4: binary structures (the RFC 6158 "string" data type).
    [127, 'Location-Information', 'octets'],
    [128, 'Location-Data', 'octets'],
    [129, 'Basic-Location-Policy-Rules', 'octets'],
    // §4.5: a URI.
    [130, 'Extended-Location-Policy-Rules', 'string'],
    // §4.6, §4.7: bit sets.
    [131, 'Location-Capable', 'integer'],
    [132, 'Requested-Location-Info', 'integer'],
  ],
  values: {
    'Location-Capable': {
      'Civic-Location': 1,
      'Geo-Location': 2,
      'Users-Location': 4,
      'NAS-Location': 8,
    },
    'Requested-Location-Info': {
      'Civic-Location': 1,
      'Geo-Location': 2,
      'Users-Location': 4,
      'NAS-Location': 8,
      'Future-Requests': 16,
      None: 32,
    },
  },
};

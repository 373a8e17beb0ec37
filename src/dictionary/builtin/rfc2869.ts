import type { BuiltinTable } from './table.js';

/** RFC 2869 (RADIUS Extensions) attributes and values, section 5. */
export const rfc2869: BuiltinTable = {
  source: 'RFC 2869',
  attributes: [
    [52, 'Acct-Input-Gigawords', 'integer'],
    [53, 'Acct-Output-Gigawords', 'integer'],
    // §5.3: seconds since 1970-01-01 UTC.
    [55, 'Event-Timestamp', 'date'],
    [70, 'ARAP-Password', 'octets'],
    [71, 'ARAP-Features', 'octets'],
    [72, 'ARAP-Zone-Access', 'integer'],
    [73, 'ARAP-Security', 'integer'],
    [74, 'ARAP-Security-Data', 'string'],
    [75, 'Password-Retry', 'integer'],
    [76, 'Prompt', 'integer'],
    [77, 'Connect-Info', 'string'],
    // §5.12: site-specific content, usually printable.
    [78, 'Configuration-Token', 'string'],
    // §5.13: one EAP packet may span several attributes; they are joined in order.
    [79, 'EAP-Message', 'octets', { concat: true }],
    [80, 'Message-Authenticator', 'octets'],
    [84, 'ARAP-Challenge-Response', 'octets'],
    [85, 'Acct-Interim-Interval', 'integer'],
    [87, 'NAS-Port-Id', 'string'],
    [88, 'Framed-Pool', 'string'],
  ],
  values: {
    'ARAP-Zone-Access': {
      'Default-Zone': 1,
      'Zone-Filter-Inclusive': 2,
      'Zone-Filter-Exclusive': 4,
    },
    Prompt: { 'No-Echo': 0, Echo: 1 },
  },
};

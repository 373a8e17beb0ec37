import type { BuiltinTable } from './table.js';

/** RFC 2867 (RADIUS Accounting for tunnels) attributes and Acct-Status-Type values. */
export const rfc2867: BuiltinTable = {
  source: 'RFC 2867',
  attributes: [
    [68, 'Acct-Tunnel-Connection', 'string'],
    [86, 'Acct-Tunnel-Packets-Lost', 'integer'],
  ],
  values: {
    // §3.
    'Acct-Status-Type': {
      'Tunnel-Start': 9,
      'Tunnel-Stop': 10,
      'Tunnel-Reject': 11,
      'Tunnel-Link-Start': 12,
      'Tunnel-Link-Stop': 13,
      'Tunnel-Link-Reject': 14,
    },
  },
};

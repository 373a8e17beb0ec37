import type { BuiltinTable } from './table.js';

/** RFC 3580 (IEEE 802.1X RADIUS usage): no new attributes, only the values of its §6. */
export const rfc3580: BuiltinTable = {
  source: 'RFC 3580',
  attributes: [],
  values: {
    'NAS-Port-Type': { 'Token-Ring': 20, FDDI: 21 },
    // §3.31: VLAN assignment through the tunnel attributes.
    'Tunnel-Type': { VLAN: 13 },
    'Acct-Terminate-Cause': {
      'Supplicant-Restart': 19,
      'Reauthentication-Failure': 20,
      'Port-Reinitialized': 21,
      'Port-Administratively-Disabled': 22,
    },
  },
};

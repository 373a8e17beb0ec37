import type { BuiltinTable } from './table.js';

/** RFC 4675 (RADIUS attributes for VLAN and priority support), section 2. */
export const rfc4675: BuiltinTable = {
  source: 'RFC 4675',
  attributes: [
    // §2.1: tag indication (0x31/0x32), 12 pad bits and the 12-bit VLAN ID in one integer.
    [56, 'Egress-VLANID', 'integer'],
    [57, 'Ingress-Filters', 'integer'],
    // §2.3: a tag indication character followed by the VLAN name.
    [58, 'Egress-VLAN-Name', 'string'],
    // §2.4: eight octets, one regenerated priority per incoming priority.
    [59, 'User-Priority-Table', 'octets'],
  ],
  values: {
    'Ingress-Filters': { Enabled: 1, Disabled: 2 },
  },
};

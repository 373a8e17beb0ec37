import type { BuiltinTable } from './table.js';

/** RFC 2866 (RADIUS Accounting) attributes and values, section 5. */
export const rfc2866: BuiltinTable = {
  source: 'RFC 2866',
  attributes: [
    [40, 'Acct-Status-Type', 'integer'],
    [41, 'Acct-Delay-Time', 'integer'],
    [42, 'Acct-Input-Octets', 'integer'],
    [43, 'Acct-Output-Octets', 'integer'],
    [44, 'Acct-Session-Id', 'string'],
    [45, 'Acct-Authentic', 'integer'],
    [46, 'Acct-Session-Time', 'integer'],
    [47, 'Acct-Input-Packets', 'integer'],
    [48, 'Acct-Output-Packets', 'integer'],
    [49, 'Acct-Terminate-Cause', 'integer'],
    [50, 'Acct-Multi-Session-Id', 'string'],
    [51, 'Acct-Link-Count', 'integer'],
  ],
  values: {
    // §5.1; 9-14 are the tunnel values of RFC 2867.
    'Acct-Status-Type': {
      Start: 1,
      Stop: 2,
      'Interim-Update': 3,
      'Accounting-On': 7,
      'Accounting-Off': 8,
    },
    'Acct-Authentic': { RADIUS: 1, Local: 2, Remote: 3 },
    'Acct-Terminate-Cause': {
      'User-Request': 1,
      'Lost-Carrier': 2,
      'Lost-Service': 3,
      'Idle-Timeout': 4,
      'Session-Timeout': 5,
      'Admin-Reset': 6,
      'Admin-Reboot': 7,
      'Port-Error': 8,
      'NAS-Error': 9,
      'NAS-Request': 10,
      'NAS-Reboot': 11,
      'Port-Unneeded': 12,
      'Port-Preempted': 13,
      'Port-Suspended': 14,
      'Service-Unavailable': 15,
      Callback: 16,
      'User-Error': 17,
      'Host-Request': 18,
    },
  },
};

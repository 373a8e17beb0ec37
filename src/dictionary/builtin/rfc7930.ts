import type { BuiltinTable } from './table.js';

/** RFC 7930 (larger packets for RADIUS over TCP): attributes in the 241 space and its Error-Cause value. */
export const rfc7930: BuiltinTable = {
  source: 'RFC 7930',
  attributes: [
    // The largest response the sender of a request can accept.
    ['241.3', 'Response-Length', 'integer'],
    // Carried in Protocol-Error (code 52): the code of the request it answers.
    ['241.4', 'Original-Packet-Code', 'integer'],
  ],
  values: {
    'Error-Cause': { 'Response-Too-Big': 601 },
  },
};

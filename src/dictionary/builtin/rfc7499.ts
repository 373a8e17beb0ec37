import type { BuiltinTable } from './table.js';

/** RFC 7499 (fragmentation of RADIUS packets): attributes of §10 in the 241 space, values of §14. */
export const rfc7499: BuiltinTable = {
  source: 'RFC 7499',
  attributes: [
    ['241.1', 'Frag-Status', 'integer'],
    ['241.2', 'Proxy-State-Length', 'integer'],
  ],
  values: {
    'Frag-Status': {
      Reserved: 0,
      'Fragmentation-Supported': 1,
      'More-Data-Pending': 2,
      'More-Data-Request': 3,
    },
    'Service-Type': { 'Additional-Authorization': 19 },
  },
};

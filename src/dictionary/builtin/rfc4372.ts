import type { BuiltinTable } from './table.js';

/** RFC 4372 (Chargeable User Identity). */
export const rfc4372: BuiltinTable = {
  source: 'RFC 4372',
  // §2.2: an opaque token, compared byte for byte; a lone NUL signals support.
  attributes: [[89, 'Chargeable-User-Identity', 'octets']],
};

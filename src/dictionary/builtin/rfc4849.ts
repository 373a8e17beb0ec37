import type { BuiltinTable } from './table.js';

/** RFC 4849 (RADIUS Filter Rule attribute). */
export const rfc4849: BuiltinTable = {
  source: 'RFC 4849',
  // §2: NUL-separated IPFilterRule text; a rule may continue in the next attribute.
  attributes: [[92, 'NAS-Filter-Rule', 'string']],
};

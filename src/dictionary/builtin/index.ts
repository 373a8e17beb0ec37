import type { Dictionary } from '../dictionary.js';
import { microsoft } from './microsoft.js';
import { rfc2865 } from './rfc2865.js';
import { rfc2866 } from './rfc2866.js';
import { rfc2867 } from './rfc2867.js';
import { rfc2868 } from './rfc2868.js';
import { rfc2869 } from './rfc2869.js';
import { rfc3162 } from './rfc3162.js';
import { rfc3580 } from './rfc3580.js';
import { rfc4372 } from './rfc4372.js';
import { rfc4675 } from './rfc4675.js';
import { rfc4818 } from './rfc4818.js';
import { rfc4849 } from './rfc4849.js';
import { rfc5090 } from './rfc5090.js';
import { rfc5176 } from './rfc5176.js';
import { rfc5580 } from './rfc5580.js';
import { rfc6572 } from './rfc6572.js';
import { rfc6911 } from './rfc6911.js';
import { rfc6929 } from './rfc6929.js';
import { rfc7268 } from './rfc7268.js';
import { rfc7499 } from './rfc7499.js';
import { rfc7930 } from './rfc7930.js';
import type { BuiltinTable } from './table.js';

/**
 * Every built-in table, in load order (a later table may use an earlier one's parents): by RFC
 * number, so values that later RFCs add to older attributes come after those attributes, and the
 * 241 space of RFC 6929 comes before RFC 7499 and RFC 7930 fill it.
 */
export const BUILTIN_TABLES: readonly BuiltinTable[] = [
  rfc2865,
  rfc2866,
  rfc2867,
  rfc2868,
  rfc2869,
  rfc3162,
  rfc3580,
  rfc4372,
  rfc4675,
  rfc4818,
  rfc4849,
  rfc5090,
  rfc5176,
  rfc5580,
  rfc6572,
  rfc6911,
  rfc6929,
  rfc7268,
  rfc7499,
  rfc7930,
  microsoft,
];

/** Defines every built-in table's vendors, attributes and values in `dict`. */
export function installBuiltins(dict: Dictionary): void {
  for (const table of BUILTIN_TABLES) installTable(dict, table);
}

/** Defines one table's vendor, attributes and values in `dict`. */
export function installTable(dict: Dictionary, table: BuiltinTable): void {
  const v = table.vendor;
  if (v) dict.addVendor(v.id, v.name, v.typeSize ?? 1, v.lengthSize ?? 1, v.continuation ?? false);
  const evs = table.evs?.split('.').map(Number);
  for (const [path, name, type, flags] of table.attributes) {
    dict.addAttribute({
      name,
      path: typeof path === 'number' ? [path] : path.split('.').map(Number),
      type,
      flags,
      vendor: v?.id,
      evs,
    });
  }
  for (const [attr, values] of Object.entries(table.values ?? {})) {
    for (const [name, value] of Object.entries(values)) dict.addValue(attr, name, value);
  }
}

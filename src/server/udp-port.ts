import { ConfigError } from '../errors.js';

/**
 * A UDP port option: undefined takes `fallback`, null means no UDP listener, else a port number
 * (0 picks a free one). `source` and `field` name the option in the ConfigError of a bad value.
 */
export function udpPort(
  value: number | null | undefined,
  fallback: number | null,
  source: string,
  field: string,
): number | null {
  if (value === undefined) return fallback;
  if (value === null || (Number.isInteger(value) && value >= 0 && value <= 65535)) return value;
  throw new ConfigError(
    source,
    field,
    `${String(value)} is not a port: give 0..65535, or null for no UDP listener`,
  );
}

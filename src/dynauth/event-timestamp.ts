import type { AttributeValue } from '../dictionary/types.js';

/**
 * Whether an Event-Timestamp value lies within `windowSeconds` of `nowMs`, either side (RFC 5176
 * §6.3 replay protection; clocks are only loosely synchronised). A value that did not decode as a
 * date is never current.
 */
export function isEventTimestampCurrent(
  value: AttributeValue | undefined,
  windowSeconds: number,
  nowMs: number = Date.now(),
): boolean {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value * 1000;
  else return false;
  return Number.isFinite(ms) && Math.abs(nowMs - ms) <= windowSeconds * 1000;
}

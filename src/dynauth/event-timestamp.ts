import type { AttributeValue } from '../dictionary/types.js';
import { InvalidValueError } from '../errors.js';

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

/**
 * The Event-Timestamp window when none is configured, in seconds. RFC 5176 §6.3 makes the check a
 * MUST whenever the attribute is present and finds 300 s adequate in many circumstances.
 */
export const DEFAULT_EVENT_TIMESTAMP_WINDOW = 300;

/**
 * The window in effect for an `eventTimestampWindow` option: the default when undefined, undefined
 * (no check) for 0 or false; anything but a positive finite number of seconds is refused.
 */
export function eventTimestampWindowOf(option: number | false | undefined): number | undefined {
  if (option === undefined) return DEFAULT_EVENT_TIMESTAMP_WINDOW;
  if (option === false || option === 0) return undefined;
  if (typeof option === 'number' && Number.isFinite(option) && option > 0) return option;
  throw new InvalidValueError(
    'eventTimestampWindow',
    'must be a positive number of seconds, or 0 or false for none',
  );
}

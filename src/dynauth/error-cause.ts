import { defaultDictionary, type Dictionary } from '../dictionary/dictionary.js';
import type { AttributeEntry, AttributesSet } from '../protocol/attributes.js';
import { COA_ACK, COA_NAK, DISCONNECT_ACK, DISCONNECT_NAK } from '../protocol/codes.js';

/** Error-Cause values of RFC 5176 §3.5 (attribute 101). */
export const ERROR_CAUSE = {
  /** Disconnect-ACK only: the session was gone, its residual context removed. */
  RESIDUAL_SESSION_CONTEXT_REMOVED: 201,
  /** Non-fatal; RFC 5176 implementations never send it. */
  INVALID_EAP_PACKET: 202,
  UNSUPPORTED_ATTRIBUTE: 401,
  MISSING_ATTRIBUTE: 402,
  NAS_IDENTIFICATION_MISMATCH: 403,
  INVALID_REQUEST: 404,
  /** Not for Disconnect-Requests. */
  UNSUPPORTED_SERVICE: 405,
  UNSUPPORTED_EXTENSION: 406,
  INVALID_ATTRIBUTE_VALUE: 407,
  ADMINISTRATIVELY_PROHIBITED: 501,
  /** Proxies only, never a NAS. */
  REQUEST_NOT_ROUTABLE: 502,
  SESSION_CONTEXT_NOT_FOUND: 503,
  /** Disconnect-NAK only. */
  SESSION_CONTEXT_NOT_REMOVABLE: 504,
  OTHER_PROXY_PROCESSING_ERROR: 505,
  RESOURCES_UNAVAILABLE: 506,
  /** CoA-NAK answering a CoA-Request with Service-Type Authorize-Only. */
  REQUEST_INITIATED: 507,
  MULTIPLE_SESSION_SELECTION_UNSUPPORTED: 508,
} as const;

/** One of the RFC 5176 Error-Cause values. */
export type ErrorCause = (typeof ERROR_CAUSE)[keyof typeof ERROR_CAUSE];

/**
 * Why `value` may not go in a reply of `code` (RFC 5176 §3.5), or undefined when it may:
 * 2xx only in ACKs, 4xx/5xx only in NAKs, plus the per-value restrictions of the value list.
 */
export function errorCauseRefusal(code: number, value: number): string | undefined {
  const ack = code === COA_ACK || code === DISCONNECT_ACK;
  const nak = code === COA_NAK || code === DISCONNECT_NAK;
  if (!ack && !nak) return `Error-Cause is not sent in code ${code}`;
  if (value === ERROR_CAUSE.INVALID_EAP_PACKET) return 'Error-Cause 202 must not be sent (RFC 5176 §3.5)';
  if (value >= 200 && value <= 299) {
    if (!ack) return `Error-Cause ${value} (success) may only be sent in an ACK`;
    if (value === ERROR_CAUSE.RESIDUAL_SESSION_CONTEXT_REMOVED && code !== DISCONNECT_ACK)
      return 'Error-Cause 201 may only be sent in a Disconnect-ACK';
    return undefined;
  }
  if (value >= 400 && value <= 599) {
    if (!nak) return `Error-Cause ${value} (error) may only be sent in a NAK`;
    if (value === ERROR_CAUSE.UNSUPPORTED_SERVICE && code === DISCONNECT_NAK)
      return 'Error-Cause 405 cannot answer a Disconnect-Request';
    if (value === ERROR_CAUSE.SESSION_CONTEXT_NOT_REMOVABLE && code !== DISCONNECT_NAK)
      return 'Error-Cause 504 may only be sent in a Disconnect-NAK';
    if (value === ERROR_CAUSE.REQUEST_INITIATED && code !== COA_NAK)
      return 'Error-Cause 507 may only be sent in a CoA-NAK';
    return undefined;
  }
  return `Error-Cause ${value} is in a reserved range`;
}

/**
 * The Error-Cause numbers in an attribute set. The codec decodes known values to their names
 * ('Missing-Attribute'); this maps them back through the dictionary.
 */
export function errorCauses(attributes: AttributesSet): number[] {
  const def = attributes.dictionary.attribute('Error-Cause');
  if (!def) return [];
  const out: number[] = [];
  for (const e of attributes.entries) {
    if (e.def !== def) continue;
    const v = errorCauseNumber(e);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** The number of one Error-Cause entry (its name mapped back through its definition), or undefined. */
export function errorCauseNumber(entry: AttributeEntry): number | undefined {
  const v = entry.value;
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const named = entry.def.values.get(v.toLowerCase());
  return named === undefined ? undefined : Number(named.value);
}

/** The name the dictionary gives an Error-Cause value (`Missing-Attribute`), or `Error-Cause-N`. */
export function errorCauseName(value: number, dictionary: Dictionary = defaultDictionary): string {
  return dictionary.attribute('Error-Cause')?.valueNames.get(value) ?? `Error-Cause-${value}`;
}

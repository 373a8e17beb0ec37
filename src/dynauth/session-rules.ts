import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { AttributeDef } from '../dictionary/definitions.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { InvalidValueError } from '../errors.js';
import type { AttributeEntry, AttributesSet } from '../protocol/attributes.js';
import {
  COA_ACK,
  COA_NAK,
  COA_REQUEST,
  codeName,
  DISCONNECT_ACK,
  DISCONNECT_NAK,
  DISCONNECT_REQUEST,
} from '../protocol/codes.js';
import {
  ERROR_CAUSE,
  type ErrorCause,
  errorCauseNumber,
  errorCauseRefusal,
  errorCauses,
} from './error-cause.js';

// Attribute numbers used below (RFC 2865, 2866, 2869, 3162, 4372, 5176).
const USER_NAME = 1;
const NAS_IP_ADDRESS = 4;
const NAS_PORT = 5;
const SERVICE_TYPE = 6;
const FRAMED_IP_ADDRESS = 8;
const REPLY_MESSAGE = 18;
const STATE = 24;
const CLASS = 25;
const VENDOR_SPECIFIC = 26;
const CALLED_STATION_ID = 30;
const CALLING_STATION_ID = 31;
const NAS_IDENTIFIER = 32;
const PROXY_STATE = 33;
const ACCT_SESSION_ID = 44;
const ACCT_TERMINATE_CAUSE = 49;
const ACCT_MULTI_SESSION_ID = 50;
const EVENT_TIMESTAMP = 55;
const EAP_MESSAGE = 79;
const MESSAGE_AUTHENTICATOR = 80;
const NAS_PORT_ID = 87;
const CHARGEABLE_USER_IDENTITY = 89;
const ORIGINATING_LINE_INFO = 94;
const NAS_IPV6_ADDRESS = 95;
const FRAMED_INTERFACE_ID = 96;
const FRAMED_IPV6_PREFIX = 97;
const ERROR_CAUSE_ATTR = 101;

/** Service-Type "Authorize Only" (RFC 5176 §3.2). */
export const AUTHORIZE_ONLY = 17;

/** NAS identification attributes (RFC 5176 §3): NAS-IP-Address, NAS-Identifier, NAS-IPv6-Address. */
export const NAS_IDENTIFICATION_ATTRIBUTES: readonly number[] = [
  NAS_IP_ADDRESS,
  NAS_IDENTIFIER,
  NAS_IPV6_ADDRESS,
];

/** Session identification attributes (RFC 5176 §3), Vendor-Specific included. */
export const SESSION_IDENTIFICATION_ATTRIBUTES: readonly number[] = [
  USER_NAME,
  NAS_PORT,
  FRAMED_IP_ADDRESS,
  VENDOR_SPECIFIC,
  CALLED_STATION_ID,
  CALLING_STATION_ID,
  ACCT_SESSION_ID,
  ACCT_MULTI_SESSION_ID,
  NAS_PORT_ID,
  CHARGEABLE_USER_IDENTITY,
  FRAMED_INTERFACE_ID,
  FRAMED_IPV6_PREFIX,
];

const IDENTIFICATION = new Set([...NAS_IDENTIFICATION_ATTRIBUTES, ...SESSION_IDENTIFICATION_ATTRIBUTES]);

// A Disconnect-Request holds only identification attributes (§3) and those §3.6's table allows in
// it. The table's 0 for Framed-IP-Address, Framed-Interface-Id and Framed-IPv6-Prefix contradicts
// §3, which lists them as session identification; §3 wins (deployed DACs send Framed-IP-Address).
const DISCONNECT_ALLOWED = new Set([
  ...IDENTIFICATION,
  REPLY_MESSAGE,
  CLASS,
  PROXY_STATE,
  ACCT_TERMINATE_CAUSE,
  EVENT_TIMESTAMP,
  EAP_MESSAGE,
  MESSAGE_AUTHENTICATOR,
]);

// §3.6: attributes a CoA-Request must not carry. Others are authorization changes the NAS applies
// or refuses itself (the handler), since support for them is the NAS's own (§2.3).
const COA_FORBIDDEN = new Set([ORIGINATING_LINE_INFO, ERROR_CAUSE_ATTR]);

// §3.2: an Authorize-Only CoA-Request holds identification attributes and State; Service-Type,
// Proxy-State, Message-Authenticator and Event-Timestamp are the request's own mechanics.
const AUTHORIZE_ONLY_ALLOWED = new Set([
  ...IDENTIFICATION,
  STATE,
  SERVICE_TYPE,
  PROXY_STATE,
  MESSAGE_AUTHENTICATOR,
  EVENT_TIMESTAMP,
]);

// §3.6 "0-1" for the attributes the DAS itself interprets: identification, State (§3.3 repeats
// it), Service-Type, Event-Timestamp, Message-Authenticator. Counts of authorization attributes
// are the NAS's business (RFC 4849 allows several NAS-Filter-Rule where §3.6 says 0-1).
const AT_MOST_ONE = new Set([
  USER_NAME,
  NAS_IP_ADDRESS,
  NAS_PORT,
  SERVICE_TYPE,
  FRAMED_IP_ADDRESS,
  STATE,
  CALLED_STATION_ID,
  CALLING_STATION_ID,
  NAS_IDENTIFIER,
  ACCT_SESSION_ID,
  ACCT_MULTI_SESSION_ID,
  EVENT_TIMESTAMP,
  MESSAGE_AUTHENTICATOR,
  NAS_PORT_ID,
  CHARGEABLE_USER_IDENTITY,
  NAS_IPV6_ADDRESS,
  FRAMED_INTERFACE_ID,
]);

// §3.6, ACK and NAK columns: attribute → how many may appear (Infinity for 0+). Error-Cause is
// checked value by value against §3.5 instead (201 goes in a Disconnect-ACK, which the table omits).
const REPLY_TABLE: Readonly<Record<number, ReadonlyMap<number, number>>> = {
  [COA_ACK]: new Map([
    [STATE, 1],
    [PROXY_STATE, Infinity],
    [EVENT_TIMESTAMP, 1],
    [EAP_MESSAGE, Infinity],
    [MESSAGE_AUTHENTICATOR, 1],
    [ERROR_CAUSE_ATTR, Infinity],
  ]),
  [COA_NAK]: new Map([
    [SERVICE_TYPE, 1],
    [STATE, 1],
    [PROXY_STATE, Infinity],
    [EVENT_TIMESTAMP, 1],
    [MESSAGE_AUTHENTICATOR, 1],
    [ERROR_CAUSE_ATTR, Infinity],
  ]),
  [DISCONNECT_ACK]: new Map([
    [PROXY_STATE, Infinity],
    [ACCT_TERMINATE_CAUSE, 1],
    [EVENT_TIMESTAMP, 1],
    [EAP_MESSAGE, Infinity],
    [MESSAGE_AUTHENTICATOR, 1],
    [ERROR_CAUSE_ATTR, Infinity],
  ]),
  [DISCONNECT_NAK]: new Map([
    [PROXY_STATE, Infinity],
    [EVENT_TIMESTAMP, 1],
    [MESSAGE_AUTHENTICATOR, 1],
    [ERROR_CAUSE_ATTR, Infinity],
  ]),
};

/**
 * Removes from a reply what RFC 5176 §3.6 (and §3.5 for Error-Cause values) does not allow in it:
 * attributes its column lists as 0, those beyond their count, and Error-Causes of another kind of
 * reply. Returns what was removed (`Filter-Id`, `Error-Cause 201`), empty when the reply may go
 * as it is. A proxy relaying a NAS's verdict uses it: the verdict stands, the extras do not.
 */
export function dropForbiddenReplyAttributes(code: number, attributes: AttributesSet): string[] {
  const table = REPLY_TABLE[code];
  const dropped: string[] = [];
  if (!table) return dropped;
  const counts = new Map<number, number>();
  const kept: AttributeEntry[] = [];
  for (const e of attributes.entries) {
    const type = wireType(e.def);
    const n = (counts.get(type) ?? 0) + 1;
    counts.set(type, n);
    if (n > (table.get(type) ?? 0)) {
      dropped.push(e.def.name);
      continue;
    }
    if (type === ERROR_CAUSE_ATTR) {
      const v = errorCauseNumber(e);
      if (v === undefined || errorCauseRefusal(code, v) !== undefined) {
        dropped.push(`${e.def.name} ${v ?? String(e.value)}`);
        continue;
      }
    }
    kept.push(e);
  }
  if (dropped.length) attributes.entries.splice(0, attributes.entries.length, ...kept);
  return dropped;
}

/** The identity of the NAS receiving requests; a NAS identification attribute must match it (§3). */
export interface NasIdentification {
  nasIpAddress?: string | readonly string[];
  nasIpv6Address?: string | readonly string[];
  nasIdentifier?: string | readonly string[];
}

/** Options of the RFC 5176 §3 request checks. */
export interface SessionRuleOptions {
  /** When set, NAS-IP-Address / NAS-IPv6-Address / NAS-Identifier must match it (else 403). */
  nasIdentification?: NasIdentification;
  /** Whether the NAS supports CoA-Requests with Service-Type Authorize-Only (§3.2); default false → 405. */
  authorizeOnly?: boolean;
  /**
   * More attributes (by name) that identify sessions, as later RFCs allow (§3: new attribute
   * specifications say whether they serve for identification), e.g. `Framed-IPv6-Address`.
   */
  sessionIdentificationAttributes?: readonly string[];
}

/** A request that breaks an RFC 5176 rule: the NAK's Error-Cause and a reason for logs. */
export interface RuleViolation {
  errorCause: ErrorCause;
  reason: string;
}

/** The top-level attribute number an entry travels in (26 for vendor attributes). */
function wireType(def: AttributeDef): number {
  let d = def;
  while (d.parent) d = d.parent;
  return d.vendor ? VENDOR_SPECIFIC : d.number;
}

function toList(v: string | readonly string[] | undefined): readonly string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

/**
 * The attribute rules of RFC 5176 §3, §3.2, §3.3 and §3.6 for CoA-Request and Disconnect-Request,
 * and the reply rules of §3.5 and §3.6. Built once per server (options pre-parsed).
 */
export class SessionRules {
  private readonly nasIpv4: BlockList | undefined;
  private readonly nasIpv6: BlockList | undefined;
  private readonly nasIdentifiers: ReadonlySet<string> | undefined;
  private readonly authorizeOnly: boolean;
  private readonly extraNames: readonly string[];
  private readonly extraOids = new WeakMap<Dictionary, ReadonlySet<string>>();

  constructor(options: SessionRuleOptions = {}) {
    const id = options.nasIdentification;
    const v4 = toList(id?.nasIpAddress);
    const v6 = toList(id?.nasIpv6Address);
    const names = toList(id?.nasIdentifier);
    if (v4.length) {
      this.nasIpv4 = new BlockList();
      for (const a of v4) {
        if (!isIPv4(a))
          throw new InvalidValueError('nasIdentification.nasIpAddress', `${a} is not an IPv4 address`);
        this.nasIpv4.addAddress(a, 'ipv4');
      }
    }
    if (v6.length) {
      this.nasIpv6 = new BlockList();
      for (const a of v6) {
        if (!isIPv6(a))
          throw new InvalidValueError('nasIdentification.nasIpv6Address', `${a} is not an IPv6 address`);
        this.nasIpv6.addAddress(a, 'ipv6');
      }
    }
    if (names.length) this.nasIdentifiers = new Set(names);
    this.authorizeOnly = options.authorizeOnly ?? false;
    this.extraNames = options.sessionIdentificationAttributes ?? [];
  }

  /** Checks a CoA-Request or Disconnect-Request; undefined when the handler should see it. */
  checkRequest(code: number, attributes: AttributesSet): RuleViolation | undefined {
    const coa = code === COA_REQUEST;
    if (!coa && code !== DISCONNECT_REQUEST) {
      return {
        errorCause: ERROR_CAUSE.INVALID_REQUEST,
        reason: `${codeName(code)} is not a dynauth request`,
      };
    }
    const dict = attributes.dictionary;
    const extra = this.extraOidsFor(dict);
    const counts = new Map<number, number>();
    let sessionIds = 0;
    let authorizeOnly = false;
    for (const e of attributes.entries) {
      const type = wireType(e.def);
      if (isUndecodable(e, dict)) {
        // §3.5 "Invalid Request": an attribute that is not formatted properly.
        return {
          errorCause: ERROR_CAUSE.INVALID_REQUEST,
          reason: `${dict.attributeByCode(type)?.name} is malformed`,
        };
      }
      counts.set(type, (counts.get(type) ?? 0) + 1);
      if (SESSION_IDENTIFICATION_ATTRIBUTES.includes(type) || extra.has(e.def.oid)) sessionIds++;
      if (type === SERVICE_TYPE && enumNumber(e, dict) === AUTHORIZE_ONLY) authorizeOnly = true;
    }
    if (coa && authorizeOnly && !this.authorizeOnly) {
      return {
        errorCause: ERROR_CAUSE.UNSUPPORTED_SERVICE,
        reason: 'Service-Type Authorize-Only is not supported',
      };
    }
    for (const e of attributes.entries) {
      const type = wireType(e.def);
      if (extra.has(e.def.oid)) continue;
      let forbidden: string | undefined;
      if (!coa && !DISCONNECT_ALLOWED.has(type)) {
        forbidden =
          type === SERVICE_TYPE
            ? 'a Disconnect-Request must not carry Service-Type (RFC 5176 §3.2)'
            : `a Disconnect-Request holds only identification attributes, not ${e.def.name} (RFC 5176 §3)`;
      } else if (coa && COA_FORBIDDEN.has(type)) {
        forbidden = `a CoA-Request must not carry ${e.def.name} (RFC 5176 §3.6)`;
      } else if (coa && authorizeOnly && !AUTHORIZE_ONLY_ALLOWED.has(type)) {
        forbidden = `an Authorize-Only CoA-Request holds only identification attributes and State, not ${e.def.name} (RFC 5176 §3.2)`;
      }
      if (forbidden) return { errorCause: ERROR_CAUSE.UNSUPPORTED_ATTRIBUTE, reason: forbidden };
    }
    for (const [type, n] of counts) {
      if (n > 1 && AT_MOST_ONE.has(type)) {
        const name = dict.attributeByCode(type)?.name ?? `Attr-${type}`;
        return {
          errorCause: ERROR_CAUSE.INVALID_REQUEST,
          reason: `${n} ${name} attributes, at most one allowed (RFC 5176 §3.6)`,
        };
      }
    }
    if (coa && authorizeOnly && !counts.has(STATE)) {
      // §3.3: Authorize-Only needs a State for the Access-Request that follows.
      return {
        errorCause: ERROR_CAUSE.MISSING_ATTRIBUTE,
        reason: 'an Authorize-Only CoA-Request must carry State (RFC 5176 §3.3)',
      };
    }
    const mismatch = this.nasMismatch(attributes);
    if (mismatch) return { errorCause: ERROR_CAUSE.NAS_IDENTIFICATION_MISMATCH, reason: mismatch };
    if (sessionIds === 0) {
      // §3: the identification attributes must match a session; with none there is nothing to match.
      return {
        errorCause: ERROR_CAUSE.MISSING_ATTRIBUTE,
        reason: 'no session identification attribute (RFC 5176 §3)',
      };
    }
    return undefined;
  }

  /** Why a reply breaks RFC 5176 §3.5 / §3.6, or undefined when it may be sent. */
  checkReply(code: number, attributes: AttributesSet): string | undefined {
    const table = REPLY_TABLE[code];
    if (!table) return `${codeName(code)} is not a dynauth reply`;
    const counts = new Map<number, number>();
    for (const e of attributes.entries) {
      const type = wireType(e.def);
      const max = table.get(type);
      if (max === undefined) return `${codeName(code)} must not carry ${e.def.name} (RFC 5176 §3.6)`;
      const n = (counts.get(type) ?? 0) + 1;
      if (n > max) return `${codeName(code)} carries ${n} ${e.def.name} attributes, at most ${max} allowed`;
      counts.set(type, n);
    }
    for (const v of errorCauses(attributes)) {
      const refusal = errorCauseRefusal(code, v);
      if (refusal) return refusal;
    }
    return undefined;
  }

  private nasMismatch(attributes: AttributesSet): string | undefined {
    if (!this.nasIpv4 && !this.nasIpv6 && !this.nasIdentifiers) return undefined;
    for (const e of attributes.entries) {
      if (e.def.parent || e.def.vendor) continue;
      const v = String(e.value);
      if (e.def.number === NAS_IP_ADDRESS && this.nasIpv4 && !safeCheck(this.nasIpv4, v, 'ipv4'))
        return `NAS-IP-Address ${v} is not this NAS`;
      if (e.def.number === NAS_IPV6_ADDRESS && this.nasIpv6 && !safeCheck(this.nasIpv6, v, 'ipv6'))
        return `NAS-IPv6-Address ${v} is not this NAS`;
      if (e.def.number === NAS_IDENTIFIER && this.nasIdentifiers && !this.nasIdentifiers.has(v))
        return `NAS-Identifier ${JSON.stringify(v)} is not this NAS`;
    }
    return undefined;
  }

  private extraOidsFor(dict: Dictionary): ReadonlySet<string> {
    let set = this.extraOids.get(dict);
    if (!set) {
      set = new Set(this.extraNames.map((n) => dict.resolve(n).oid));
      this.extraOids.set(dict, set);
    }
    return set;
  }
}

/**
 * Checks a request against RFC 5176 §3 before it is sent or handled (a one-off SessionRules);
 * undefined when it passes.
 */
export function checkDynauthRequest(
  code: number,
  attributes: AttributesSet,
  options?: SessionRuleOptions,
): RuleViolation | undefined {
  return new SessionRules({ authorizeOnly: true, ...options }).checkRequest(code, attributes);
}

/** True when the attributes carry Service-Type = Authorize-Only (RFC 5176 §3.2). */
export function isAuthorizeOnly(attributes: AttributesSet): boolean {
  const dict = attributes.dictionary;
  for (const e of attributes.entries)
    if (wireType(e.def) === SERVICE_TYPE && !e.def.parent && enumNumber(e, dict) === AUTHORIZE_ONLY)
      return true;
  return false;
}

function safeCheck(list: BlockList, address: string, family: 'ipv4' | 'ipv6'): boolean {
  try {
    return list.check(address, family);
  } catch {
    return false;
  }
}

/**
 * A known top-level attribute whose value did not fit its type (the codec keeps it raw). Vendor
 * and extended containers are left out: a VSA in a layout we do not know is not malformed.
 */
function isUndecodable(e: AttributeEntry, dict: Dictionary): boolean {
  const d = e.def;
  if (d.parent || d.vendor) return false;
  const known = dict.attributeByCode(d.number);
  return known !== undefined && known !== d && !known.isContainer && d.name.startsWith('Attr-');
}

/** The number of an enumerated value (the codec decodes known ones to names). */
function enumNumber(e: AttributeEntry, dict: Dictionary): number | undefined {
  const v = e.value;
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const named = (dict.attributeByCode(e.def.number) ?? e.def).values.get(v.toLowerCase());
  return named === undefined ? undefined : Number(named.value);
}

/** What a DynamicAuthorizationServer counts, per client (DAC) and in total. */
export interface DynauthCounters {
  /** Datagrams received (per client: those from a known client). */
  requests: number;
  coaRequests: number;
  disconnectRequests: number;
  /** CoA-ACK and Disconnect-ACK sent. */
  acks: number;
  /** CoA-NAK and Disconnect-NAK sent, those of `ruleViolations` included. */
  naks: number;
  /** NAKs sent by the RFC 5176 §3 checks, before any handler ran. */
  ruleViolations: number;
  duplicates: number;
  /** Of those, the ones not answered (the first copy was still being handled, or got no reply). */
  duplicatesUnanswered: number;
  malformed: number;
  /** Request Authenticator or Message-Authenticator that did not verify (RFC 5176 §2.3, §3.4). */
  badAuthenticators: number;
  /** From an address `validateNas` refused (RFC 5176 §6.1). */
  unknownNas: number;
  /** Event-Timestamp outside the window, or missing when required (RFC 5176 §6.3). */
  staleTimestamps: number;
  /** Silently discarded for another reason: a code that is no dynauth request, a handler failure. */
  dropped: number;
  handlerErrors: number;
  /** Errors on the server's socket after binding (totals only). */
  socketErrors: number;
}

/** A zeroed counter set. */
export function newDynauthCounters(): DynauthCounters {
  return {
    requests: 0,
    coaRequests: 0,
    disconnectRequests: 0,
    acks: 0,
    naks: 0,
    ruleViolations: 0,
    duplicates: 0,
    duplicatesUnanswered: 0,
    malformed: 0,
    badAuthenticators: 0,
    unknownNas: 0,
    staleTimestamps: 0,
    dropped: 0,
    socketErrors: 0,
    handlerErrors: 0,
  };
}

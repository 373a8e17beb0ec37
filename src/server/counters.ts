/** What a server counts, per NAS and in total. */
export interface ServerCounters {
  requests: number;
  accessRequests: number;
  accountingRequests: number;
  statusServer: number;
  accepts: number;
  rejects: number;
  challenges: number;
  accountingResponses: number;
  /** Retransmissions recognised (RFC 5080 §2.2.2), answered from the cache or not. */
  duplicates: number;
  /** Of those, the ones not answered: the first copy was still being handled, or got no reply. */
  duplicatesUnanswered: number;
  malformed: number;
  badAuthenticators: number;
  /**
   * Dropped for policy: BlastRADIUS rules, wrong port, unknown code, handler failure or timeout, a
   * handler result that cannot be sent, an EAP Response discarded (RFC 3748 §4.1).
   */
  dropped: number;
  unknownNas: number;
  handlerErrors: number;
  /** Errors on the server's sockets after binding (totals only). */
  socketErrors: number;
  /**
   * TCP/TLS connections refused or closed for an error: a failed TLS handshake (a certificate, a
   * timeout), too many from one address, a bad Length (totals only).
   */
  connectionErrors: number;
}

/** A zeroed counter set. */
export function newCounters(): ServerCounters {
  return {
    requests: 0,
    accessRequests: 0,
    accountingRequests: 0,
    statusServer: 0,
    accepts: 0,
    rejects: 0,
    challenges: 0,
    accountingResponses: 0,
    duplicates: 0,
    duplicatesUnanswered: 0,
    malformed: 0,
    badAuthenticators: 0,
    dropped: 0,
    unknownNas: 0,
    handlerErrors: 0,
    socketErrors: 0,
    connectionErrors: 0,
  };
}

/** Names of the counters, for iteration (metrics, logs). */
export type CounterName = keyof ServerCounters;

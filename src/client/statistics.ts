/** Replies that were ignored, by reason; the request they seemed to answer keeps waiting. */
export interface InvalidResponseCounts {
  /** From another address or port than the server the socket sends to. */
  wrongSource: number;
  /** Identifier not in flight on that socket (late, duplicate or forged). */
  unknownIdentifier: number;
  /** Bad framing, or a code that does not answer the request. */
  malformed: number;
  /** Response Authenticator or Message-Authenticator that does not verify, or a missing required one. */
  badAuthenticator: number;
}

/**
 * What a RadiusClient counts (the specification's requests, responses, timeouts, no responses and
 * response times).
 */
export interface ClientStatistics {
  /** Calls of sendPacket accepted. */
  requests: number;
  /** Verified replies that completed a call. */
  responses: number;
  /** Calls that failed with RadiusTimeoutError. */
  timeouts: number;
  /**
   * Transmissions that got no reply within their timeout: each attempt whose wait ran out, whether
   * a retransmission followed or the call ended (over TCP/TLS, where nothing is resent on a live
   * connection, each request whose wait ran out). A call answered on its third attempt counts 2,
   * one that timed out after 4 attempts counts 4. Calls never sent and Status-Server probes are
   * not counted.
   */
  noResponses: number;
  /** Transmissions after the first, on the same server. */
  retransmissions: number;
  /** Requests moved to the next server of the pool after a timeout. */
  failovers: number;
  /** Calls ended by an AbortSignal. */
  aborted: number;
  /** Replies ignored; the sum of `invalid`. */
  invalidResponses: number;
  invalid: InvalidResponseCounts;
  /** Status-Server probes sent to servers marked dead (not counted as requests). */
  probes: number;
  /** Calls waiting for a reply, a place in a server's window, or an identifier now. */
  pending: number;
  /** Of `pending`, calls not sent yet: waiting for a place in a server's window, an identifier or a lookup. */
  queued: number;
  /** Calls refused with RadiusQueueFullError (`maxQueued` reached). */
  queueFull: number;
  /** Errors reported by client sockets: failed binds and failed sends; TCP/TLS connections that failed. */
  socketErrors: number;
  /** UDP sockets and TCP/TLS connections open now. */
  sockets: number;
  /** Shortest, longest and mean response time in seconds (0 before the first response). */
  minTime: number;
  maxTime: number;
  avgTime: number;
}

/** The mutable counters behind `RadiusClient.statistics`. */
export class StatisticsRecorder {
  requests = 0;
  responses = 0;
  timeouts = 0;
  noResponses = 0;
  retransmissions = 0;
  failovers = 0;
  aborted = 0;
  probes = 0;
  pending = 0;
  queued = 0;
  queueFull = 0;
  socketErrors = 0;
  sockets = 0;
  readonly invalid: InvalidResponseCounts = {
    wrongSource: 0,
    unknownIdentifier: 0,
    malformed: 0,
    badAuthenticator: 0,
  };
  private minTime = Number.POSITIVE_INFINITY;
  private maxTime = 0;
  private totalTime = 0;

  /** Records one completed call and its response time in seconds. */
  recordResponse(seconds: number): void {
    this.responses++;
    this.totalTime += seconds;
    if (seconds < this.minTime) this.minTime = seconds;
    if (seconds > this.maxTime) this.maxTime = seconds;
  }

  /** A copy of the counters with the derived figures. */
  snapshot(): ClientStatistics {
    const inv = this.invalid;
    return {
      requests: this.requests,
      responses: this.responses,
      timeouts: this.timeouts,
      noResponses: this.noResponses,
      retransmissions: this.retransmissions,
      failovers: this.failovers,
      aborted: this.aborted,
      invalidResponses: inv.wrongSource + inv.unknownIdentifier + inv.malformed + inv.badAuthenticator,
      invalid: { ...inv },
      probes: this.probes,
      pending: this.pending,
      queued: this.queued,
      queueFull: this.queueFull,
      socketErrors: this.socketErrors,
      sockets: this.sockets,
      minTime: this.responses === 0 ? 0 : this.minTime,
      maxTime: this.maxTime,
      avgTime: this.responses === 0 ? 0 : this.totalTime / this.responses,
    };
  }
}

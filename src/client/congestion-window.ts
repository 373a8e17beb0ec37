/** The smallest adaptive window: a few requests keep a slow server busy without burying it. */
export const MIN_WINDOW = 4;
/** Where an adaptive window starts: a burst the default socket buffer of any server holds. */
export const INITIAL_WINDOW = 32;
/** The shortest wait before a request is presumed lost and leaves the window, ms. */
export const MIN_LOSS_WAIT_MS = 10;

/**
 * How many requests may be in flight to one server: from the first transmission until the request
 * settles, moves to another server, or is presumed lost (unanswered for `lossWaitMs`, or at its
 * first timeout): a lost request keeping its place until it is answered would let a lossy path
 * shut the window. RADIUS has no flow control and a UDP server that cannot keep up drops
 * datagrams silently (its socket buffer overflows), so the client must pace itself.
 *
 * Adaptive (the default), like TCP's congestion control (RFC 5681): the window starts small, grows
 * by one per reply up to the first loss (slow start), then by one per window of replies (additive
 * increase), and halves on a timeout (multiplicative decrease), never below MIN_WINDOW nor above
 * `max`. A timeout is the only loss signal RADIUS gives; all the requests sent before a decrease
 * belong to the same loss event, so the window halves once per event, not once per lost request.
 * It grows only while it is in use (RFC 7661): a client that sends one request a second must not
 * build up a window it has never tested. Fixed: the window is `max`.
 */
export class CongestionWindow {
  /** Requests counted against the window now. */
  inFlight = 0;
  /** Requests taken out of the window as presumed lost, not yet answered nor timed out. */
  presumedLost = 0;
  /** The largest window. */
  readonly max: number;
  readonly adaptive: boolean;
  /** Requests that may be in flight now: floor of the congestion window. */
  limit: number;
  private cwnd: number;
  private ssthresh: number;
  /** performance.now() of the last decrease; transmissions before it belong to that loss event. */
  private lastDecrease = Number.NEGATIVE_INFINITY;

  constructor(max: number, adaptive: boolean) {
    this.max = max;
    this.adaptive = adaptive;
    this.cwnd = adaptive ? Math.min(INITIAL_WINDOW, max) : max;
    this.ssthresh = max;
    this.limit = Math.floor(this.cwnd);
  }

  /** Whether one more request may go out. */
  get open(): boolean {
    return this.inFlight < this.limit;
  }

  /**
   * Smoothed round-trip time and its variation, ms (RFC 6298 §2), from requests answered on their
   * first transmission (Karn's rule). -1 before the first sample.
   */
  private srtt = -1;
  private rttvar = 0;

  /**
   * How long a request may go unanswered before it is presumed lost and leaves the window:
   * srtt + 4 * rttvar (RFC 6298), at least MIN_LOSS_WAIT_MS; Infinity before the first sample.
   * Its retransmission timer is not affected: RFC 5080 §2.2.1 decides when it is sent again.
   */
  lossWaitMs = Number.POSITIVE_INFINITY;

  /** A round-trip time, ms, of a request answered on its first transmission. */
  sample(rttMs: number): void {
    if (this.srtt < 0) {
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
    } else {
      const delta = this.srtt - rttMs;
      this.rttvar = 0.75 * this.rttvar + 0.25 * (delta < 0 ? -delta : delta);
      this.srtt = 0.875 * this.srtt + 0.125 * rttMs;
    }
    const wait = this.srtt + 4 * this.rttvar;
    this.lossWaitMs = Math.max(wait, MIN_LOSS_WAIT_MS);
  }

  /** A reply came back; call before the request leaves `inFlight`. */
  onReply(): void {
    if (!this.adaptive || this.cwnd >= this.max || this.inFlight * 2 < this.cwnd) return;
    this.cwnd += this.cwnd < this.ssthresh ? 1 : 1 / this.cwnd;
    if (this.cwnd > this.max) this.cwnd = this.max;
    this.limit = Math.floor(this.cwnd);
  }

  /**
   * A transmission made at `sentAt` went unanswered until `now`: halve the window, unless the
   * transmission predates the last decrease (the same loss event). True when it shrank.
   */
  onTimeout(sentAt: number, now: number): boolean {
    if (!this.adaptive || sentAt <= this.lastDecrease) return false;
    this.ssthresh = Math.min(this.max, Math.max(MIN_WINDOW, this.cwnd / 2));
    this.cwnd = this.ssthresh;
    this.limit = Math.floor(this.cwnd);
    this.lastDecrease = now;
    return true;
  }

  /** The congestion window now (fractional while it grows additively). */
  get size(): number {
    return this.cwnd;
  }
}

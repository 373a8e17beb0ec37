import type { Logger } from '../server/logger.js';
import { RecencyMap } from '../store/recency-map.js';

/** Why a server dropped a request without answering it: what an operator needs to act on. */
export type DropReason =
  | 'malformed'
  | 'unexpected_code'
  | 'unknown_nas'
  | 'nas_lookup_failed'
  | 'nas_no_secret'
  | 'bad_authenticator'
  | 'no_message_authenticator'
  | 'blastradius'
  | 'proxy_state'
  | 'stale_timestamp'
  | 'handler_failed'
  | 'bad_handler_result'
  | 'eap_discarded'
  | 'eap_malformed'
  | 'connection_error';

/**
 * The reason label of `radius_drops_total` (serve's metrics) each drop is counted under: the
 * metrics count the server's counters, which are coarser than the reasons logged.
 */
const METRIC_REASON: Record<DropReason, string> = {
  malformed: 'malformed',
  unexpected_code: 'policy',
  unknown_nas: 'unknown_nas',
  nas_lookup_failed: 'unknown_nas',
  nas_no_secret: 'unknown_nas',
  bad_authenticator: 'bad_authenticator',
  no_message_authenticator: 'bad_authenticator',
  blastradius: 'policy',
  proxy_state: 'policy',
  stale_timestamp: 'policy',
  handler_failed: 'handler_error',
  bad_handler_result: 'handler_error',
  eap_discarded: 'policy',
  eap_malformed: 'malformed',
  connection_error: 'connection_error',
};

/** What to tell the operator for each reason: the message, and a hint of what to check. */
const TEXT: Record<DropReason, readonly [message: string, hint: string]> = {
  malformed: ['malformed datagram dropped', 'the sender is not speaking RADIUS, or the packet was cut'],
  unexpected_code: [
    'packet of an unexpected code dropped',
    'is the NAS sending to the right port (authentication, accounting, CoA)?',
  ],
  unknown_nas: [
    'request from an unknown NAS dropped',
    'add a client entry for this address, or check that the NAS sends from the address you configured',
  ],
  nas_lookup_failed: ['request dropped: the NAS lookup failed or took too long', 'check validateNas'],
  nas_no_secret: [
    'request dropped: the NAS lookup returned no secret',
    'validateNas must return a non-empty string or Buffer (or { secret }) on every path, or throw RadiusResponseError',
  ],
  bad_authenticator: [
    'request dropped: its authenticator does not verify',
    'check the shared secret configured for this NAS: it differs from the one the NAS uses',
  ],
  no_message_authenticator: [
    'request without Message-Authenticator dropped',
    'EAP-Message and Status-Server need one (RFC 3579 section 3.2, RFC 5997), and so does every Access-Request where requireMessageAuthenticator is true: configure the NAS to send it',
  ],
  blastradius: [
    'Access-Request without Message-Authenticator dropped (BlastRADIUS policy)',
    'configure the NAS to send Message-Authenticator, or relax requireMessageAuthenticator for it',
  ],
  proxy_state: [
    'Access-Request with Proxy-State and no Message-Authenticator dropped (BlastRADIUS policy)',
    'configure the proxy to send Message-Authenticator, or set limitProxyState to false for it',
  ],
  stale_timestamp: [
    'request dropped: its Event-Timestamp is outside the allowed window',
    "check the NAS's clock (RFC 5176 section 6.3)",
  ],
  handler_failed: ['request dropped: its handler failed or timed out', 'see registerHandleException'],
  bad_handler_result: [
    'request dropped: its handler returned a reply that cannot be sent',
    'fix the handler: a reply code this request may not get, or a reply attribute that cannot be encoded (see error)',
  ],
  eap_discarded: [
    'EAP Response discarded (RFC 3748 section 4.1)',
    "usually an EAP peer's retransmission or a stale round (wrong Identifier, a State reused); nothing to fix unless it persists",
  ],
  eap_malformed: [
    'malformed EAP packet dropped (RFC 3748 section 4)',
    'the EAP inside EAP-Message is broken (its Length, its code): check the supplicant, or the NAS that relays it',
  ],
  connection_error: [
    'connection refused or closed',
    'over TLS: is the client certificate signed by the configured CA, and not expired? Over TCP/TLS: a bad packet length closes the connection',
  ],
};

interface Entry {
  nas: string;
  reason: DropReason;
  /** When the current interval began (ms). */
  since: number;
  /** Occurrences not logged since then. */
  suppressed: number;
}

/** How many (NAS, reason) pairs are remembered; spoofed sources cannot grow it past this. */
const MAX_ENTRIES = 4096;
/** Entries the flush timer looks at per tick: a full log never stalls the event loop. */
const FLUSH_SLICE = 256;

/**
 * Logs dropped requests at `warn`, rate-limited per NAS and reason: the first occurrence at once,
 * then at most one line per interval that says how many were dropped meanwhile. A silent drop
 * leaves the user waiting for a timeout; an unbounded log lets anyone who can send datagrams fill
 * the disk. One timer per log writes the counts no later drop came to write.
 */
export class DropLog {
  /** In the order of their last log line (oldest first): a flood evicts the oldest, cheaply. */
  private readonly entries = new RecencyMap<Entry>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: () => Logger,
    private readonly intervalMs = 60_000,
  ) {}

  /** Reports one dropped request from `nas` (an address); `detail` adds fields (never secrets). */
  report(nas: string, reason: DropReason, detail?: Record<string, unknown>, now = Date.now()): void {
    const key = `${reason} ${nas}`;
    const entry = this.entries.peek(key);
    if (entry !== undefined && now - entry.since < this.intervalMs) {
      entry.suppressed++;
      this.schedule(now);
      return;
    }
    if (entry === undefined && this.entries.size >= MAX_ENTRIES) this.entries.shift();
    // set() makes it the newest: the order is that of last logging.
    this.entries.set(key, { nas, reason, since: now, suppressed: 0 });
    this.write(nas, reason, entry, now, detail);
  }

  /** Forgets every entry and stops the timer (the server closed). */
  clear(): void {
    this.entries.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private write(
    nas: string,
    reason: DropReason,
    previous: Entry | undefined,
    now: number,
    detail?: Record<string, unknown>,
  ): void {
    const [message, hint] = TEXT[reason];
    const fields: Record<string, unknown> = {
      ...detail,
      nas,
      reason,
      metricReason: METRIC_REASON[reason],
      hint,
    };
    if (previous !== undefined && previous.suppressed > 0) {
      fields.droppedSinceLastLog = previous.suppressed;
      fields.intervalSeconds = Math.round((now - previous.since) / 1000);
    }
    this.logger().warn(fields, `${message} (NAS ${nas})`);
  }

  /** Arms the flush timer for when the oldest entry's interval ends (if not armed). */
  private schedule(now: number): void {
    if (this.timer !== undefined) return;
    const oldest = this.entries.oldest();
    if (oldest === undefined) return;
    const delay = Math.max(0, oldest.since + this.intervalMs - now);
    // unref: a pending count never keeps the process alive.
    this.timer = setTimeout(() => this.flush(), delay).unref();
  }

  /**
   * Writes the counts of entries whose interval has passed and forgets those with none (the next
   * drop is a first occurrence again). Oldest first, at most FLUSH_SLICE per tick.
   */
  private flush(): void {
    this.timer = undefined;
    const now = Date.now();
    for (let i = 0; i < FLUSH_SLICE; i++) {
      const entry = this.entries.oldest();
      if (entry === undefined || now - entry.since < this.intervalMs) break;
      const key = `${entry.reason} ${entry.nas}`;
      if (entry.suppressed === 0) {
        this.entries.delete(key);
        continue;
      }
      // A new interval begins with this line: later drops are counted for the next one.
      this.entries.set(key, { nas: entry.nas, reason: entry.reason, since: now, suppressed: 0 });
      this.write(entry.nas, entry.reason, entry, now);
    }
    // Until every entry has had its interval: each is written or forgotten once per interval.
    this.schedule(now);
  }
}

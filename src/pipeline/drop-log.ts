import type { Logger } from '../server/logger.js';
import { RecencyMap } from '../store/recency-map.js';

/** Why a server dropped a request without answering it: what an operator needs to act on. */
export type DropReason =
  | 'malformed'
  | 'unexpected_code'
  | 'unknown_nas'
  | 'nas_lookup_failed'
  | 'bad_authenticator'
  | 'blastradius'
  | 'proxy_state'
  | 'stale_timestamp'
  | 'handler_failed'
  | 'bad_handler_result'
  | 'eap_discarded'
  | 'connection_error';

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
  bad_authenticator: [
    'request dropped: its authenticator does not verify',
    'check the shared secret configured for this NAS: it differs from the one the NAS uses',
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
  connection_error: [
    'connection refused or closed',
    'over TLS: is the client certificate signed by the configured CA, and not expired? Over TCP/TLS: a bad packet length closes the connection',
  ],
};

interface Entry {
  /** When the current interval began (ms). */
  since: number;
  /** Occurrences not logged since then. */
  suppressed: number;
}

/** How many (NAS, reason) pairs are remembered; spoofed sources cannot grow it past this. */
const MAX_ENTRIES = 4096;

/**
 * Logs dropped requests at `warn`, rate-limited per NAS and reason: the first occurrence at once,
 * then at most one line per interval that says how many were dropped meanwhile. A silent drop
 * leaves the user waiting for a timeout; an unbounded log lets anyone who can send datagrams fill
 * the disk.
 */
export class DropLog {
  /** In the order of their last log line: a flood of spoofed sources evicts the oldest, cheaply. */
  private readonly entries = new RecencyMap<Entry>();

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
      return;
    }
    const [message, hint] = TEXT[reason];
    const fields: Record<string, unknown> = { ...detail, nas, reason, hint };
    if (entry !== undefined) {
      // set() below makes it the newest: the order is that of last logging.
      if (entry.suppressed > 0) {
        fields.droppedSinceLastLog = entry.suppressed;
        fields.intervalSeconds = Math.round((now - entry.since) / 1000);
      }
    } else if (this.entries.size >= MAX_ENTRIES) {
      this.entries.shift();
    }
    this.entries.set(key, { since: now, suppressed: 0 });
    this.logger().warn(fields, `${message} (NAS ${nas})`);
  }

  /** Forgets every entry (the server closed). */
  clear(): void {
    this.entries.clear();
  }
}

import type { AttributeEntry } from '../protocol/attributes.js';
import type { Packet } from '../protocol/packet.js';
import type { ClientChannel } from './client-socket.js';
import type { Scheduled, SlotHolder } from './deadline-scheduler.js';
import type { Destination } from './destination.js';

/** A response and its response time in seconds, as sendPacket resolves. */
export type SendResult = [response: Packet, responseTime: number];

/** Retransmission timers of one call, in ms (RFC 5080 §2.2.1). */
export interface Timers {
  /** IRT: the first retransmission timeout. */
  initialMs: number;
  /** MRT: the cap of the doubling timeout. */
  maxMs: number;
  /** MRD: the most time spent on one server, waiting for a place in its window included. */
  durationMs: number;
}

/** Who is told when a request's AbortSignal fires. */
export interface AbortReceiver {
  abortRequest(request: PendingRequest): void;
}

/**
 * The state of one sendPacket call, from the call until it settles. One object per call, also
 * used as the AbortSignal listener (`handleEvent`) so that no closure is made per request.
 */
export class PendingRequest implements Scheduled, SlotHolder<PendingRequest> {
  /** Stamp of the pending retransmission deadline (-1: none). */
  generation = -1;
  settled = false;
  packet: Packet | undefined;
  /** The packet's own secret, used by servers that have none configured. */
  readonly ownSecret: Buffer;
  readonly owner: AbortReceiver;
  /** Retransmission timers (IRT, MRT, MRD). */
  readonly timers: Timers;
  /** The current retransmission timeout, ms (RT of RFC 5080 §2.2.1). */
  rtMs = 0;
  /** Transmissions per server (retries + 1). */
  readonly attemptsPerServer: number;
  /** Pool requests may move to the next server after a timeout. */
  readonly pooled: boolean;
  /** A Status-Server probe of a dead server: nobody waits on it. */
  readonly probe: boolean;
  /** A probe sent as the watchdog of a TCP/TLS connection (RFC 6614 §2.6), not of a dead server. */
  watchdog = false;
  destination: Destination | undefined = undefined;
  socket: ClientChannel | undefined = undefined;
  identifier = -1;
  /** The bytes on the wire, resent as they are (RFC 5080 §2.2.1). */
  bytes: Buffer | undefined = undefined;
  /** Secret and Request Authenticator of the bytes on the wire, to verify the reply with. */
  secret: Buffer | undefined = undefined;
  authenticator: Buffer | undefined = undefined;
  /** RADIUS/1.1 Token of the bytes on the wire (RFC 9765), undefined for RADIUS. */
  token: number | undefined = undefined;
  /** Transmissions on the current server, and in all. */
  attempts = 0;
  totalAttempts = 0;
  /** performance.now() of the first transmission; -1 before. */
  firstSent = -1;
  /** performance.now() of the first transmission to the current server. */
  firstSentHere = -1;
  /** performance.now() of the latest transmission. */
  lastSent = -1;
  /** The latest transmission still waits for its reply: its deadline passing is a no-response. */
  awaitingReply = false;
  /** performance.now() when the request was handed to its current server (MRD counts from here). */
  serverStart = 0;
  /** Counted in its destination's window. */
  inWindow = false;
  /** Taken out of the window unanswered, before its first timeout (CongestionWindow.lossWaitMs). */
  presumedLost = false;
  /** In its destination's `waiting` queue or `resolving` list. */
  queued = false;
  /** In its destination's `needId` queue: a changed retransmission waits for a new identifier. */
  needsId = false;
  /** Acct-Delay-Time of an Accounting-Request, updated on every retransmission (RFC 2866 §5.2). */
  delayEntry: AttributeEntry | undefined = undefined;
  delayBase = 0;
  /** Servers of the pool already tried, in order (only after a failover). */
  tried: Destination[] | undefined = undefined;
  signal: AbortSignal | undefined;
  resolve: ((result: SendResult) => void) | undefined = undefined;
  reject: ((error: unknown) => void) | undefined = undefined;

  constructor(
    owner: AbortReceiver,
    packet: Packet,
    timers: Timers,
    attemptsPerServer: number,
    pooled: boolean,
    probe: boolean,
    signal: AbortSignal | undefined,
  ) {
    this.owner = owner;
    this.packet = packet;
    this.ownSecret = packet.secret;
    this.timers = timers;
    this.attemptsPerServer = attemptsPerServer;
    this.pooled = pooled;
    this.probe = probe;
    this.signal = signal;
  }

  /** Deadline scheduler's view while the request holds no identifier: the request itself. */
  itemAt(): PendingRequest {
    return this;
  }

  /** AbortSignal listener. */
  handleEvent(): void {
    this.owner.abortRequest(this);
  }
}

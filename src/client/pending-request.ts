import type { AttributeEntry } from '../protocol/attributes.js';
import type { Packet } from '../protocol/packet.js';
import type { ClientSocket } from './client-socket.js';
import type { Scheduled } from './deadline-scheduler.js';
import type { Destination } from './destination.js';

/** A response and its response time in seconds, as sendPacket resolves. */
export type SendResult = [response: Packet, responseTime: number];

/** Who is told when a request's AbortSignal fires. */
export interface AbortReceiver {
  abortRequest(request: PendingRequest): void;
}

/**
 * The state of one sendPacket call, from the call until it settles. One object per call, also
 * used as the AbortSignal listener (`handleEvent`) so that no closure is made per request.
 */
export class PendingRequest implements Scheduled {
  /** Stamp of the pending retransmission deadline (-1: none). */
  generation = -1;
  settled = false;
  packet: Packet | undefined;
  /** The packet's own secret, used by servers that have none configured. */
  readonly ownSecret: Buffer;
  readonly owner: AbortReceiver;
  /** Milliseconds per attempt. */
  readonly timeoutMs: number;
  /** Transmissions per server (retries + 1). */
  readonly attemptsPerServer: number;
  /** Pool requests may move to the next server after a timeout. */
  readonly pooled: boolean;
  /** A Status-Server probe of a dead server: nobody waits on it. */
  readonly probe: boolean;
  destination: Destination | undefined = undefined;
  socket: ClientSocket | undefined = undefined;
  identifier = -1;
  /** The bytes on the wire, resent as they are (RFC 5080 §2.2.1). */
  bytes: Buffer | undefined = undefined;
  /** Secret and Request Authenticator of the bytes on the wire, to verify the reply with. */
  secret: Buffer | undefined = undefined;
  authenticator: Buffer | undefined = undefined;
  /** Transmissions on the current server, and in all. */
  attempts = 0;
  totalAttempts = 0;
  /** performance.now() of the first transmission; -1 before. */
  firstSent = -1;
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
    timeoutMs: number,
    attemptsPerServer: number,
    pooled: boolean,
    probe: boolean,
    signal: AbortSignal | undefined,
  ) {
    this.owner = owner;
    this.packet = packet;
    this.ownSecret = packet.secret;
    this.timeoutMs = timeoutMs;
    this.attemptsPerServer = attemptsPerServer;
    this.pooled = pooled;
    this.probe = probe;
    this.signal = signal;
  }

  /** AbortSignal listener. */
  handleEvent(): void {
    this.owner.abortRequest(this);
  }
}

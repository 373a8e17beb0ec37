/**
 * What EAP-TLS, PEAP and EAP-TTLS share (RFC 5216 §2.1, §3.1): the Flags octet, fragmentation with
 * the L and M bits both ways (each fragment acknowledged by an empty message), and a TLS engine fed
 * with whole TLS messages.
 */

import type { MethodContext, MethodInstance, MethodKeys, MethodStep } from '../method.js';
import type { TlsEndpointKind, TlsEngineConfig } from '../tls-config.js';
import { MAX_TLS_MESSAGE, type MethodKeying, type TlsChannel } from '../tls-engine.js';

// RFC 5216 §3.1: Length included, More fragments, Start; PEAP and TTLS keep a version in the low bits.
export const FLAG_L = 0x80;
export const FLAG_M = 0x40;
export const FLAG_S = 0x20;
const VERSION_MASK = 0x07;

/** The MSK of a TLS-based method as MS-MPPE keys: Recv-Key = MSK[0..31], Send-Key = MSK[32..63]. */
export async function tlsMethodKeys(engine: TlsChannel): Promise<MethodKeys> {
  const material = await engine.methodKeyingMaterial();
  // The last 64 bytes are the EMSK: it never leaves the server (RFC 5247 §2.1).
  return { recvKey: Buffer.from(material.subarray(0, 32)), sendKey: Buffer.from(material.subarray(32, 64)) };
}

/** A conversation of a TLS-based method; subclasses decide what the tunnel carries. */
export abstract class TlsConversation implements MethodInstance {
  private tls: TlsChannel | undefined;
  private readonly kind: TlsEndpointKind;
  protected readonly fragmentSize: number;
  /** Fragments of our current flight still to send. */
  private pending: Buffer[] = [];
  /** Fragments of the peer's current message. */
  private incoming: Buffer[] = [];
  private incomingLength = 0;
  private declaredLength = -1;
  private announced = false;
  /** Why the peer was refused, once the alert saying so is sent: its answer gets EAP-Failure. */
  private refusal: string | undefined;

  constructor(
    protected readonly ctx: MethodContext,
    kind: TlsEndpointKind,
    private readonly keying: MethodKeying,
    protected readonly version = 0,
  ) {
    this.kind = kind;
    this.fragmentSize = ctx.fragmentSize;
  }

  /**
   * The conversation's TLS session, made when the peer's first TLS message arrives: a peer that
   * answers our Start with a NAK never costs a TLS socket.
   */
  protected get engine(): TlsChannel {
    if (!this.tls) {
      const tls = this.ctx.tls as TlsEngineConfig;
      const resumable = tls.allowResumption?.(this.ctx.identity) ?? true;
      this.tls = tls.open(this.kind, resumable, this.keying, this.resumesAuthenticatedOnly);
    }
    return this.tls;
  }

  start(): MethodStep {
    // RFC 5216 §2.1.1: EAP-TLS/Start, no data.
    return { kind: 'request', data: Buffer.from([FLAG_S | this.version]) };
  }

  async process(data: Buffer, _identifier?: number): Promise<MethodStep> {
    if (this.refusal) return { kind: 'failure', reason: this.refusal };
    if (data.length < 1) return { kind: 'failure', reason: 'empty TLS response' };
    const flags = data[0];
    let payload = data.subarray(1);
    if (flags & FLAG_L) {
      if (data.length < 5) return { kind: 'failure', reason: 'L bit without a length' };
      payload = data.subarray(5);
    }
    if (this.pending.length > 0) {
      // RFC 5216 §2.1.5: while we send a flight, the peer answers each fragment with an empty ACK.
      if (payload.length > 0 || flags & FLAG_M) return { kind: 'failure', reason: 'data instead of an ACK' };
      return this.nextFragment();
    }
    if (payload.length > 0 || this.incoming.length > 0) {
      if (this.incoming.length === 0) {
        this.declaredLength = flags & FLAG_L ? data.readUInt32BE(1) : -1;
        if (this.declaredLength > MAX_TLS_MESSAGE) {
          return { kind: 'failure', reason: `TLS message of ${this.declaredLength} bytes` };
        }
      }
      this.incoming.push(payload);
      this.incomingLength += payload.length;
      if (this.incomingLength > MAX_TLS_MESSAGE) return { kind: 'failure', reason: 'TLS message too long' };
      if (this.declaredLength >= 0 && this.incomingLength > this.declaredLength) {
        return { kind: 'failure', reason: 'fragments beyond the declared length' };
      }
      // RFC 5216 §2.1.5: acknowledge each fragment with an empty Request.
      if (flags & FLAG_M) return { kind: 'request', data: Buffer.from([this.version]) };
      const message = Buffer.concat(this.incoming);
      this.incoming = [];
      this.incomingLength = 0;
      this.declaredLength = -1;
      return this.received(message);
    }
    // An empty Response: the peer acknowledged our last flight.
    return this.acknowledged();
  }

  private async received(message: Buffer): Promise<MethodStep> {
    const wasEstablished = this.engine.established;
    await this.engine.receive(message, this.finish);
    if (this.engine.error) return { kind: 'failure', reason: `TLS: ${this.engine.error.message}` };
    if (!wasEstablished && this.engine.established) {
      // A resumption this user may not have (a ticket the server cache never saw) ends here.
      if (!this.engine.resumable && this.engine.facts?.reused) {
        return { kind: 'failure', reason: 'TLS session resumption not allowed for this user' };
      }
      const step = await this.onEstablished();
      if (step) return step;
    }
    if (this.engine.established) {
      const app = this.engine.takeAppData();
      if (app.length > 0) {
        const step = await this.onApplicationData(app);
        if (step) return step;
      }
    }
    const out = this.engine.takeOutput();
    if (out.length > 0) return this.sendFlight(out);
    return this.engine.established ? this.onIdle() : { kind: 'failure', reason: 'TLS handshake stalled' };
  }

  private async acknowledged(): Promise<MethodStep> {
    if (!this.tls?.established) return { kind: 'failure', reason: 'unexpected ACK during the handshake' };
    return this.onIdle();
  }

  /**
   * Refuses the peer just after the handshake: a fatal TLS alert first (RFC 5216 §2.1.3), so that
   * its user learns why, then EAP-Failure whatever it answers; EAP-Failure at once when no alert
   * can be made.
   */
  protected async refuse(description: number, reason: string): Promise<MethodStep> {
    const alert = await this.engine.refuse(description);
    if (alert.length === 0) return { kind: 'failure', reason };
    this.refusal = reason;
    return this.sendFlight(alert);
  }

  /** Sends what the engine produced (after writing tunnel data), or nothing to send. */
  protected flush(): MethodStep | undefined {
    const out = this.engine.takeOutput();
    return out.length > 0 ? this.sendFlight(out) : undefined;
  }

  /** Splits a flight into fragments (RFC 5216 §2.1.5): L on the first, M on all but the last. */
  protected sendFlight(flight: Buffer): MethodStep {
    this.announced = false;
    for (let offset = 0; offset < flight.length; offset += this.fragmentSize) {
      this.pending.push(flight.subarray(offset, Math.min(flight.length, offset + this.fragmentSize)));
    }
    return this.nextFragment(flight.length);
  }

  private nextFragment(total?: number): MethodStep {
    const fragment = this.pending.shift() as Buffer;
    const more = this.pending.length > 0;
    if (!this.announced && more && total !== undefined) {
      this.announced = true;
      const head = Buffer.alloc(5);
      head[0] = FLAG_L | FLAG_M | (this.version & VERSION_MASK);
      head.writeUInt32BE(total, 1);
      return { kind: 'request', data: Buffer.concat([head, fragment]) };
    }
    const flags = (more ? FLAG_M : 0) | (this.version & VERSION_MASK);
    return { kind: 'request', data: Buffer.concat([Buffer.from([flags]), fragment]) };
  }

  /** Whether only sessions a method authenticated someone over may be resumed (TlsChannel.authenticated). */
  protected readonly resumesAuthenticatedOnly: boolean = false;

  /** Application data to write as a TLS 1.3 handshake completes (see TlsChannel.receive). */
  protected readonly finish: Buffer | undefined = undefined;

  /** The handshake just completed: check the peer, write anything the method sends first. */
  protected abstract onEstablished(): Promise<MethodStep | undefined>;
  /** Decrypted data from the peer. */
  protected abstract onApplicationData(data: Buffer): Promise<MethodStep | undefined>;
  /** Established and nothing to send: the peer acknowledged, or the exchange needs our move. */
  protected abstract onIdle(): Promise<MethodStep>;

  dispose(): void {
    this.tls?.destroy();
  }
}

/**
 * PEAPv0 (draft-kamath-pppext-peapv0, draft-josefsson-pppext-eap-tls-eap-10): EAP methods inside
 * TLS, their packets without the EAP header, ended by a Result TLV in an EAP-TLV packet.
 */

import { EAP_REQUEST, EAP_RESPONSE, EAP_TYPE } from '../codes.js';
import { InnerEap } from '../inner-eap.js';
import type { EapMethod, MethodContext, MethodStep } from '../method.js';
import { TlsConversation, tlsMethodKeys } from './tls-conversation.js';

// draft-josefsson §4.2: Result TLV (type 3, mandatory bit) with Success (1) or Failure (2).
const RESULT_TLV = 3;
const RESULT_SUCCESS = 1;
const RESULT_FAILURE = 2;

function resultPacket(identifier: number, result: number): Buffer {
  // Code, Identifier, Length 11, Type 33, then the TLV: 0x8003, length 2, the status.
  return Buffer.from([
    EAP_REQUEST,
    identifier,
    0,
    11,
    EAP_TYPE.EXTENSIONS,
    0x80,
    RESULT_TLV,
    0,
    2,
    0,
    result,
  ]);
}

/** The status in a peer's Result TLV, or undefined. */
function resultOf(packet: Buffer): number | undefined {
  for (let p = 5; p + 4 <= packet.length; ) {
    const type = packet.readUInt16BE(p) & 0x3fff;
    const length = packet.readUInt16BE(p + 2);
    if (type === RESULT_TLV && length === 2 && p + 6 <= packet.length) return packet.readUInt16BE(p + 4);
    p += 4 + length;
  }
  return undefined;
}

type Phase = 'handshake' | 'inner' | 'result-success' | 'result-failure';

class PeapConversation extends TlsConversation {
  private phase: Phase = 'handshake';
  private readonly inner: InnerEap;
  private innerId = 0;
  private failureReason = '';

  constructor(ctx: MethodContext) {
    if (!ctx.tls) throw new Error('PEAP without TLS settings');
    super(ctx, ctx.tls.tunnelServer, 0);
    this.inner = new InnerEap(ctx, ctx.innerMethods);
  }

  override async process(data: Buffer, identifier: number): Promise<MethodStep> {
    this.innerId = identifier;
    // draft-kamath §2.1: version negotiation; this server speaks version 0 only.
    if (data.length > 0 && (data[0] & 0x07) !== 0) return { kind: 'failure', reason: 'PEAP version not 0' };
    return super.process(data);
  }

  protected async onEstablished(): Promise<MethodStep | undefined> {
    return undefined;
  }

  protected async onIdle(): Promise<MethodStep> {
    if (this.phase !== 'handshake') return { kind: 'failure', reason: 'unexpected ACK in PEAP phase 2' };
    // Phase 2 begins with an Identity Request, its header stripped (PEAPv0).
    this.phase = 'inner';
    await this.engine.write(Buffer.from([EAP_TYPE.IDENTITY]));
    return this.flush() ?? { kind: 'failure', reason: 'TLS wrote nothing' };
  }

  protected async onApplicationData(data: Buffer): Promise<MethodStep | undefined> {
    // An EAP-TLV packet comes whole; other inner packets without the header (PEAPv0).
    const whole = data.length >= 5 && data[0] === EAP_RESPONSE && data.readUInt16BE(2) === data.length;
    const type = whole ? data[4] : data[0];
    if (this.phase === 'result-success' || this.phase === 'result-failure') {
      const status = whole && type === EAP_TYPE.EXTENSIONS ? resultOf(data) : undefined;
      if (this.phase === 'result-success' && status === RESULT_SUCCESS) {
        const socket = this.engine.tlsSocket;
        if (!socket) return { kind: 'failure', reason: 'no TLS socket' };
        return {
          kind: 'success',
          keys: tlsMethodKeys(socket, EAP_TYPE.PEAP, 'client EAP encryption'),
          identity: this.inner.identity,
        };
      }
      return { kind: 'failure', reason: this.failureReason || 'peer did not confirm success' };
    }
    if (this.phase !== 'inner') return { kind: 'failure', reason: 'tunnel data during the handshake' };
    const body = whole ? data.subarray(5) : data.subarray(1);
    const step = await this.inner.respond(type, body, this.innerId);
    if (step.kind === 'request') {
      await this.engine.write(Buffer.concat([Buffer.from([step.type]), step.data]));
    } else {
      this.phase = step.kind === 'success' ? 'result-success' : 'result-failure';
      if (step.kind === 'failure') this.failureReason = step.reason;
      const next = (this.innerId + 1) & 0xff;
      await this.engine.write(resultPacket(next, step.kind === 'success' ? RESULT_SUCCESS : RESULT_FAILURE));
    }
    return this.flush() ?? { kind: 'failure', reason: 'TLS wrote nothing' };
  }

  override dispose(): void {
    this.inner.dispose();
    super.dispose();
  }
}

/** PEAP version 0. */
export const peapMethod: EapMethod = {
  type: EAP_TYPE.PEAP,
  name: 'peap',
  create: (ctx) => new PeapConversation(ctx),
};

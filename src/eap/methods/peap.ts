/**
 * PEAPv0 (draft-kamath-pppext-peapv0, draft-josefsson-pppext-eap-tls-eap-10): EAP methods inside
 * TLS, their packets without the EAP header, ended by a Result TLV in an EAP-TLV packet.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { EAP_REQUEST, EAP_RESPONSE, EAP_TYPE } from '../codes.js';
import { InnerEap } from '../inner-eap.js';
import type { EapMethod, MethodContext, MethodKeys, MethodStep } from '../method.js';
import { TlsConversation, tlsMethodKeys } from './tls-conversation.js';

// draft-josefsson §4.2: Result TLV (type 3, mandatory bit) with Success (1) or Failure (2).
const RESULT_TLV = 3;
const RESULT_SUCCESS = 1;
const RESULT_FAILURE = 2;

// [MS-PEAP] §2.2.8.1.2: the Crypto-Binding TLV (type 12, 56 octets of value).
const CRYPTO_BINDING_TLV = 12;
const BINDING_LENGTH = 60;
const IMCK_LABEL = Buffer.from('Inner Methods Compound Keys', 'ascii');
// [MS-PEAP] §3.1.5.7: this label is followed by one NUL octet, the IPMK one is not.
const CSK_LABEL = Buffer.from('Session Key Generating Function\0', 'ascii');

/** [MS-PEAP] §3.1.5.5.2.1 PRF+ (PEAPv0): T(n) = HMAC-SHA1(K, T(n-1) | S | n | 0x00 | 0x00). */
export function peapPrfPlus(key: Buffer, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let n = 1, got = 0; got < length; n++) {
    previous = createHmac('sha1', key)
      .update(previous)
      .update(seed)
      .update(Buffer.from([n, 0, 0]))
      .digest();
    out.push(previous);
    got += previous.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** The TLVs of an EAP-TLV packet by type (mandatory bit cleared), each with its header. */
function tlvs(packet: Buffer): Map<number, Buffer> {
  const found = new Map<number, Buffer>();
  for (let p = 5; p + 4 <= packet.length; ) {
    const type = packet.readUInt16BE(p) & 0x3fff;
    const length = packet.readUInt16BE(p + 2);
    if (p + 4 + length > packet.length) break;
    found.set(type, packet.subarray(p, p + 4 + length));
    p += 4 + length;
  }
  return found;
}

/** The Crypto-Binding TLV with its Compound_MAC: HMAC-SHA1(CMK, TLV with a zero MAC | EAP type 25). */
function bindingTlv(cmk: Buffer, nonce: Buffer, subType: number): Buffer {
  const tlv = Buffer.alloc(BINDING_LENGTH);
  tlv.writeUInt16BE(CRYPTO_BINDING_TLV, 0);
  tlv.writeUInt16BE(BINDING_LENGTH - 4, 2);
  // Reserved, Version 0, RecvVersion 0, SubType (0 request, 1 response), Nonce, Compound_MAC.
  tlv[7] = subType;
  nonce.copy(tlv, 8);
  createHmac('sha1', cmk)
    .update(tlv)
    .update(Buffer.from([EAP_TYPE.PEAP]))
    .digest()
    .copy(tlv, 40);
  return tlv;
}

/** Keys of a bound tunnel ([MS-PEAP] §3.1.5.5): IPMK and CMK from the TLS keys and the inner MSK. */
interface Binding {
  nonce: Buffer;
  ipmk: Buffer;
  cmk: Buffer;
}

type Phase = 'handshake' | 'inner' | 'result-success' | 'result-failure';

class PeapConversation extends TlsConversation {
  private phase: Phase = 'handshake';
  private readonly inner: InnerEap;
  private innerId = 0;
  private failureReason = '';
  private binding: Binding | undefined;

  constructor(ctx: MethodContext) {
    if (!ctx.tls) throw new Error('PEAP without TLS settings');
    super(ctx, 'tunnel', { type: EAP_TYPE.PEAP, tls12Label: 'client EAP encryption' }, 0);
    this.inner = new InnerEap(ctx, ctx.innerMethods);
  }

  override async process(data: Buffer, identifier: number): Promise<MethodStep> {
    this.innerId = identifier;
    // draft-kamath §2.1: version negotiation; this server speaks version 0 only.
    if (data.length > 0 && (data[0] & 0x07) !== 0) return { kind: 'failure', reason: 'PEAP version not 0' };
    return super.process(data);
  }

  get innerIdentity(): string | undefined {
    return this.inner.identity;
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
      const found = whole && type === EAP_TYPE.EXTENSIONS ? tlvs(data) : new Map<number, Buffer>();
      const result = found.get(RESULT_TLV);
      const status = result?.length === 6 ? result.readUInt16BE(4) : undefined;
      if (this.phase === 'result-success' && status === RESULT_SUCCESS) {
        const bound = found.get(CRYPTO_BINDING_TLV);
        if (bound && this.binding) {
          // The peer bound the tunnel to the inner method: its MAC must be ours, and so is the MSK.
          const expected = bindingTlv(this.binding.cmk, this.binding.nonce, 1);
          if (bound.length !== BINDING_LENGTH || !timingSafeEqual(bound, expected)) {
            return { kind: 'failure', reason: 'invalid Compound_MAC in the Crypto-Binding TLV' };
          }
          const msk = peapPrfPlus(this.binding.ipmk, CSK_LABEL, 128).subarray(0, 64);
          return {
            kind: 'success',
            keys: { recvKey: msk.subarray(0, 32), sendKey: msk.subarray(32, 64) },
            identity: this.inner.identity,
          };
        }
        return {
          kind: 'success',
          keys: await tlsMethodKeys(this.engine),
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
      await this.engine.write(
        await this.resultPacket(
          next,
          step.kind === 'success',
          step.kind === 'success' ? step.keys : undefined,
        ),
      );
    }
    return this.flush() ?? { kind: 'failure', reason: 'TLS wrote nothing' };
  }

  /**
   * The EAP-TLV Request ending phase 2: the Result TLV and, after a success (TLS 1.2 or 1.3), a
   * Crypto-Binding TLV ([MS-PEAP] §3.1.5.5) the peer may answer to bind the tunnel to the inner method.
   */
  private async resultPacket(
    identifier: number,
    success: boolean,
    innerKeys: MethodKeys | undefined,
  ): Promise<Buffer> {
    const result = Buffer.from([0x80, RESULT_TLV, 0, 2, 0, success ? RESULT_SUCCESS : RESULT_FAILURE]);
    const parts: Buffer[] = [result];
    if (success && this.engine.established) {
      // ISK: the inner method's MSK (MS-CHAPv2: Recv-Key | Send-Key), zeros for GTC and MD5.
      const isk = Buffer.alloc(32);
      if (innerKeys) Buffer.concat([innerKeys.recvKey, innerKeys.sendKey]).copy(isk);
      // TempKey: the first 40 octets of the TK, the method's 128 octets of keying material ([MS-PEAP]
      // §3.1.5.5.2.1): 'client EAP encryption' under TLS 1.2, the RFC 9427 §2.1 exporter under 1.3
      // (§2.5; wpa_supplicant takes the TK from the 128-octet export, whose prefix depends on the length).
      const tempKey = (await this.engine.methodKeyingMaterial()).subarray(0, 40);
      const imck = peapPrfPlus(tempKey, Buffer.concat([IMCK_LABEL, isk]), 60);
      this.binding = { nonce: randomBytes(32), ipmk: imck.subarray(0, 40), cmk: imck.subarray(40, 60) };
      parts.push(bindingTlv(this.binding.cmk, this.binding.nonce, 0));
    }
    const body = Buffer.concat(parts);
    const head = Buffer.from([EAP_REQUEST, identifier, 0, 0, EAP_TYPE.EXTENSIONS]);
    head.writeUInt16BE(5 + body.length, 2);
    return Buffer.concat([head, body]);
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

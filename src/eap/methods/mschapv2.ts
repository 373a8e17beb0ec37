/**
 * EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2-02): MS-CHAPv2 (RFC 2759) in EAP packets, with the
 * MPPE keys of RFC 3079 from src/auth.
 */

import { randomOctets } from '../random-octets.js';
import { credentialsNtHash } from '../../auth/credentials.js';
import { mppeKeysV2 } from '../../auth/mppe.js';
import { generateAuthenticatorResponse, verifyNtResponse } from '../../auth/mschapv2.js';
import { EAP_TYPE } from '../codes.js';
import type { SessionData } from '../../store/store.js';
import type { EapMethod, MethodContext, MethodInstance, MethodStep } from '../method.js';

// draft-kamath §2: the OpCodes.
const CHALLENGE = 1;
const RESPONSE = 2;
const SUCCESS = 3;
const FAILURE = 4;

/** OpCode, MS-CHAPv2-ID, MS-Length (the Type-Data's length), then the body. */
function message(opCode: number, id: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out[0] = opCode;
  out[1] = id;
  out.writeUInt16BE(out.length, 2);
  body.copy(out, 4);
  return out;
}

/** RFC 2759 §8.2: the user name in the challenge hash carries no `DOMAIN\` prefix. */
function bareName(name: Buffer): Buffer {
  const slash = name.lastIndexOf(0x5c);
  return slash >= 0 ? name.subarray(slash + 1) : name;
}

type Phase = 'challenge' | 'success-sent' | 'failure-sent';

class MsChapV2Conversation implements MethodInstance {
  private readonly challenge: Buffer;
  private readonly msId: number;
  private phase: Phase = 'challenge';
  /** Why the Failure Request was sent, for the log once the peer acknowledges it. */
  private failure = 'wrong password';
  private keys: { recvKey: Buffer; sendKey: Buffer } | undefined;

  constructor(
    private readonly ctx: MethodContext,
    saved?: SessionData,
  ) {
    this.challenge = saved ? Buffer.from(String(saved.challenge), 'hex') : randomOctets(16);
    this.msId = saved ? Number(saved.msId) : randomOctets(1)[0];
    if (saved) {
      this.phase = saved.phase as Phase;
      if (typeof saved.failure === 'string') this.failure = saved.failure;
      if (typeof saved.recvKey === 'string' && typeof saved.sendKey === 'string') {
        this.keys = {
          recvKey: Buffer.from(saved.recvKey, 'hex'),
          sendKey: Buffer.from(saved.sendKey, 'hex'),
        };
      }
    }
  }

  start(): MethodStep {
    const name = Buffer.from(this.ctx.serverName, 'utf8');
    return {
      kind: 'request',
      data: message(CHALLENGE, this.msId, Buffer.concat([Buffer.from([16]), this.challenge, name])),
    };
  }

  async process(data: Buffer): Promise<MethodStep> {
    const opCode = data[0];
    if (this.phase === 'success-sent') {
      // The peer acknowledged our Success Request: the method succeeded (draft-kamath §2.4).
      return opCode === SUCCESS && this.keys
        ? { kind: 'success', keys: this.keys }
        : { kind: 'failure', reason: 'no MS-CHAPv2 Success Response' };
    }
    if (this.phase === 'failure-sent') return { kind: 'failure', reason: this.failure };
    if (opCode !== RESPONSE || data.length < 4 + 1 + 49 || data[4] !== 49) {
      return { kind: 'failure', reason: 'malformed EAP-MSCHAPv2 response' };
    }
    const response = data.subarray(5, 54);
    const peerChallenge = response.subarray(0, 16);
    const ntResponse = response.subarray(24, 48);
    const user = bareName(data.subarray(54));
    const credentials = await this.ctx.getCredentials(this.ctx.identity);
    const ntHash = credentials && credentialsNtHash(credentials);
    if (!ntHash || !verifyNtResponse(this.challenge, peerChallenge, user, { ntHash }, ntResponse)) {
      this.phase = 'failure-sent';
      // The peer gets the same Failure either way; only the log tells an unknown user apart.
      this.failure = !credentials
        ? 'unknown user'
        : !ntHash
          ? 'EAP-MSCHAPv2 needs the NT hash or the cleartext password'
          : 'wrong password';
      // RFC 2759 §6: E=691 authentication failure, no retry.
      const text = `E=691 R=0 C=${randomOctets(16).toString('hex').toUpperCase()} V=3 M=Authentication failed`;
      return { kind: 'request', data: message(FAILURE, data[1], Buffer.from(text, 'latin1')) };
    }
    const authResponse = generateAuthenticatorResponse(
      { ntHash },
      ntResponse,
      peerChallenge,
      this.challenge,
      user,
    );
    const mppe = mppeKeysV2({ ntHash }, ntResponse);
    this.keys = { recvKey: mppe.recvKey, sendKey: mppe.sendKey };
    this.phase = 'success-sent';
    return {
      kind: 'request',
      data: message(SUCCESS, data[1], Buffer.from(`${authResponse} M=OK`, 'latin1')),
    };
  }

  dispose(): void {}

  save(): SessionData {
    // The MPPE keys wait here between the Success Request and the peer's acknowledgement.
    return {
      challenge: this.challenge.toString('hex'),
      msId: this.msId,
      phase: this.phase,
      failure: this.failure,
      ...(this.keys
        ? { recvKey: this.keys.recvKey.toString('hex'), sendKey: this.keys.sendKey.toString('hex') }
        : {}),
    };
  }
}

/** EAP-MSCHAPv2. */
export const msChapV2Method: EapMethod = {
  type: EAP_TYPE.MSCHAPV2,
  name: 'mschapv2',
  create: (ctx) => new MsChapV2Conversation(ctx),
  restore: (ctx, data) => new MsChapV2Conversation(ctx, data),
};

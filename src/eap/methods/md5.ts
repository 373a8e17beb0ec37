/** EAP-MD5 (RFC 3748 §5.4): CHAP over EAP (RFC 1994); derives no keys. */

import { createHash, timingSafeEqual } from 'node:crypto';
import { credentialsCleartext } from '../../auth/credentials.js';
import { randomOctets } from '../random-octets.js';
import { EAP_TYPE } from '../codes.js';
import type { SessionData } from '../../store/store.js';
import type { EapMethod, MethodContext, MethodInstance, MethodStep } from '../method.js';

class Md5Conversation implements MethodInstance {
  constructor(
    private readonly ctx: MethodContext,
    private readonly challenge = randomOctets(16),
  ) {}

  start(): MethodStep {
    // Value-Size, Value (RFC 1994 §4.1); no Name.
    return { kind: 'request', data: Buffer.concat([Buffer.from([16]), this.challenge]) };
  }

  async process(data: Buffer, identifier: number): Promise<MethodStep> {
    if (data.length < 17 || data[0] !== 16) return { kind: 'failure', reason: 'malformed EAP-MD5 response' };
    const credentials = await this.ctx.getCredentials(this.ctx.identity);
    if (!credentials) return { kind: 'failure', reason: 'unknown user' };
    const secret = credentialsCleartext(credentials);
    if (secret === undefined) return { kind: 'failure', reason: 'EAP-MD5 needs a cleartext password' };
    // RFC 1994 §4.1: MD5(Identifier || secret || Challenge).
    const expected = createHash('md5')
      .update(Buffer.from([identifier]))
      .update(secret, 'utf8')
      .update(this.challenge)
      .digest();
    return timingSafeEqual(expected, data.subarray(1, 17))
      ? { kind: 'success' }
      : { kind: 'failure', reason: 'wrong password' };
  }

  dispose(): void {}

  save(): SessionData {
    return { challenge: this.challenge.toString('hex') };
  }
}

/** EAP-MD5-Challenge. */
export const md5Method: EapMethod = {
  type: EAP_TYPE.MD5,
  name: 'md5',
  create: (ctx) => new Md5Conversation(ctx),
  restore: (ctx, data) => new Md5Conversation(ctx, Buffer.from(String(data.challenge), 'hex')),
};

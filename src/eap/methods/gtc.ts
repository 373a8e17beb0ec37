/** EAP-GTC (RFC 3748 §5.6): the peer answers a prompt with the password in clear; for tunnels. */

import { timingSafeEqual } from 'node:crypto';
import { EAP_TYPE } from '../codes.js';
import type { EapMethod, MethodContext, MethodInstance, MethodStep } from '../method.js';

const PROMPT = Buffer.from('Password: ', 'utf8');

function sameText(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

class GtcConversation implements MethodInstance {
  constructor(private readonly ctx: MethodContext) {}

  start(): MethodStep {
    return { kind: 'request', data: PROMPT };
  }

  async process(data: Buffer): Promise<MethodStep> {
    const credentials = await this.ctx.getCredentials(this.ctx.identity);
    if (credentials?.password === undefined)
      return { kind: 'failure', reason: 'EAP-GTC needs a cleartext password' };
    // Some peers pad the response with NULs: they are not part of the password.
    let end = data.length;
    while (end > 0 && data[end - 1] === 0) end--;
    return sameText(data.subarray(0, end), Buffer.from(credentials.password, 'utf8'))
      ? { kind: 'success' }
      : { kind: 'failure', reason: 'wrong password' };
  }

  dispose(): void {}
}

/** EAP-GTC (Generic Token Card) with a password. */
export const gtcMethod: EapMethod = {
  type: EAP_TYPE.GTC,
  name: 'gtc',
  create: (ctx) => new GtcConversation(ctx),
};

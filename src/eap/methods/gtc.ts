/** EAP-GTC (RFC 3748 §5.6): the peer answers a prompt with the password in clear; for tunnels. */

import { checkPlainPassword } from '../../auth/authenticate.js';
import { EAP_TYPE } from '../codes.js';
import type { SessionData } from '../../store/store.js';
import type { EapMethod, MethodContext, MethodInstance, MethodStep } from '../method.js';

const PROMPT = Buffer.from('Password: ', 'utf8');

class GtcConversation implements MethodInstance {
  constructor(private readonly ctx: MethodContext) {}

  start(): MethodStep {
    return { kind: 'request', data: PROMPT };
  }

  async process(data: Buffer): Promise<MethodStep> {
    const credentials = await this.ctx.getCredentials(this.ctx.identity);
    if (!credentials) return { kind: 'failure', reason: 'unknown user' };
    // Some peers pad the response with NULs: they are not part of the password.
    let end = data.length;
    while (end > 0 && data[end - 1] === 0) end--;
    // The cleartext, a stored hash or the source's own check (an LDAP bind) all serve here.
    const reason = await checkPlainPassword(credentials, data.toString('utf8', 0, end));
    return reason === undefined ? { kind: 'success' } : { kind: 'failure', reason };
  }

  dispose(): void {}

  save(): SessionData {
    return {};
  }
}

/** EAP-GTC (Generic Token Card) with a password. */
export const gtcMethod: EapMethod = {
  type: EAP_TYPE.GTC,
  name: 'gtc',
  create: (ctx) => new GtcConversation(ctx),
  restore: (ctx) => new GtcConversation(ctx),
};

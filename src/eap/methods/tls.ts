/** EAP-TLS (RFC 5216; RFC 9190 for TLS 1.3): mutual authentication with certificates. */

import { EAP_TYPE } from '../codes.js';
import type { EapMethod, MethodContext, MethodStep } from '../method.js';
import { alertForVerifyError, TLS_ALERT } from '../tls-alert.js';
import { TlsConversation, tlsMethodKeys } from './tls-conversation.js';

/** RFC 9190 §2.1.1: under TLS 1.3 one application-data byte 0x00 says the handshake is over. */
const COMMITMENT = Buffer.from([0]);

class EapTlsConversation extends TlsConversation {
  private checked = false;
  // Written as the handshake completes, so that it leaves with the session ticket.
  protected override readonly finish = COMMITMENT;

  constructor(ctx: MethodContext) {
    if (!ctx.tls) throw new Error('EAP-TLS without TLS settings');
    super(ctx, 'certificate', { type: EAP_TYPE.TLS, tls12Label: 'client EAP encryption' });
  }

  protected async onEstablished(): Promise<MethodStep | undefined> {
    const facts = this.engine.facts;
    if (!facts) return { kind: 'failure', reason: 'no TLS session' };
    // The server asked for a certificate without rejecting: decide here, alert the peer, then EAP-Failure.
    if (!facts.authorized) {
      return this.refuse(
        alertForVerifyError(facts.authorizationError, facts.protocol),
        `client certificate: ${facts.authorizationError ?? 'none'}`,
      );
    }
    const authorize = this.ctx.tls?.authorizeCertificate;
    if (
      authorize &&
      !(facts.peerCertificate && (await authorize(facts.peerCertificate, this.ctx.identity)))
    ) {
      return this.refuse(TLS_ALERT.accessDenied, 'client certificate not authorised for this identity');
    }
    this.checked = true;
    // The commitment message, unless the engine wrote it with the handshake's last bytes.
    if (facts.protocol === 'TLSv1.3' && !facts.finished) await this.engine.write(COMMITMENT);
    return undefined;
  }

  protected async onApplicationData(): Promise<MethodStep | undefined> {
    return { kind: 'failure', reason: 'application data in EAP-TLS' };
  }

  protected async onIdle(): Promise<MethodStep> {
    if (!this.engine.established || !this.checked) return { kind: 'failure', reason: 'client not checked' };
    return { kind: 'success', keys: await tlsMethodKeys(this.engine) };
  }
}

/** EAP-TLS. */
export const tlsMethod: EapMethod = {
  type: EAP_TYPE.TLS,
  name: 'tls',
  create: (ctx) => new EapTlsConversation(ctx),
};

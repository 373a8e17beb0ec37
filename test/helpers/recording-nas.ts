/** A NAS for the coa/disconnect command tests: records what arrives, ACKs it unless told to refuse. */

import {
  type DynauthRequestContext,
  DynamicAuthorizationServer,
} from '../../src/dynauth/dynamic-authorization-server.js';
import { ERROR_CAUSE } from '../../src/dynauth/error-cause.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { COA_ACK, COA_NAK, DISCONNECT_ACK } from '../../src/protocol/codes.js';

export class RecordingNas extends DynamicAuthorizationServer {
  readonly seen: Array<{ kind: string; attrs: Record<string, unknown[]> }> = [];

  /** `nakUser`: a CoA for this User-Name gets a NAK (Session-Context-Not-Found). */
  constructor(
    host: string,
    private readonly secret: string,
    private readonly nakUser?: string,
  ) {
    super(host, { port: 0 });
  }

  validateNas() {
    return { secret: this.secret };
  }

  override handleCoaPacket(attributes: AttributesSet, _c: DynauthRequestContext) {
    this.seen.push({ kind: 'coa', attrs: attributes.toJSON() });
    if (this.nakUser !== undefined && attributes.get('User-Name') === this.nakUser)
      return [[['Error-Cause', ERROR_CAUSE.SESSION_CONTEXT_NOT_FOUND]], COA_NAK] as const;
    return [[], COA_ACK] as const;
  }

  override handleDisconnectPacket(attributes: AttributesSet, _c: DynauthRequestContext) {
    this.seen.push({ kind: 'disconnect', attrs: attributes.toJSON() });
    return [[], DISCONNECT_ACK] as const;
  }
}

/** The EAP conversation inside a tunnel (PEAP phase 2, TTLS with EAP): Identity, NAK, one method. */

import { EAP_TYPE } from './codes.js';
import type { EapMethod, MethodContext, MethodInstance, MethodKeys } from './method.js';

/** What the inner conversation answers: a Request of `type`, or the end. */
export type InnerStep =
  | { readonly kind: 'request'; readonly type: number; readonly data: Buffer }
  | { readonly kind: 'success'; readonly keys?: MethodKeys }
  | { readonly kind: 'failure'; readonly reason: string };

/** One inner EAP conversation. */
export class InnerEap {
  /** The identity given inside the tunnel: the one that is authenticated and authorised. */
  identity: string | undefined;
  private method: MethodInstance | undefined;
  private type = 0;
  private answered = false;
  private readonly offered = new Set<number>();

  constructor(
    private readonly outer: MethodContext,
    private readonly methods: readonly EapMethod[],
  ) {}

  /** Handles one inner Response; `identifier` is the Response's. */
  async respond(type: number, data: Buffer, identifier: number): Promise<InnerStep> {
    if (type === EAP_TYPE.IDENTITY && !this.method) {
      this.identity = data.toString('utf8');
      if (this.identity.length === 0) return { kind: 'failure', reason: 'empty inner identity' };
      return this.begin(this.methods[0], identifier);
    }
    if (type === EAP_TYPE.NAK && this.method && !this.answered) {
      const wanted = new Set(data);
      const next = this.methods.find((m) => wanted.has(m.type) && !this.offered.has(m.type));
      return next ? this.begin(next, identifier) : { kind: 'failure', reason: 'no common inner method' };
    }
    if (!this.method || type !== this.type)
      return { kind: 'failure', reason: `unexpected inner type ${type}` };
    this.answered = true;
    const step = await this.method.process(data, identifier);
    switch (step.kind) {
      case 'request':
        return { kind: 'request', type: this.type, data: step.data };
      case 'success':
        return { kind: 'success', keys: step.keys };
      default:
        return { kind: 'failure', reason: step.reason };
    }
  }

  private async begin(method: EapMethod | undefined, identifier: number): Promise<InnerStep> {
    if (!method) return { kind: 'failure', reason: 'no inner method' };
    this.method?.dispose();
    this.offered.add(method.type);
    this.type = method.type;
    this.answered = false;
    this.method = method.create({ ...this.outer, identity: this.identity ?? '' });
    const step = await this.method.start((identifier + 1) & 0xff);
    if (step.kind !== 'request') return { kind: 'failure', reason: 'inner method did not start' };
    return { kind: 'request', type: this.type, data: step.data };
  }

  dispose(): void {
    this.method?.dispose();
  }
}

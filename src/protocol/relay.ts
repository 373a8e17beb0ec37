// A reply received from another server, turned back into what a handler returns, so that it can
// be sent on to the NAS under the NAS's own secret (a proxy's home server, a cluster's owner).
import type { ReplyAttributes } from './attributes.js';
import type { Packet } from './packet.js';

const PROXY_STATE = 33;
const MESSAGE_AUTHENTICATOR = 80;

/** Whether a dictionary definition is the standard attribute `type` (not a VSA or TLV child). */
export function isStandard(
  def: { number: number; vendor?: unknown; parent?: unknown },
  type: number,
): boolean {
  return def.number === type && def.vendor === undefined && def.parent === undefined;
}

/**
 * The attributes of `reply` in order, without Proxy-State (the NAS's own come back from its
 * request when the reply is encoded, RFC 2865 §5.33) and Message-Authenticator (computed anew).
 * Hidden values are decoded, and are hidden again with the next hop's secret. Also gives the last
 * Proxy-State the reply carried.
 */
export function relayedAttributes(reply: Packet): {
  attributes: ReplyAttributes;
  lastProxyState: Buffer | undefined;
} {
  const out: Array<readonly [string, unknown]> = [];
  let last: Buffer | undefined;
  for (const e of reply.attributes.entries) {
    if (isStandard(e.def, PROXY_STATE)) {
      last = e.value as Buffer;
      continue;
    }
    if (isStandard(e.def, MESSAGE_AUTHENTICATOR)) continue;
    out.push([e.tag === undefined ? e.def.name : `${e.def.name}:${e.tag}`, e.value]);
  }
  return { attributes: out as ReplyAttributes, lastProxyState: last };
}

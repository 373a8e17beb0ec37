// A round of an EAP conversation that another instance owns (its TLS session lives in that
// process; OpenSSL state cannot move) is handed to that instance over the cluster link, and its
// reply goes back to the NAS from the instance the NAS sent to.
import type { EapServer } from '../eap/eap-server.js';
import { ClusterForwardError } from '../errors.js';
import { decodeResponse } from '../protocol/packet.js';
import { relayedAttributes } from '../protocol/relay.js';
import type { HandlerTuple, RequestContext } from '../server/abstract-server.js';
import type { ClusterLink } from './cluster-link.js';
import { stateOwner } from './state-owner.js';

/**
 * The owner's answer to a round whose State names another instance of the cluster, as a handler
 * result; undefined when this instance answers it itself (its own State, one the shared session
 * store holds, an owner that is no known instance, or a request another instance handed over).
 * Throws ClusterForwardError when the owner did not answer (the request is then dropped).
 */
export async function routeEapRound(
  link: ClusterLink,
  eap: EapServer,
  context: RequestContext,
): Promise<HandlerTuple<number> | undefined> {
  const { remote, packet } = context;
  // Streams (TCP, TLS) keep a NAS on one connection, hence on one instance.
  if (remote.forwardedBy !== undefined || remote.transport !== 'udp' || packet.raw === undefined)
    return undefined;
  const state = packet.get('State');
  if (!Buffer.isBuffer(state)) return undefined;
  const owner = stateOwner(state);
  if (owner === undefined || owner === link.address) return undefined;
  if (await eap.continuesAnywhere(packet)) return undefined;
  // Only to an instance of this cluster, never to whatever address a State names.
  if (!(await link.isPeer(owner))) return undefined;
  const bytes = await link.forward(owner, packet.raw, remote);
  if (bytes === undefined) throw new ClusterForwardError(owner);
  // The owner answered with the NAS's secret: verified here as the NAS would, then sent anew.
  const reply = decodeResponse(context.secret, bytes, packet);
  return [relayedAttributes(reply).attributes, reply.code];
}

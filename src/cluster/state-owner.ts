// Which instance owns an EAP conversation, written into the State attribute it issues
// (RFC 2865 §5.24: the NAS returns State unchanged, so the State can say where to go).
import { decodeAddressPort, encodeAddressPort, joinHostPort, splitHostPort } from './address-bytes.js';

// A marker octet, then the owner's cluster address (family, address, port).
const TAG = 0xa1;

/** The prefix of every State an instance with cluster address `address` ("host:port") issues. */
export function stateOwnerTag(address: string): Buffer {
  const { host, port } = splitHostPort(address);
  return Buffer.concat([Buffer.from([TAG]), encodeAddressPort(host, port)]);
}

/** The cluster address ("host:port") a State names as its owner, or undefined for an untagged one. */
export function stateOwner(state: Buffer): string | undefined {
  if (state.length < 8 || state[0] !== TAG) return undefined;
  const owner = decodeAddressPort(state, 1);
  return owner ? joinHostPort(owner.host, owner.port) : undefined;
}

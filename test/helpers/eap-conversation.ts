// One EAP conversation of a TLS-based method driven in-process through EapServer.handle, with a
// node:tls client (MemoryTlsPeer) as the peer: identity, then the server's flights reassembled from
// their fragments and the peer's answers cut into fragments, round by round.
import { EAP_RESPONSE, EAP_TYPE } from '../../src/eap/codes.js';
import type { EapServer } from '../../src/eap/eap-server.js';
import { decodeEap, type EapPacket, encodeEap } from '../../src/eap/packet.js';
import { ACCESS_CHALLENGE } from '../../src/protocol/codes.js';
import { AccessRequest } from '../../src/protocol/packet.js';
import type { HandlerTuple } from '../../src/server/abstract-server.js';
import type { MemoryTlsPeer as TlsPeer } from './memory-tls-peer.js';

// RFC 5216 §3.1: Length included, More fragments.
const L = 0x80;
const M = 0x40;

/** The first value of `name` in a handler result, as bytes. */
export function attribute(result: HandlerTuple<number>, name: string): Buffer | undefined {
  for (const pair of result[0]) if (pair[0] === name) return pair[1] as Buffer;
  return undefined;
}

/** One EAP conversation from the peer's side, through EapServer.handle. */
export class Conversation {
  state: Buffer | undefined;
  last: EapPacket | undefined;
  result: HandlerTuple<number> | undefined;
  /** The TLS bytes of the server's current message, from its fragments. */
  private inbound: Buffer[] = [];

  constructor(
    readonly eap: EapServer,
    readonly type: number = EAP_TYPE.TLS,
  ) {}

  async respond(
    type: number,
    data: Buffer,
    identifier = this.last?.identifier ?? 0,
  ): Promise<HandlerTuple<number>> {
    const attributes: Array<[string, Buffer]> = [
      ['EAP-Message', encodeEap(EAP_RESPONSE, identifier, type, data)],
    ];
    if (this.state) attributes.push(['State', this.state]);
    const result = await this.eap.handle(new AccessRequest('s', { attributes }));
    this.result = result;
    if (result[1] === ACCESS_CHALLENGE) {
      this.state = attribute(result, 'State');
      this.last = decodeEap(attribute(result, 'EAP-Message') as Buffer);
    }
    return result;
  }

  /** Sends a TLS message, cut into `size`-byte fragments (L on the first), waiting for each ACK. */
  async sendTls(bytes: Buffer, size = 4096): Promise<HandlerTuple<number>> {
    if (bytes.length <= size) return this.respond(this.type, Buffer.concat([Buffer.from([0]), bytes]));
    const head = Buffer.alloc(5);
    head[0] = L | M;
    head.writeUInt32BE(bytes.length, 1);
    let r = await this.respond(this.type, Buffer.concat([head, bytes.subarray(0, size)]));
    for (let at = size; at < bytes.length; at += size) {
      if (r[1] !== ACCESS_CHALLENGE) return r;
      const more = at + size < bytes.length;
      r = await this.respond(
        this.type,
        Buffer.concat([Buffer.from([more ? M : 0]), bytes.subarray(at, at + size)]),
      );
    }
    return r;
  }

  /** The server's last Request: whether it is a fragment with more to come; its TLS bytes are kept. */
  readRequest(): { more: boolean; ack: boolean } {
    const data = (this.last as EapPacket).data;
    const flags = data[0];
    const payload = flags & L ? data.subarray(5) : data.subarray(1);
    if (payload.length > 0) this.inbound.push(payload);
    return { more: (flags & M) !== 0, ack: payload.length === 0 };
  }

  /** Plays one round: ACK a fragment, or hand the server's flight to the peer and send its answer. */
  async step(peer: TlsPeer, size?: number): Promise<HandlerTuple<number>> {
    const { more } = this.readRequest();
    if (more) return this.respond(this.type, Buffer.from([0]));
    if (this.inbound.length > 0) peer.give(Buffer.concat(this.inbound));
    this.inbound = [];
    const out = await peer.take();
    return out.length === 0 ? this.respond(this.type, Buffer.from([0])) : this.sendTls(out, size);
  }

  /** Identity, then rounds until the server ends the conversation; at most `rounds` rounds. */
  async run(
    peer: TlsPeer,
    options: { size?: number; rounds?: number; identity?: string } = {},
  ): Promise<HandlerTuple<number>> {
    let r =
      this.result ?? (await this.respond(EAP_TYPE.IDENTITY, Buffer.from(options.identity ?? 'client'), 0));
    for (let i = 0; r[1] === ACCESS_CHALLENGE && i < (options.rounds ?? 100); i++)
      r = await this.step(peer, options.size);
    return r;
  }
}

/**
 * An EAP-MD5 peer for benchmarks (RFC 3748 §5.4): the EAP layer without TLS, two rounds per login
 * when the server offers MD5 first (Identity, then the MD5-Challenge answered), three when the peer
 * must NAK another method first. What a round of the EAP layer costs a server, on its own.
 */
import { createHash } from 'node:crypto';
import { RadiusClient } from '../src/client/radius-client.js';
import { EAP_RESPONSE, EAP_TYPE } from '../src/eap/codes.js';
import { decodeEap, encodeEap } from '../src/eap/packet.js';
import { ACCESS_ACCEPT, ACCESS_CHALLENGE } from '../src/protocol/codes.js';
import { AccessRequest } from '../src/protocol/packet.js';
import type { DriveResult } from './eap-peer.js';

/** Where to log in and with what. */
export interface Md5PeerOptions {
  port: number;
  secret: string;
  identity: string;
  password: string;
}

/** Most rounds a login may take (Identity, a NAK, the challenge, and spare). */
const MAX_ROUNDS = 5;

/** One EAP-MD5 login: true when it ends in Access-Accept. */
export async function md5Login(client: RadiusClient, o: Md5PeerOptions): Promise<boolean> {
  let state: Buffer | undefined;
  let identifier = 0;
  let type: number = EAP_TYPE.IDENTITY;
  let data = Buffer.from(o.identity, 'utf8');
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const attributes: Array<[string, string | Buffer]> = [
      ['User-Name', o.identity],
      ['EAP-Message', encodeEap(EAP_RESPONSE, identifier, type, data)],
    ];
    if (state) attributes.push(['State', state]);
    const [reply] = await client.sendPacket(new AccessRequest(o.secret, { attributes }), {
      remoteHost: '127.0.0.1',
      remotePort: o.port,
    });
    if (reply.code !== ACCESS_CHALLENGE) return reply.code === ACCESS_ACCEPT;
    state = reply.get('State') as Buffer;
    const request = decodeEap(reply.get('EAP-Message') as Buffer);
    identifier = request.identifier;
    if (request.type !== EAP_TYPE.MD5) {
      // RFC 3748 §5.3.1: a Legacy NAK naming the method this peer has.
      type = EAP_TYPE.NAK;
      data = Buffer.from([EAP_TYPE.MD5]);
      continue;
    }
    // RFC 1994 §4.1 (RFC 3748 §5.4): Value = MD5(Identifier | secret | Challenge).
    const challenge = request.data.subarray(1, 1 + request.data[0]);
    const value = createHash('md5')
      .update(Buffer.from([identifier]))
      .update(o.password, 'utf8')
      .update(challenge)
      .digest();
    type = EAP_TYPE.MD5;
    data = Buffer.concat([Buffer.from([value.length]), value]);
  }
  return false;
}

/** `loops` peers logging in back to back for `seconds`. */
export async function driveMd5(o: Md5PeerOptions, seconds: number, loops: number): Promise<DriveResult> {
  const client = new RadiusClient({ timeout: 5, retries: 1 });
  const until = Date.now() + seconds * 1000;
  const result: DriveResult = { logins: 0, resumed: 0, failed: 0 };
  try {
    await Promise.all(
      Array.from({ length: loops }, async () => {
        while (Date.now() < until) {
          if (await md5Login(client, o).catch(() => false)) result.logins++;
          else result.failed++;
        }
      }),
    );
  } finally {
    client.close();
  }
  return result;
}

import { AuthenticatorError } from '../errors.js';
import type { Packet } from '../protocol/packet.js';
import { randomBytesPooled } from '../protocol/random.js';
import { chapPassword } from './chap.js';
import { ntChallengeResponse } from './mschap.js';
import { checkAuthenticatorResponse, generateNtResponse } from './mschapv2.js';
import { mppeKeysV2 } from './mppe.js';
import type { NtSecret } from './nthash.js';

/** Adds User-Name and a PAP User-Password (hidden by the codec at encode time). */
export function addPap(request: Packet, user: string, password: string): Packet {
  return request.addAttributes(['User-Name', user], ['User-Password', password]);
}

/** Adds User-Name, a fresh 16-byte CHAP-Challenge and the CHAP-Password for it (RFC 2865 §5.3, RFC 1994). */
export function addChap(request: Packet, user: string, password: string): Packet {
  const challenge = randomBytesPooled(16);
  const id = randomBytesPooled(1)[0];
  return request.addAttributes(
    ['User-Name', user],
    ['CHAP-Challenge', challenge],
    ['CHAP-Password', chapPassword(id, password, challenge)],
  );
}

/** Adds User-Name, an 8-byte MS-CHAP-Challenge and an MS-CHAP-Response using the NT-Response (RFC 2433, RFC 2548 §2.1). */
export function addMsChapV1(request: Packet, user: string, password: NtSecret): Packet {
  const challenge = randomBytesPooled(8);
  const response = Buffer.alloc(50);
  const ident = randomBytesPooled(1)[0];
  response[0] = ident;
  response[1] = 1; // use the NT-Response; the LM-Response stays zero
  ntChallengeResponse(challenge, password).copy(response, 26);
  return request.addAttributes(
    ['User-Name', user],
    ['MS-CHAP-Challenge', challenge],
    ['MS-CHAP-Response', response],
  );
}

/** What the client keeps from an MS-CHAPv2 request to check the server's answer. */
export interface MsChapV2State {
  user: string;
  password: NtSecret;
  authChallenge: Buffer;
  peerChallenge: Buffer;
  ntResponse: Buffer;
  /** The MS-CHAP2-Response Ident, which the server's MS-CHAP2-Success must repeat (RFC 2548 §2.3.3). */
  ident?: number;
}

/** Adds User-Name, a 16-byte MS-CHAP-Challenge and an MS-CHAP2-Response (RFC 2759, RFC 2548 §2.3.2). */
export function addMsChapV2(request: Packet, user: string, password: NtSecret): MsChapV2State {
  const authChallenge = randomBytesPooled(16);
  const peerChallenge = randomBytesPooled(16);
  const slash = user.lastIndexOf('\\');
  const ntResponse = generateNtResponse(
    authChallenge,
    peerChallenge,
    slash >= 0 ? user.slice(slash + 1) : user,
    password,
  );
  const response = Buffer.alloc(50);
  const ident = randomBytesPooled(1)[0];
  response[0] = ident;
  peerChallenge.copy(response, 2);
  ntResponse.copy(response, 26);
  request.addAttributes(
    ['User-Name', user],
    ['MS-CHAP-Challenge', authChallenge],
    ['MS-CHAP2-Response', response],
  );
  return { user, password, authChallenge, peerChallenge, ntResponse, ident };
}

/**
 * Client side of MS-CHAPv2 mutual authentication (RFC 2759 §8.8): true when the reply's
 * MS-CHAP2-Success proves the server knows the password.
 */
export function verifyMsChapV2Success(response: Packet, state: MsChapV2State): boolean {
  const success = response.get('MS-CHAP2-Success');
  if (!Buffer.isBuffer(success) || success.length < 43) return false;
  if (state.ident !== undefined && success[0] !== state.ident) return false;
  const slash = state.user.lastIndexOf('\\');
  const user = slash >= 0 ? state.user.slice(slash + 1) : state.user;
  return checkAuthenticatorResponse(
    state.password,
    state.ntResponse,
    state.peerChallenge,
    state.authChallenge,
    user,
    success.subarray(1, 43).toString('latin1'),
  );
}

/**
 * The MPPE keys of an MS-CHAPv2 Access-Accept (already revealed by the codec with the request's
 * authenticator), checked against the keys the client derives itself (RFC 3079 §3.3). From the
 * client's side, the server's Send-Key is its receive key.
 */
export function mppeKeysFromReply(
  response: Packet,
  state: MsChapV2State,
): { sendKey: Buffer; recvKey: Buffer } {
  const send = response.get('MS-MPPE-Send-Key');
  const recv = response.get('MS-MPPE-Recv-Key');
  if (!Buffer.isBuffer(send) || !Buffer.isBuffer(recv))
    throw new AuthenticatorError('the reply carries no MPPE keys');
  const expected = mppeKeysV2(state.password, state.ntResponse);
  if (!expected.sendKey.equals(send.subarray(0, 16)) || !expected.recvKey.equals(recv.subarray(0, 16))) {
    throw new AuthenticatorError('the MPPE keys of the reply differ from the derived ones');
  }
  return { sendKey: Buffer.from(send), recvKey: Buffer.from(recv) };
}

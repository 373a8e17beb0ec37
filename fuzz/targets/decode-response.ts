// Fuzz target: decodeResponse on arbitrary datagrams, as the reply to a request made to match.
// Byte 0 picks the options, the rest is the datagram:
//   bits 1-2 dictionary: built-in, fuzz dictionary, FreeRADIUS's (when installed), built-in
//   bit 3    keep the authenticators as they are (else they are made valid for the secret)
//   bit 4    requireMessageAuthenticator
//   bit 5    the request carried EAP-Message (a reply must then have a Message-Authenticator)
//   bit 6    the request was a Status-Server (for Access-Accept and Accounting-Response)
//   bit 7    the request's identifier differs by one
import { createPacket, decodeResponse } from '../../src/protocol/packet.js';
import { dictionaries, readEverything, SECRET, sign, typed } from './common.js';

/** The request code that each reply code answers; other codes are tried against Access-Request. */
const REQUEST_FOR: Record<number, number> = { 2: 1, 3: 1, 11: 1, 5: 4, 41: 40, 42: 40, 44: 43, 45: 43 };
const REQUEST_AUTHENTICATOR = Buffer.from('0123456789abcdef', 'latin1');

export function fuzz(input: Buffer): void {
  if (input.length < 1) return;
  const flags = input[0];
  const data = Buffer.from(input.subarray(1));
  const dictionary = dictionaries[(flags >> 1) & 3];
  const code = data.length > 0 ? data[0] : 2;
  const identifier = data.length > 1 ? (data[1] + ((flags & 128) !== 0 ? 1 : 0)) & 255 : 0;
  const statusServer = (flags & 64) !== 0 && (code === 2 || code === 5);
  const request = createPacket(statusServer ? 12 : (REQUEST_FOR[code] ?? 1), SECRET, {
    identifier,
    authenticator: REQUEST_AUTHENTICATOR,
    dictionary,
  });
  if ((flags & 32) !== 0) request.add('EAP-Message', Buffer.from([2, 0, 0, 5, 1]));
  if ((flags & 8) === 0) sign(data, REQUEST_AUTHENTICATOR, true);
  const requireMessageAuthenticator = (flags & 16) !== 0 ? true : undefined;
  const reply = typed(() => decodeResponse(SECRET, data, request, { requireMessageAuthenticator }));
  if (!(reply instanceof Error)) readEverything(reply);
}

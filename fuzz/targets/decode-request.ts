// Fuzz target: decodeRequest (and scanPacket) on arbitrary datagrams.
// Byte 0 picks the options, the rest is the datagram:
//   bit 0    also decode with deferAttributes, read both packets in full and compare them
//   bits 1-2 dictionary: built-in, fuzz dictionary, FreeRADIUS's (when installed), built-in
//   bit 3    keep the authenticators as they are (else they are made valid for the secret)
//   bit 4    requireMessageAuthenticator
import { RadiusError } from '../../src/errors.js';
import { decodeRequest } from '../../src/protocol/packet.js';
import { dictionaries, InvariantError, readEverything, SECRET, sign, typed } from './common.js';

const ZERO16 = Buffer.alloc(16);

export function fuzz(input: Buffer): void {
  if (input.length < 1) return;
  const flags = input[0];
  const data = Buffer.from(input.subarray(1));
  const dictionary = dictionaries[(flags >> 1) & 3];
  if ((flags & 8) === 0 && data.length >= 20) {
    const code = data[0];
    const random = code === 1 || code === 12 || code === 13;
    sign(data, random ? Buffer.from(data.subarray(4, 20)) : ZERO16, !random);
  }
  const requireMessageAuthenticator = (flags & 16) !== 0;
  const eager = typed(() => decodeRequest(SECRET, data, { dictionary, requireMessageAuthenticator }));
  const eagerReads = eager instanceof RadiusError ? undefined : readEverything(eager);
  if ((flags & 1) === 0) return;
  // Deferred decoding must refuse what the eager decoder refuses, and read the same attributes.
  const copy = Buffer.from(data);
  const deferred = typed(() =>
    decodeRequest(SECRET, copy, { dictionary, requireMessageAuthenticator, deferAttributes: true }),
  );
  if (deferred instanceof RadiusError || eager instanceof RadiusError) {
    if (!(deferred instanceof RadiusError) || !(eager instanceof RadiusError)) {
      throw new InvariantError(
        `eager decode: ${eager instanceof RadiusError ? eager.message : 'ok'}; deferred: ${
          deferred instanceof RadiusError ? deferred.message : 'ok'
        }`,
      );
    }
    return;
  }
  const deferredReads = readEverything(deferred);
  if (deferredReads !== eagerReads) {
    throw new InvariantError(
      `deferred reads differ:\n--- eager\n${eagerReads}\n--- deferred\n${deferredReads}`,
    );
  }
}

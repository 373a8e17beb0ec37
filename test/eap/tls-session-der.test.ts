// withoutPeerCertificate (src/eap/tls-session-der.ts): the [3] field out of a DER SEQUENCE, lengths
// re-encoded; anything that is not one well-formed SEQUENCE is left to the caller. Real sessions
// go through it in test/eap/shared-tls-sessions.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withoutPeerCertificate } from '../../src/eap/tls-session-der.js';

/** A DER element: tag, length (short or long form), content. */
function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), content]);
}

const version = der(0x02, Buffer.from([1]));
const sessionIdContext = der(0xa4, der(0x04, Buffer.from('ctx')));

test('the [3] field goes, the others stay in order, short lengths', () => {
  const peer = der(0xa3, der(0x30, Buffer.alloc(10, 7)));
  const session = der(0x30, Buffer.concat([version, peer, sessionIdContext]));
  const out = withoutPeerCertificate(session);
  assert.deepEqual(out, der(0x30, Buffer.concat([version, sessionIdContext])));
  // Kept for up to an hour: it owns its memory, not a slice of Node's shared 8 kB Buffer pool.
  assert.equal(out?.buffer.byteLength, out?.length);
});

test('long-form lengths: a certificate of 1,000 bytes in a session of more than 256', () => {
  const peer = der(0xa3, der(0x30, Buffer.alloc(1000, 9)));
  const big = der(0x04, Buffer.alloc(200, 1));
  const session = der(0x30, Buffer.concat([version, big, peer, sessionIdContext]));
  assert.equal(session[1], 0x82);
  const out = withoutPeerCertificate(session);
  assert.deepEqual(out, der(0x30, Buffer.concat([version, big, sessionIdContext])));
  // The result is a SEQUENCE of 2 + 3 + 203 + 7 bytes: its length in the long form of one octet.
  assert.equal(out?.[1], 0x81);
});

test('no [3] field: the same bytes', () => {
  const session = der(0x30, Buffer.concat([version, sessionIdContext]));
  assert.equal(withoutPeerCertificate(session), session);
});

test('not one well-formed SEQUENCE: undefined', () => {
  const peer = der(0xa3, der(0x30, Buffer.alloc(10, 7)));
  const good = der(0x30, Buffer.concat([version, peer]));
  for (const bad of [
    Buffer.alloc(0),
    Buffer.from([0x31, 0x00]),
    good.subarray(0, good.length - 1),
    Buffer.concat([good, Buffer.from([0])]),
    // A field whose length runs past the SEQUENCE.
    der(0x30, Buffer.from([0x02, 0x05, 0x01])),
    // A field cut inside its length octets.
    der(0x30, Buffer.from([0x02, 0x82, 0x01])),
    // An indefinite length (BER, not DER).
    Buffer.from([0x30, 0x80, 0x00, 0x00]),
  ]) {
    assert.equal(withoutPeerCertificate(bad), undefined, bad.toString('hex'));
  }
});

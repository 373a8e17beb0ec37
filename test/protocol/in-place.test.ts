// The allocation-free codec paths (a packet patched in place for every request) against RFC 2865
// §7.1 and against the allocating codec, which is tested on its own.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  computeAuthenticator,
  computeMessageAuthenticator,
  signMessageAuthenticatorInPlace,
  signPacket,
  verifyReplyBytes,
} from '../../src/protocol/authenticator.js';
import { encryptUserPassword, hideUserPasswordInto } from '../../src/protocol/crypt.js';
import {
  AccessRequest,
  AccountingRequest,
  decodeRequest,
  decodeResponse,
} from '../../src/protocol/packet.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const SECRET_7_1 = Buffer.from('xyzzy5461');
// RFC 2865 §7.1: "nemo" / "arctangent", and the Access-Accept that answers it.
const REQUEST_7_1 = hex(`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a
  01 06 6e 65 6d 6f 02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee
  04 06 c0 a8 01 10 05 06 00 00 00 03`);
const ACCEPT_7_1 = hex(`02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2
  06 06 00 00 00 01 0f 06 00 00 00 00 0e 06 c0 a8 01 03`);
const SECRET = Buffer.from('in-place-s3cret');

describe('hideUserPasswordInto', () => {
  test('re-hides the RFC 2865 §7.1 password in place, byte for byte', () => {
    const pkt = Buffer.from(REQUEST_7_1);
    pkt.fill(0, 28, 44);
    const n = hideUserPasswordInto(Buffer.from('arctangent'), SECRET_7_1, pkt, 4, pkt, 28);
    assert.equal(n, 16);
    assert.deepEqual(pkt, REQUEST_7_1);
  });

  test('equals encryptUserPassword for every length 0..128, chaining over the packet itself', () => {
    for (let len = 0; len <= 128; len += 7) {
      const plain = randomBytes(len);
      const auth = randomBytes(16);
      const expected = encryptUserPassword(plain, SECRET, auth);
      // The authenticator in the packet's header, the hidden value further on, as on the wire.
      const pkt = Buffer.alloc(22 + expected.length, 0xee);
      auth.copy(pkt, 4);
      const n = hideUserPasswordInto(plain, SECRET, pkt, 4, pkt, 22);
      assert.equal(n, expected.length, `length ${len}`);
      assert.deepEqual(pkt.subarray(22), expected, `length ${len}`);
      assert.deepEqual(pkt.subarray(4, 20), auth);
    }
  });

  test('refuses a password over 128 bytes and an output too short', () => {
    const pkt = Buffer.alloc(64);
    assert.throws(() => hideUserPasswordInto(Buffer.alloc(129), SECRET, pkt, 4, pkt, 20));
    assert.throws(() => hideUserPasswordInto(Buffer.alloc(40), SECRET, pkt, 4, pkt, 20), RangeError);
  });
});

describe('signMessageAuthenticatorInPlace', () => {
  test('signs an Access-Request as the encoder does, and the decoder accepts it', () => {
    const req = new AccessRequest(SECRET);
    req.add('User-Name', 'bob');
    req.add('NAS-Identifier', 'nas-1');
    const wire = req.encode();
    const maOffset = 22;
    assert.equal(wire[20], 80);
    const pkt = Buffer.from(wire);
    pkt.fill(0xab, maOffset, maOffset + 16);
    signMessageAuthenticatorInPlace(pkt, pkt.length, maOffset, SECRET);
    assert.deepEqual(pkt, wire);
    assert.equal(decodeRequest(SECRET, pkt).get('User-Name'), 'bob');
    // A wrong secret gives another tag (the test can fail).
    signMessageAuthenticatorInPlace(pkt, pkt.length, maOffset, Buffer.from('other'));
    assert.notDeepEqual(pkt, wire);
  });

  test('for an Accounting-Request, with zeros in the authenticator field, then signPacket', () => {
    const req = new AccountingRequest(SECRET, { messageAuthenticator: true });
    req.add('Acct-Status-Type', 'Start');
    req.add('Acct-Session-Id', 's-1');
    const wire = req.encode();
    const pkt = Buffer.from(wire);
    pkt.fill(0, 4, 20);
    pkt.fill(0, 22, 38);
    signMessageAuthenticatorInPlace(pkt, pkt.length, 22, SECRET);
    signPacket(pkt, pkt.length, undefined, SECRET);
    assert.deepEqual(pkt, wire);
    assert.deepEqual(
      computeAuthenticator(pkt, pkt.length, Buffer.alloc(16), SECRET),
      Buffer.from(pkt.subarray(4, 20)),
    );
  });

  test('refuses an offset outside the packet', () => {
    const pkt = Buffer.alloc(30);
    assert.throws(() => signMessageAuthenticatorInPlace(pkt, 30, 22, SECRET), RangeError);
  });
});

describe('verifyReplyBytes', () => {
  test('accepts the RFC 2865 §7.1 Access-Accept against its request, and nothing changed', () => {
    assert.equal(verifyReplyBytes(ACCEPT_7_1, ACCEPT_7_1.length, REQUEST_7_1, SECRET_7_1), true);
    assert.equal(verifyReplyBytes(ACCEPT_7_1, ACCEPT_7_1.length, REQUEST_7_1, Buffer.from('x')), false);
    const other = Buffer.from(REQUEST_7_1);
    other[10] ^= 1;
    assert.equal(verifyReplyBytes(ACCEPT_7_1, ACCEPT_7_1.length, other, SECRET_7_1), false);
    // Without a Message-Authenticator it passes only when none is required.
    assert.equal(verifyReplyBytes(ACCEPT_7_1, ACCEPT_7_1.length, REQUEST_7_1, SECRET_7_1, true), false);
  });

  test('agrees with decodeResponse on signed replies, and on every single-bit corruption', () => {
    const req = new AccessRequest(SECRET);
    req.add('User-Name', 'bob');
    const reqWire = req.encode();
    const reply = req.createReply(2, [['Reply-Message', 'hello']]);
    const wire = reply.encode();
    assert.ok(wire.includes(Buffer.from([80, 18])), 'the reply carries a Message-Authenticator');
    assert.equal(verifyReplyBytes(wire, wire.length, reqWire, SECRET, true), true);
    for (let bit = 0; bit < wire.length * 8; bit += 5) {
      const bad = Buffer.from(wire);
      bad[bit >> 3] ^= 1 << (bit & 7);
      if (bit >> 3 < 2) continue; // code and identifier are the caller's to check
      let decoded = true;
      try {
        decodeResponse(SECRET, bad, req);
      } catch {
        decoded = false;
      }
      assert.equal(verifyReplyBytes(bad, bad.length, reqWire, SECRET), decoded, `bit ${bit}`);
      assert.equal(decoded, false, `bit ${bit}`);
    }
  });

  test('checks the Message-Authenticator against the tag the codec computes', () => {
    const req = new AccessRequest(SECRET);
    req.add('User-Name', 'bob');
    const reqWire = req.encode();
    const wire = req.createReply(3, []).encode();
    const tag = computeMessageAuthenticator(wire, wire.length, 22, reqWire.subarray(4, 20), SECRET);
    assert.deepEqual(Buffer.from(wire.subarray(22, 38)), tag);
    assert.equal(verifyReplyBytes(wire, wire.length, reqWire, SECRET), true);
  });

  test('refuses broken framing and a length past the bytes', () => {
    const req = new AccessRequest(SECRET);
    const reqWire = req.encode();
    const wire = req.createReply(2, [['Reply-Message', 'x']]).encode();
    assert.equal(verifyReplyBytes(wire, wire.length + 1, reqWire, SECRET), false);
    const bad = Buffer.from(wire);
    bad[39] = 1; // Reply-Message length below 2
    assert.equal(verifyReplyBytes(bad, bad.length, reqWire, SECRET), false);
  });
});

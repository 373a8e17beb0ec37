// EAP packet codec (RFC 3748 §4): encode/decode symmetry and the Length checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MalformedPacketError } from '../../src/errors.js';
import { EAP_FAILURE, EAP_REQUEST, EAP_RESPONSE, EAP_SUCCESS, EAP_TYPE } from '../../src/eap/codes.js';
import { decodeEap, encodeEap, encodeEapResult } from '../../src/eap/packet.js';

test('a Request encodes as Code, Identifier, Length, Type, Type-Data and decodes back', () => {
  const bytes = encodeEap(EAP_REQUEST, 7, EAP_TYPE.MD5, Buffer.from([16, 1, 2, 3]));
  assert.deepEqual([...bytes], [1, 7, 0, 9, 4, 16, 1, 2, 3]);
  const back = decodeEap(bytes);
  assert.equal(back.code, EAP_REQUEST);
  assert.equal(back.identifier, 7);
  assert.equal(back.type, EAP_TYPE.MD5);
  assert.deepEqual([...back.data], [16, 1, 2, 3]);
});

test('Success and Failure are four bytes without a type (RFC 3748 §4.2)', () => {
  assert.deepEqual([...encodeEapResult(EAP_SUCCESS, 9)], [3, 9, 0, 4]);
  assert.deepEqual([...encodeEapResult(EAP_FAILURE, 255)], [4, 255, 0, 4]);
  assert.equal(decodeEap(Buffer.from([3, 9, 0, 4])).type, undefined);
});

test('octets past Length are padding; fewer octets than Length, or a bad code, are errors', () => {
  const padded = Buffer.from([2, 1, 0, 6, 1, 0x61, 0xff, 0xff]);
  assert.equal(decodeEap(padded).data.toString(), 'a');
  for (const bad of [
    Buffer.from([2, 1, 0]),
    Buffer.from([2, 1, 0, 9, 1, 0x61]),
    Buffer.from([2, 1, 0, 3, 1]),
    Buffer.from([2, 1, 0, 4]),
    Buffer.from([9, 1, 0, 5, 1]),
  ]) {
    assert.throws(() => decodeEap(bad), MalformedPacketError, bad.toString('hex'));
  }
});

test('the Identifier wraps at 256 and a Response round-trips', () => {
  const bytes = encodeEap(EAP_RESPONSE, 256 + 3, EAP_TYPE.IDENTITY, Buffer.from('alice'));
  assert.equal(bytes[1], 3);
  assert.equal(decodeEap(bytes).data.toString(), 'alice');
});

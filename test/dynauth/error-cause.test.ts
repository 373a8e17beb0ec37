import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ERROR_CAUSE,
  errorCauseName,
  errorCauseRefusal,
  errorCauses,
} from '../../src/dynauth/error-cause.js';
import { AttributesSet } from '../../src/protocol/attributes.js';
import { COA_ACK, COA_NAK, DISCONNECT_ACK, DISCONNECT_NAK } from '../../src/protocol/codes.js';
import { CoARequest, decodeResponse } from '../../src/protocol/packet.js';

test('ERROR_CAUSE has every RFC 5176 §3.5 value, matching the built-in dictionary', () => {
  const expected: Record<string, number> = {
    RESIDUAL_SESSION_CONTEXT_REMOVED: 201,
    INVALID_EAP_PACKET: 202,
    UNSUPPORTED_ATTRIBUTE: 401,
    MISSING_ATTRIBUTE: 402,
    NAS_IDENTIFICATION_MISMATCH: 403,
    INVALID_REQUEST: 404,
    UNSUPPORTED_SERVICE: 405,
    UNSUPPORTED_EXTENSION: 406,
    INVALID_ATTRIBUTE_VALUE: 407,
    ADMINISTRATIVELY_PROHIBITED: 501,
    REQUEST_NOT_ROUTABLE: 502,
    SESSION_CONTEXT_NOT_FOUND: 503,
    SESSION_CONTEXT_NOT_REMOVABLE: 504,
    OTHER_PROXY_PROCESSING_ERROR: 505,
    RESOURCES_UNAVAILABLE: 506,
    REQUEST_INITIATED: 507,
    MULTIPLE_SESSION_SELECTION_UNSUPPORTED: 508,
  };
  assert.deepEqual({ ...ERROR_CAUSE }, expected);
  for (const v of Object.values(ERROR_CAUSE)) assert.notEqual(errorCauseName(v), `Error-Cause-${v}`);
  assert.equal(errorCauseName(402), 'Missing-Attribute');
  assert.equal(errorCauseName(999), 'Error-Cause-999');
});

test('errorCauseRefusal follows the §3.5 ranges and per-value rules', () => {
  const ok: Array<[number, number]> = [
    [DISCONNECT_ACK, 201],
    [COA_NAK, 401],
    [DISCONNECT_NAK, 402],
    [COA_NAK, 405],
    [DISCONNECT_NAK, 503],
    [DISCONNECT_NAK, 504],
    [COA_NAK, 507],
    [COA_NAK, 508],
  ];
  for (const [code, v] of ok) assert.equal(errorCauseRefusal(code, v), undefined, `${code}/${v}`);
  const refused: Array<[number, number]> = [
    [COA_ACK, 201], // 201 only in a Disconnect-ACK
    [DISCONNECT_NAK, 201], // success values only in ACKs
    [DISCONNECT_ACK, 202], // never sent
    [COA_ACK, 503], // errors only in NAKs
    [DISCONNECT_ACK, 401],
    [DISCONNECT_NAK, 405], // Unsupported Service cannot answer a Disconnect-Request
    [COA_NAK, 504], // Disconnect-NAK only
    [DISCONNECT_NAK, 507], // CoA-NAK only
    [COA_NAK, 300], // reserved
    [COA_NAK, 0],
  ];
  for (const [code, v] of refused) assert.ok(errorCauseRefusal(code, v), `${code}/${v} should be refused`);
});

test('errorCauses reads names and numbers back to numbers', () => {
  const attrs = new AttributesSet();
  attrs.add('Error-Cause', 'Missing-Attribute');
  attrs.add('Error-Cause', 503);
  attrs.add('Error-Cause', 999);
  assert.deepEqual(errorCauses(attrs), [402, 503, 999]);
  // Through the codec: a NAK decodes the value to its name.
  const request = new CoARequest('s');
  request.add('User-Name', 'u');
  request.encode();
  const reply = request.createReply(COA_NAK, [['Error-Cause', ERROR_CAUSE.SESSION_CONTEXT_NOT_FOUND]]);
  const decoded = decodeResponse('s', reply.encode(), request);
  assert.equal(decoded.get('Error-Cause'), 'Session-Context-Not-Found');
  assert.deepEqual(errorCauses(decoded.attributes), [503]);
});

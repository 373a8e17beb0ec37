import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  AccessRequest,
  AuthenticatorError,
  decodeRequest,
  decodeResponse,
} from '../../src/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const SECRET = 'xyzzy5461';

// RFC 2865 §7.1: "nemo" logs in with password "arctangent" (NAS 192.168.1.16, port 3).
const REQUEST_7_1 = hex(`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a
  01 06 6e 65 6d 6f 02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee
  04 06 c0 a8 01 10 05 06 00 00 00 03`);
const ACCEPT_7_1 = hex(`02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2
  06 06 00 00 00 01 0f 06 00 00 00 00 0e 06 c0 a8 01 03`);

describe('RFC 2865 §7.1 vectors', () => {
  test('the Access-Request decodes, the password is revealed, and it re-encodes byte-exact', () => {
    const req = decodeRequest(SECRET, REQUEST_7_1);
    assert.equal(req.code, 1);
    assert.equal(req.identifier, 0);
    assert.equal(req.get('User-Name'), 'nemo');
    assert.equal(req.get('User-Password'), 'arctangent');
    assert.equal(req.get('NAS-IP-Address'), '192.168.1.16');
    assert.equal(req.get('NAS-Port'), 3);
    assert.equal(req.messageAuthenticator, false);
    assert.deepEqual(req.encode(), REQUEST_7_1);
  });

  test('a request built from scratch with the same authenticator is byte-identical', () => {
    const req = new AccessRequest(SECRET, {
      identifier: 0,
      authenticator: REQUEST_7_1.subarray(4, 20),
      messageAuthenticator: false,
    });
    req.addAttributes(
      ['User-Name', 'nemo'],
      ['User-Password', 'arctangent'],
      ['NAS-IP-Address', '192.168.1.16'],
      ['NAS-Port', 3],
    );
    assert.deepEqual(req.encode(), REQUEST_7_1);
  });

  test('the Access-Accept verifies against its request and re-encodes byte-exact', () => {
    const req = decodeRequest(SECRET, REQUEST_7_1);
    const resp = decodeResponse(SECRET, ACCEPT_7_1, req);
    assert.equal(resp.code, ACCESS_ACCEPT);
    assert.equal(resp.get('Service-Type'), 'Login-User');
    assert.equal(resp.get('Login-Service'), 'Telnet');
    assert.equal(resp.get('Login-IP-Host'), '192.168.1.3');
    const reply = req.createReply(ACCESS_ACCEPT, [
      ['Service-Type', 'Login-User'],
      ['Login-Service', 'Telnet'],
      ['Login-IP-Host', '192.168.1.3'],
    ]);
    reply.messageAuthenticator = false;
    assert.deepEqual(reply.encode(), ACCEPT_7_1);
  });

  test('a reply with a wrong secret fails with AuthenticatorError', () => {
    const req = decodeRequest(SECRET, REQUEST_7_1);
    assert.throws(() => decodeResponse('wrong', ACCEPT_7_1, req), AuthenticatorError);
  });
});

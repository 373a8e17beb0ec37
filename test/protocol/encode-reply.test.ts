// encodeReply (the server's reply path) must give exactly the bytes of createReply(...).encode().
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidValueError } from '../../src/errors.js';
import type { ReplyAttributes } from '../../src/protocol/attributes.js';
import {
  ACCESS_ACCEPT,
  ACCESS_CHALLENGE,
  ACCESS_REJECT,
  ACCOUNTING_RESPONSE,
  COA_ACK,
  DISCONNECT_NAK,
} from '../../src/protocol/codes.js';
import {
  AccessRequest,
  AccountingRequest,
  CoARequest,
  DisconnectRequest,
  decodeRequest,
  decodeResponse,
  encodeReply,
  type Packet,
  StatusServer,
} from '../../src/protocol/packet.js';

const SECRET = 'encode-reply-secret';

/** A request as a server holds it: encoded, then decoded. */
function received(request: Packet): Packet {
  return decodeRequest(SECRET, request.encode());
}

function same(request: Packet, code: number, attributes?: ReplyAttributes): void {
  const want = request.createReply(code, attributes).encode();
  assert.deepEqual(encodeReply(request, code, attributes), want, `code ${code}`);
}

describe('encodeReply', () => {
  const access = received(
    new AccessRequest(SECRET, { identifier: 7 })
      .add('User-Name', 'alice')
      .add('User-Password', 'secret-pw')
      .add('NAS-IP-Address', '192.0.2.1'),
  );

  test('empty replies to an Access-Request', () => {
    for (const code of [ACCESS_ACCEPT, ACCESS_REJECT, ACCESS_CHALLENGE]) {
      same(access, code);
      same(access, code, []);
    }
  });

  test('replies with attributes, tagged and hidden ones included', () => {
    same(access, ACCESS_ACCEPT, [
      ['Reply-Message', 'welcome'],
      ['Session-Timeout', 3600],
      ['Framed-IP-Address', '10.1.2.3'],
      ['Tunnel-Type:1', 'VLAN'],
      ['Class', Buffer.from('abc')],
    ]);
    // Any iterable of pairs, not only arrays.
    const pairs: ReplyAttributes = [['Reply-Message', 'x']];
    same(access, ACCESS_REJECT, new Set(pairs));
  });

  test('Proxy-State attributes are copied in order, with or without other attributes', () => {
    const proxied = received(
      new AccessRequest(SECRET, { identifier: 9 })
        .add('User-Name', 'bob')
        .add('Proxy-State', Buffer.from('one'))
        .add('Proxy-State', Buffer.from('two')),
    );
    same(proxied, ACCESS_ACCEPT);
    same(proxied, ACCESS_ACCEPT, [['Reply-Message', 'hi']]);
  });

  test('replies to Status-Server, accounting, CoA and Disconnect requests', () => {
    const status = received(new StatusServer(SECRET, { identifier: 1 }).add('NAS-Identifier', 'nas'));
    same(status, ACCESS_ACCEPT);
    same(status, ACCOUNTING_RESPONSE);
    const acct = received(
      new AccountingRequest(SECRET, { identifier: 2 }).add('Acct-Status-Type', 'Start').add('User-Name', 'u'),
    );
    same(acct, ACCOUNTING_RESPONSE);
    same(acct, ACCOUNTING_RESPONSE, [['Reply-Message', 'noted']]);
    same(received(new CoARequest(SECRET, { identifier: 3 }).add('User-Name', 'u')), COA_ACK);
    same(received(new DisconnectRequest(SECRET, { identifier: 4 }).add('User-Name', 'u')), DISCONNECT_NAK, [
      ['Error-Cause', 503],
    ]);
  });

  test('replies verify with short and very long secrets (hashed in place, or range by range)', () => {
    for (const length of [1, 16, 300, 1000, 5000]) {
      const secret = Buffer.alloc(length, 0x61 + (length % 26));
      const request = decodeRequest(
        secret,
        new AccessRequest(secret, { identifier: 5 }).add('User-Name', 'carol').encode(),
      );
      for (const attributes of [[], [['Reply-Message', 'ok']]] as ReplyAttributes[]) {
        const bytes = encodeReply(request, ACCESS_ACCEPT, attributes);
        const reply = decodeResponse(secret, bytes, request, { requireMessageAuthenticator: true });
        assert.equal(reply.code, ACCESS_ACCEPT);
        assert.deepEqual(bytes, request.createReply(ACCESS_ACCEPT, attributes).encode());
      }
    }
  });

  test('rejects what createReply rejects', () => {
    assert.throws(() => encodeReply(access, 0), InvalidValueError);
    assert.throws(() => encodeReply(access, 2.5), InvalidValueError);
    assert.throws(() => encodeReply(access, ACCESS_ACCEPT, [['No-Such-Attribute', 1]]));
    assert.throws(() =>
      encodeReply(access, ACCESS_ACCEPT, [['Reply-Message'] as unknown as [string, string]]),
    );
  });
});

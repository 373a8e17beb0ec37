// A proxy forwards as bytes (RelayedRequest, RelayedAttributes) only what it would forward the same
// from decoded attributes: these tests hold the two paths to the same bytes, and send what cannot go
// as bytes (hidden attributes other than User-Password) down the decoding path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_CHALLENGE,
  ACCESS_REJECT,
  ACCOUNTING_RESPONSE,
} from '../../src/protocol/codes.js';
import {
  AccessAccept,
  AccessChallenge,
  AccessRequest,
  AccountingRequest,
  AccountingResponse,
  decodeRequest,
  decodeResponse,
  encodeReply,
  type Packet,
} from '../../src/protocol/packet.js';
import {
  RelayedAttributes,
  RelayedRequest,
  rebuildRequest,
  relayableRequest,
  relayedAttributes,
} from '../../src/protocol/relay.js';

const NAS = 'nas-secret';
const HOME = Buffer.from('home-secret-of-another-length');
const OURS = Buffer.from('aior0123456789ab');

/** A NAS's Access-Request as the proxy's server holds it (decoded with attributes deferred). */
function fromNas(build: (r: AccessRequest) => void, maFirst = true): Packet {
  const r = new AccessRequest(NAS, { identifier: 9, messageAuthenticator: maFirst });
  build(r);
  return decodeRequest(NAS, r.encode(), { deferAttributes: true });
}

/** The bytes both paths give for the next hop, with one identifier, authenticator and secret. */
function bothPaths(request: Packet, userName?: string): { fast: Buffer; slow: Buffer } {
  assert.ok(relayableRequest(request, userName));
  const fast = new RelayedRequest(request, userName, OURS);
  const slow = rebuildRequest(request, userName, OURS);
  for (const p of [fast, slow]) {
    p.identifier = 42;
    p.secret = HOME;
  }
  slow.authenticator = fast.authenticator;
  return { fast: fast.encode(), slow: slow.encode() };
}

describe('RelayedRequest: an Access-Request forwarded as bytes', () => {
  test('PAP, realm stripped, the NAS’s Proxy-States and VSAs kept in order: the bytes of the decoded path', () => {
    const request = fromNas((r) =>
      r
        .add('User-Name', 'alice@example.com')
        .add('Proxy-State', Buffer.from('nas-state-1'))
        .add('User-Password', 'a password longer than sixteen bytes, several blocks')
        .add('NAS-IP-Address', '192.0.2.1')
        .add('Attr-26.9.1', Buffer.from('shell:priv-lvl=15'))
        .add('Calling-Station-Id', '02-00-00-00-00-01')
        .add('Proxy-State', Buffer.from('nas-state-2')),
    );
    const { fast, slow } = bothPaths(request, 'alice');
    assert.deepEqual(fast, slow);
    // And the home server reads it: its secret, our Proxy-State last, the password as typed.
    const home = decodeRequest(HOME, fast);
    assert.equal(home.get('User-Name'), 'alice');
    assert.equal(home.get('User-Password'), 'a password longer than sixteen bytes, several blocks');
    assert.deepEqual(home.getAll('Proxy-State'), [
      Buffer.from('nas-state-1'),
      Buffer.from('nas-state-2'),
      OURS,
    ]);
    assert.equal(home.messageAuthenticator, true);
  });

  test('realm kept, no Message-Authenticator from the NAS, passwords of 1, 15, 16, 17 and 128 bytes', () => {
    for (const n of [1, 15, 16, 17, 128]) {
      const password = 'p'.repeat(n);
      const request = fromNas((r) => r.add('User-Name', 'bob').add('User-Password', password), false);
      const { fast, slow } = bothPaths(request);
      assert.deepEqual(fast, slow, `${n} bytes`);
      assert.equal(decodeRequest(HOME, fast).get('User-Password'), password);
    }
  });

  test('CHAP without CHAP-Challenge: the NAS’s authenticator goes as CHAP-Challenge (RFC 2865 §2.2)', () => {
    const request = fromNas((r) =>
      r.add('User-Name', 'carol@example.com').add('CHAP-Password', Buffer.alloc(17, 3)),
    );
    const { fast, slow } = bothPaths(request, 'carol');
    assert.deepEqual(fast, slow);
    assert.deepEqual(decodeRequest(HOME, fast).get('CHAP-Challenge'), request.authenticator);
  });

  test('a new authenticator (failover) hides the password again under it', () => {
    const request = fromNas((r) => r.add('User-Name', 'dave').add('User-Password', 'pw'));
    const out = new RelayedRequest(request, undefined, OURS);
    out.secret = HOME;
    const first = out.encode();
    out.authenticator = Buffer.alloc(16, 0xaa);
    const second = out.encode();
    assert.notDeepEqual(first.subarray(20), second.subarray(20));
    assert.equal(decodeRequest(HOME, second).get('User-Password'), 'pw');
  });

  test('what cannot go as bytes: Tunnel-Password, a Microsoft VSA (hidden MPPE keys), accounting', () => {
    assert.equal(
      relayableRequest(
        fromNas((r) => r.add('User-Name', 'e').add('Tunnel-Password:1', 'x')),
        undefined,
      ),
      false,
    );
    assert.equal(
      relayableRequest(
        fromNas((r) => r.add('User-Name', 'e').add('MS-CHAP-Challenge', Buffer.alloc(16, 1))),
        undefined,
      ),
      false,
    );
    const acct = decodeRequest(NAS, new AccountingRequest(NAS).add('User-Name', 'e').encode());
    assert.equal(relayableRequest(acct, undefined), false);
    assert.equal(
      relayableRequest(
        fromNas((r) => r.add('User-Name', 'e@x')),
        '',
      ),
      false,
    );
  });
});

/** A home server's reply to `request` (sent with HOME), as the client decodes it. */
function fromHome(request: Packet, reply: Packet): Packet {
  return decodeResponse(HOME, reply.encode(), request, { deferAttributes: true });
}

describe('RelayedAttributes: a reply passed back to the NAS as bytes', () => {
  const nasRequest = fromNas((r) =>
    r
      .add('User-Name', 'alice@example.com')
      .add('User-Password', 'pw')
      .add('Proxy-State', Buffer.from('nas-1'))
      .add('Proxy-State', Buffer.from('nas-2')),
  );
  const toHome = new RelayedRequest(nasRequest, 'alice', OURS);
  toHome.secret = HOME;
  toHome.encode();

  function same(reply: Packet, code: number): void {
    const decoded = fromHome(toHome, reply);
    const { attributes, lastProxyState } = relayedAttributes(decoded);
    assert.ok(attributes instanceof RelayedAttributes);
    assert.deepEqual(lastProxyState, OURS);
    // The decoding path: the pairs, encoded again.
    const pairs = [...attributes];
    assert.deepEqual(encodeReply(nasRequest, code, attributes), encodeReply(nasRequest, code, pairs));
  }

  test('Access-Accept, -Reject and -Challenge with attributes: the bytes of the decoding path', () => {
    const attrs = (p: Packet) =>
      p
        .add('Reply-Message', 'hello')
        .add('Framed-IP-Address', '10.0.0.7')
        .add('Tunnel-Type:1', 'VLAN')
        .add('Attr-26.9.1', Buffer.from('ip:addr-pool=a'))
        .add('Proxy-State', OURS);
    same(attrs(new AccessAccept(HOME, { request: toHome, identifier: toHome.identifier })), ACCESS_ACCEPT);
    same(
      attrs(new AccessChallenge(HOME, { request: toHome, identifier: toHome.identifier })).add(
        'State',
        Buffer.from('s1'),
      ),
      ACCESS_CHALLENGE,
    );
    same(
      new AccessAccept(HOME, { request: toHome, identifier: toHome.identifier }).add('Proxy-State', OURS),
      ACCESS_REJECT,
    );
  });

  test('the NAS gets its own Proxy-States back in order, ours gone, signed with its secret', () => {
    const reply = fromHome(
      toHome,
      new AccessAccept(HOME, { request: toHome, identifier: toHome.identifier })
        .add('Reply-Message', 'hi')
        .add('Proxy-State', OURS),
    );
    const bytes = encodeReply(nasRequest, ACCESS_ACCEPT, relayedAttributes(reply).attributes);
    const atNas = decodeResponse(NAS, bytes, nasRequest, { requireMessageAuthenticator: true });
    assert.deepEqual(atNas.getAll('Proxy-State'), [Buffer.from('nas-1'), Buffer.from('nas-2')]);
    assert.equal(atNas.get('Reply-Message'), 'hi');
  });

  test('Accounting-Response, and an EAP-Message that calls for Message-Authenticator', () => {
    const acct = decodeRequest(
      NAS,
      new AccountingRequest(NAS).add('User-Name', 'a').add('Proxy-State', Buffer.from('n')).encode(),
    );
    const toHomeAcct = rebuildRequest(acct, undefined, OURS);
    toHomeAcct.secret = HOME;
    toHomeAcct.encode();
    const reply = fromHome(
      toHomeAcct,
      new AccountingResponse(HOME, { request: toHomeAcct, identifier: toHomeAcct.identifier }).add(
        'Proxy-State',
        OURS,
      ),
    );
    const { attributes } = relayedAttributes(reply);
    assert.ok(attributes instanceof RelayedAttributes);
    assert.deepEqual(
      encodeReply(acct, ACCOUNTING_RESPONSE, attributes),
      encodeReply(acct, ACCOUNTING_RESPONSE, [...attributes]),
    );
    same(
      new AccessChallenge(HOME, { request: toHome, identifier: toHome.identifier })
        .add('EAP-Message', Buffer.from([1, 2, 0, 6, 4, 16]))
        .add('Proxy-State', OURS),
      ACCESS_CHALLENGE,
    );
  });

  test('hidden reply attributes (Tunnel-Password, MS-MPPE keys) take the decoding path', () => {
    for (const hidden of [
      (p: Packet) => p.add('Tunnel-Password:1', 'tunnel-secret'),
      (p: Packet) => p.add('MS-MPPE-Send-Key', Buffer.alloc(32, 7)),
    ]) {
      const reply = fromHome(
        toHome,
        hidden(new AccessAccept(HOME, { request: toHome, identifier: toHome.identifier })).add(
          'Proxy-State',
          OURS,
        ),
      );
      const { attributes, lastProxyState } = relayedAttributes(reply);
      assert.ok(Array.isArray(attributes));
      assert.deepEqual(lastProxyState, OURS);
      // Re-hidden with the NAS's secret and authenticator: the NAS reads the same value.
      const atNas = decodeResponse(NAS, encodeReply(nasRequest, ACCESS_ACCEPT, attributes), nasRequest);
      const [name] = [...attributes][0] as [string];
      assert.deepEqual(atNas.get(name), reply.get(name));
    }
  });
});

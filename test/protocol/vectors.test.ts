import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_CHALLENGE,
  ACCESS_REJECT,
  ACCOUNTING_RESPONSE,
  AccessAccept,
  AccessRequest,
  AttributesSet,
  AuthenticatorError,
  decodeAttributes,
  decodeRequest,
  decodeResponse,
  decryptTunnelPassword,
  encryptTunnelPassword,
  InvalidValueError,
  MalformedPacketError,
  type Packet,
  STATUS_SERVER,
} from '../../src/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const SECRET = 'xyzzy5461';

function md5(...parts: Uint8Array[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** RFC 2865 §5.2 written out independently of the library, as an oracle. */
function hideUserPassword(plain: Buffer, secret: Buffer, auth: Buffer): Buffer {
  const padded = Buffer.alloc(Math.max(16, Math.ceil(plain.length / 16) * 16));
  plain.copy(padded);
  const out = Buffer.alloc(padded.length);
  let prev = auth;
  for (let i = 0; i < padded.length; i += 16) {
    const b = md5(secret, prev);
    for (let j = 0; j < 16; j++) out[i + j] = padded[i + j] ^ b[j];
    prev = out.subarray(i, i + 16);
  }
  return out;
}

/** RFC 2868 §3.5 written out independently of the library: salt, then the hidden length+value+padding. */
function hideTunnelPassword(plain: Buffer, secret: Buffer, auth: Buffer, salt: Buffer): Buffer {
  const data = Buffer.alloc(Math.ceil((plain.length + 1) / 16) * 16);
  data[0] = plain.length;
  plain.copy(data, 1);
  const out = Buffer.alloc(data.length);
  let prev = Buffer.concat([auth, salt]);
  for (let i = 0; i < data.length; i += 16) {
    const b = md5(secret, prev);
    for (let j = 0; j < 16; j++) out[i + j] = data[i + j] ^ b[j];
    prev = out.subarray(i, i + 16);
  }
  return Buffer.concat([salt, out]);
}

/** Top-level attributes of a packet as [type, value bytes]. */
function wireAttributes(packet: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  const end = packet.readUInt16BE(2);
  for (let p = 20; p < end; p += packet[p + 1])
    out.push([packet[p], packet.subarray(p + 2, p + packet[p + 1])]);
  return out;
}

function wireValues(packet: Buffer, type: number): Buffer[] {
  return wireAttributes(packet)
    .filter(([t]) => t === type)
    .map(([, v]) => v);
}

// RFC 2865 §7.2: "flopsy" authenticates with CHAP on port 20 of NAS 192.168.1.16.
const CHAP_REQUEST = hex(`01 01 00 47 2a ee 86 f0 8d 0d 55 96 9c a5 97 8e
  0d 33 67 a2 01 08 66 6c 6f 70 73 79 03 13 16 e9 75 57 c3 16 18 58 95 f2 93 ff 63 44 07 72 75 04
  06 c0 a8 01 10 05 06 00 00 00 14 06 06 00 00 00 02 07 06 00 00 00 01`);
const CHAP_ACCEPT = hex(`02 01 00 38 15 ef bc 7d ab 26 cf a3 dc 34 d9 c0
  3c 86 01 a4 06 06 00 00 00 02 07 06 00 00 00 01 08 06 ff ff ff fe 0a 06 00 00 00 02 0d 06 00 00
  00 01 0c 06 00 00 05 dc`);

// RFC 2865 §7.3: "mopsy" with a challenge-response card.
const CARD_REQUEST = hex(`01 02 00 39 f3 a4 7a 1f 6a 6d 76 71 0b 94 7a b9
  30 41 a0 39 01 07 6d 6f 70 73 79 02 12 33 65 75 73 77 82 89 b5 70 88 5e 15 08 48 25 c5 04 06 c0
  a8 01 10 05 06 00 00 00 07`);
const CARD_CHALLENGE = hex(`0b 02 00 4e 36 f3 c8 76 4a e8 c7 11 57 40 3c 0c
  71 ff 9c 45 12 30 43 68 61 6c 6c 65 6e 67 65 20 33 32 37 36 39 34 33 30 2e 20 20 45 6e 74 65 72
  20 72 65 73 70 6f 6e 73 65 20 61 74 20 70 72 6f 6d 70 74 2e 18 0a 33 32 37 36 39 34 33 30`);
// As printed in the RFC: the State attribute's length is written 0x10 where it is 10 octets.
const CARD_RESPONSE_AS_PRINTED = hex(`01 03 00 43 b1 22 55 6d 42 8a 13 d0 d6 25 38 07
  c4 57 ec f0 01 07 6d 6f 70 73 79 02 12 69 2c 1f 20 5f c0 81 b9 19 b9 51 95 f5 61 a5 81 04 06 c0
  a8 01 10 05 06 00 00 00 07 18 10 33 32 37 36 39 34 33 30`);
const CARD_REJECT = hex(`03 03 00 14 a4 2f 4f ca 45 91 6c 4e 09 c8 34 0f 9e 74 6a a0`);

// RFC 5997 §6 (same secret).
const STATUS_AUTH = hex(`0c da 00 26 8a 54 f4 68 6f b3 94 c5 28 66 e3 02
  18 5d 06 23 50 12 5a 66 5e 2e 1e 84 11 f3 e2 43 82 20 97 c8 4f a3`);
const STATUS_AUTH_REPLY = hex(`02 da 00 14 ef 0d 55 2a 4b f2 d6 93 ec 2b 6f e8 b5 41 1d 66`);
const STATUS_ACCT = hex(`0c b3 00 26 92 5f 6b 66 dd 5f ed 57 1f cb 1d b7
  ad 38 82 60 50 12 e8 d6 ea bd a9 10 87 5c d9 1f da de 26 36 78 58`);
// As printed: code 02, though the text (and the authenticator) say Accounting-Response (5).
const STATUS_ACCT_REPLY_AS_PRINTED = hex(`02 b3 00 14 0f 6f 92 14 5f 10 7e 2f 50 4e 86 0a 48 60 66 9c`);
const STATUS_VERBOSE = hex(`0c 47 00 2c bf 58 de 56 ae 40 8a d3 b7 0c 85 13
  f9 b0 3f be 04 06 c0 00 02 10 50 12 85 2d 6f ec 61 e7 ed 74 b8 e3 2d ac 2f 2a 5f b2`);
const STATUS_VERBOSE_REPLY = hex(`02 47 00 34 46 f4 3e 62 fd 03 54 42 4c bb eb fd
  6d 21 4e 06 12 20 52 41 44 49 55 53 20 53 65 72 76 65 72 20 75 70 20 32 20 64 61 79 73 2c 20 31
  38 3a 34 30`);

describe('RFC 2865 §7.2 CHAP vectors', () => {
  test('the CHAP Access-Request decodes and re-encodes byte-exact', () => {
    const req = decodeRequest(SECRET, CHAP_REQUEST);
    assert.equal(req.identifier, 1);
    assert.equal(req.get('User-Name'), 'flopsy');
    assert.deepEqual(req.get('CHAP-Password'), hex('16 e9 75 57 c3 16 18 58 95 f2 93 ff 63 44 07 72 75'));
    assert.equal(req.get('NAS-IP-Address'), '192.168.1.16');
    assert.equal(req.get('NAS-Port'), 20);
    assert.equal(req.get('Service-Type'), 'Framed-User');
    assert.equal(req.get('Framed-Protocol'), 'PPP');
    assert.equal(req.messageAuthenticator, false);
    assert.deepEqual(req.encode(), CHAP_REQUEST);
  });

  test('its Access-Accept verifies, decodes and re-encodes byte-exact', () => {
    const req = decodeRequest(SECRET, CHAP_REQUEST);
    const accept = decodeResponse(SECRET, CHAP_ACCEPT, req);
    assert.equal(accept.code, ACCESS_ACCEPT);
    assert.deepEqual(accept.toJSON().attributes, {
      'Service-Type': ['Framed-User'],
      'Framed-Protocol': ['PPP'],
      'Framed-IP-Address': ['255.255.255.254'],
      // The RFC's annotation says None (0); the bytes (which the authenticator covers) say 2.
      'Framed-Routing': ['Listen'],
      'Framed-Compression': ['Van-Jacobson-TCP-IP'],
      'Framed-MTU': [1500],
    });
    assert.deepEqual(accept.encode(), CHAP_ACCEPT);
  });

  test('the same Access-Accept built from scratch is byte-identical', () => {
    const req = decodeRequest(SECRET, CHAP_REQUEST);
    const reply = req.createReply(ACCESS_ACCEPT, [
      ['Service-Type', 'Framed-User'],
      ['Framed-Protocol', 'PPP'],
      ['Framed-IP-Address', '255.255.255.254'],
      ['Framed-Routing', 'Listen'],
      ['Framed-Compression', 'Van-Jacobson-TCP-IP'],
      ['Framed-MTU', 1500],
    ]);
    reply.messageAuthenticator = false;
    assert.deepEqual(reply.encode(), CHAP_ACCEPT);
  });

  test('a changed byte in the Accept fails verification', () => {
    const req = decodeRequest(SECRET, CHAP_REQUEST);
    const bad = Buffer.from(CHAP_ACCEPT);
    bad[bad.length - 1] ^= 1;
    assert.throws(() => decodeResponse(SECRET, bad, req), AuthenticatorError);
  });
});

describe('RFC 2865 §7.3 challenge-response vectors', () => {
  test('the first Access-Request reveals the dummy password and re-encodes byte-exact', () => {
    const req = decodeRequest(SECRET, CARD_REQUEST);
    assert.equal(req.get('User-Name'), 'mopsy');
    assert.equal(req.get('User-Password'), 'challenge');
    assert.equal(req.get('NAS-Port'), 7);
    assert.deepEqual(req.encode(), CARD_REQUEST);
  });

  test('the Access-Challenge verifies and re-encodes byte-exact', () => {
    const req = decodeRequest(SECRET, CARD_REQUEST);
    const challenge = decodeResponse(SECRET, CARD_CHALLENGE, req);
    assert.equal(challenge.code, ACCESS_CHALLENGE);
    assert.equal(challenge.get('Reply-Message'), 'Challenge 32769430.  Enter response at prompt.');
    assert.deepEqual(challenge.get('State'), Buffer.from('32769430'));
    assert.deepEqual(challenge.encode(), CARD_CHALLENGE);
  });

  test('the second Access-Request as printed has a State length past the packet: MalformedPacketError', () => {
    assert.throws(() => decodeRequest(SECRET, CARD_RESPONSE_AS_PRINTED), MalformedPacketError);
  });

  test('with the State length corrected, it decodes, re-encodes and its Access-Reject verifies', () => {
    const fixed = Buffer.from(CARD_RESPONSE_AS_PRINTED);
    assert.equal(fixed[58], 0x10);
    fixed[58] = 10;
    const req = decodeRequest(SECRET, fixed);
    assert.equal(req.identifier, 3);
    assert.equal(req.get('User-Password'), '99101462');
    assert.deepEqual(req.get('State'), Buffer.from('32769430'));
    assert.deepEqual(req.encode(), fixed);
    const reject = decodeResponse(SECRET, CARD_REJECT, req);
    assert.equal(reject.code, ACCESS_REJECT);
    assert.equal(reject.attributes.size, 0);
    assert.deepEqual(reject.encode(), CARD_REJECT);
  });
});

describe('RFC 5997 §6 Status-Server vectors', () => {
  test('§6.1: Status-Server with Message-Authenticator verifies and re-encodes byte-exact', () => {
    const req = decodeRequest(SECRET, STATUS_AUTH);
    assert.equal(req.code, STATUS_SERVER);
    assert.equal(req.identifier, 218);
    assert.equal(req.messageAuthenticator, true);
    assert.deepEqual(req.get('Message-Authenticator'), hex('5a665e2e1e8411f3e243822097c84fa3'));
    assert.deepEqual(req.encode(), STATUS_AUTH);
  });

  test('§6.1: its Access-Accept verifies and re-encodes byte-exact', () => {
    const req = decodeRequest(SECRET, STATUS_AUTH);
    const reply = decodeResponse(SECRET, STATUS_AUTH_REPLY, req);
    assert.equal(reply.code, ACCESS_ACCEPT);
    assert.equal(reply.attributes.size, 0);
    assert.deepEqual(reply.encode(), STATUS_AUTH_REPLY);
  });

  test('§6.2: the accounting-port reply verifies as the Accounting-Response the text describes', () => {
    const req = decodeRequest(SECRET, STATUS_ACCT);
    assert.equal(req.identifier, 179);
    assert.deepEqual(req.encode(), STATUS_ACCT);
    // The printed code byte (2) does not match the authenticator, which was computed with code 5.
    assert.throws(() => decodeResponse(SECRET, STATUS_ACCT_REPLY_AS_PRINTED, req), AuthenticatorError);
    const fixed = Buffer.from(STATUS_ACCT_REPLY_AS_PRINTED);
    fixed[0] = ACCOUNTING_RESPONSE;
    const reply = decodeResponse(SECRET, fixed, req);
    assert.equal(reply.code, ACCOUNTING_RESPONSE);
    assert.deepEqual(reply.encode(), fixed);
  });

  test('§6.3: a Message-Authenticator after other attributes verifies where it is', () => {
    const req = decodeRequest(SECRET, STATUS_VERBOSE);
    assert.equal(req.get('NAS-IP-Address'), '192.0.2.16');
    assert.deepEqual(req.get('Message-Authenticator'), hex('852d6fec61e7ed74b8e32dac2f2a5fb2'));
    // Re-encoding puts Message-Authenticator first (BlastRADIUS hardening); the result is the same
    // packet with that attribute moved and recomputed.
    const moved = Buffer.concat([
      STATUS_VERBOSE.subarray(0, 20),
      hex('50 12'),
      Buffer.alloc(16),
      hex('04 06 c0 00 02 10'),
    ]);
    createHmac('md5', SECRET).update(moved).digest().copy(moved, 22);
    const again = req.encode();
    assert.deepEqual(again, moved);
    assert.equal(decodeRequest(SECRET, again).get('NAS-IP-Address'), '192.0.2.16');
  });

  test('§6.3: the verbose Access-Accept verifies and re-encodes byte-exact', () => {
    const req = decodeRequest(SECRET, STATUS_VERBOSE);
    const reply = decodeResponse(SECRET, STATUS_VERBOSE_REPLY, req);
    assert.equal(reply.get('Reply-Message'), 'RADIUS Server up 2 days, 18:40');
    assert.deepEqual(reply.encode(), STATUS_VERBOSE_REPLY);
  });

  test('a changed Status-Server, or one without Message-Authenticator, is refused', () => {
    const bad = Buffer.from(STATUS_AUTH);
    bad[30] ^= 0x80;
    assert.throws(() => decodeRequest(SECRET, bad), AuthenticatorError);
    assert.throws(() => decodeRequest('wrong', STATUS_AUTH), AuthenticatorError);
    const bare = Buffer.from(STATUS_AUTH.subarray(0, 20));
    bare.writeUInt16BE(20, 2);
    assert.throws(() => decodeRequest(SECRET, bare), AuthenticatorError);
  });
});

describe('User-Password hiding (RFC 2865 §5.2)', () => {
  const auth = hex('0f403f9473978057bd83d5cb98f4227a');
  const secret = Buffer.from(SECRET);

  function roundTrip(password: string | Buffer): { wire: Buffer; value: unknown } {
    const req = new AccessRequest(secret, { identifier: 7, authenticator: auth });
    req.add('User-Password', password);
    const bytes = req.encode();
    const [wire] = wireValues(bytes, 2);
    return { wire, value: decodeRequest(secret, bytes).get('User-Password') };
  }

  for (const n of [1, 15, 16, 17, 128]) {
    test(`${n} bytes: padded to ${Math.max(16, Math.ceil(n / 16) * 16)}, matches the RFC algorithm, round-trips`, () => {
      const password = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(4).slice(0, n);
      const { wire, value } = roundTrip(password);
      assert.equal(wire.length, Math.max(16, Math.ceil(n / 16) * 16));
      assert.deepEqual(wire, hideUserPassword(Buffer.from(password), secret, auth));
      assert.equal(value, password);
    });
  }

  test('multibyte UTF-8 is counted in bytes, not characters', () => {
    for (const password of ['pässwörd', '密码密码密码', '🔑🔑🔑🔑', 'é'.repeat(64)]) {
      const { wire, value } = roundTrip(password);
      assert.equal(wire.length, Math.ceil(Buffer.byteLength(password) / 16) * 16, password);
      assert.equal(value, password);
    }
    // 64 × 'é' is 128 bytes; one more character is 130 bytes.
    assert.throws(() => roundTrip('é'.repeat(65)), InvalidValueError);
  });

  test('129 bytes is an InvalidValueError', () => {
    assert.throws(() => roundTrip('x'.repeat(129)), InvalidValueError);
    assert.throws(() => roundTrip(Buffer.alloc(129, 0x41)), InvalidValueError);
  });

  test('an empty password is one block of padding; trailing NULs are padding, inner NULs stay', () => {
    assert.equal(roundTrip('').wire.length, 16);
    assert.equal(roundTrip('').value, '');
    assert.equal(roundTrip('abc\0\0').value, 'abc');
    assert.equal(roundTrip('a\0b').value, 'a\0b');
  });

  test('a wrong secret yields garbage (a string or raw bytes), never a crash', () => {
    const req = new AccessRequest(secret, { authenticator: auth, messageAuthenticator: false });
    req.add('User-Password', 'arctangent-is-long-enough');
    const bytes = req.encode();
    for (let i = 0; i < 200; i++) {
      const wrong = randomBytes(1 + (i % 40));
      const got = decodeRequest(wrong, bytes);
      const value = got.get('User-Password') ?? got.get('Attr-2');
      assert.ok(typeof value === 'string' || Buffer.isBuffer(value));
      assert.notEqual(value, 'arctangent-is-long-enough');
    }
  });

  test('with Message-Authenticator a wrong secret is an AuthenticatorError instead', () => {
    const req = new AccessRequest(secret);
    req.add('User-Password', 'x');
    assert.throws(() => decodeRequest('not-the-secret', req.encode()), AuthenticatorError);
  });
});

describe('Tunnel-Password salt hiding (RFC 2868 §3.5)', () => {
  const secret = Buffer.from(SECRET);

  function exchange(pairs: [string, string | Buffer][]): { request: Packet; bytes: Buffer; reply: Packet } {
    const request = new AccessRequest(secret);
    request.add('User-Name', 'tunnel');
    request.encode();
    const accept = request.createReply(ACCESS_ACCEPT, pairs);
    const bytes = accept.encode();
    return { request, bytes, reply: decodeResponse(secret, bytes, request) };
  }

  test('a tagged Tunnel-Password round-trips with the tag, a salt with the high bit set', () => {
    const { request, bytes, reply } = exchange([['Tunnel-Password:1', 'tunnel-secret']]);
    assert.deepEqual(
      reply.attributes.entries.filter((e) => e.def.name === 'Tunnel-Password').map((e) => [e.value, e.tag]),
      [['tunnel-secret', 1]],
    );
    const [wire] = wireValues(bytes, 69);
    assert.equal(wire[0], 1, 'tag byte first');
    assert.ok(wire[1] & 0x80, 'salt high bit');
    assert.equal(wire.length, 1 + 2 + 16);
    // Hidden with the Request Authenticator of the request, as the RFC algorithm computes it.
    const salt = wire.subarray(1, 3);
    assert.deepEqual(
      wire.subarray(1),
      hideTunnelPassword(Buffer.from('tunnel-secret'), secret, request.authenticator, salt),
    );
  });

  test('in a reply it is hidden with the request authenticator, not the reply one', () => {
    const { request, bytes, reply } = exchange([['Tunnel-Password', 'abc']]);
    const [wire] = wireValues(bytes, 69);
    assert.deepEqual(
      decryptTunnelPassword(wire.subarray(1), secret, request.authenticator),
      Buffer.from('abc'),
    );
    let other: Buffer | undefined;
    try {
      other = decryptTunnelPassword(wire.subarray(1), secret, reply.authenticator);
    } catch (err) {
      assert.ok(err instanceof MalformedPacketError);
    }
    assert.notDeepEqual(other, Buffer.from('abc'));
  });

  test('two in one packet get distinct salts; many in one packet are all distinct', () => {
    for (let round = 0; round < 50; round++) {
      const { bytes, reply } = exchange([
        ['Tunnel-Password:1', 'first'],
        ['Tunnel-Password:2', 'second'],
      ]);
      const [a, b] = wireValues(bytes, 69);
      assert.notDeepEqual(a.subarray(1, 3), b.subarray(1, 3));
      assert.deepEqual(reply.getAll('Tunnel-Password'), ['first', 'second']);
      assert.equal(reply.get('Tunnel-Password:2'), 'second');
    }
    const many: [string, string][] = [];
    for (let i = 0; i < 150; i++) many.push([`Tunnel-Password:${i % 32}`, `p${i}`]);
    const { bytes, reply } = exchange(many);
    const salts = wireValues(bytes, 69).map((v) => v.readUInt16BE(1));
    assert.equal(salts.length, 150);
    assert.equal(new Set(salts).size, 150);
    for (const s of salts) assert.ok(s & 0x8000);
    assert.deepEqual(
      reply.getAll('Tunnel-Password'),
      many.map(([, v]) => v),
    );
  });

  test('lengths 0..239 round-trip; longer values are InvalidValueError', () => {
    for (const n of [0, 1, 14, 15, 16, 17, 31, 32, 100, 239]) {
      const value = 't'.repeat(n);
      assert.equal(exchange([['Tunnel-Password:3', value]]).reply.get('Tunnel-Password'), value, `${n}`);
    }
    // 240 bytes + length byte pad to 256, over one attribute; past 249 the scheme itself refuses.
    assert.throws(() => exchange([['Tunnel-Password', 't'.repeat(240)]]), InvalidValueError);
    assert.throws(
      () => encryptTunnelPassword(Buffer.alloc(250), secret, Buffer.alloc(16)),
      InvalidValueError,
    );
  });

  test('the library salt encryption equals the RFC algorithm for a fixed salt', () => {
    const auth = randomBytes(16);
    for (const n of [0, 1, 15, 16, 17, 64]) {
      const plain = randomBytes(n);
      const salt = Buffer.from([0x85, 0x21]);
      assert.deepEqual(
        encryptTunnelPassword(plain, secret, auth, salt),
        hideTunnelPassword(plain, secret, auth, salt),
      );
    }
    // The high bit is forced on.
    assert.equal(encryptTunnelPassword(Buffer.from('x'), secret, auth, Buffer.from([0x05, 0x21]))[0], 0x85);
  });

  test('MS-MPPE keys use the same scheme inside the Microsoft VSA (RFC 2548 §2.4.2)', () => {
    const key = randomBytes(32);
    const { bytes, reply } = exchange([
      ['MS-MPPE-Send-Key', key],
      ['MS-MPPE-Recv-Key', key],
    ]);
    assert.deepEqual(reply.get('MS-MPPE-Send-Key'), key);
    assert.deepEqual(reply.get('MS-MPPE-Recv-Key'), key);
    const vsas = wireValues(bytes, 26);
    assert.equal(vsas.length, 2);
    assert.equal(vsas[0].readUInt32BE(0), 311);
    assert.deepEqual([vsas[0][4], vsas[1][4]], [16, 17]);
    assert.notDeepEqual(vsas[0].subarray(6, 8), vsas[1].subarray(6, 8), 'distinct salts across VSAs');
  });

  test('a wrong secret yields a raw value or garbage, never a crash', () => {
    const { request, bytes } = exchange([['Tunnel-Password:1', 'tunnel-secret']]);
    for (let i = 0; i < 200; i++) {
      const set = new AttributesSet();
      decodeAttributes(bytes, 20, bytes.length, set, {
        secret: randomBytes(1 + (i % 50)),
        authenticator: request.authenticator,
      });
      const value = set.get('Tunnel-Password') ?? set.get('Attr-69');
      assert.ok(typeof value === 'string' || Buffer.isBuffer(value));
      assert.notEqual(value, 'tunnel-secret');
    }
  });
});

describe('shared secrets of 1 to 200 bytes', () => {
  test('request, reply, hidden values and Message-Authenticator work for every length', () => {
    for (let n = 1; n <= 200; n++) {
      const secret = randomBytes(n);
      const req = new AccessRequest(secret);
      req.addAttributes(['User-Name', `user${n}`], ['User-Password', 'p'.repeat(1 + (n % 40))]);
      const got = decodeRequest(secret, req.encode());
      assert.equal(got.get('User-Password'), 'p'.repeat(1 + (n % 40)), `secret of ${n} bytes`);
      assert.equal(got.messageAuthenticator, true);
      const accept = got.createReply(ACCESS_ACCEPT, [
        ['Tunnel-Password:1', `t${n}`],
        ['Reply-Message', 'ok'],
      ]);
      const reply = decodeResponse(secret, accept.encode(), req);
      assert.equal(reply.get('Tunnel-Password'), `t${n}`, `secret of ${n} bytes`);
      const other = Buffer.from(secret);
      other[n - 1] ^= 1;
      assert.throws(() => decodeResponse(other, accept.encode(), req), AuthenticatorError);
    }
  });

  test('a string secret is its UTF-8 bytes', () => {
    const req = new AccessRequest('sécret');
    req.add('User-Password', 'pw');
    assert.equal(decodeRequest(Buffer.from('sécret', 'utf8'), req.encode()).get('User-Password'), 'pw');
    assert.ok(new AccessAccept('sécret').secret.equals(Buffer.from('sécret', 'utf8')));
  });
});

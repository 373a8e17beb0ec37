import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  AccessRequest,
  addChap,
  addMsChapV1,
  addMsChapV2,
  addPap,
  authenticate,
  authenticateAsync,
  type Credentials,
  decodeRequest,
  hashPassword,
  decodeResponse,
  mppeKeysFromReply,
  ntPasswordHash,
  verifyMsChapV2Success,
  verifyPap,
} from '../../src/index.js';

const SECRET = 'testing123';

function roundTrip(build: (r: AccessRequest) => unknown) {
  const req = new AccessRequest(SECRET);
  const state = build(req);
  return { req, received: decodeRequest(SECRET, req.encode()), state };
}

describe('authenticate() end to end through the codec', () => {
  test('a User-Password of a length no hidden password has: the reason says so (RFC 2865 §5.2)', () => {
    for (const length of [15, 130]) {
      const head = new AccessRequest(SECRET, { messageAuthenticator: false })
        .addAttributes(['User-Name', 'u'])
        .encode();
      const bytes = Buffer.concat([head, Buffer.from([2, length + 2]), Buffer.alloc(length, 7)]);
      bytes.writeUInt16BE(bytes.length, 2);
      const r = authenticate(decodeRequest(SECRET, bytes, { requireMessageAuthenticator: false }), {
        password: 'pw',
      });
      assert.equal(r.ok, false);
      assert.match(r.reason ?? '', /User-Password is malformed: it must be 16 to 128 octets/, String(length));
    }
  });

  test('verifyPap: exact bytes only, UTF-8, up to 128 bytes and beyond, the scratch left clean', () => {
    const check = (sent: string, stored: string) =>
      verifyPap(
        decodeRequest(SECRET, addPap(new AccessRequest(SECRET), 'u', sent).encode()).attributes,
        stored,
      );
    assert.equal(check('pässwörd', 'pässwörd'), true);
    assert.equal(check('pässwörd', 'passwörd'), false);
    assert.equal(check('abc', 'abcd'), false);
    assert.equal(check('x'.repeat(128), 'x'.repeat(128)), true);
    assert.equal(check('x'.repeat(128), `${'x'.repeat(127)}y`), false);
    // A stored password no PAP request can carry never matches, however the request is cut.
    assert.equal(check('x'.repeat(128), 'x'.repeat(300)), false);
    // One check after another: nothing of the previous compare leaks into the next.
    assert.equal(check('abcdef', 'abcdef'), true);
    assert.equal(check('abc', 'abc'), true);
  });

  test('verifyPap compares UTF-8 bytes, also for surrogates and lone ones (written as U+FFFD)', () => {
    const set = (got: string) => {
      const req = new AccessRequest(SECRET);
      req.add('User-Password', got);
      return req.attributes;
    };
    const bytesEqual = (a: string, b: string) => Buffer.from(a, 'utf8').equals(Buffer.from(b, 'utf8'));
    const texts = [
      '',
      'a',
      'ab',
      '\u{1F600}',
      'x\u{1F600}',
      '\uD800',
      '\uFFFD',
      'a\uDC00',
      'a\uFFFD',
      'é',
      'e\u0301',
    ];
    for (const got of texts.filter((t) => t !== '')) {
      for (const want of texts) {
        assert.equal(verifyPap(set(got), want), bytesEqual(got, want), `${JSON.stringify([got, want])}`);
      }
    }
  });

  for (const method of ['pap', 'chap', 'mschap', 'mschapv2'] as const) {
    test(`${method}: right password accepted, wrong one refused`, () => {
      const add = { pap: addPap, chap: addChap, mschap: addMsChapV1, mschapv2: addMsChapV2 }[method];
      const good = roundTrip((r) => add(r, 'alice', 'alicepw'));
      const ok = authenticate(good.received, { password: 'alicepw' });
      assert.equal(ok.method, method);
      assert.equal(ok.ok, true, ok.reason);
      const bad = roundTrip((r) => add(r, 'alice', 'wrong'));
      const no = authenticate(bad.received, { password: 'alicepw' });
      assert.equal(no.ok, false);
      if (method === 'mschap' || method === 'mschapv2') {
        const err = no.attributes.find(([n]) => n === 'MS-CHAP-Error')?.[1] as Buffer;
        assert.match(err.subarray(1).toString('latin1'), /^E=691 R=0/);
      }
    });
  }

  test('MS-CHAPv2 with an NT hash: success verified and MPPE keys equal on both sides', () => {
    const { req, received, state } = roundTrip((r) => addMsChapV2(r, 'DOMAIN\\alice', 'alicepw'));
    const result = authenticate(received, { ntHash: ntPasswordHash('alicepw') });
    assert.equal(result.ok, true);
    const reply = received.createReply(ACCESS_ACCEPT, result.attributes);
    const answer = decodeResponse(SECRET, reply.encode(), req);
    const s = state as ReturnType<typeof addMsChapV2>;
    assert.equal(verifyMsChapV2Success(answer, s), true);
    const keys = mppeKeysFromReply(answer, s);
    assert.equal(keys.sendKey.length, 16);
    // A tampered success string fails mutual authentication.
    const forged = received.createReply(ACCESS_ACCEPT, [
      ['MS-CHAP2-Success', Buffer.from(`\x01S=${'0'.repeat(40)}`, 'latin1')],
    ]);
    assert.equal(verifyMsChapV2Success(decodeResponse(SECRET, forged.encode(), req), s), false);
    // The right authenticator response under another Ident answers another exchange (RFC 2548 §2.3.3).
    const success = Buffer.from(answer.get('MS-CHAP2-Success') as Buffer);
    success[0] ^= 0xff;
    const otherIdent = received.createReply(ACCESS_ACCEPT, [['MS-CHAP2-Success', success]]);
    assert.equal(verifyMsChapV2Success(decodeResponse(SECRET, otherIdent.encode(), req), s), false);
    assert.equal(
      verifyMsChapV2Success(decodeResponse(SECRET, otherIdent.encode(), req), { ...s, ident: undefined }),
      true,
    );
  });

  test('MS-CHAPv1 success carries MS-CHAP-MPPE-Keys that survive the hiding', () => {
    const { req, received } = roundTrip((r) => addMsChapV1(r, 'alice', 'alicepw'));
    const result = authenticate(received, { password: 'alicepw' });
    const keys = result.attributes.find(([n]) => n === 'MS-CHAP-MPPE-Keys')?.[1] as Buffer;
    const answer = decodeResponse(
      SECRET,
      received.createReply(ACCESS_ACCEPT, result.attributes).encode(),
      req,
    );
    assert.deepEqual((answer.get('MS-CHAP-MPPE-Keys') as Buffer).subarray(0, 24), keys);
  });
});

describe('authenticate() with stored hashes', () => {
  const hashed = hashPassword('hashpw');
  test('PAP against a salted hash and against an NT hash; wrong passwords rejected', async () => {
    const pap = (pw: string) => roundTrip((r) => addPap(r, 'u', pw)).received;
    assert.equal(authenticate(pap('hashpw'), { passwordHash: hashed }).ok, true);
    assert.equal(authenticate(pap('hashpX'), { passwordHash: hashed }).reason, 'wrong password');
    assert.equal((await authenticateAsync(pap('hashpw'), { passwordHash: hashed })).ok, true);
    assert.equal((await authenticateAsync(pap('nope'), { passwordHash: hashed })).ok, false);
    assert.equal(authenticate(pap('hashpw'), { ntHash: ntPasswordHash('hashpw') }).ok, true);
    assert.equal(authenticate(pap('hashpX'), { ntHash: ntPasswordHash('hashpw') }).ok, false);
    const bcrypt = hashPassword('hashpw', 'bcrypt', { cost: 4 });
    assert.equal((await authenticateAsync(pap('hashpw'), { passwordHash: bcrypt })).ok, true);
    assert.equal((await authenticateAsync(pap('hashpX'), { passwordHash: bcrypt })).ok, false);
  });

  test('CHAP and MS-CHAP refuse a hash they cannot use, with the reason; the NT hash beside it serves MS-CHAP', () => {
    const chap = roundTrip((r) => addChap(r, 'u', 'hashpw')).received;
    const r1 = authenticate(chap, { passwordHash: hashed });
    assert.equal(r1.ok, false);
    assert.match(r1.reason as string, /CHAP needs the cleartext password/);
    assert.equal(authenticate(chap, { passwordHash: '{cleartext}hashpw' }).ok, true);
    const v2 = roundTrip((r) => addMsChapV2(r, 'u', 'hashpw')).received;
    const r2 = authenticate(v2, { passwordHash: hashed });
    assert.equal(r2.ok, false);
    assert.match(r2.reason as string, /MS-CHAP needs the NT hash/);
    assert.equal(authenticate(v2, { passwordHash: hashed, ntHash: ntPasswordHash('hashpw') }).ok, true);
    const v1 = roundTrip((r) => addMsChapV1(r, 'u', 'hashpw')).received;
    assert.match(authenticate(v1, { passwordHash: hashed }).reason as string, /MS-CHAP needs the NT hash/);
    assert.equal(
      authenticate(v1, { passwordHash: `{NT}${ntPasswordHash('hashpw').toString('hex')}` }).ok,
      true,
    );
  });

  test('an NT hash given as 32 hex digits, in either case, serves PAP, MS-CHAP and MS-CHAPv2 as its 16 bytes do', async () => {
    const hex = ntPasswordHash('hashpw').toString('hex');
    const requests = [
      roundTrip((r) => addPap(r, 'u', 'hashpw')).received,
      roundTrip((r) => addMsChapV1(r, 'u', 'hashpw')).received,
      roundTrip((r) => addMsChapV2(r, 'u', 'hashpw')).received,
    ];
    for (const request of requests) {
      for (const ntHash of [hex, hex.toUpperCase()]) {
        const r = authenticate(request, { ntHash });
        assert.equal(r.ok, true, `${r.method} ${r.reason}`);
        assert.equal((await authenticateAsync(request, { ntHash })).ok, true);
      }
      assert.equal(authenticate(request, { ntHash: ntPasswordHash('other') }).ok, false);
    }
  });

  test('credentials no check can use fail the request with the reason, never throw', async () => {
    const requests = [
      roundTrip((r) => addPap(r, 'u', 'pw')).received,
      roundTrip((r) => addChap(r, 'u', 'pw')).received,
      roundTrip((r) => addMsChapV1(r, 'u', 'pw')).received,
      roundTrip((r) => addMsChapV2(r, 'u', 'pw')).received,
    ];
    const unusable: Array<[unknown, RegExp]> = [
      [{ ntHash: 'not hex' }, /ntHash: expected 16 bytes or 32 hex digits/],
      [{ ntHash: 'ab'.repeat(15) }, /ntHash: expected 16 bytes or 32 hex digits/],
      [{ ntHash: Buffer.alloc(15) }, /ntHash: expected 16 bytes or 32 hex digits/],
      [{ ntHash: 42 }, /ntHash: expected 16 bytes or 32 hex digits/],
      [{ password: Buffer.from('pw') }, /password: expected a string/],
      [{ passwordHash: 7 }, /passwordHash: expected a string/],
      ['pw', /expected an object/],
    ];
    for (const request of requests) {
      for (const [credentials, reason] of unusable) {
        const r = authenticate(request, credentials as Credentials);
        assert.equal(r.ok, false);
        assert.match(r.reason as string, reason, `${r.method} ${JSON.stringify(credentials)}`);
        assert.match(r.reason as string, /^unusable credentials: /);
        assert.match((await authenticateAsync(request, credentials as Credentials)).reason as string, reason);
      }
    }
  });
});

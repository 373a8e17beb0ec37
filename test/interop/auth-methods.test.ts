// PAP, CHAP, MS-CHAPv1 and MS-CHAPv2 against peers nobody here wrote: radtest against our server
// (authenticate), our request builders against FreeRADIUS's pap, chap and mschap modules, and (for
// MS-CHAPv2, which radtest lacks) our builders against our own server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthMethodsServer } from '../../examples/auth-methods-server.js';
import { RadiusClient } from '../../src/client/radius-client.js';
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  AccessRequest,
  addChap,
  addMsChapV1,
  addMsChapV2,
  addPap,
  chapPassword,
  type Credentials,
  mppeKeysFromReply,
  mppeKeysV2,
  msChapMppeKeys,
  ntPasswordHash,
  type Packet,
  verifyMsChapV2Success,
} from '../../src/index.js';
import { type FreeradiusPeer, radtest, skipUnless, startFreeradius } from '../helpers/peers.js';

const SECRET = 'auth-methods-s3cret';

// FreeRADIUS 3.2.1 puts no Message-Authenticator in replies to non-EAP requests; our server does.
const lenient = new RadiusClient({ timeout: 2, retries: 2 });
const strict = new RadiusClient({ timeout: 2, retries: 2, requireMessageAuthenticator: true });
after(() => {
  lenient.close();
  strict.close();
});

/** Sends one request to 127.0.0.1:port and returns the verified reply (bounded: 3 tries of 2 s). */
async function exchange(request: Packet, port: number, requireMessageAuthenticator = false): Promise<Packet> {
  const client = requireMessageAuthenticator ? strict : lenient;
  const [reply] = await client.sendPacket(request, { remoteHost: '127.0.0.1', remotePort: port });
  return reply;
}

// RFC 2548 §2.3.3: MS-CHAP2-Success carries the Ident of the MS-CHAP2-Response it answers.
const successIdent = (reply: Packet) => (reply.get('MS-CHAP2-Success') as Buffer)[0];
const responseIdent = (request: Packet) => (request.get('MS-CHAP2-Response') as Buffer)[0];

// ---------------------------------------------------------------------------------------------
// radtest (FreeRADIUS's client) against our server

const USERS: ReadonlyMap<string, Credentials> = new Map([
  ['alice', { password: 'alicepw' }],
  ['carol', { ntHash: ntPasswordHash('carolpw') }],
]);

/** The value of a reply attribute as radtest printed it. */
function printed(attributes: Array<[string, string]>, name: string): string | undefined {
  return attributes.find(([n]) => n === name)?.[1];
}

describe('radtest against a server using authenticate()', { skip: skipUnless('radtest') }, () => {
  let server: AuthMethodsServer;
  let port = 0;

  before(async () => {
    server = new AuthMethodsServer('127.0.0.1', USERS, SECRET, { authPort: 0 });
    port = (await server.start()).authPort as number;
  });
  after(async () => {
    await server?.close();
  });

  const run = (user: string, password: string, method: 'pap' | 'chap' | 'mschap') =>
    radtest({ user, password, host: '127.0.0.1', port, secret: SECRET, method });

  for (const method of ['pap', 'chap', 'mschap'] as const) {
    test(`${method}: right password → Access-Accept, wrong → Access-Reject`, async () => {
      const ok = await run('alice', 'alicepw', method);
      assert.equal(ok.replyCode, 'Access-Accept', ok.stdout + ok.stderr);
      assert.equal(ok.code, 0);
      const no = await run('alice', 'alicepw-wrong', method);
      assert.equal(no.replyCode, 'Access-Reject', no.stdout + no.stderr);
      assert.equal(no.code, 1);
      if (method === 'mschap') {
        // RFC 2433 §6 / RFC 2548 §2.1.5: the failure code travels in MS-CHAP-Error (ident, then text).
        assert.match(printed(no.attributes, 'MS-CHAP-Error') ?? '', /E=691 R=0/, no.stdout);
        // On success FreeRADIUS's client decodes our MS-CHAP-MPPE-Keys (hidden like User-Password).
        const keys = printed(ok.attributes, 'MS-CHAP-MPPE-Keys') ?? '';
        const expected = msChapMppeKeys('alicepw').toString('hex');
        assert.ok(keys.startsWith(`0x${expected}`), `${keys} vs ${expected}`);
      } else {
        assert.equal(printed(no.attributes, 'MS-CHAP-Error'), undefined);
      }
    });
  }

  test('an unknown user is refused like a wrong password', async () => {
    for (const method of ['pap', 'chap', 'mschap'] as const) {
      const r = await run('mallory', 'alicepw', method);
      assert.equal(r.replyCode, 'Access-Reject', `${method}: ${r.stdout}`);
      if (method === 'mschap') assert.match(printed(r.attributes, 'MS-CHAP-Error') ?? '', /E=691/);
    }
  });

  test('a user stored as an NT hash only: MS-CHAP and PAP (hashing what arrived) accepted, CHAP refused', async () => {
    const mschap = await run('carol', 'carolpw', 'mschap');
    assert.equal(mschap.replyCode, 'Access-Accept', mschap.stdout + mschap.stderr);
    const pap = await run('carol', 'carolpw', 'pap');
    assert.equal(pap.replyCode, 'Access-Accept', pap.stdout);
    assert.equal((await run('carol', 'carolpX', 'pap')).replyCode, 'Access-Reject');
    const chap = await run('carol', 'carolpw', 'chap');
    assert.equal(chap.replyCode, 'Access-Reject', chap.stdout);
    const wrong = await run('carol', 'alicepw', 'mschap');
    assert.equal(wrong.replyCode, 'Access-Reject');
    assert.match(printed(wrong.attributes, 'MS-CHAP-Error') ?? '', /E=691/);
  });
});

// ---------------------------------------------------------------------------------------------
// Our builders against our server over UDP: MS-CHAPv2 (radtest has none) and hostile input

describe('request builders against the same server over UDP', () => {
  let server: AuthMethodsServer;
  let port = 0;

  before(async () => {
    server = new AuthMethodsServer('127.0.0.1', USERS, SECRET, { authPort: 0 });
    port = (await server.start()).authPort as number;
  });
  after(async () => {
    await server?.close();
  });

  test('MS-CHAPv2 for a cleartext and an NT-hash user: success verified, MPPE keys checked', async () => {
    for (const [user, password] of [
      ['alice', 'alicepw'],
      ['carol', 'carolpw'],
    ]) {
      const request = new AccessRequest(SECRET);
      const state = addMsChapV2(request, user, password);
      const reply = await exchange(request, port, true);
      assert.equal(reply.code, ACCESS_ACCEPT, user);
      assert.equal(successIdent(reply), responseIdent(request));
      assert.equal(verifyMsChapV2Success(reply, state), true);
      assert.equal(mppeKeysFromReply(reply, state).sendKey.length, 16);
    }
    const request = new AccessRequest(SECRET);
    addMsChapV2(request, 'carol', 'alicepw');
    const reply = await exchange(request, port, true);
    assert.equal(reply.code, ACCESS_REJECT);
    const err = reply.get('MS-CHAP-Error');
    assert.ok(Buffer.isBuffer(err));
    assert.match(err.subarray(1).toString('latin1'), /^E=691 R=0 C=[0-9A-F]{32} V=3 /);
  });

  test('an empty CHAP-Challenge gets an Access-Reject, not silence', async () => {
    const request = new AccessRequest(SECRET);
    request.addAttributes(
      ['User-Name', 'alice'],
      ['CHAP-Challenge', Buffer.alloc(0)],
      ['CHAP-Password', chapPassword(1, 'alicepw', Buffer.alloc(16))],
    );
    assert.equal((await exchange(request, port, true)).code, ACCESS_REJECT);
    assert.equal(server.counters.handlerErrors, 0);
  });
});

// ---------------------------------------------------------------------------------------------
// Our request builders against FreeRADIUS

describe('request builders against FreeRADIUS', { skip: skipUnless('freeradius') }, () => {
  let fr: FreeradiusPeer;

  before(async () => {
    fr = await startFreeradius({
      secret: SECRET,
      users: [{ name: 'alice', password: 'alicepw' }],
      // The files module does not match a User-Name with a backslash: give WORKGROUP\alice a password here.
      extraAuthorize: [
        '\tif (&User-Name =~ /^WORKGROUP.alice$/) {',
        '\t\tupdate control {',
        '\t\t\t&Cleartext-Password := "alicepw"',
        '\t\t}',
        '\t}',
      ].join('\n'),
    });
  });
  after(async () => {
    await fr?.stop();
  });

  /** Sends a request built by `build` and fails with FreeRADIUS's log when the code is not `code`. */
  async function send(build: (r: AccessRequest) => unknown, code: number) {
    const request = new AccessRequest(SECRET);
    const state = build(request);
    const reply = await exchange(request, fr.authPort);
    assert.equal(reply.code, code, `got ${reply.codeName}\n--- freeradius log ---\n${fr.log()}`);
    return { request, reply, state };
  }

  test('PAP: Accept, and Reject for a wrong password', async () => {
    await send((r) => addPap(r, 'alice', 'alicepw'), ACCESS_ACCEPT);
    await send((r) => addPap(r, 'alice', 'nope'), ACCESS_REJECT);
  });

  test('CHAP: Accept, and Reject for a wrong password', async () => {
    await send((r) => addChap(r, 'alice', 'alicepw'), ACCESS_ACCEPT);
    await send((r) => addChap(r, 'alice', 'nope'), ACCESS_REJECT);
  });

  test('MS-CHAPv1: Accept with the MS-CHAP-MPPE-Keys NT-Key we derive; Reject with E=691', async () => {
    const { reply } = await send((r) => addMsChapV1(r, 'alice', 'alicepw'), ACCESS_ACCEPT);
    const keys = reply.get('MS-CHAP-MPPE-Keys');
    assert.ok(Buffer.isBuffer(keys), 'MS-CHAP-MPPE-Keys missing');
    // Bytes 0..8 are the LM-Key, 8..24 the NT-Key. FreeRADIUS 3.2.1 leaves the LM-Key zero, as we do
    // unless given an LM hash (LM hashes are obsolete; lmPasswordHash() computes one if a NAS needs it).
    assert.deepEqual(keys.subarray(0, 24), msChapMppeKeys('alicepw'));
    assert.deepEqual(keys.subarray(0, 8), Buffer.alloc(8));
    const { reply: no } = await send((r) => addMsChapV1(r, 'alice', 'nope'), ACCESS_REJECT);
    const err = no.get('MS-CHAP-Error');
    assert.ok(Buffer.isBuffer(err));
    assert.match(err.subarray(1).toString('latin1'), /E=691/);
  });

  test('MS-CHAPv2: Accept, MS-CHAP2-Success verified, MPPE keys equal to ours', async () => {
    for (const secret of ['alicepw', ntPasswordHash('alicepw')]) {
      const { request, reply, state } = await send((r) => addMsChapV2(r, 'alice', secret), ACCESS_ACCEPT);
      const s = state as ReturnType<typeof addMsChapV2>;
      assert.equal(verifyMsChapV2Success(reply, s), true, 'mutual authentication failed');
      assert.equal(successIdent(reply), responseIdent(request));
      const keys = mppeKeysFromReply(reply, s);
      const ours = mppeKeysV2(secret, s.ntResponse);
      assert.deepEqual(keys.sendKey.subarray(0, 16), ours.sendKey);
      assert.deepEqual(keys.recvKey.subarray(0, 16), ours.recvKey);
    }
  });

  test('MS-CHAPv2 with a DOMAIN\\ prefix: the challenge hash uses the bare name', async () => {
    const { reply, state } = await send((r) => addMsChapV2(r, 'WORKGROUP\\alice', 'alicepw'), ACCESS_ACCEPT);
    assert.equal(verifyMsChapV2Success(reply, state as ReturnType<typeof addMsChapV2>), true);
  });

  test('MS-CHAPv2 wrong password: Reject with E=691, and no success to verify', async () => {
    const { reply, state } = await send((r) => addMsChapV2(r, 'alice', 'nope'), ACCESS_REJECT);
    const err = reply.get('MS-CHAP-Error');
    assert.ok(Buffer.isBuffer(err));
    assert.match(err.subarray(1).toString('latin1'), /E=691/);
    const s = state as ReturnType<typeof addMsChapV2>;
    assert.equal(verifyMsChapV2Success(reply, s), false);
    assert.throws(() => mppeKeysFromReply(reply, s), { name: 'AuthenticatorError' });
  });
});

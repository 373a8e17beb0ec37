// The EAP state machine behind RADIUS, driven in-process with EAP-MD5 and EAP-MSCHAPv2 as a peer
// would: Identity, NAK, State, retransmitted rounds, wrong Identifiers, unknown State, bounds.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { EAP_FAILURE, EAP_REQUEST, EAP_RESPONSE, EAP_SUCCESS, EAP_TYPE } from '../../src/eap/codes.js';
import { EapServer } from '../../src/eap/eap-server.js';
import { autoTlsWorkers } from '../../src/eap/tls-config.js';
import { MethodMemory } from '../../src/eap/method-memory.js';
import { decodeEap, encodeEap, type EapPacket } from '../../src/eap/packet.js';
import type { Credentials } from '../../src/auth/authenticate.js';
import { mppeKeysV2 } from '../../src/auth/mppe.js';
import { generateNtResponse } from '../../src/auth/mschapv2.js';
import { ntPasswordHash } from '../../src/auth/nthash.js';
import { EapDiscardError, InvalidValueError } from '../../src/errors.js';
import { ACCESS_ACCEPT, ACCESS_CHALLENGE, ACCESS_REJECT } from '../../src/protocol/codes.js';
import { AccessRequest } from '../../src/protocol/packet.js';
import type { HandlerTuple } from '../../src/server/abstract-server.js';
import { makeCa, makeCert } from '../helpers/certs.js';

const users = new Map([['alice', { password: 'alicepw' }]]);
const newServer = (options: Partial<ConstructorParameters<typeof EapServer>[0]> = {}) =>
  new EapServer({ methods: ['md5', 'mschapv2'], getCredentials: (id) => users.get(id), ...options });

function request(eap: Buffer, state?: Buffer): AccessRequest {
  const attributes: Array<[string, Buffer]> = [['EAP-Message', eap]];
  if (state) attributes.push(['State', state]);
  return new AccessRequest('secret', { attributes });
}

function attribute(result: HandlerTuple<number>, name: string): Buffer | undefined {
  for (const pair of result[0]) if (pair[0] === name) return pair[1] as Buffer;
  return undefined;
}

function eapOf(result: HandlerTuple<number>): EapPacket {
  return decodeEap(attribute(result, 'EAP-Message') as Buffer);
}

const identity = (id: number, name = 'alice') =>
  encodeEap(EAP_RESPONSE, id, EAP_TYPE.IDENTITY, Buffer.from(name));

function md5Response(req: EapPacket, password: string): Buffer {
  const challenge = req.data.subarray(1, 17);
  const value = createHash('md5')
    .update(Buffer.from([req.identifier]))
    .update(password)
    .update(challenge)
    .digest();
  return encodeEap(EAP_RESPONSE, req.identifier, EAP_TYPE.MD5, Buffer.concat([Buffer.from([16]), value]));
}

test('Identity starts the first method in an Access-Challenge with State; MD5 ends in Accept', async () => {
  const eap = newServer();
  const first = await eap.handle(request(identity(5)));
  assert.equal(first[1], ACCESS_CHALLENGE);
  const state = attribute(first, 'State') as Buffer;
  assert.equal(state.length, 16);
  const req = eapOf(first);
  assert.equal(req.code, EAP_REQUEST);
  assert.equal(req.identifier, 6);
  assert.equal(req.type, EAP_TYPE.MD5);
  const done = await eap.handle(request(md5Response(req, 'alicepw'), state));
  assert.equal(done[1], ACCESS_ACCEPT);
  assert.equal(eapOf(done).code, EAP_SUCCESS);
  assert.equal(eapOf(done).identifier, 6);
});

test('an identity longer than a User-Name can hold is not echoed in the Accept', async () => {
  const long = 'a'.repeat(300);
  const eap = new EapServer({
    methods: ['md5'],
    getCredentials: (id) => (id === long ? { password: 'pw' } : undefined),
  });
  const first = await eap.handle(request(identity(1, long)));
  const done = await eap.handle(request(md5Response(eapOf(first), 'pw'), attribute(first, 'State')));
  assert.equal(done[1], ACCESS_ACCEPT);
  assert.equal(attribute(done, 'User-Name'), undefined);
});

test('a wrong password: Access-Reject carrying EAP-Failure', async () => {
  const eap = newServer();
  const first = await eap.handle(request(identity(1)));
  const done = await eap.handle(request(md5Response(eapOf(first), 'nope'), attribute(first, 'State')));
  assert.equal(done[1], ACCESS_REJECT);
  assert.equal(eapOf(done).code, EAP_FAILURE);
});

test('a NAK moves to a method the peer wants; a retransmitted NAK gets the same answer, not a new round', async () => {
  const eap = newServer();
  const first = await eap.handle(request(identity(1)));
  const state = attribute(first, 'State') as Buffer;
  const nak = encodeEap(EAP_RESPONSE, 2, EAP_TYPE.NAK, Buffer.from([EAP_TYPE.MSCHAPV2]));
  const second = await eap.handle(request(nak, state));
  assert.equal(eapOf(second).type, EAP_TYPE.MSCHAPV2);
  // Same State, same EAP Identifier: the same challenge (a new round would make a new random one).
  const again = await eap.handle(request(nak, state));
  assert.deepEqual(attribute(again, 'EAP-Message'), attribute(second, 'EAP-Message'));
  assert.equal(eapOf(again).identifier, 3);
});

/** A login of alice that NAKs anything but GTC: the type offered first, and the result. */
async function gtcLogin(eap: EapServer, password: string): Promise<{ offered: number; code: number }> {
  const first = await eap.handle(request(identity(1)));
  let state = attribute(first, 'State') as Buffer;
  let req = eapOf(first);
  const offered = req.type as number;
  if (offered !== EAP_TYPE.GTC) {
    const nak = encodeEap(EAP_RESPONSE, req.identifier, EAP_TYPE.NAK, Buffer.from([EAP_TYPE.GTC]));
    const next = await eap.handle(request(nak, state));
    state = attribute(next, 'State') as Buffer;
    req = eapOf(next);
  }
  assert.equal(req.type, EAP_TYPE.GTC);
  const answer = encodeEap(EAP_RESPONSE, req.identifier, EAP_TYPE.GTC, Buffer.from(password));
  const done = await eap.handle(request(answer, state));
  return { offered, code: done[1] };
}

test('an identity is offered first the method it last succeeded with, not one it failed with', async () => {
  const eap = newServer({ methods: ['md5', 'gtc'] });
  // MD5 first by configuration; alice NAKs it for GTC and fails: MD5 stays first for her.
  assert.deepEqual(await gtcLogin(eap, 'wrong'), { offered: EAP_TYPE.MD5, code: ACCESS_REJECT });
  assert.deepEqual(await gtcLogin(eap, 'alicepw'), { offered: EAP_TYPE.MD5, code: ACCESS_ACCEPT });
  // Her next login is offered GTC at once: no NAK round.
  assert.deepEqual(await gtcLogin(eap, 'alicepw'), { offered: EAP_TYPE.GTC, code: ACCESS_ACCEPT });
  // Others still get our first choice; with the memory off alice does too.
  const bob = await eap.handle(request(identity(1, 'bob')));
  assert.equal(eapOf(bob).type, EAP_TYPE.MD5);
  const off = newServer({ methods: ['md5', 'gtc'], rememberMethods: 0 });
  await gtcLogin(off, 'alicepw');
  assert.equal((await gtcLogin(off, 'alicepw')).offered, EAP_TYPE.MD5);
});

test('the method memory keeps at most its bound of identities, the least recent out first', () => {
  const memory = new MethodMemory(3);
  for (const [name, type] of [
    ['a', 4],
    ['b', 6],
    ['c', 4],
    ['a', 6],
    ['d', 4],
  ] as const) {
    memory.remember(name, type);
  }
  assert.equal(memory.size, 3);
  assert.equal(memory.get('b'), undefined);
  assert.equal(memory.get('a'), 6);
  assert.equal(memory.get('d'), 4);
});

test('two copies of a Response in flight at once get one answer', async () => {
  const eap = newServer();
  const first = await eap.handle(request(identity(1)));
  const state = attribute(first, 'State') as Buffer;
  const response = md5Response(eapOf(first), 'alicepw');
  const [a, b] = await Promise.all([
    eap.handle(request(response, state)),
    eap.handle(request(response, state)),
  ]);
  assert.equal(a, b);
  assert.equal(a[1], ACCESS_ACCEPT);
});

test('a Response with the wrong Identifier is discarded and the conversation goes on', async () => {
  const eap = newServer();
  const first = await eap.handle(request(identity(1)));
  const state = attribute(first, 'State') as Buffer;
  const req = eapOf(first);
  const good = md5Response(req, 'alicepw');
  const wrong = Buffer.from(good);
  wrong[1] = (wrong[1] + 7) & 0xff;
  await assert.rejects(eap.handle(request(wrong, state)), EapDiscardError);
  const done = await eap.handle(request(good, state));
  assert.equal(done[1], ACCESS_ACCEPT);
});

test('a Response of another type than the method in progress is discarded', async () => {
  const eap = newServer();
  const first = await eap.handle(request(identity(1)));
  const state = attribute(first, 'State') as Buffer;
  const gtc = encodeEap(EAP_RESPONSE, eapOf(first).identifier, EAP_TYPE.GTC, Buffer.from('alicepw'));
  await assert.rejects(eap.handle(request(gtc, state)), EapDiscardError);
});

test('an unknown State ends in Reject with EAP-Failure; a first Response that is not Identity too', async () => {
  const eap = newServer();
  const unknown = await eap.handle(
    request(md5Response(decodeEap(encodeEap(1, 4, 4, Buffer.alloc(17))), 'x'), Buffer.alloc(16, 1)),
  );
  assert.equal(unknown[1], ACCESS_REJECT);
  assert.equal(eapOf(unknown).code, EAP_FAILURE);
  const notIdentity = await eap.handle(request(encodeEap(EAP_RESPONSE, 1, EAP_TYPE.MD5, Buffer.alloc(17))));
  assert.equal(notIdentity[1], ACCESS_REJECT);
});

test('a NAK naming no method we offer ends in Reject', async () => {
  const eap = newServer();
  const first = await eap.handle(request(identity(1)));
  const nak = encodeEap(EAP_RESPONSE, 2, EAP_TYPE.NAK, Buffer.from([EAP_TYPE.TLS]));
  const done = await eap.handle(request(nak, attribute(first, 'State')));
  assert.equal(done[1], ACCESS_REJECT);
});

test('an empty EAP-Message (EAP-Start) is answered with an Identity Request', async () => {
  const eap = newServer();
  const start = await eap.handle(request(Buffer.alloc(0)));
  assert.equal(start[1], ACCESS_CHALLENGE);
  const req = eapOf(start);
  assert.equal(req.type, EAP_TYPE.IDENTITY);
  const next = await eap.handle(request(identity(req.identifier), attribute(start, 'State')));
  assert.equal(eapOf(next).type, EAP_TYPE.MD5);
});

test('an Access-Request with State but no EAP-Message is refused, not a crash', async () => {
  const eap = newServer();
  const first = await eap.handle(request(identity(1)));
  const bare = new AccessRequest('secret', { attributes: [['State', attribute(first, 'State') as Buffer]] });
  const r = await eap.handle(bare);
  assert.equal(r[1], ACCESS_REJECT);
  assert.deepEqual([...r[0]], []);
});

test('malformed EAP and EAP Requests from the NAS are discarded', async () => {
  const eap = newServer();
  await assert.rejects(eap.handle(request(Buffer.from([2, 1, 0, 40, 1]))), EapDiscardError);
  await assert.rejects(eap.handle(request(encodeEap(EAP_REQUEST, 1, 1, Buffer.alloc(0)))), EapDiscardError);
});

test('10,000 abandoned conversations (and 2,000 more) leave the store at its bound', async () => {
  const eap = newServer({ maxSessions: 10_000 });
  for (let i = 0; i < 12_000; i++) await eap.handle(request(identity(i & 0xff, `user${i}`)));
  assert.equal(eap.store.size, 10_000);
  eap.close();
  assert.equal(eap.store.size, 0);
});

test('TLS-based methods without certificates, unknown names and tiny fragment sizes are refused', () => {
  assert.throws(() => newServer({ methods: ['peap'] }), /needs tls/);
  assert.throws(() => newServer({ methods: ['nope' as 'md5'] }), /unknown EAP method/);
  assert.throws(() => newServer({ fragmentSize: 10 }), /fragmentSize/);
  // With TLS worker threads a bad key still throws here, not in the workers; a bad count too.
  const bad = { cert: 'not a certificate', key: 'not a key' };
  assert.throws(() => newServer({ methods: ['peap'], tls: { ...bad, workers: 2 } }));
  assert.throws(() => newServer({ methods: ['md5'], tls: { ...bad, workers: -1 } }), /tls.workers/);
  assert.throws(
    () => newServer({ methods: ['md5'], tls: { ...bad, workers: 'many' as 'auto' } }),
    /tls.workers/,
  );
});

test("tls.workers 'auto': a TLS thread per core beside the server's own, at most 4; none on one core", () => {
  assert.deepEqual(
    [1, 2, 3, 5, 16].map((n) => autoTlsWorkers(n)),
    [0, 1, 2, 4, 4],
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-eap-auto-'));
  try {
    const ca = makeCa(dir, 'ca');
    const cert = makeCert(dir, ca, 'server');
    const tls = { cert: cert.certPem, key: cert.keyPem };
    const auto = newServer({ methods: ['peap'], tls: { ...tls, workers: 'auto' } });
    assert.equal(auto.tlsWorkers, autoTlsWorkers());
    auto.close();
    const plain = newServer({ methods: ['peap'], tls });
    assert.equal(plain.tlsWorkers, 0, 'the library runs TLS in its own thread unless asked');
    plain.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('method names in any case, with or without an EAP- prefix; logs and the API keep the canonical ones', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-eap-names-'));
  try {
    const ca = makeCa(dir, 'names-ca');
    const cert = makeCert(dir, ca, 'names-server');
    const eap = newServer({
      methods: ['PEAP', 'EAP-TTLS', 'EAP-TLS', 'eap-mschapv2', 'MSCHAPv2', 'Eap-Md5', 'GTC'],
      innerMethods: ['EAP-MSCHAPV2', 'gtc'],
      tls: { cert: cert.certPem, key: cert.keyPem, ca: ca.certPem },
    });
    // The same method twice is offered once, in its first place.
    assert.deepEqual(
      eap.methods.map((m) => m.name),
      ['peap', 'ttls', 'tls', 'mschapv2', 'md5', 'gtc'],
    );
    assert.deepEqual(
      eap.innerMethods.map((m) => m.name),
      ['mschapv2', 'gtc'],
    );
    eap.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('methods given as one name is a list of one; anything else that is not a list names `methods`', () => {
  assert.deepEqual(
    newServer({ methods: 'MD5' }).methods.map((m) => m.name),
    ['md5'],
  );
  for (const methods of [42, { md5: true }, true]) {
    assert.throws(
      () => newServer({ methods: methods as unknown as 'md5' }),
      (err: unknown) =>
        err instanceof InvalidValueError &&
        err.attribute === 'methods' &&
        /list of EAP method names/.test(err.message),
    );
  }
  // Unknown names keep their error, with the names we know.
  assert.throws(
    () => newServer({ methods: ['EAP-LEAP'] }),
    (err: unknown) =>
      err instanceof InvalidValueError &&
      err.attribute === 'methods' &&
      /unknown EAP method EAP-LEAP \(md5, gtc, tls, ttls, peap, mschapv2\)/.test(err.message),
  );
  assert.throws(() => newServer({ innerMethods: 'pap' }), /innerMethods: unknown EAP method pap/);
});

/** The peer's EAP-MSCHAPv2 Response to a Challenge Request (draft-kamath §2.2). */
function msChapV2Response(req: EapPacket, name: string, password: string): Buffer {
  const challenge = req.data.subarray(5, 21);
  const peerChallenge = Buffer.alloc(16, 7);
  const nt = generateNtResponse(challenge, peerChallenge, name, password);
  const value = Buffer.concat([peerChallenge, Buffer.alloc(8), nt, Buffer.from([0])]);
  const body = Buffer.concat([Buffer.from([2, req.data[1], 0, 0, 49]), value, Buffer.from(name)]);
  body.writeUInt16BE(body.length, 2);
  return encodeEap(EAP_RESPONSE, req.identifier, EAP_TYPE.MSCHAPV2, body);
}

/** A logger that keeps what it is given, by level. */
function recordingLogger() {
  const lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }> = [];
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      lines.push(
        typeof obj === 'string'
          ? { level, fields: {}, msg: obj }
          : { level, fields: { ...obj }, msg: msg ?? '' },
      );
    };
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

/** One EAP-MSCHAPv2 login through EapServer.handle: identity, Response, then the peer's answer to the result. */
async function msChapV2Login(eap: EapServer, name: string, password: string) {
  const first = await eap.handle(request(identity(1, name)));
  const state = attribute(first, 'State');
  const response = msChapV2Response(eapOf(first), name, password);
  // The NT-Response (RFC 2759 §4): after the EAP header, OpCode, MS-CHAPv2-ID, MS-Length, Value-Size,
  // Peer-Challenge and 8 reserved octets.
  const nt = decodeEap(response).data.subarray(29, 53);
  const second = await eap.handle(request(response, state));
  if (second[1] !== ACCESS_CHALLENGE) return { nt, second, last: second };
  // The peer acknowledges Success or Failure with the same OpCode (draft-kamath §2.4, §2.5).
  const result = eapOf(second);
  const ack = encodeEap(EAP_RESPONSE, result.identifier, EAP_TYPE.MSCHAPV2, Buffer.from([result.data[0]]));
  return { nt, second, last: await eap.handle(request(ack, state)) };
}

test('EAP-MSCHAPv2: an NT hash as 32 hex digits, in either case, logs in with the keys its 16 bytes give', async () => {
  const hash = ntPasswordHash('alicepw');
  for (const ntHash of [hash, hash.toString('hex'), hash.toString('hex').toUpperCase()]) {
    const eap = new EapServer({ methods: ['mschapv2'], getCredentials: () => ({ ntHash }) });
    const { nt, last } = await msChapV2Login(eap, 'alice', 'alicepw');
    assert.equal(last[1], ACCESS_ACCEPT);
    assert.equal(eapOf(last).code, EAP_SUCCESS);
    // RFC 3079 §3: the keys the peer derives from its password and NT-Response.
    const keys = mppeKeysV2('alicepw', nt);
    assert.deepEqual(attribute(last, 'MS-MPPE-Recv-Key'), keys.recvKey);
    assert.deepEqual(attribute(last, 'MS-MPPE-Send-Key'), keys.sendKey);
  }
});

test('credentials no method can use end the login in Reject with EAP-Failure and a warning, never a dropped request', async () => {
  const unusable: unknown[] = [
    { ntHash: 'xyz' },
    { ntHash: 'AB'.repeat(17) },
    { ntHash: 12 },
    { password: Buffer.from('alicepw') },
    'alicepw',
  ];
  for (const credentials of unusable) {
    for (const method of ['mschapv2', 'md5', 'gtc'] as const) {
      const { lines, logger } = recordingLogger();
      const eap = new EapServer({
        methods: [method],
        getCredentials: () => credentials as Credentials,
        logger,
      });
      const first = await eap.handle(request(identity(1)));
      const req = eapOf(first);
      const answer =
        method === 'mschapv2'
          ? msChapV2Response(req, 'alice', 'alicepw')
          : method === 'md5'
            ? md5Response(req, 'alicepw')
            : encodeEap(EAP_RESPONSE, req.identifier, EAP_TYPE.GTC, Buffer.from('alicepw'));
      const done = await eap.handle(request(answer, attribute(first, 'State')));
      const what = `${method} ${JSON.stringify(credentials)}`;
      assert.equal(done[1], ACCESS_REJECT, what);
      assert.equal(eapOf(done).code, EAP_FAILURE, what);
      const warning = lines.find((l) => l.level === 'warn');
      assert.equal(warning?.msg, 'EAP: getCredentials gave credentials no method can use', what);
      assert.equal(warning?.fields.identity, 'alice', what);
      assert.match(
        String(warning?.fields.reason),
        /^unusable credentials: (ntHash|password|credentials)/,
        what,
      );
    }
  }
});

test('an unknown user is logged as one by every method, and answered as a wrong password is', async () => {
  const failures = (lines: ReturnType<typeof recordingLogger>['lines']) =>
    lines.filter((l) => l.msg === 'EAP: authentication failed').map((l) => l.fields.reason);
  const { lines, logger } = recordingLogger();
  const eap = new EapServer({
    methods: ['mschapv2', 'md5', 'gtc'],
    getCredentials: (id) => users.get(id),
    logger,
  });
  // EAP-MSCHAPv2 runs to its Failure Request either way (E=691): the peer cannot tell the two apart.
  const nobody = await msChapV2Login(eap, 'mallory', 'x');
  const wrong = await msChapV2Login(eap, 'alice', 'x');
  for (const { second, last } of [nobody, wrong]) {
    assert.equal(second[1], ACCESS_CHALLENGE);
    assert.equal(eapOf(second).data[0], 4);
    assert.match(
      eapOf(second).data.toString('latin1', 4),
      /^E=691 R=0 C=[0-9A-F]{32} V=3 M=Authentication failed$/,
    );
    assert.equal(last[1], ACCESS_REJECT);
    assert.equal(eapOf(last).code, EAP_FAILURE);
  }
  assert.deepEqual(failures(lines), ['unknown user', 'wrong password']);
  // MD5 and GTC (reached by NAK, as the peer would) fail alike, logged as unknown.
  for (const type of [EAP_TYPE.MD5, EAP_TYPE.GTC]) {
    lines.length = 0;
    const first = await eap.handle(request(identity(1, 'mallory')));
    const state = attribute(first, 'State');
    const nak = await eap.handle(
      request(encodeEap(EAP_RESPONSE, eapOf(first).identifier, EAP_TYPE.NAK, Buffer.from([type])), state),
    );
    const req = eapOf(nak);
    const answer =
      type === EAP_TYPE.MD5
        ? md5Response(req, 'x')
        : encodeEap(EAP_RESPONSE, req.identifier, EAP_TYPE.GTC, Buffer.from('x'));
    const done = await eap.handle(request(answer, state));
    assert.equal(done[1], ACCESS_REJECT);
    assert.deepEqual(failures(lines), ['unknown user'], `type ${type}`);
  }
});

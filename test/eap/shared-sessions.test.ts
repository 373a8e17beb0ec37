// EAP conversations kept in a SharedSessionStore: two EapServers (two instances) sharing one
// store continue each other's MD5 and MSCHAPv2 conversations round by round; a TLS-based method
// stays with the instance its State names; a store that is down leaves the conversation where it is.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { stateOwner, stateOwnerTag } from '../../src/cluster/state-owner.js';
import { EAP_RESPONSE, EAP_SUCCESS, EAP_TYPE } from '../../src/eap/codes.js';
import { EapServer } from '../../src/eap/eap-server.js';
import { decodeEap, type EapPacket, encodeEap } from '../../src/eap/packet.js';
import { generateNtResponse } from '../../src/auth/mschapv2.js';
import { ntPasswordHash } from '../../src/auth/nthash.js';
import { ACCESS_ACCEPT, ACCESS_CHALLENGE, ACCESS_REJECT } from '../../src/protocol/codes.js';
import { AccessRequest } from '../../src/protocol/packet.js';
import type { HandlerTuple } from '../../src/server/abstract-server.js';
import type { SessionData, SharedSessionStore } from '../../src/store/store.js';
import { makeCa, makeCert } from '../helpers/certs.js';

/** A shared store in a Map, as JSON (what Redis would hold), that can be taken down. */
class MapStore implements SharedSessionStore {
  readonly data = new Map<string, string>();
  down = false;
  async get(key: string): Promise<SessionData | undefined> {
    if (this.down) throw new Error('down');
    const text = this.data.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as SessionData);
  }
  async set(key: string, data: SessionData): Promise<void> {
    if (this.down) throw new Error('down');
    this.data.set(key, JSON.stringify(data));
  }
  async delete(key: string): Promise<void> {
    if (this.down) throw new Error('down');
    this.data.delete(key);
  }
}

const users = new Map([['alice', { password: 'alicepw' }]]);
const pair = (store: MapStore, methods: Array<'md5' | 'mschapv2' | 'peap'> = ['md5', 'mschapv2']) =>
  ['127.0.0.1:4001', '127.0.0.1:4002'].map(
    (address) =>
      new EapServer({
        methods,
        getCredentials: (id) => users.get(id),
        sharedStore: store,
        statePrefix: stateOwnerTag(address),
      }),
  );

function request(eap: Buffer, state?: Buffer): AccessRequest {
  const attributes: Array<[string, Buffer]> = [['EAP-Message', eap]];
  if (state) attributes.push(['State', state]);
  return new AccessRequest('secret', { attributes });
}

function attribute(result: HandlerTuple<number>, name: string): Buffer | undefined {
  for (const p of result[0]) if (p[0] === name) return p[1] as Buffer;
  return undefined;
}

const eapOf = (result: HandlerTuple<number>): EapPacket =>
  decodeEap(attribute(result, 'EAP-Message') as Buffer);
const identity = (id: number) => encodeEap(EAP_RESPONSE, id, EAP_TYPE.IDENTITY, Buffer.from('alice'));

function md5Response(req: EapPacket, password: string): Buffer {
  const value = createHash('md5')
    .update(Buffer.from([req.identifier]))
    .update(password)
    .update(req.data.subarray(1, 17))
    .digest();
  return encodeEap(EAP_RESPONSE, req.identifier, EAP_TYPE.MD5, Buffer.concat([Buffer.from([16]), value]));
}

test('EAP-MD5: Identity on one instance, the response on the other: Accept; the State names the first', async () => {
  const store = new MapStore();
  const [a, b] = pair(store);
  const first = await a.handle(request(identity(1)));
  assert.equal(first[1], ACCESS_CHALLENGE);
  const state = attribute(first, 'State') as Buffer;
  assert.equal(stateOwner(state), '127.0.0.1:4001');
  assert.equal(a.store.size, 0, 'kept in the shared store, not in memory');
  const response = request(md5Response(eapOf(first), 'alicepw'), state);
  assert.equal(await b.continuesAnywhere(response), true);
  const done = await b.handle(response);
  assert.equal(done[1], ACCESS_ACCEPT);
  assert.equal(eapOf(done).code, EAP_SUCCESS);
  // The NAS retransmits its last round, and the balancer sends it to the first instance: same answer.
  const again = await a.handle(request(md5Response(eapOf(first), 'alicepw'), state));
  assert.deepEqual(again, done);
});

test('EAP-MSCHAPv2 alternating between instances: Accept with the MPPE keys', async () => {
  const store = new MapStore();
  const [a, b] = pair(store, ['mschapv2']);
  const first = await a.handle(request(identity(1)));
  const state = attribute(first, 'State') as Buffer;
  const challengeReq = eapOf(first);
  const authChallenge = challengeReq.data.subarray(5, 21);
  const peerChallenge = randomBytes(16);
  const nt = generateNtResponse(authChallenge, peerChallenge, 'alice', { ntHash: ntPasswordHash('alicepw') });
  const value = Buffer.concat([peerChallenge, Buffer.alloc(8), nt, Buffer.from([0])]);
  const body = Buffer.concat([Buffer.from([2, challengeReq.data[1], 0, 0, 49]), value, Buffer.from('alice')]);
  body.writeUInt16BE(body.length, 2);
  const second = await b.handle(
    request(encodeEap(EAP_RESPONSE, challengeReq.identifier, EAP_TYPE.MSCHAPV2, body), state),
  );
  assert.equal(second[1], ACCESS_CHALLENGE);
  assert.equal(eapOf(second).data[0], 3, 'MS-CHAPv2 Success Request');
  const ack = encodeEap(EAP_RESPONSE, eapOf(second).identifier, EAP_TYPE.MSCHAPV2, Buffer.from([3]));
  const done = await a.handle(request(ack, state));
  assert.equal(done[1], ACCESS_ACCEPT);
  assert.equal(attribute(done, 'MS-MPPE-Recv-Key')?.length, 16);
  assert.equal(attribute(done, 'MS-MPPE-Send-Key')?.length, 16);
});

test('PEAP offered: a NAK may go anywhere, the first TLS message only to the owner', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-shared-eap-'));
  try {
    const ca = makeCa(dir, 'ca');
    const cert = makeCert(dir, ca, 'server');
    const store = new MapStore();
    const [a, b] = ['127.0.0.1:4001', '127.0.0.1:4002'].map(
      (address) =>
        new EapServer({
          methods: ['peap', 'md5'],
          tls: { cert: cert.certPem, key: cert.keyPem },
          getCredentials: (id) => users.get(id),
          sharedStore: store,
          statePrefix: stateOwnerTag(address),
        }),
    );
    const first = await a.handle(request(identity(1)));
    assert.equal(eapOf(first).type, EAP_TYPE.PEAP);
    const state = attribute(first, 'State') as Buffer;
    const id = eapOf(first).identifier;
    // A ClientHello (its content does not matter here): the TLS session must begin at the owner.
    const hello = encodeEap(EAP_RESPONSE, id, EAP_TYPE.PEAP, Buffer.from([0x00, 0x16, 0x03, 0x01]));
    assert.equal(await b.continuesAnywhere(request(hello, state)), false);
    const nak = encodeEap(EAP_RESPONSE, id, EAP_TYPE.NAK, Buffer.from([EAP_TYPE.MD5]));
    assert.equal(await b.continuesAnywhere(request(nak, state)), true);
    const md5 = await b.handle(request(nak, state));
    assert.equal(eapOf(md5).type, EAP_TYPE.MD5);
    const done = await a.handle(request(md5Response(eapOf(md5), 'alicepw'), state));
    assert.equal(done[1], ACCESS_ACCEPT);
    a.close();
    b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the shared store down: the conversation stays with its instance; the other cannot find it', async () => {
  const store = new MapStore();
  const [a, b] = pair(store);
  store.down = true;
  const first = await a.handle(request(identity(1)));
  const state = attribute(first, 'State') as Buffer;
  assert.equal(a.store.size, 1, 'kept in memory meanwhile');
  const response = md5Response(eapOf(first), 'alicepw');
  const lost = await b.handle(request(response, state));
  assert.equal(lost[1], ACCESS_REJECT, 'unknown State there (its round must reach the owner)');
  const done = await a.handle(request(response, state));
  assert.equal(done[1], ACCESS_ACCEPT);
});

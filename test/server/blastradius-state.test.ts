// BlastRADIUS 'auto' state behind its store interface: two servers in one process sharing one
// MemoryBlastRadiusState (synchronous store) behave as two instances sharing Redis do.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { ACCESS_ACCEPT, AccessRequest, MemoryBlastRadiusState } from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { AbstractRadiusServer } from '../../src/server/abstract-server.js';
import type { BlastRadiusState } from '../../src/store/store.js';

const SECRET = 'shared-state-secret';

class Server extends AbstractRadiusServer {
  validateNas(): string {
    return SECRET;
  }
  override handleAuthPacket(_a: AttributesSet) {
    return [[], ACCESS_ACCEPT] as const;
  }
}

/** Sends one Access-Request; resolves with the reply's code, or undefined after 1 s. */
async function ask(port: number, signed: boolean): Promise<number | undefined> {
  const bytes = new AccessRequest(SECRET, { messageAuthenticator: signed })
    .addAttributes(['User-Name', 'nas-user'])
    .encode();
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  try {
    return await new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 1000);
      sock.once('message', (m) => {
        clearTimeout(timer);
        resolve(m[0]);
      });
      sock.send(bytes, port, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

async function pair(state: BlastRadiusState | undefined): Promise<[Server, Server, number, number]> {
  const a = new Server('127.0.0.1', { authPort: 0, blastRadiusState: state });
  const b = new Server('127.0.0.1', { authPort: 0, blastRadiusState: state });
  const [ia, ib] = await Promise.all([a.start(), b.start()]);
  return [a, b, ia.authPort as number, ib.authPort as number];
}

test('a NAS seen signing by one server is held to it by the other (shared state)', async () => {
  const state = new MemoryBlastRadiusState();
  const [a, b, pa, pb] = await pair(state);
  try {
    assert.equal(await ask(pb, false), ACCESS_ACCEPT, 'unsigned, before the NAS signed anywhere');
    assert.equal(await ask(pa, true), ACCESS_ACCEPT, 'signed, through A');
    assert.equal(state.signs('127.0.0.1'), true, 'A recorded it in the shared state');
    assert.equal(await ask(pb, false), undefined, 'unsigned through B: dropped');
    assert.equal(b.nasSignsRequests('127.0.0.1'), true, 'B remembers it from now on');
    assert.equal(b.counters.dropped, 1);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('without shared state each server goes by what it saw itself', async () => {
  const [a, b, pa, pb] = await pair(undefined);
  try {
    assert.equal(await ask(pa, true), ACCESS_ACCEPT);
    assert.equal(await ask(pb, false), ACCESS_ACCEPT, 'B never saw the NAS sign');
    assert.equal(await ask(pa, false), undefined, 'A did');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('a store that fails leaves the decision to the server’s own memory', async () => {
  const failing: BlastRadiusState = {
    signs: () => Promise.reject(new Error('down')),
    markSigning: () => Promise.reject(new Error('down')),
  };
  const [a, b, pa, pb] = await pair(failing);
  try {
    assert.equal(await ask(pa, true), ACCESS_ACCEPT, 'signed: answered although the store fails');
    assert.equal(await ask(pb, false), ACCESS_ACCEPT, 'B cannot know: unsigned answered');
    assert.equal(await ask(pa, false), undefined, 'A knows by itself');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

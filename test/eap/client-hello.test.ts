// The session IDs and TLS 1.3 ticket identities a ClientHello offers, read from real ClientHellos
// of a node:tls client (OpenSSL); cut or mangled bytes yield nothing, never a throw.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { offeredSessionIds } from '../../src/eap/client-hello.js';
import { TlsSessionCache } from '../../src/eap/tls-session-cache.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The first flight of a client with these options: its ClientHello record. Named for the host the
 * sessions were made with: a client offers a session only to that name (Node 22 checks it).
 */
async function clientHello(options: tls.ConnectionOptions): Promise<Buffer> {
  const out: Buffer[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _e, cb) {
      out.push(chunk);
      cb();
    },
  });
  const socket = tls.connect({
    socket: stream,
    host: '127.0.0.1',
    checkServerIdentity: () => undefined,
    ...options,
  });
  socket.on('error', () => {});
  await tick();
  await tick();
  socket.destroy();
  return Buffer.concat(out);
}

let dir = '';
let ca: CertFiles;
let server: tls.Server;
let port = 0;
const sessions: Buffer[] = [];

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-hello-'));
  ca = makeCa(dir, 'hello-ca');
  const cert = makeCert(dir, ca, 'hello-server');
  // Stateful tickets, as EapServer's: TLS 1.3 ticket identities are the cache's 32-byte IDs.
  server = tls.createServer({ cert: cert.certPem, key: cert.keyPem, secureOptions: 0x4000 });
  server.on('newSession', (id: Buffer, _data: Buffer, done: () => void) => {
    sessions.push(id);
    done();
  });
  server.on('secureConnection', (s) => s.end('x'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
after(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A session from a real connection at `maxVersion`. */
function session(maxVersion: tls.SecureVersion): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      port,
      host: '127.0.0.1',
      ca: ca.certPem,
      maxVersion,
      checkServerIdentity: () => undefined,
    });
    let got: Buffer | undefined;
    s.on('session', (data: Buffer) => {
      got ??= data;
    });
    s.on('data', () => {});
    s.on('error', reject);
    s.on('close', () => (got ? resolve(got) : reject(new Error('no session'))));
  });
}

test('a TLS 1.3 ClientHello offering a ticket: its identity, the ID the server cached', async () => {
  const data = await session('TLSv1.3');
  const ids = offeredSessionIds(await clientHello({ session: data, maxVersion: 'TLSv1.3' }));
  assert.ok(ids.length >= 1);
  assert.ok(
    sessions.some((id) => id.equals(ids[0])),
    'the first offered ID is a ticket the server issued',
  );
});

test('a TLS 1.2 ClientHello resuming by session ID: that ID', async () => {
  const data = await session('TLSv1.2');
  const ids = offeredSessionIds(await clientHello({ session: data, maxVersion: 'TLSv1.2' }));
  assert.equal(ids.length, 1);
  assert.ok(sessions.some((id) => id.equals(ids[0])));
});

test('a first ClientHello offers no ticket; cut or mangled bytes give nothing and never throw', async () => {
  const hello = await clientHello({ maxVersion: 'TLSv1.3' });
  // OpenSSL clients send a random legacy session ID (middlebox compatibility), no PSK.
  assert.ok(offeredSessionIds(hello).every((id) => id.length === 32));
  const data = await session('TLSv1.3');
  const resuming = await clientHello({ session: data, maxVersion: 'TLSv1.3' });
  for (let n = 0; n < resuming.length; n++) offeredSessionIds(resuming.subarray(0, n));
  for (let i = 0; i < 2000; i++) {
    const mangled = Buffer.from(resuming);
    mangled[Math.floor(Math.random() * mangled.length)] = Math.floor(Math.random() * 256);
    offeredSessionIds(mangled);
  }
  assert.deepEqual(offeredSessionIds(Buffer.from([23, 3, 3, 0, 1, 0])), []);
});

test('TlsSessionCache: bounded in count, forgets expired sessions', () => {
  let now = 0;
  const cache = new TlsSessionCache({ maxSessions: 3, lifetime: 10, now: () => now });
  const id = (n: number) => Buffer.from([n]);
  for (let n = 0; n < 5; n++) cache.set(id(n), Buffer.from([n, n]));
  assert.equal(cache.size, 3);
  assert.equal(cache.find([id(0)]), undefined, 'the oldest went');
  assert.deepEqual(cache.find([id(9), id(4)]), Buffer.from([4, 4]), 'the first ID held');
  now = 10_000;
  assert.equal(cache.find([id(4)]), undefined, 'expired');
});

test('TlsSessionCache: a session stored with its own lifetime expires with it', () => {
  let now = 0;
  const cache = new TlsSessionCache<string>({ maxSessions: 3, lifetime: 10, now: () => now });
  cache.set(Buffer.from([1]), 'short', 2000);
  cache.set(Buffer.from([2]), 'default');
  now = 2000;
  assert.equal(cache.find([Buffer.from([1])]), undefined);
  assert.equal(cache.find([Buffer.from([2])]), 'default');
});

// Durability of accounting (RFC 2866 §2): a response is only sent for a committed record, so after
// a SIGKILL every answered request is in the database, and resending the unanswered ones stores
// nothing twice.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { ACCOUNTING_REQUEST } from '../../src/protocol/codes.js';
import { createPacket, decodeResponse, type Packet } from '../../src/protocol/packet.js';
import { freePorts } from '../helpers/ports.js';
import { type ServeProcess, startServe, tempDir } from './serve-helpers.js';

const SECRET = 'durable-secret';
const N = 3000;
const PER_SOCKET = 250;
const KILL_AFTER = 1000;

interface Request {
  packet: Packet;
  bytes: Buffer;
  socket: number;
}

/** Sends `indices` with at most `window` unanswered at once; each waits `timeoutMs` for its answer. */
async function sendRound(
  sockets: dgram.Socket[],
  requests: Request[],
  indices: number[],
  port: number,
  answered: Set<number>,
  waiters: Map<string, () => void>,
  window: number,
  timeoutMs: number,
): Promise<void> {
  let next = 0;
  let inFlight = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (inFlight < window && next < indices.length) {
        const i = indices[next++];
        if (answered.has(i)) continue;
        const r = requests[i];
        const key = `${r.socket}:${r.packet.identifier}`;
        inFlight++;
        let settled = false;
        const settle = () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          waiters.delete(key);
          inFlight--;
          pump();
        };
        const timer = setTimeout(settle, timeoutMs);
        waiters.set(key, settle);
        sockets[r.socket].send(r.bytes, port, '127.0.0.1');
      }
      if (inFlight === 0 && next >= indices.length) resolve();
    };
    pump();
  });
}

let cleanup: Array<() => Promise<unknown> | undefined> = [];
after(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

test('SIGKILL midway: every answered Accounting-Request is stored, none twice after resending', async (t) => {
  const { dir, remove } = await tempDir('aioradius-durable-');
  cleanup.push(remove);
  const [auth, acct] = await freePorts(2);
  const configFile = path.join(dir, 'aioradius.yaml');
  await writeFile(
    configFile,
    `listen:\n  host: 127.0.0.1\n  auth: ${auth}\n  acct: ${acct}\nclients:\n  - address: 127.0.0.1\n    secret: ${SECRET}\nlog:\n  level: info\ndatabase: ./acct.db\n`,
  );

  const sockets: dgram.Socket[] = [];
  const requests: Request[] = [];
  for (let i = 0; i < N; i++) {
    const socket = Math.floor(i / PER_SOCKET);
    const packet = createPacket(ACCOUNTING_REQUEST, SECRET, {
      identifier: i % PER_SOCKET,
      attributes: [
        ['Acct-Session-Id', `d-${i}`],
        ['Acct-Status-Type', 'Start'],
        ['User-Name', `user${i}`],
        ['NAS-Port', i],
      ],
    });
    requests.push({ packet, bytes: packet.encode(), socket });
  }
  const answered = new Set<number>();
  const waiters = new Map<string, () => void>();
  let server: ServeProcess | undefined;
  let killed = false;
  let answeredAtKill = 0;
  const socketCount = Math.ceil(N / PER_SOCKET);
  for (let s = 0; s < socketCount; s++) {
    const sock = dgram.createSocket('udp4');
    sock.on('message', (msg) => {
      if (msg.length < 20) return;
      const i = s * PER_SOCKET + msg[1];
      const r = requests[i];
      if (!r) return;
      try {
        decodeResponse(SECRET, msg, r.packet);
      } catch {
        return;
      }
      answered.add(i);
      waiters.get(`${s}:${msg[1]}`)?.();
      if (!killed && answered.size >= KILL_AFTER && server) {
        killed = true;
        answeredAtKill = answered.size;
        server.child.kill('SIGKILL');
      }
    });
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    sockets.push(sock);
  }
  cleanup.push(async () => {
    for (const s of sockets) s.close();
  });

  server = await startServe(configFile);
  cleanup.push(() => server?.stop('SIGKILL'));
  const all = requests.map((_, i) => i);
  await sendRound(sockets, requests, all, acct, answered, waiters, 600, 1500);
  assert.ok(killed, 'the server was killed midway');
  assert.equal(await server.exited(10_000), 137);
  const unansweredAfterKill = N - answered.size;
  t.diagnostic(`answered before the kill: ${answeredAtKill}, unanswered: ${unansweredAfterKill}`);
  assert.ok(unansweredAfterKill > 0, 'some requests were left unanswered by the kill');

  // Which answered requests are in the database right after the crash (nothing resent yet)?
  {
    const db = new Database(path.join(dir, 'acct.db'));
    try {
      const ids = new Set(
        (db.prepare('SELECT session_id FROM acct_records').all() as Array<{ session_id: string }>).map(
          (r) => r.session_id,
        ),
      );
      const missing = [...answered].filter((i) => !ids.has(`d-${i}`));
      assert.deepEqual(missing, [], 'answered before the crash but not stored');
      t.diagnostic(`stored at the crash: ${ids.size} (answered ${answered.size})`);
    } finally {
      db.close();
    }
  }

  server = await startServe(configFile);
  for (let round = 0; round < 15 && answered.size < N; round++) {
    const left = all.filter((i) => !answered.has(i));
    await sendRound(sockets, requests, left, acct, answered, waiters, 300, 2000);
  }
  assert.equal(answered.size, N, 'every request answered after resending');
  assert.equal(await server.stop('SIGTERM'), 0, server.stderr());

  const db = new Database(path.join(dir, 'acct.db'), { readonly: true });
  try {
    const total = db.prepare('SELECT COUNT(*) AS n FROM acct_records').get() as { n: number };
    assert.equal(total.n, N, 'each request stored exactly once');
    const twice = db
      .prepare('SELECT session_id, COUNT(*) AS n FROM acct_records GROUP BY session_id HAVING n > 1')
      .all();
    assert.deepEqual(twice, []);
    const sessions = db.prepare('SELECT COUNT(*) AS n, MAX(records) AS most FROM acct_sessions').get() as {
      n: number;
      most: number;
    };
    assert.equal(sessions.n, N);
    assert.equal(sessions.most, 1, 'a resent record is not folded into its session twice');
    const ids = new Set(
      (db.prepare('SELECT session_id FROM acct_records').all() as Array<{ session_id: string }>).map(
        (r) => r.session_id,
      ),
    );
    for (let i = 0; i < N; i++) assert.ok(ids.has(`d-${i}`), `d-${i} stored`);
  } finally {
    db.close();
  }
});

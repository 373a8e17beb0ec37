// Several instances: two `serve` processes with the same config (users and accounting in one
// PostgreSQL) behind nginx's UDP load balancer, round-robin, on loopback.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import dgram from 'node:dgram';
import { ACCESS_REQUEST, ACCOUNTING_REQUEST } from '../../src/protocol/codes.js';
import { createPacket } from '../../src/protocol/packet.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { runUser, type ServeProcess, startServe, tempDir } from '../cli/serve-helpers.js';
import { type NginxPeer, nginxMissing, startNginxUdp } from '../helpers/nginx.js';
import { radclient, radtest, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { type PostgresPeer, postgresMissing, startPostgres } from '../helpers/postgres.js';
import { type RedisPeer, redisMissing, startRedis } from '../helpers/redis.js';

const SECRET = 'testing123';

function configText(auth: number, acct: number, database: string, sharedState: string): string {
  return `listen:
  host: 127.0.0.1
  auth: ${auth}
  acct: ${acct}
clients:
  - address: 127.0.0.0/8
    secret: ${SECRET}
    name: loopback
log:
  level: debug
database: ${database}
sharedState: ${sharedState}
`;
}

const skip = postgresMissing() || redisMissing() || nginxMissing() || skipUnless('radtest', 'radclient');

/** Sends `bytes` twice from one socket, the second copy after the first reply; resolves with the replies. */
async function sendTwice(port: number, bytes: Buffer): Promise<Buffer[]> {
  const socket = dgram.createSocket('udp4');
  const replies: Buffer[] = [];
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    for (let i = 0; i < 2; i++) {
      // As a NAS does, a copy with no answer is sent again (after 1 s, up to 5 times): a copy that
      // reaches the other instance while the first is still storing its reply in Redis is dropped
      // there (RFC 5080 §2.2.2: a request in progress is not answered twice).
      let reply: Buffer | undefined;
      for (let attempt = 0; attempt < 5 && reply === undefined; attempt++) {
        const got = new Promise<Buffer | undefined>((resolve) => {
          const onMessage = (m: Buffer) => {
            clearTimeout(timer);
            resolve(m);
          };
          const timer = setTimeout(() => {
            socket.off('message', onMessage);
            resolve(undefined);
          }, 1000);
          socket.once('message', onMessage);
        });
        socket.send(bytes, port, '127.0.0.1');
        reply = await got;
      }
      if (reply === undefined) throw new Error(`no reply to copy ${i + 1}`);
      replies.push(reply);
    }
  } finally {
    socket.close();
  }
  return replies;
}

describe('two serve instances behind a round-robin UDP balancer', { skip }, () => {
  let pg: PostgresPeer;
  let redis: RedisPeer;
  let nginx: NginxPeer;
  let remove: () => Promise<void>;
  const serves: ServeProcess[] = [];
  let authFront: number;
  let acctFront: number;

  before(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    const t = await tempDir('aioradius-scale-');
    remove = t.remove;
    const ports = await freePorts(4);
    // Instances must be able to start together: both apply the migrations under a lock.
    const files = [0, 1].map((i) => path.join(t.dir, `serve${i}.yaml`));
    await Promise.all(
      files.map((f, i) => writeFile(f, configText(ports[2 * i], ports[2 * i + 1], pg.url, redis.url))),
    );
    serves.push(...(await Promise.all(files.map((f) => startServe(f)))));
    nginx = await startNginxUdp([
      [ports[0], ports[2]],
      [ports[1], ports[3]],
    ]);
    [authFront, acctFront] = nginx.ports;
  });

  after(async () => {
    await Promise.all(serves.map((s) => s.stop('SIGTERM')));
    await nginx?.stop();
    await pg?.stop();
    await redis?.stop();
    await remove?.();
  });

  /** How many log lines with message `msg` each instance has written so far. */
  const counts = (msg: string) => serves.map((s) => s.logs.filter((l) => l.msg === msg).length);
  /** The counts once `total` more lines than `before` were logged (a line may follow its reply). */
  async function countsAfter(msg: string, before: number[], total: number): Promise<number[]> {
    const deadline = Date.now() + 5000;
    let now = counts(msg);
    while (now[0] - before[0] + now[1] - before[1] < total && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      now = counts(msg);
    }
    return now;
  }

  test('a user added with `aioradius user add --db postgres://…` is accepted by both instances', async () => {
    const added = await runUser(['add', 'bob', '--password', 'bobpw', '--db', pg.url]);
    assert.equal(added.code, 0, added.stderr);
    const before = counts('Access-Accept');
    // Round-robin: two requests in a row reach the two instances.
    for (let i = 0; i < 2; i++) {
      const r = await radtest({
        user: 'bob',
        password: 'bobpw',
        host: '127.0.0.1',
        port: authFront,
        secret: SECRET,
      });
      assert.equal(r.replyCode, 'Access-Accept', r.stdout + r.stderr);
    }
    const after = await countsAfter('Access-Accept', before, 2);
    assert.deepEqual(
      after.map((n, i) => n - before[i]),
      [1, 1],
      'one Access-Accept from each instance',
    );
    const bad = await radtest({
      user: 'bob',
      password: 'nope',
      host: '127.0.0.1',
      port: authFront,
      secret: SECRET,
    });
    assert.equal(bad.replyCode, 'Access-Reject', bad.stdout);
  });

  test('accounting Start through one instance and Stop through the other give one closed session', async () => {
    const before = counts('accounting stored');
    const start = await radclient({
      host: '127.0.0.1',
      port: acctFront,
      type: 'acct',
      secret: SECRET,
      input: 'Acct-Session-Id = "lb-1"\nAcct-Status-Type = Start\nUser-Name = "bob"\n',
    });
    assert.equal(start.replies[0]?.code, 'Accounting-Response', start.stdout + start.stderr);
    const stop = await radclient({
      host: '127.0.0.1',
      port: acctFront,
      type: 'acct',
      secret: SECRET,
      input:
        'Acct-Session-Id = "lb-1"\nAcct-Status-Type = Stop\nUser-Name = "bob"\nAcct-Session-Time = 42\n' +
        'Acct-Input-Octets = 1234\nAcct-Terminate-Cause = User-Request\n',
    });
    assert.equal(stop.replies[0]?.code, 'Accounting-Response', stop.stdout + stop.stderr);
    const after = await countsAfter('accounting stored', before, 2);
    assert.deepEqual(
      after.map((n, i) => n - before[i]),
      [1, 1],
      'Start and Stop were stored by different instances',
    );
    // The replies came after the COMMIT: the session is there now, closed, folded from both.
    const store = await PostgresStore.open(pg.url, { poolSize: 1 });
    try {
      const { rows } = await store.pool.query<Record<string, unknown>>(
        "SELECT * FROM acct_sessions WHERE session_id = 'lb-1'",
      );
      assert.equal(rows.length, 1);
      assert.equal(rows[0].status, 'stopped');
      assert.equal(rows[0].user_name, 'bob');
      assert.equal(rows[0].session_time, 42);
      assert.equal(rows[0].input_octets, 1234);
      assert.equal(rows[0].terminate_cause, 'User-Request');
      assert.equal(rows[0].records, 2);
    } finally {
      await store.close();
    }
  });

  test('a retransmission that lands on the other instance is answered once, with the same reply (Redis)', async () => {
    const request = createPacket(ACCESS_REQUEST, SECRET, {
      attributes: [
        ['User-Name', 'bob'],
        ['User-Password', 'bobpw'],
      ],
    }).encode();
    const before = counts('Access-Accept');
    // Round-robin: the second copy reaches the other instance, which answers from Redis.
    const [first, second] = await sendTwice(authFront, request);
    assert.equal(first[0], 2, 'Access-Accept');
    assert.deepEqual(second, first, 'the same reply');
    const after = await countsAfter('Access-Accept', before, 1);
    assert.equal(after[0] - before[0] + after[1] - before[1], 1, 'decided once, by one instance');

    const acct = createPacket(ACCOUNTING_REQUEST, SECRET, {
      attributes: [
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', 'lb-retx'],
        ['User-Name', 'bob'],
      ],
    }).encode();
    const stored = counts('accounting stored');
    const [r1, r2] = await sendTwice(acctFront, acct);
    assert.equal(r1[0], 5, 'Accounting-Response');
    assert.deepEqual(r2, r1);
    const storedAfter = await countsAfter('accounting stored', stored, 1);
    assert.equal(storedAfter[0] - stored[0] + storedAfter[1] - stored[1], 1, 'handled once');
  });
});

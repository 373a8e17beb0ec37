// BlastRADIUS 'auto' across instances: two `serve` processes sharing a real Redis. Once one of
// them has seen a NAS sign its Access-Requests, a forged unsigned request (CVE-2024-3596) from
// that NAS is refused by the other one too.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ACCESS_ACCEPT, ACCESS_REQUEST } from '../../src/protocol/codes.js';
import { createPacket } from '../../src/protocol/packet.js';
import { type ServeProcess, startServe, tempDir } from '../cli/serve-helpers.js';
import { freePorts } from '../helpers/ports.js';
import { type RedisPeer, redisMissing, startRedis } from '../helpers/redis.js';

const SECRET = 'testing123';

function configText(auth: number, acct: number, database: string, redis: string): string {
  return `listen:
  host: 127.0.0.1
  auth: ${auth}
  acct: ${acct}
clients:
  - address: 127.0.0.0/8
    secret: ${SECRET}
users:
  - name: alice
    password: alicepw
log:
  level: info
database: ${database}
sharedState: ${redis}
`;
}

/** Sends one Access-Request for alice; resolves with the reply's code, or undefined after `ms`. */
async function ask(port: number, signed: boolean, ms = 1500): Promise<number | undefined> {
  const bytes = createPacket(ACCESS_REQUEST, SECRET, {
    attributes: [
      ['User-Name', 'alice'],
      ['User-Password', 'alicepw'],
    ],
    messageAuthenticator: signed,
  }).encode();
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const reply = new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ms);
      socket.once('message', (m) => {
        clearTimeout(timer);
        resolve(m[0]);
      });
    });
    socket.send(bytes, port, '127.0.0.1');
    return await reply;
  } finally {
    socket.close();
  }
}

describe('BlastRADIUS auto policy shared through Redis by two instances', { skip: redisMissing() }, () => {
  let redis: RedisPeer;
  let remove: () => Promise<void>;
  const serves: ServeProcess[] = [];
  let ports: number[];

  before(async () => {
    redis = await startRedis();
    const t = await tempDir('aioradius-blast-');
    remove = t.remove;
    ports = await freePorts(4);
    const files = [0, 1].map((i) => path.join(t.dir, `serve${i}.yaml`));
    await Promise.all(
      files.map((f, i) =>
        writeFile(f, configText(ports[2 * i], ports[2 * i + 1], path.join(t.dir, `serve${i}.db`), redis.url)),
      ),
    );
    serves.push(...(await Promise.all(files.map((f) => startServe(f)))));
  });

  after(async () => {
    await Promise.all(serves.map((s) => s.stop('SIGTERM')));
    await redis?.stop();
    await remove?.();
  });

  const dropped = (s: ServeProcess) =>
    s.logs.filter((l) => typeof l.msg === 'string' && l.msg.includes('(BlastRADIUS policy)')).length;

  test('an unsigned request is refused by the other instance once one has seen the NAS sign', async () => {
    const [a, b] = [ports[0], ports[2]];
    // Nobody has seen 127.0.0.1 sign yet: 'auto' accepts an unsigned request (a legacy NAS).
    assert.equal(await ask(b, false), ACCESS_ACCEPT, 'unsigned, before the NAS signed anywhere');
    // The NAS signs one request, through instance A only.
    assert.equal(await ask(a, true), ACCESS_ACCEPT, 'signed, through A');
    // A forged unsigned copy now reaches B, which never saw the NAS sign: refused (no reply).
    const before = dropped(serves[1]);
    assert.equal(await ask(b, false), undefined, 'unsigned through B after the NAS signed through A');
    await serves[1].waitForLog(() => dropped(serves[1]) > before, 5000);
    // And by A, from its own memory.
    assert.equal(await ask(a, false), undefined, 'unsigned through A');
    // Signed requests still pass everywhere.
    assert.equal(await ask(b, true), ACCESS_ACCEPT, 'signed, through B');
  });

  test('while Redis is down an instance goes by its own memory; back up, the shared one applies again', async () => {
    await redis.kill();
    // B was told (it dropped one, and answered a signed one): it still refuses on its own.
    assert.equal(await ask(ports[2], false), undefined, 'B remembers');
    await serves[1].waitForLog(
      'shared state (Redis) unavailable: duplicates are detected, and EAP sessions kept, per instance until it is back',
    );
    // Requests meanwhile: answered, and no line per request (the outage was said once).
    for (let i = 0; i < 3; i++) assert.equal(await ask(ports[2], true), ACCESS_ACCEPT, 'signed, Redis down');
    assert.equal(serves[1].logs.filter((l) => l.msg === 'request failed').length, 0, 'no line per request');
    await redis.start();
    await serves[1].waitForLog('shared state (Redis) reachable again', 15_000);
  });
});

// The request pipeline, driven through a server's receive(): what validateNas returns is checked
// before it is used as a secret. A lookup that returns none is the server's own mistake: a typed
// error to registerHandleException, counted and logged, never blamed on the NAS.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccessRequest, NasSecretError } from '../../src/index.js';
import { warningLogger } from '../helpers/warning-logger.js';
import { AbstractRadiusServer, type NasConfig } from '../../src/server/abstract-server.js';
import type { Remote, ReplyChannel } from '../../src/transport/remote.js';

const SECRET = 'pipeline-secret';
const remote: Remote = { address: '10.9.8.7', port: 40000, family: 'IPv4', transport: 'udp' };

class LookupServer extends AbstractRadiusServer {
  lookup: unknown = SECRET;
  readonly errors: unknown[] = [];
  validateNas(): string | Buffer | NasConfig | Promise<string | Buffer | NasConfig> {
    return this.lookup as string;
  }
  override handleAuthPacket() {
    return [[], 2] as const;
  }
  override registerHandleException(error: unknown): void {
    this.errors.push(error);
  }
}

test('validateNas returning no secret: a NasSecretError, counted as unknownNas, logged once', async () => {
  const { logger, lines: warned } = warningLogger();
  const server = new LookupServer('127.0.0.1', { authPort: 0, accPort: 0, logger });
  await server.start();
  try {
    const replies: Buffer[] = [];
    const channel: ReplyChannel = { send: (data) => replies.push(data) };
    const request = (user: string) =>
      new AccessRequest(SECRET).addAttributes(['User-Name', user], ['User-Password', 'pw']).encode();
    const wrong: Array<[string, unknown]> = [
      ['undefined', undefined],
      ['null', null],
      ['a number', 42],
      ['an empty string', ''],
      ['an empty Buffer', Buffer.alloc(0)],
      ['{ secret: undefined }', { secret: undefined }],
      ['{ secret: "" }', { secret: '' }],
      ['a promise of undefined', Promise.resolve(undefined)],
    ];
    for (const [i, [what, answer]] of wrong.entries()) {
      server.lookup = answer;
      await server.receive(request(`u${i}`), remote, channel, 'auth');
      await new Promise((r) => setImmediate(r));
      assert.equal(server.errors.length, i + 1, what);
      const err = server.errors[i];
      assert.ok(err instanceof NasSecretError, `${what}: ${String(err)}`);
      assert.equal(err.code, 'ERR_RADIUS_NO_SECRET');
      assert.match(err.message, /validateNas returned no secret for 10\.9\.8\.7/);
    }
    const n = wrong.length;
    assert.equal(server.counters.unknownNas, n);
    assert.equal(server.counters.malformed, 0, 'not blamed on the NAS');
    assert.equal(server.counters.badAuthenticators, 0, 'not blamed on the NAS');
    assert.equal(replies.length, 0);
    const lines = warned.filter((w) => w.reason === 'nas_no_secret');
    assert.equal(lines.length, 1, 'rate-limited: the first at once');
    assert.match(String(lines[0].hint), /validateNas/);
    // A good secret again: answered.
    server.lookup = { secret: SECRET };
    server.receive(request('ok'), remote, channel, 'auth');
    await new Promise((r) => setImmediate(r));
    assert.equal(replies.length, 1);
  } finally {
    await server.close();
  }
});

// The HTTP user back end against a local node:http service: a lookup per unknown user, credentials
// and reply attributes from its JSON, a timeout, and a small cache of answers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AccessRequest, ntPasswordHash } from '../../src/index.js';
import { HttpUsers } from '../../src/users/http-users.js';
import { runServe, type ServeProcess, startServe, tempDir } from '../cli/serve-helpers.js';
import { findBinary, radtest, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';

const SECRET = 'testing123';
const TOKEN = 'Bearer http-users-token-7f3a';

/** A user service: answers per name, counts requests, insists on the Authorization header. */
class UserService {
  readonly server: http.Server;
  readonly hits = new Map<string, number>();
  readonly bodies: unknown[] = [];
  users: Record<string, unknown> = {};
  url = '';

  constructor() {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const name = decodeURIComponent((req.url ?? '').replace(/^\/users\//, ''));
        if (body) this.bodies.push(JSON.parse(body));
        const key = req.method === 'POST' ? `POST ${(JSON.parse(body) as { user: string }).user}` : name;
        this.hits.set(key, (this.hits.get(key) ?? 0) + 1);
        if (req.headers.authorization !== TOKEN) return res.writeHead(401).end();
        if (name === 'slow') return void setTimeout(() => res.writeHead(404).end(), 3000);
        if (name === 'err') return res.writeHead(500).end('boom');
        const user = this.users[req.method === 'POST' ? (JSON.parse(body) as { user: string }).user : name];
        if (user === undefined) return res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(user));
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe('HTTP users against a local service', {
  skip: skipUnless('radtest') || (findBinary('openssl') ? false : 'openssl missing'),
}, () => {
  const service = new UserService();
  let dir: string;
  let remove: () => Promise<void>;
  let serve: ServeProcess;
  let auth: number;
  let lastLog: Record<string, unknown> | undefined;

  const login = async (user: string, password: string, method: 'pap' | 'chap' | 'mschap' = 'pap') => {
    const mark = serve.logs.length;
    const r = await radtest({ user, password, host: '127.0.0.1', port: auth, secret: SECRET, method });
    lastLog = await serve.waitForLog(
      (l) => (l.msg === 'Access-Reject' || l.msg === 'Access-Accept') && l.user === user,
      5000,
      mark,
    );
    return r;
  };

  before(async () => {
    const hash = spawnSync('openssl', ['passwd', '-6', 'hugopw'], { encoding: 'utf8' }).stdout.trim();
    service.users = {
      hugo: { passwordHash: hash, reply: { 'Reply-Message': 'Hi from HTTP', 'Session-Timeout': 120 } },
      nina: { ntHash: ntPasswordHash('ninapw').toString('hex') },
      bad: { passwordHash: 'not-a-hash' },
    };
    await service.listen();
    ({ dir, remove } = await tempDir('aioradius-http-'));
    let acct: number;
    [auth, acct] = await freePorts(2);
    const config = path.join(dir, 'aioradius.yaml');
    // The token is read from a file next to the config, as a client secret may be.
    await writeFile(path.join(dir, 'token.txt'), `${TOKEN}\n`);
    await writeFile(
      config,
      `listen: { host: 127.0.0.1, auth: ${auth}, acct: ${acct} }
clients:
  - { address: 127.0.0.1, secret: ${SECRET} }
http:
  url: ${service.url}/users/{user}
  headers:
    Authorization: { file: token.txt }
  timeout: 0.5
  cacheSeconds: 300
  cacheSize: 100
database: ./radius.db
`,
    );
    serve = await startServe(config);
  });

  after(async () => {
    await serve?.stop('SIGKILL');
    await service.close();
    await remove?.();
  });

  test('a user from the service: PAP against its hash, its reply attributes; MS-CHAP with its NT hash', async () => {
    const ok = await login('hugo', 'hugopw');
    assert.equal(ok.replyCode, 'Access-Accept', ok.stdout);
    assert.ok(
      ok.attributes.some(([k, v]) => k === 'Reply-Message' && v === 'Hi from HTTP'),
      ok.stdout,
    );
    assert.ok(
      ok.attributes.some(([k, v]) => k === 'Session-Timeout' && v === '120'),
      ok.stdout,
    );
    assert.equal(lastLog?.source, 'http');
    assert.equal((await login('hugo', 'hugopX')).replyCode, 'Access-Reject');
    assert.equal(lastLog?.reason, 'wrong password');
    assert.equal((await login('nina', 'ninapw', 'mschap')).replyCode, 'Access-Accept');
    assert.equal((await login('nina', 'ninapw', 'chap')).replyCode, 'Access-Reject');
    assert.match(String(lastLog?.reason), /CHAP needs the cleartext password/);
  });

  test('answers are cached: found and not found users are asked for once', async () => {
    for (let i = 0; i < 3; i++) await login('hugo', 'hugopw');
    assert.equal(service.hits.get('hugo'), 1);
    await login('ghost', 'x');
    assert.equal(lastLog?.reason, 'unknown user');
    await login('ghost', 'x');
    assert.equal(service.hits.get('ghost'), 1);
  });

  test('timeout, HTTP 500 and a malformed answer: rejected as unavailable, warned, not cached', async () => {
    for (const name of ['slow', 'err', 'bad']) {
      const mark = serve.logs.length;
      assert.equal((await login(name, 'x')).replyCode, 'Access-Reject', name);
      assert.equal(lastLog?.reason, 'user back end unavailable', name);
      const warn = serve.logs.slice(mark).find((l) => l.msg === 'user lookup failed');
      assert.ok(warn, name);
      if (name === 'slow') assert.match(String(warn.err), /no answer within 0\.5 s/);
      if (name === 'err') assert.match(String(warn.err), /HTTP 500/);
      if (name === 'bad') assert.match(String(warn.err), /passwordHash: not a recognised hash/);
    }
    await login('err', 'x');
    assert.equal(service.hits.get('err'), 2, 'a failure is not cached');
  });

  test('the Authorization header never reaches the logs', () => {
    assert.ok(!JSON.stringify(serve.logs).includes('http-users-token'));
    assert.ok(!JSON.stringify(serve.logs).includes('hugopw'));
  });

  test('HttpUsers: concurrent lookups share one request; cacheSize evicts the oldest; POST sends the user', async () => {
    const users = new HttpUsers({
      url: `${service.url}/users/{user}`,
      headers: { Authorization: TOKEN },
      cacheSize: 2,
    });
    service.users.a = { password: 'a' };
    service.users.b = { password: 'b' };
    service.users.c = { password: 'c' };
    const req = new AccessRequest(SECRET);
    const found = await Promise.all(Array.from({ length: 5 }, () => users.find('a', req)));
    assert.ok(found.every((u) => u?.credentials?.password === 'a'));
    assert.equal(service.hits.get('a'), 1);
    await users.find('b', req);
    await users.find('c', req);
    await users.find('a', req);
    assert.equal(service.hits.get('a'), 2, 'a was evicted by c');
    assert.equal(service.hits.get('c'), 1);
    const post = new HttpUsers({
      url: `${service.url}/users/lookup`,
      method: 'POST',
      headers: { Authorization: TOKEN },
    });
    req.addAttributes(['NAS-Identifier', 'ap-7']);
    assert.equal((await post.find('b', req))?.credentials?.password, 'b');
    assert.deepEqual(service.bodies.at(-1), { user: 'b', nasIdentifier: 'ap-7' });
  });

  test('POST: an answer is reused only for the same request body (the service may answer per NAS)', async () => {
    const post = new HttpUsers({
      url: `${service.url}/users/lookup`,
      method: 'POST',
      headers: { Authorization: TOKEN },
    });
    service.users.d = { password: 'd' };
    const from = (nas: string) => new AccessRequest(SECRET, { attributes: [['NAS-Identifier', nas]] });
    await post.find('d', from('ap-1'));
    await post.find('d', from('ap-1'));
    assert.equal(service.hits.get('POST d'), 1, 'the same body is answered from the cache');
    await post.find('d', from('ap-2'));
    assert.equal(service.hits.get('POST d'), 2, 'another NAS is asked for');
    assert.deepEqual(service.bodies.at(-1), { user: 'd', nasIdentifier: 'ap-2' });
  });
});

describe('HTTP config errors', () => {
  test('url without {user}, bad method, negative cacheSeconds: file, field and reason', async () => {
    const { dir, remove } = await tempDir('aioradius-http-cfg-');
    try {
      const cases: Array<[string, RegExp]> = [
        ['url: http://127.0.0.1:1/users', /http\.url.*must contain \{user\}/],
        ['url: ftp://127.0.0.1/{user}', /http\.url.*http:\/\/ or https:\/\//],
        ['url: http://127.0.0.1/{user}\n  method: PUT', /http\.method.*GET or POST/],
        ['url: http://127.0.0.1/{user}\n  cacheSeconds: -1', /http\.cacheSeconds/],
        ['url: http://127.0.0.1/{user}\n  timeout: 0', /http\.timeout.*above 0/],
      ];
      for (const [section, want] of cases) {
        const file = path.join(dir, 'h.yaml');
        await writeFile(file, `clients:\n  - { address: 127.0.0.1, secret: s }\nhttp:\n  ${section}\n`);
        const r = await runServe(['--config', file]);
        assert.equal(r.code, 2, section);
        assert.match(r.stderr, want);
        assert.match(r.stderr, /h\.yaml/);
      }
    } finally {
      await remove();
    }
  });
});

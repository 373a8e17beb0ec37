// Home servers' health as FreeRADIUS keeps it (alive → zombie → dead → alive, Status-Server
// probes of RFC 5997, revive_interval without them) and each server's window of requests in
// flight, against home servers that stop and start answering and count what they hold.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  AccessRequest,
  createRadiusServer,
  decodeRequest,
  type HomeServerStatus,
  type HomeStateChange,
  type Logger,
  RadiusClient,
  RadiusProxy,
  type RadiusProxyOptions,
  STATUS_SERVER,
} from '../../src/index.js';

const NAS_SECRET = 'nas-secret';
const HOME_SECRET = 'home-secret';

/**
 * A home server on a bare UDP socket: answers Access-Requests after `holdMs` and Status-Server at
 * once while `answering`; counts the requests it holds at the same time.
 */
async function rawHome(name: string, holdMs = 0) {
  const sock = createSocket('udp4');
  const state = {
    answering: true,
    dropNext: 0,
    held: 0,
    maxHeld: 0,
    requests: 0,
    statusAnswered: 0,
    /** Signs Access-Request replies with this secret instead of the shared one (a misconfigured home server). */
    replySecret: undefined as string | undefined,
  };
  let closed = false;
  sock.on('message', (data, rinfo) => {
    if (!state.answering) return;
    let req: ReturnType<typeof decodeRequest>;
    try {
      req = decodeRequest(HOME_SECRET, data);
    } catch {
      return;
    }
    if (req.code === STATUS_SERVER) {
      state.statusAnswered++;
      sock.send(req.createReply(ACCESS_ACCEPT).encode(), rinfo.port, rinfo.address);
      return;
    }
    if (state.dropNext > 0) {
      state.dropNext--;
      return;
    }
    state.requests++;
    state.maxHeld = Math.max(state.maxHeld, ++state.held);
    setTimeout(() => {
      state.held--;
      if (closed) return;
      const reply = req.createReply(ACCESS_ACCEPT, [['Reply-Message', name]]);
      if (state.replySecret !== undefined) reply.secret = Buffer.from(state.replySecret);
      sock.send(reply.encode(), rinfo.port, rinfo.address);
    }, holdMs);
  });
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  return {
    state,
    port: sock.address().port,
    close() {
      closed = true;
      sock.close();
    },
  };
}

type RawHome = Awaited<ReturnType<typeof rawHome>>;

async function front(homes: RawHome[], extra: Partial<RadiusProxyOptions>, windows: number[] = []) {
  const proxy = new RadiusProxy({
    homeServers: homes.map((h, i) => ({
      name: `h${i + 1}`,
      host: '127.0.0.1',
      auth: h.port,
      secret: HOME_SECRET,
      window: windows[i],
    })),
    pools: [{ name: 'p', servers: homes.map((_h, i) => `h${i + 1}`) }],
    realms: [{ name: 'example.com', pool: 'p' }],
    timeout: 0.3,
    retries: 0,
    maxDuration: 1,
    ...extra,
  });
  const server = createRadiusServer(
    '127.0.0.1',
    { secret: NAS_SECRET, auth: (a, c) => proxy.handleAuth(a, c) },
    { authPort: 0 },
  );
  const port = (await server.start()).authPort as number;
  return {
    proxy,
    port,
    async close() {
      await proxy.close();
      await server.close();
    },
  };
}

const nas = new RadiusClient({ timeout: 3, retries: 0, maxInFlight: 256 });
after(() => nas.close());

function ask(port: number) {
  const req = new AccessRequest(NAS_SECRET).addAttributes(
    ['User-Name', 'alice@example.com'],
    ['User-Password', 'alicepw'],
  );
  return nas.sendPacket(req, { remoteHost: '127.0.0.1', remotePort: port }).then(([r]) => r);
}

async function until(check: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 25) await new Promise((r) => setTimeout(r, 25));
}

describe('home server health', () => {
  test('alive → zombie when it stops answering, dead after the zombie period, alive after 3 Status-Server answers', async () => {
    const h1 = await rawHome('h1');
    const h2 = await rawHome('h2');
    const f = await front([h1, h2], { probeInterval: 0.1, zombiePeriod: 0.6, reviveAnswers: 3 });
    const changes: HomeStateChange[] = [];
    let answeredWhenAlive = -1;
    f.proxy.health.on('state', (c) => {
      changes.push(c);
      if (c.to === 'alive') answeredWhenAlive = h1.state.statusAnswered;
    });
    try {
      assert.equal((await ask(f.port)).get('Reply-Message'), 'h1');
      h1.state.answering = false;
      // The lost request makes h1 a zombie and moves on to h2.
      assert.equal((await ask(f.port)).get('Reply-Message'), 'h2');
      assert.equal(f.proxy.health.state('h1', 'auth'), 'zombie');
      // A zombie takes no new requests while another server is alive.
      assert.equal((await ask(f.port)).get('Reply-Message'), 'h2');
      await until(() => f.proxy.health.state('h1', 'auth') === 'dead', 5000);
      assert.equal(f.proxy.health.state('h1', 'auth'), 'dead');
      h1.state.answering = true;
      await until(() => f.proxy.health.state('h1', 'auth') === 'alive', 5000);
      assert.deepEqual(
        changes.map((c) => [c.server, c.kind, c.from, c.to]),
        [
          ['h1', 'auth', 'alive', 'zombie'],
          ['h1', 'auth', 'zombie', 'dead'],
          ['h1', 'auth', 'dead', 'alive'],
        ],
      );
      assert.equal(answeredWhenAlive, 3, 'revived by the third answer in a row (num_answers_to_alive)');
      assert.equal((await ask(f.port)).get('Reply-Message'), 'h1');
      const status = f.proxy.status().find((s) => s.name === 'h1' && s.kind === 'auth');
      assert.equal(status?.state, 'alive');
    } finally {
      await f.close();
      h1.close();
      h2.close();
    }
  });

  test('a zombie that answers only some probes is not revived; one answer in a row is not three', async () => {
    const h1 = await rawHome('h1');
    const h2 = await rawHome('h2');
    const f = await front([h1, h2], { probeInterval: 0.1, zombiePeriod: 30, reviveAnswers: 3 });
    try {
      h1.state.answering = false;
      await ask(f.port);
      assert.equal(f.proxy.health.state('h1', 'auth'), 'zombie');
      // Answers one probe, then goes quiet again: the count starts over.
      h1.state.answering = true;
      await until(() => h1.state.statusAnswered >= 1, 3000);
      h1.state.answering = false;
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(f.proxy.health.state('h1', 'auth'), 'zombie');
    } finally {
      await f.close();
      h1.close();
      h2.close();
    }
  });

  test('without Status-Server: dead after the zombie period, alive again after revive_interval, never probed', async () => {
    const h1 = await rawHome('h1');
    const h2 = await rawHome('h2');
    const f = await front([h1, h2], { statusCheck: false, zombiePeriod: 0.3, reviveInterval: 0.5 });
    const changes: string[] = [];
    f.proxy.health.on('state', (c) => changes.push(`${c.from}→${c.to}`));
    try {
      h1.state.answering = false;
      assert.equal((await ask(f.port)).get('Reply-Message'), 'h2');
      await until(() => f.proxy.health.state('h1', 'auth') === 'dead', 5000);
      h1.state.answering = true;
      await until(() => f.proxy.health.state('h1', 'auth') === 'alive', 5000);
      assert.deepEqual(changes, ['alive→zombie', 'zombie→dead', 'dead→alive']);
      assert.equal(h1.state.statusAnswered, 0, 'no Status-Server without status checks');
      assert.equal((await ask(f.port)).get('Reply-Message'), 'h1');
    } finally {
      await f.close();
      h1.close();
      h2.close();
    }
  });

  test('a server that answers other requests meanwhile is not a zombie for one lost request', async () => {
    // h1 answers everything, but slowly: a request lost on the way is its only trouble.
    const h1 = await rawHome('h1', 200);
    const f = await front([h1], { timeout: 0.6, maxDuration: 0.6 });
    try {
      const pending = [ask(f.port), ask(f.port)];
      await until(() => h1.state.held === 2, 3000);
      // The next request is dropped by the server, while the two it holds are answered.
      h1.state.dropNext = 1;
      const lost = ask(f.port);
      await Promise.all([...pending, lost]);
      assert.equal(f.proxy.health.state('h1', 'auth'), 'alive');
    } finally {
      await f.close();
      h1.close();
    }
  });
});

describe('home server window', () => {
  test('never more than the window in flight at a home server; the rest go to the other server', async () => {
    const h1 = await rawHome('h1', 80);
    const h2 = await rawHome('h2', 80);
    const f = await front([h1, h2], {}, [3, 3]);
    try {
      const replies = await Promise.all(Array.from({ length: 24 }, () => ask(f.port)));
      assert.ok(replies.every((r) => r.code === ACCESS_ACCEPT));
      assert.ok(h1.state.maxHeld <= 3, `h1 held ${h1.state.maxHeld}`);
      assert.ok(h2.state.maxHeld <= 3, `h2 held ${h2.state.maxHeld}`);
      assert.equal(h1.state.requests + h2.state.requests, 24);
      assert.ok(h2.state.requests > 0, 'requests beyond h1 window went to h2');
      assert.equal(f.proxy.status().find((s) => s.name === 'h1')?.inFlight, 0);
    } finally {
      await f.close();
      h1.close();
      h2.close();
    }
  });

  test('with one server, requests beyond its window wait for a place and are all answered', async () => {
    const h1 = await rawHome('h1', 50);
    const f = await front([h1], {}, [2]);
    try {
      const replies = await Promise.all(Array.from({ length: 12 }, () => ask(f.port)));
      assert.ok(replies.every((r) => r.code === ACCESS_ACCEPT));
      assert.equal(h1.state.requests, 12);
      assert.equal(h1.state.maxHeld, 2);
    } finally {
      await f.close();
      h1.close();
    }
  });
});

describe('replies that fail verification', () => {
  test('counted per home server port in status(), and one warning naming the server and the shared secret', async () => {
    const h1 = await rawHome('h1');
    h1.state.replySecret = 'not-the-home-secret';
    const warnings: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (obj, msg) => warnings.push(JSON.stringify({ obj, msg })),
      error() {},
    };
    const f = await front([h1], { logger });
    try {
      // RFC 2865 §3: a reply whose Response Authenticator does not verify is dropped; the NAS gets
      // the Access-Reject of a home server that did not answer.
      assert.equal((await ask(f.port)).code, ACCESS_REJECT);
      assert.equal((await ask(f.port)).code, ACCESS_REJECT);
      const row = f.proxy.status().find((s) => s.name === 'h1' && s.kind === 'auth') as HomeServerStatus;
      assert.equal(row.invalidReplies, 2);
      assert.equal(f.proxy.status().find((s) => s.name === 'h1' && s.kind === 'acct')?.invalidReplies, 0);
      const about = warnings.filter((w) => w.includes('failed verification'));
      assert.equal(about.length, 1, warnings.join('\n'));
      assert.match(about[0], /h1/);
      assert.match(about[0], /shared secret/);
    } finally {
      await f.close();
      h1.close();
    }
  });
});

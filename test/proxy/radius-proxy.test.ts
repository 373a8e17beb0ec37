// The proxy's protocol duties between a NAS and home servers (our own servers here, so that
// the home side can see what arrives): Proxy-State, hidden attributes per hop,
// Message-Authenticator, failover, no answer, duplicates, loops, EAP stickiness.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_CHALLENGE,
  ACCESS_REJECT,
  type AbstractRadiusServer,
  AccessRequest,
  AccountingRequest,
  type AttributesSet,
  createRadiusServer,
  decodeRequest,
  decodeResponse,
  type HandlerResult,
  type Logger,
  RadiusClient,
  RadiusProxy,
} from '../../src/index.js';

const NAS_SECRET = 'nas-secret';
const HOME_SECRET = 'home-secret-other';

interface Seen {
  attributes: AttributesSet;
  messageAuthenticator: boolean | undefined;
}

/** A home server that records what arrives and answers with hidden attributes. */
async function startHome(name: string, delayMs = 0) {
  const seen: Seen[] = [];
  const server = createRadiusServer(
    '127.0.0.1',
    {
      secret: HOME_SECRET,
      auth: async (attributes, context): Promise<HandlerResult<number>> => {
        seen.push({ attributes, messageAuthenticator: context.packet.messageAuthenticator });
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        if (attributes.has('EAP-Message')) {
          const round = attributes.get('State');
          return [
            [
              ['State', Buffer.from(round === undefined ? `${name}-1` : `${name}-2`)],
              ['EAP-Message', Buffer.from([1, 2, 0, 4])],
            ],
            round === undefined ? ACCESS_CHALLENGE : ACCESS_ACCEPT,
          ];
        }
        if (attributes.get('User-Password') !== 'alicepw') return [[], ACCESS_REJECT];
        return [
          [
            ['Reply-Message', `from ${name}`],
            ['Tunnel-Password:1', 'tunnel-secret-value'],
            ['MS-MPPE-Send-Key', Buffer.alloc(32, 7)],
          ],
          ACCESS_ACCEPT,
        ];
      },
      acct: (attributes) => {
        seen.push({ attributes, messageAuthenticator: undefined });
        return [[], null];
      },
    },
    { authPort: 0, accPort: 0 },
  );
  const info = await server.start();
  return { server, seen, auth: info.authPort as number, acct: info.accPort as number };
}

type Home = Awaited<ReturnType<typeof startHome>>;

async function startProxy(
  homes: Home[],
  extra: { noResponse?: 'reject' | 'drop'; balance?: 'failover' | 'round-robin'; logger?: Logger } = {},
) {
  const proxy = new RadiusProxy({
    homeServers: homes.map((h, i) => ({
      name: `home${i + 1}`,
      host: '127.0.0.1',
      auth: h.auth,
      acct: h.acct,
      secret: HOME_SECRET,
    })),
    pools: [{ name: 'ex', servers: homes.map((_h, i) => `home${i + 1}`), balance: extra.balance }],
    realms: [{ name: 'example.com', pool: 'ex' }],
    timeout: 0.2,
    retries: 0,
    maxDuration: 1,
    probeInterval: 0.3,
    noResponse: extra.noResponse,
    logger: extra.logger,
  });
  const server = createRadiusServer(
    '127.0.0.1',
    {
      secret: NAS_SECRET,
      auth: (attributes, context) => proxy.handleAuth(attributes, context),
      acct: (attributes, context) => proxy.handleAcct(attributes, context),
    },
    { authPort: 0, accPort: 0 },
  );
  const info = await server.start();
  return { proxy, server, auth: info.authPort as number, acct: info.accPort as number };
}

const nas = new RadiusClient({ timeout: 3, retries: 0, requireMessageAuthenticator: true });
after(() => nas.close());

function alice(): AccessRequest {
  return new AccessRequest(NAS_SECRET).addAttributes(
    ['User-Name', 'alice@example.com'],
    ['User-Password', 'alicepw'],
    ['Proxy-State', Buffer.from('nas-first')],
    ['Proxy-State', Buffer.from('nas-second')],
  );
}

describe('RadiusProxy between a NAS and two home servers', () => {
  let h1: Home;
  let h2: Home;
  let p: Awaited<ReturnType<typeof startProxy>>;
  before(async () => {
    h1 = await startHome('h1');
    h2 = await startHome('h2');
    p = await startProxy([h1, h2]);
  });
  after(async () => {
    p.proxy.close();
    await p.server.close();
    await h1.server.close();
    await h2.server.close();
  });

  test('realm stripped, password and hidden reply attributes re-encrypted per hop, Proxy-State exact, Message-Authenticator both ways', async () => {
    const [reply] = await nas.sendPacket(alice(), { remoteHost: '127.0.0.1', remotePort: p.auth });
    assert.equal(reply.code, ACCESS_ACCEPT);
    assert.equal(reply.get('Reply-Message'), 'from h1');
    // Decoded by the NAS with its own secret: right only if re-encrypted for this hop.
    assert.equal(reply.get('Tunnel-Password:1'), 'tunnel-secret-value');
    assert.deepEqual(reply.get('MS-MPPE-Send-Key'), Buffer.alloc(32, 7));
    // RFC 2865 §5.33: the NAS's Proxy-States come back, in order, and ours does not leak.
    assert.deepEqual(reply.getAll('Proxy-State'), [Buffer.from('nas-first'), Buffer.from('nas-second')]);
    assert.equal(reply.messageAuthenticator, true);
    const home = h1.seen.at(-1) as Seen;
    assert.equal(home.attributes.get('User-Name'), 'alice');
    assert.equal(home.attributes.get('User-Password'), 'alicepw');
    assert.equal(home.messageAuthenticator, true);
    const states = home.attributes.getAll('Proxy-State') as Buffer[];
    assert.equal(states.length, 3);
    assert.deepEqual(states.slice(0, 2), [Buffer.from('nas-first'), Buffer.from('nas-second')]);
    assert.equal(states[2].length, 16);
  });

  test('the outcome of a proxied login is logged at info: user, realm, home server, result; no password', async () => {
    const lines: Array<{ fields: Record<string, unknown>; msg: string }> = [];
    const logger: Logger = {
      debug() {},
      warn() {},
      error() {},
      info: (o: object | string, msg?: string) =>
        void lines.push({ fields: o as Record<string, unknown>, msg: msg ?? '' }),
    };
    const logged = await startProxy([h1], { logger });
    try {
      const [accept] = await nas.sendPacket(alice(), { remoteHost: '127.0.0.1', remotePort: logged.auth });
      assert.equal(accept.code, ACCESS_ACCEPT);
      const line = lines.find((l) => l.msg === 'proxied: Access-Accept');
      assert.ok(line, JSON.stringify(lines));
      assert.deepEqual(line.fields, {
        user: 'alice@example.com',
        realm: 'example.com',
        home: 'home1',
        result: 'accept',
      });
      assert.ok(!JSON.stringify(lines).includes('alicepw'));
    } finally {
      logged.proxy.close();
      await logged.server.close();
    }
  });

  test('CHAP without CHAP-Challenge: the NAS authenticator goes along as CHAP-Challenge (RFC 2865 §2.2)', async () => {
    const req = new AccessRequest(NAS_SECRET).addAttributes(
      ['User-Name', 'carol@example.com'],
      ['CHAP-Password', Buffer.alloc(17, 1)],
    );
    await nas.sendPacket(req, { remoteHost: '127.0.0.1', remotePort: p.auth });
    const home = h1.seen.at(-1) as Seen;
    assert.deepEqual(home.attributes.get('CHAP-Challenge'), req.authenticator);
  });

  test('accounting is forwarded and acknowledged', async () => {
    const before = h1.seen.length;
    const [reply] = await nas.sendPacket(
      new AccountingRequest(NAS_SECRET).addAttributes(
        ['User-Name', 'alice@example.com'],
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', 's-1'],
      ),
      { remoteHost: '127.0.0.1', remotePort: p.acct },
    );
    assert.equal(reply.codeName, 'Accounting-Response');
    assert.equal(h1.seen.length, before + 1);
    assert.equal(h1.seen.at(-1)?.attributes.get('Acct-Session-Id'), 's-1');
  });

  test('a request carrying our own Proxy-State is a loop: Access-Reject, not forwarded', async () => {
    const first = h1.seen.length;
    await nas.sendPacket(alice(), { remoteHost: '127.0.0.1', remotePort: p.auth });
    const ours = ((h1.seen.at(-1) as Seen).attributes.getAll('Proxy-State') as Buffer[])[2];
    const looped = alice().add('Proxy-State', ours);
    const [reply] = await nas.sendPacket(looped, { remoteHost: '127.0.0.1', remotePort: p.auth });
    assert.equal(reply.code, ACCESS_REJECT);
    assert.equal(h1.seen.length, first + 1);
  });

  test('EAP rounds stay on the home server that began the conversation', async () => {
    // Round-robin would send the second round elsewhere without the State pin.
    const rr = await startProxy([h1, h2], { balance: 'round-robin' });
    try {
      for (let i = 0; i < 4; i++) {
        const eap = () =>
          new AccessRequest(NAS_SECRET).addAttributes(
            ['User-Name', 'eve@example.com'],
            ['EAP-Message', Buffer.from([2, 1, 0, 4])],
          );
        const [c] = await nas.sendPacket(eap(), { remoteHost: '127.0.0.1', remotePort: rr.auth });
        assert.equal(c.code, ACCESS_CHALLENGE);
        const state = c.get('State') as Buffer;
        const began = state.toString().slice(0, 2);
        const [a] = await nas.sendPacket(eap().add('State', state), {
          remoteHost: '127.0.0.1',
          remotePort: rr.auth,
        });
        assert.equal(a.code, ACCESS_ACCEPT);
        assert.equal((a.get('State') as Buffer).toString(), `${began}-2`);
      }
    } finally {
      rr.proxy.close();
      await rr.server.close();
    }
  });
});

describe('RadiusProxy and an unsigned Access-Reject to an EAP request', () => {
  test('passed to the NAS at once; the home server stays alive, no reply counted as failing verification', async () => {
    // FreeRADIUS refuses unsigned when the EAP identity does not match User-Name (a realm that
    // strips it): dropped, the proxy retried, blamed the shared secret and took the pool down.
    const home = createSocket('udp4');
    let received = 0;
    home.on('message', (data, rinfo) => {
      received++;
      const reply = decodeRequest(HOME_SECRET, data).createReply(ACCESS_REJECT);
      reply.messageAuthenticator = false;
      home.send(reply.encode(), rinfo.port, rinfo.address);
    });
    home.bind(0, '127.0.0.1');
    await once(home, 'listening');
    const port = home.address().port;
    const p = await startProxy([{ auth: port, acct: port } as Home], { noResponse: 'drop' });
    try {
      const eap = new AccessRequest(NAS_SECRET).addAttributes(
        ['User-Name', 'eve@example.com'],
        ['EAP-Message', Buffer.from([2, 1, 0, 4])],
      );
      const [reply] = await nas.sendPacket(eap, { remoteHost: '127.0.0.1', remotePort: p.auth });
      assert.equal(reply.code, ACCESS_REJECT);
      assert.equal(received, 1);
      const [status] = p.proxy.status().filter((s) => s.kind === 'auth');
      assert.equal(status.invalidReplies, 0);
      assert.equal(status.state, 'alive');
    } finally {
      p.proxy.close();
      await p.server.close();
      home.close();
    }
  });
});

describe('RadiusProxy retransmissions to a silent home server', () => {
  test('retries are all sent: maxDuration defaults to what timeout and retries take (a fixed 5 s cut the third)', async () => {
    const home = createSocket('udp4');
    let received = 0;
    home.on('message', (data) => {
      // Access-Requests only (a zombie is also probed with Status-Server).
      if (data[0] === 1) received++;
    });
    home.bind(0, '127.0.0.1');
    await once(home, 'listening');
    const port = home.address().port;
    // Transmissions at 0, 2 and about 6 s (the wait doubles): the last after 5 s.
    const proxy = new RadiusProxy({
      homeServers: [{ name: 'silent', host: '127.0.0.1', auth: port, acct: port, secret: HOME_SECRET }],
      pools: [{ name: 'p', servers: ['silent'] }],
      realms: [{ name: 'example.com', pool: 'p' }],
      timeout: 2,
      retries: 2,
      noResponse: 'drop',
    });
    const server = createRadiusServer(
      '127.0.0.1',
      { secret: NAS_SECRET, auth: (attributes, context) => proxy.handleAuth(attributes, context) },
      { authPort: 0, accPort: 0 },
    );
    const info = await server.start();
    const client = new RadiusClient({ timeout: 10, retries: 0 });
    try {
      void client
        .sendPacket(alice(), { remoteHost: '127.0.0.1', remotePort: info.authPort as number })
        .catch(() => undefined);
      for (let i = 0; i < 100 && received < 3; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(received, 3, 'the first transmission and both retransmissions');
    } finally {
      client.close();
      proxy.close();
      await server.close();
      home.close();
    }
  });
});

describe('RadiusProxy when home servers fail', () => {
  test('first home server gone: the second answers; the first is probed and revived', async () => {
    const h1 = await startHome('h1');
    const h2 = await startHome('h2');
    const p = await startProxy([h1, h2]);
    try {
      const to = { remoteHost: '127.0.0.1', remotePort: p.auth };
      assert.equal((await nas.sendPacket(alice(), to))[0].get('Reply-Message'), 'from h1');
      const port = h1.auth;
      await h1.server.close();
      const [r] = await nas.sendPacket(alice(), to);
      assert.equal(r.get('Reply-Message'), 'from h2');
      assert.equal(p.proxy.health.alive('home1', 'auth'), false);
      // While dead, requests go straight to the second.
      assert.equal((await nas.sendPacket(alice(), to))[0].get('Reply-Message'), 'from h2');
      // The first comes back on the same port; its Status-Server answer revives it (RFC 5997).
      const back = createRadiusServer(
        '127.0.0.1',
        { secret: HOME_SECRET, auth: () => [[['Reply-Message', 'from h1 again']], ACCESS_ACCEPT] },
        { authPort: port },
      );
      await back.start();
      try {
        for (let i = 0; i < 100 && !p.proxy.health.alive('home1', 'auth'); i++)
          await new Promise((r) => setTimeout(r, 50));
        assert.equal(p.proxy.health.alive('home1', 'auth'), true);
        assert.equal((await nas.sendPacket(alice(), to))[0].get('Reply-Message'), 'from h1 again');
      } finally {
        await back.close();
      }
    } finally {
      p.proxy.close();
      await p.server.close();
      await h2.server.close();
    }
  });

  test('no home server answers: Access-Reject by default, nothing with noResponse drop', async () => {
    const h1 = await startHome('h1');
    await h1.server.close();
    const p = await startProxy([h1]);
    const q = await startProxy([h1], { noResponse: 'drop' });
    try {
      const [r] = await nas.sendPacket(alice(), { remoteHost: '127.0.0.1', remotePort: p.auth });
      assert.equal(r.code, ACCESS_REJECT);
      await assert.rejects(
        nas.sendPacket(alice(), { remoteHost: '127.0.0.1', remotePort: q.auth, timeout: 1.5 }),
        /no response/,
      );
    } finally {
      p.proxy.close();
      q.proxy.close();
      await p.server.close();
      await q.server.close();
    }
  });

  test('a NAS retransmission while the home server is still thinking is not forwarded again', async () => {
    const slow = await startHome('slow', 150);
    const p = await startProxy([slow]);
    const sock = createSocket('udp4');
    try {
      sock.bind(0, '127.0.0.1');
      await once(sock, 'listening');
      const req = alice();
      const bytes = req.encode();
      const replies: Buffer[] = [];
      sock.on('message', (m) => replies.push(m));
      sock.send(bytes, p.auth, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 50));
      sock.send(bytes, p.auth, '127.0.0.1');
      for (let i = 0; i < 60 && replies.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(slow.seen.length, 1);
      assert.equal(replies.length, 1);
      assert.equal(decodeResponse(NAS_SECRET, replies[0], req).code, ACCESS_ACCEPT);
    } finally {
      sock.close();
      p.proxy.close();
      await p.server.close();
      await slow.server.close();
    }
  });
});

/**
 * A proxy with a store-and-forward queue in a new directory, its pool's one home server down (a
 * port that was just closed), and a front server the NAS sends accounting to.
 */
async function queueingProxy(queue: { duplicateWindow?: number } = {}) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-queue-'));
  const down = await startHome('down');
  const acctPort = down.acct;
  await down.server.close();
  const proxy = new RadiusProxy({
    homeServers: [{ name: 'home1', host: '127.0.0.1', acct: acctPort, secret: HOME_SECRET }],
    pools: [{ name: 'ex', servers: ['home1'] }],
    realms: [{ name: 'example.com', pool: 'ex' }],
    timeout: 0.2,
    retries: 0,
    maxDuration: 1,
    probeInterval: 0.3,
    accounting: { file: path.join(dir, 'q.db'), retryDelay: 0.2, ...queue },
  });
  const front = createRadiusServer(
    '127.0.0.1',
    { secret: NAS_SECRET, acct: (a, c) => proxy.handleAcct(a, c) },
    { accPort: 0 },
  );
  const info = await front.start();
  return {
    proxy,
    acctPort,
    frontPort: info.accPort as number,
    close: async () => {
      await proxy.close();
      await front.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('RadiusProxy store-and-forward accounting', () => {
  test('acknowledged while the home server is down, forwarded when it answers, Acct-Delay-Time grown by the wait', async () => {
    // Past the duplicate window a record is rebuilt, with Acct-Delay-Time grown by the wait.
    const q = await queueingProxy({ duplicateWindow: 0.1 });
    const { proxy, acctPort } = q;
    let back: AbstractRadiusServer | undefined;
    try {
      const send = () =>
        nas.sendPacket(
          new AccountingRequest(NAS_SECRET).addAttributes(
            ['User-Name', 'alice@example.com'],
            ['Acct-Status-Type', 'Start'],
            ['Acct-Session-Id', 'queued-1'],
            ['Acct-Delay-Time', 2],
          ),
          { remoteHost: '127.0.0.1', remotePort: q.frontPort },
        );
      const [reply] = await send();
      assert.equal(reply.codeName, 'Accounting-Response');
      const depth = () => proxy.queue?.depth;
      assert.equal(depth(), 1);
      // Held in the queue for over two seconds before the home server comes back: the bytes it gets
      // were built at least a second after the record was queued (each retry rebuilds them).
      await new Promise((r) => setTimeout(r, 2500));
      const seen: AttributesSet[] = [];
      back = createRadiusServer(
        '127.0.0.1',
        {
          secret: HOME_SECRET,
          acct: (attributes) => {
            seen.push(attributes);
            return [[], null];
          },
        },
        { accPort: acctPort },
      );
      await back.start();
      for (let i = 0; i < 100 && depth() !== 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(depth(), 0);
      assert.equal(seen.length, 1);
      assert.equal(seen[0].get('User-Name'), 'alice');
      assert.ok((seen[0].get('Acct-Delay-Time') as number) >= 3, String(seen[0].get('Acct-Delay-Time')));
    } finally {
      await q.close();
      await back?.close();
    }
  });
});

describe("RadiusProxy store-and-forward: a session's records in order", () => {
  test('after an outage, a record goes once the one before it in its session is acknowledged; sessions go alongside', async () => {
    const q = await queueingProxy();
    const { proxy, acctPort } = q;
    let back: AbstractRadiusServer | undefined;
    try {
      const sessions = 10;
      for (const status of ['Start', 'Interim-Update', 'Stop'])
        for (let i = 0; i < sessions; i++)
          await nas.sendPacket(
            new AccountingRequest(NAS_SECRET).addAttributes(
              ['User-Name', `u${i}@example.com`],
              ['Acct-Status-Type', status],
              ['Acct-Session-Id', `s${i}`],
            ),
            { remoteHost: '127.0.0.1', remotePort: q.frontPort },
          );
      assert.equal(proxy.queue?.depth, 3 * sessions);
      // A home server that answers Starts slowly, as threads answering in parallel may: a record
      // that arrives while the one before it in its session is still unanswered is out of order.
      const unanswered = new Set<string>();
      const stored: string[] = [];
      let outOfOrder = 0;
      back = createRadiusServer(
        '127.0.0.1',
        {
          secret: HOME_SECRET,
          acct: async (attributes) => {
            const session = String(attributes.get('Acct-Session-Id'));
            if (unanswered.has(session)) outOfOrder++;
            unanswered.add(session);
            if (attributes.get('Acct-Status-Type') === 'Start') await new Promise((r) => setTimeout(r, 100));
            stored.push(`${session} ${attributes.get('Acct-Status-Type')}`);
            unanswered.delete(session);
            return [[], null];
          },
        },
        { accPort: acctPort },
      );
      await back.start();
      for (let i = 0; i < 200 && proxy.queue?.depth !== 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(proxy.queue?.depth, 0);
      assert.equal(outOfOrder, 0);
      for (let i = 0; i < sessions; i++)
        assert.deepEqual(
          stored.filter((line) => line.startsWith(`s${i} `)),
          [`s${i} Start`, `s${i} Interim-Update`, `s${i} Stop`],
        );
    } finally {
      await q.close();
      await back?.close();
    }
  });
});

describe('RadiusProxy store-and-forward: one ordered lane per pool, the same bytes after a restart', () => {
  const acct = (session: string, user = 'alice@example.com') =>
    new AccountingRequest(NAS_SECRET).addAttributes(
      ['User-Name', user],
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', session],
    );

  test("a pool whose home server is down holds back none of the other pools' accounting", async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-lanes-'));
    const up = await startHome('up');
    const gone = await startHome('gone');
    const goneAcct = gone.acct;
    await gone.server.close();
    const proxy = new RadiusProxy({
      homeServers: [
        { name: 'up', host: '127.0.0.1', acct: up.acct, secret: HOME_SECRET },
        { name: 'gone', host: '127.0.0.1', acct: goneAcct, secret: HOME_SECRET },
      ],
      pools: [
        { name: 'alive', servers: ['up'] },
        { name: 'dead', servers: ['gone'] },
      ],
      realms: [
        { name: 'example.com', pool: 'alive' },
        { name: 'dead.example', pool: 'dead' },
      ],
      // Long enough that a loaded machine answers the live pool in time (a resent record would
      // then arrive twice); the dead pool's lane waits on its window either way.
      timeout: 1,
      retries: 0,
      probeInterval: 0.3,
      accounting: { file: path.join(dir, 'q.db'), retryDelay: 0.2, maxInFlight: 8 },
    });
    const front = createRadiusServer(
      '127.0.0.1',
      { secret: NAS_SECRET, acct: (a, c) => proxy.handleAcct(a, c) },
      { accPort: 0 },
    );
    const info = await front.start();
    const to = { remoteHost: '127.0.0.1', remotePort: info.accPort };
    try {
      // The dead pool's records come first and fill its window many times over.
      for (let i = 0; i < 40; i++) await nas.sendPacket(acct(`dead-${i}`, `bob@dead.example`), to);
      await Promise.all(Array.from({ length: 40 }, (_, i) => nas.sendPacket(acct(`alive-${i}`), to)));
      // In order of first arrival (a copy resent after a slow answer counts once).
      const sessions = () => [
        ...new Set(up.seen.map((s) => s.attributes.get('Acct-Session-Id')).filter((id) => id !== undefined)),
      ];
      for (let i = 0; i < 200 && sessions().length < 40; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(sessions().length, 40, 'every record of the live pool delivered');
      assert.deepEqual(
        sessions(),
        Array.from({ length: 40 }, (_, i) => `alive-${i}`),
        'in order',
      );
      assert.equal(proxy.queue?.depth, 40, "the dead pool's records still wait");
    } finally {
      await proxy.close();
      await front.close();
      await up.server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a record sent and not marked delivered goes out again after a restart: same bytes, same source port', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-resend-'));
    // A home server that records what arrives and never answers (as if its answers were lost).
    const home = createSocket('udp4');
    const arrived: Array<{ port: number; bytes: string }> = [];
    // Accounting-Requests only: the unanswered server becomes a zombie and is probed with Status-Server.
    home.on('message', (m, r) => {
      if (m[0] === 4) arrived.push({ port: r.port, bytes: m.toString('hex') });
    });
    home.bind(0, '127.0.0.1');
    await once(home, 'listening');
    const options = {
      homeServers: [{ name: 'h', host: '127.0.0.1', acct: home.address().port, secret: HOME_SECRET }],
      pools: [{ name: 'p', servers: ['h'] }],
      realms: [{ name: 'example.com', pool: 'p' }],
      timeout: 0.1,
      retries: 1,
      accounting: { file: path.join(dir, 'q.db'), retryDelay: 0.1, duplicateWindow: 60 },
    };
    let proxy = new RadiusProxy(options);
    const front = createRadiusServer(
      '127.0.0.1',
      { secret: NAS_SECRET, acct: (a, c) => proxy.handleAcct(a, c) },
      { accPort: 0 },
    );
    const info = await front.start();
    try {
      await nas.sendPacket(acct('once-1'), { remoteHost: '127.0.0.1', remotePort: info.accPort });
      for (let i = 0; i < 100 && arrived.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      await proxy.close();
      const before = [...arrived];
      assert.ok(before.length >= 2, `sent and retransmitted: ${before.length}`);
      assert.equal(new Set(before.map((a) => a.bytes)).size, 1, 'retransmissions repeat the same bytes');
      arrived.length = 0;
      proxy = new RadiusProxy(options);
      for (let i = 0; i < 100 && arrived.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(arrived.length > 0, 'sent again after the restart');
      assert.equal(
        arrived[0].bytes,
        before[0].bytes,
        'byte for byte: identifier, authenticator, Acct-Delay-Time',
      );
      assert.equal(arrived[0].port, before[0].port, 'from the same source port');
    } finally {
      await proxy.close();
      await front.close();
      home.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

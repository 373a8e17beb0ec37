// How pools spread requests: `keyed` (one device, one server), `client` (one NAS, one server),
// the fallback pool when every primary server is out, and the reply filter hook.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  type AbstractRadiusServer,
  AccessRequest,
  type BalanceMethod,
  ConfigError,
  createRadiusServer,
  type RadiusProxyOptions,
  RadiusClient,
  RadiusProxy,
} from '../../src/index.js';

const NAS_SECRET = 'nas-secret';
const HOME_SECRET = 'home-secret';

async function startHome(name: string, port = 0) {
  const server = createRadiusServer(
    '127.0.0.1',
    {
      secret: HOME_SECRET,
      auth: () => [
        [
          ['Reply-Message', name],
          ['Session-Timeout', 600],
        ],
        ACCESS_ACCEPT,
      ],
    },
    { authPort: port },
  );
  const info = await server.start();
  return { server, name, port: info.authPort as number };
}

type Home = Awaited<ReturnType<typeof startHome>>;

async function startProxy(homes: Home[], options: Partial<RadiusProxyOptions> & { balance?: BalanceMethod }) {
  const { balance, ...rest } = options;
  const proxy = new RadiusProxy({
    homeServers: homes.map((h) => ({ name: h.name, host: '127.0.0.1', auth: h.port, secret: HOME_SECRET })),
    pools: [{ name: 'p', servers: homes.map((h) => h.name), balance }],
    realms: [{ name: 'example.com', pool: 'p' }],
    timeout: 0.3,
    retries: 0,
    maxDuration: 1,
    ...rest,
  });
  // Any NAS on loopback (127.0.0.0/8): the `client` test speaks from several addresses.
  const server: AbstractRadiusServer = createRadiusServer(
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

const nas = new RadiusClient({ timeout: 3, retries: 0 });
after(() => nas.close());

function request(extra: Array<[string, string]> = []): AccessRequest {
  return new AccessRequest(NAS_SECRET).addAttributes(
    ['User-Name', 'alice@example.com'],
    ['User-Password', 'alicepw'],
    ...extra,
  );
}

async function servedBy(client: RadiusClient, port: number, extra: Array<[string, string]> = []) {
  const [reply] = await client.sendPacket(request(extra), { remoteHost: '127.0.0.1', remotePort: port });
  return reply.get('Reply-Message') as string;
}

describe('pool balancing', () => {
  test('keyed: one Calling-Station-Id always on one server, the devices spread over the servers', async () => {
    const homes = await Promise.all(['h1', 'h2', 'h3'].map((n) => startHome(n)));
    const p = await startProxy(homes, { balance: 'keyed' });
    try {
      const byDevice = new Map<string, Set<string>>();
      for (let round = 0; round < 3; round++) {
        for (let d = 0; d < 11; d++) {
          const device = `02-00-00-00-00-${d.toString(16).padStart(2, '0')}`;
          const server = await servedBy(nas, p.port, [['Calling-Station-Id', device]]);
          const seen = byDevice.get(device) ?? new Set();
          seen.add(server);
          byDevice.set(device, seen);
        }
      }
      for (const [device, servers] of byDevice)
        assert.equal(servers.size, 1, `${device} moved: ${[...servers]}`);
      const used = new Set([...byDevice.values()].map((s) => [...s][0]));
      assert.ok(used.size >= 2, `11 devices all on ${[...used]}`);
    } finally {
      await p.close();
      await Promise.all(homes.map((h) => h.server.close()));
    }
  });

  test('keyed on another attribute: the pool key names it', async () => {
    const homes = await Promise.all(['h1', 'h2', 'h3'].map((n) => startHome(n)));
    const p = await startProxy(homes, {
      pools: [{ name: 'p', servers: ['h1', 'h2', 'h3'], balance: 'keyed', key: 'NAS-Port-Id' }],
    });
    try {
      const first = new Map<string, string>();
      for (let round = 0; round < 2; round++) {
        for (let d = 0; d < 10; d++) {
          const server = await servedBy(nas, p.port, [
            ['NAS-Port-Id', `port-${d}`],
            ['Calling-Station-Id', `changes-${round}-${d}`],
          ]);
          if (round === 0) first.set(`port-${d}`, server);
          else assert.equal(server, first.get(`port-${d}`));
        }
      }
      assert.ok(new Set(first.values()).size >= 2);
    } finally {
      await p.close();
      await Promise.all(homes.map((h) => h.server.close()));
    }
  });

  test('client: each NAS (source address) stays on one server, the NASes spread over the servers', async () => {
    const homes = await Promise.all(['h1', 'h2', 'h3'].map((n) => startHome(n)));
    const p = await startProxy(homes, { balance: 'client' });
    const nases = Array.from(
      { length: 8 },
      (_v, i) => new RadiusClient({ timeout: 3, retries: 0, localAddress: `127.0.0.${i + 2}` }),
    );
    try {
      const byNas: string[][] = nases.map(() => []);
      for (let round = 0; round < 3; round++) {
        for (const [i, client] of nases.entries()) {
          // A different device each time: only the NAS decides.
          byNas[i].push(await servedBy(client, p.port, [['Calling-Station-Id', `dev-${round}-${i}`]]));
        }
      }
      for (const [i, list] of byNas.entries()) assert.equal(new Set(list).size, 1, `NAS ${i}: ${list}`);
      assert.ok(new Set(byNas.map((l) => l[0])).size >= 2, 'the NASes spread over the servers');
    } finally {
      for (const c of nases) c.close();
      await p.close();
      await Promise.all(homes.map((h) => h.server.close()));
    }
  });

  test('fallback pool: every primary server out → the fallback pool answers; the primary again once revived', async () => {
    const primary = await startHome('primary');
    const backup = await startHome('backup');
    const p = await startProxy([primary, backup], {
      pools: [
        { name: 'p', servers: ['primary'], fallback: 'b' },
        { name: 'b', servers: ['backup'] },
      ],
      probeInterval: 0.1,
      reviveAnswers: 1,
    });
    try {
      assert.equal(await servedBy(nas, p.port), 'primary');
      const port = primary.port;
      await primary.server.close();
      // The request that finds it gone is lost (no other server in its pool); the next ones fall back.
      await servedBy(nas, p.port).catch(() => undefined);
      assert.equal(p.proxy.health.alive('primary', 'auth'), false);
      assert.equal(await servedBy(nas, p.port), 'backup');
      assert.equal(await servedBy(nas, p.port), 'backup');
      const again = await startHome('primary again', port);
      try {
        for (let i = 0; i < 100 && !p.proxy.health.alive('primary', 'auth'); i++)
          await new Promise((r) => setTimeout(r, 50));
        assert.equal(await servedBy(nas, p.port), 'primary again');
      } finally {
        await again.server.close();
      }
    } finally {
      await p.close();
      await backup.server.close();
    }
  });

  test('filterReply: the hook sees reply, request and realm, and its attributes replace the reply', async () => {
    const h1 = await startHome('h1');
    const calls: Array<{ reply: string; user: unknown; realm: string | undefined }> = [];
    const p = await startProxy([h1], {
      filterReply: (reply, req, match) => {
        calls.push({
          reply: reply.get('Reply-Message') as string,
          user: req.get('User-Name'),
          realm: match?.realm.name,
        });
        // Keep the home server's message, drop its Session-Timeout, add our own policy.
        return [
          ['Reply-Message', `${reply.get('Reply-Message')} (filtered)`],
          ['Idle-Timeout', 30],
        ];
      },
    });
    try {
      const req = request().add('Proxy-State', Buffer.from('nas-state'));
      const [reply] = await nas.sendPacket(req, { remoteHost: '127.0.0.1', remotePort: p.port });
      assert.equal(reply.code, ACCESS_ACCEPT);
      assert.equal(reply.get('Reply-Message'), 'h1 (filtered)');
      assert.equal(reply.get('Idle-Timeout'), 30);
      assert.equal(reply.get('Session-Timeout'), undefined);
      // The NAS's Proxy-State still comes back (RFC 2865 §5.33), whatever the hook returned.
      assert.deepEqual(reply.getAll('Proxy-State'), [Buffer.from('nas-state')]);
      assert.deepEqual(calls, [{ reply: 'h1', user: 'alice@example.com', realm: 'example.com' }]);
    } finally {
      await p.close();
      await h1.server.close();
    }
  });
});

test('RadiusProxy refuses pools whose fallbacks come back round, naming the ring', () => {
  const homeServers = [{ name: 'h', host: '127.0.0.1', auth: 1812, secret: HOME_SECRET }];
  assert.throws(
    () =>
      new RadiusProxy({
        homeServers,
        pools: [
          { name: 'a', servers: ['h'], fallback: 'b' },
          { name: 'b', servers: ['h'], fallback: 'a' },
        ],
        realms: [{ name: 'example.com', pool: 'a' }],
      }),
    (err: Error) =>
      err instanceof ConfigError && err.field === 'pools[0].fallback' && /a → b → a/.test(err.message),
  );
});

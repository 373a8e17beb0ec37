// radtest → our proxy (the library, then `serve`) → two FreeRADIUS home servers: FreeRADIUS's
// reply attributes come back, the realm is stripped on the way, and when the first home server
// stops the second takes over until the first answers Status-Server again (RFC 5997).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRadiusServer, RadiusProxy } from '../../src/index.js';
import { startServe, tempDir } from '../cli/serve-helpers.js';
import { type FreeradiusPeer, radtest, skipUnless, startFreeradius } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';

const NAS_SECRET = 'proxy-nas-s3cret';
const HOME_SECRET = 'proxy-home-s3cret';
const skip = skipUnless('freeradius', 'radtest');

function home(label: string, authPort: number, acctPort: number): Promise<FreeradiusPeer> {
  return startFreeradius({
    secret: HOME_SECRET,
    authPort,
    acctPort,
    users: [
      {
        name: 'alice',
        password: 'alicepw',
        // %{User-Name} shows what the home server received: the stripped name.
        reply: [
          ['Reply-Message', `"${label} saw %{User-Name}"`],
          ['Framed-IP-Address', '10.0.0.7'],
        ],
      },
    ],
  });
}

function printed(attributes: Array<[string, string]>, name: string): string | undefined {
  return attributes.find(([n]) => n === name)?.[1];
}

async function until(check: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 50) await new Promise((r) => setTimeout(r, 50));
}

describe('proxy to FreeRADIUS home servers', { skip }, () => {
  let ports: number[];
  let a: FreeradiusPeer | undefined;
  let b: FreeradiusPeer | undefined;
  before(async () => {
    ports = await freePorts(6);
    [a, b] = await Promise.all([home('A', ports[0], ports[1]), home('B', ports[2], ports[3])]);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
  });

  const proxyOptions = () => ({
    homeServers: [
      { name: 'a', host: '127.0.0.1', auth: ports[0], acct: ports[1], secret: HOME_SECRET },
      { name: 'b', host: '127.0.0.1', auth: ports[2], acct: ports[3], secret: HOME_SECRET },
    ],
    pools: [{ name: 'example', servers: ['a', 'b'] }],
    realms: [{ name: 'example.com', pool: 'example' }],
  });

  test("library: Accept with the home server's reply, realm stripped; failover to B and revival of A", async () => {
    const proxy = new RadiusProxy({
      ...proxyOptions(),
      timeout: 0.5,
      retries: 1,
      maxDuration: 2,
      probeInterval: 0.5,
    });
    const server = createRadiusServer(
      '127.0.0.1',
      {
        secret: NAS_SECRET,
        auth: (attributes, context) => proxy.handleAuth(attributes, context),
      },
      { authPort: ports[4] },
    );
    await server.start();
    const ask = () =>
      radtest({
        user: 'alice@example.com',
        password: 'alicepw',
        host: '127.0.0.1',
        port: ports[4],
        secret: NAS_SECRET,
      });
    try {
      let r = await ask();
      assert.equal(r.replyCode, 'Access-Accept', r.stdout + r.stderr);
      assert.equal(printed(r.attributes, 'Reply-Message'), 'A saw alice');
      assert.equal(printed(r.attributes, 'Framed-IP-Address'), '10.0.0.7');
      const wrong = await radtest({
        user: 'alice@example.com',
        password: 'nope',
        host: '127.0.0.1',
        port: ports[4],
        secret: NAS_SECRET,
      });
      assert.equal(wrong.replyCode, 'Access-Reject');

      await a?.stop();
      a = undefined;
      r = await ask();
      assert.equal(r.replyCode, 'Access-Accept', r.stdout + r.stderr);
      assert.equal(printed(r.attributes, 'Reply-Message'), 'B saw alice');
      assert.equal(proxy.health.alive('a', 'auth'), false);

      a = await home('A', ports[0], ports[1]);
      await until(() => proxy.health.alive('a', 'auth') === true, 10_000);
      assert.equal(proxy.health.alive('a', 'auth'), true, 'A revived by its Status-Server answer');
      r = await ask();
      assert.equal(printed(r.attributes, 'Reply-Message'), 'A saw alice');
    } finally {
      proxy.close();
      await server.close();
    }
  });

  test('serve: the proxy section in YAML forwards example.com, answers other users itself', async () => {
    const tmp = await tempDir('aioradius-proxy-');
    const [auth, acct] = [ports[4], ports[5]];
    const config = path.join(tmp.dir, 'serve.yaml');
    await writeFile(
      config,
      `listen:\n  host: 127.0.0.1\n  auth: ${auth}\n  acct: ${acct}\n` +
        `clients:\n  - address: 127.0.0.1\n    secret: ${NAS_SECRET}\n` +
        'users:\n  - name: bob\n    password: bobpw\n    reply:\n      Reply-Message: local bob\n' +
        'database: ./acct.db\n' +
        'proxy:\n  timeout: 0.5\n  retries: 1\n  homeServers:\n' +
        `    - { name: a, host: 127.0.0.1, auth: ${ports[0]}, acct: ${ports[1]}, secret: ${HOME_SECRET} }\n` +
        `    - { name: b, host: 127.0.0.1, auth: ${ports[2]}, acct: ${ports[3]}, secret: ${HOME_SECRET} }\n` +
        '  pools:\n    - { name: example, servers: [a, b], balance: failover }\n' +
        '  realms:\n    - { name: example.com, pool: example, strip: true }\n',
    );
    const serve = await startServe(config);
    try {
      const r = await radtest({
        user: 'alice@example.com',
        password: 'alicepw',
        host: '127.0.0.1',
        port: auth,
        secret: NAS_SECRET,
      });
      assert.equal(r.replyCode, 'Access-Accept', r.stdout + serve.stderr());
      assert.equal(printed(r.attributes, 'Reply-Message'), 'A saw alice');
      const local = await radtest({
        user: 'bob',
        password: 'bobpw',
        host: '127.0.0.1',
        port: auth,
        secret: NAS_SECRET,
      });
      assert.equal(local.replyCode, 'Access-Accept');
      assert.equal(printed(local.attributes, 'Reply-Message'), 'local bob');
    } finally {
      await serve.stop('SIGTERM');
      await tmp.remove();
    }
  });
});

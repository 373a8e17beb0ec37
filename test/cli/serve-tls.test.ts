// `serve` over TCP and TLS: listen.tcp.port, listen.tls.{port, certificate, privateKey, ca}, client
// entries limited to a transport, the "radsec" secret by default over TLS; driven by radclient
// (-P tcp) and by radsecproxy (UDP in, TLS out); bad TLS settings fail at start with the field.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AccessRequest } from '../../src/index.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import { radclient, type RadsecproxyPeer, skipUnless, startRadsecproxyBridge } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { runServe, type ServeProcess, startServe, tempDir } from './serve-helpers.js';

const SECRET = 'testing123';

function configText(ports: number[], tlsBlock: string): string {
  const [auth, acct, tcp, tls] = ports;
  return `listen:
  host: 127.0.0.1
  auth: ${auth}
  acct: ${acct}
  tcp:
    port: ${tcp}
  tls:
    port: ${tls}
${tlsBlock}
clients:
  - address: 127.0.0.0/8
    secret: ${SECRET}
    name: loopback
  - address: 127.0.0.1
    transport: tls
    name: radsec-peer
users:
  - name: alice
    password: alicepw
    reply:
      Reply-Message: Hello, alice
database: ./radius.db
`;
}

const TLS_FILES = `    certificate: server.pem
    privateKey: server.key
    ca: ca.pem`;

describe('aioradius serve over TCP and TLS', { skip: skipUnless('radclient', 'radsecproxy') }, () => {
  let dir: string;
  let remove: () => Promise<void>;
  let serve: ServeProcess;
  let proxy: RadsecproxyPeer;
  let ports: number[];
  let proxyUdp: number;
  let ca: CertFiles;

  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-serve-tls-'));
    ca = makeCa(dir, 'ca');
    makeCert(dir, ca, 'server');
    const proxyCert = makeCert(dir, ca, 'radsecproxy');
    ports = await freePorts(5, { tcp: true });
    proxyUdp = ports[4];
    const configFile = path.join(dir, 'aioradius.yaml');
    await writeFile(configFile, configText(ports, TLS_FILES));
    serve = await startServe(configFile);
    proxy = await startRadsecproxyBridge({
      udpPort: proxyUdp,
      udpSecret: SECRET,
      tlsPort: ports[3],
      caFile: ca.cert,
      certFile: proxyCert.cert,
      keyFile: proxyCert.key,
    });
  });

  after(async () => {
    await proxy?.stop();
    await serve?.stop('SIGKILL');
    await remove?.();
  });

  test('the ready line names the TCP and TLS ports', async () => {
    const ready = await serve.waitForLog('aioradius ready');
    assert.equal(ready.tcp, ports[2]);
    assert.equal(ready.tls, ports[3]);
  });

  test('radclient -P tcp: Accept with the reply attributes', async () => {
    const r = await radclient({
      host: '127.0.0.1',
      port: ports[2],
      type: 'auth',
      secret: SECRET,
      input: 'User-Name = "alice", User-Password = "alicepw", Message-Authenticator = 0x00',
      extraArgs: ['-P', 'tcp'],
    });
    assert.equal(r.replies[0]?.code, 'Access-Accept', r.stdout + r.stderr);
    assert.ok(r.replies[0].attributes.some(([k, v]) => k === 'Reply-Message' && v === 'Hello, alice'));
  });

  test('radsecproxy over TLS with the default secret "radsec": Accept, Reject and accounting', async () => {
    const send = (type: 'auth' | 'acct', input: string) =>
      radclient({
        host: '127.0.0.1',
        port: proxyUdp,
        type,
        secret: SECRET,
        input,
        extraArgs: ['-t', '5', '-r', '1'],
      });
    const accept = await send(
      'auth',
      'User-Name = "alice", User-Password = "alicepw", Message-Authenticator = 0x00',
    );
    assert.equal(
      accept.replies[0]?.code,
      'Access-Accept',
      `${accept.stdout}${accept.stderr}\n${proxy.output()}`,
    );
    const reject = await send(
      'auth',
      'User-Name = "alice", User-Password = "bad", Message-Authenticator = 0x00',
    );
    assert.equal(reject.replies[0]?.code, 'Access-Reject');
    const acct = await send(
      'acct',
      'User-Name = "alice", Acct-Status-Type = Start, Acct-Session-Id = "tls-1"',
    );
    assert.equal(acct.replies[0]?.code, 'Accounting-Response');
    // The requests came over TLS from the client entry limited to TLS.
    const line = await serve.waitForLog('Access-Accept');
    assert.equal(line.user, 'alice');
  });

  test('bad TLS settings fail at start with the field', async () => {
    const cases: Array<[string, RegExp]> = [
      ['    certificate: server.pem\n    privateKey: server.key', /listen\.tls\.ca: is required/],
      [
        '    certificate: missing.pem\n    privateKey: server.key\n    ca: ca.pem',
        /listen\.tls\.certificate: cannot read .*missing\.pem/,
      ],
      [`${TLS_FILES}\n    minVersion: TLSv1.0`, /listen\.tls\.minVersion: must be TLSv1\.2 or TLSv1\.3/],
    ];
    for (const [block, expected] of cases) {
      const file = path.join(dir, 'bad.yaml');
      await writeFile(file, configText(ports, block));
      const r = await runServe(['--config', file]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, expected);
    }
    const file = path.join(dir, 'bad-transport.yaml');
    await writeFile(file, configText(ports, TLS_FILES).replace('transport: tls', 'transport: dtls'));
    const r = await runServe(['--config', file]);
    assert.match(r.stderr, /clients\[1\]\.transport: must be one of udp, tcp, tls/);
  });
});

describe('aioradius serve: connection limits of listen.tcp and listen.tls', () => {
  test('idleTimeout, maxConnectionsPerClient and handshakeTimeout from the YAML take effect; a bad one fails with its field', async () => {
    const { dir, remove } = await tempDir('aioradius-serve-limits-');
    let serve: ServeProcess | undefined;
    try {
      const ca = makeCa(dir, 'ca');
      makeCert(dir, ca, 'server');
      const ports = await freePorts(4, { tcp: true });
      const limits = `${TLS_FILES}\n    handshakeTimeout: 0.5\n    maxConnectionsPerClient: 2`;
      const text = configText(ports, limits).replace(
        `  tcp:\n    port: ${ports[2]}\n`,
        `  tcp:\n    port: ${ports[2]}\n    idleTimeout: 0.5\n    maxConnectionsPerClient: 1\n`,
      );
      const bad = path.join(dir, 'bad.yaml');
      await writeFile(bad, text.replace('maxConnectionsPerClient: 1', 'maxConnectionsPerClient: 0'));
      const refused = await runServe(['--config', bad, '--check']);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(
        refused.stderr,
        /bad\.yaml:\d+: listen\.tcp\.maxConnectionsPerClient: must be an integer 1\.\.65535/,
      );
      const file = path.join(dir, 'aioradius.yaml');
      await writeFile(file, text);
      serve = await startServe(file);
      // TCP: one connection per address; it is closed once idle.
      const first = net.connect({ host: '127.0.0.1', port: ports[2] });
      const firstClosed = new Promise<void>((r) => first.once('close', () => r()));
      first.on('error', () => {});
      await new Promise((r) => first.once('connect', r));
      const second = net.connect({ host: '127.0.0.1', port: ports[2] });
      second.on('error', () => {});
      const secondData: Buffer[] = [];
      second.on('data', (d: Buffer) => secondData.push(d));
      second.once('connect', () =>
        second.write(new AccessRequest(SECRET).add('User-Name', 'alice').encode()),
      );
      await new Promise<void>((r) => second.once('close', () => r()));
      assert.equal(secondData.length, 0, 'the second connection is refused');
      // TLS: a handshake that never completes is closed.
      const hanging = net.connect({ host: '127.0.0.1', port: ports[3] });
      hanging.on('error', () => {});
      const hangingClosed = new Promise<void>((r) => hanging.once('close', () => r()));
      hanging.once('connect', () => hanging.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x50, 0x01])));
      const bounded = (p: Promise<void>) =>
        Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 8000))]);
      assert.equal(await bounded(firstClosed), true, 'the idle TCP connection is closed');
      assert.equal(await bounded(hangingClosed), true, 'the unfinished TLS handshake is closed');
    } finally {
      await serve?.stop('SIGKILL');
      await remove();
    }
  });
});

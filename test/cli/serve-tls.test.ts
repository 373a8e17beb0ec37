// `serve` over TCP and TLS: listen.tcp.port, listen.tls.{port, certificate, privateKey, ca}, client
// entries limited to a transport, the "radsec" secret by default over TLS; driven by radclient
// (-P tcp) and by radsecproxy (UDP in, TLS out); bad TLS settings fail at start with the field.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
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

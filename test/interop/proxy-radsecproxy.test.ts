// radsecproxy 1.9 as a RADIUS/TLS home server (RFC 6614): radtest → our proxy (UDP in) →
// radsecproxy over TLS (each side presents a certificate of one CA) → our own server over UDP.
// The home server's reply attributes reach the NAS; the proxy keeps the TLS home server alive.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  type AbstractRadiusServer,
  createRadiusServer,
  RadiusProxy,
} from '../../src/index.js';
import { startServe } from '../cli/serve-helpers.js';
import { makeCa, makeCert } from '../helpers/certs.js';
import { radclient, radtest, skipUnless, startRadsecproxyTlsFront } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';

const NAS_SECRET = 'radsec-nas-s3cret';
const UDP_SECRET = 'radsec-udp-s3cret';

test('our proxy → radsecproxy over RADIUS/TLS → a UDP home server: Accept with its reply attributes', {
  skip: skipUnless('radsecproxy', 'radtest', 'radclient'),
}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-proxy-radsec-'));
  const ca = makeCa(dir, 'proxy-ca');
  const rspCert = makeCert(dir, ca, 'radsecproxy');
  const ourCert = makeCert(dir, ca, 'aioradius-proxy');
  const [tlsPort, frontPort] = await freePorts(2);
  const accounted: string[] = [];
  const home = createRadiusServer(
    '127.0.0.1',
    {
      secret: UDP_SECRET,
      auth: (attributes) =>
        attributes.get('User-Name') === 'alice' && attributes.get('User-Password') === 'alicepw'
          ? [
              [
                ['Reply-Message', 'behind radsecproxy'],
                ['Framed-IP-Address', '10.9.8.7'],
              ],
              ACCESS_ACCEPT,
            ]
          : [[], ACCESS_REJECT],
      acct: (attributes) => {
        accounted.push(String(attributes.get('Acct-Session-Id')));
        return [[], null];
      },
    },
    { authPort: 0, accPort: 0 },
  );
  const homeInfo = await home.start();
  const rsp = await startRadsecproxyTlsFront({
    tlsPort,
    udpPort: homeInfo.authPort as number,
    udpAcctPort: homeInfo.accPort as number,
    udpSecret: UDP_SECRET,
    caFile: ca.cert,
    certFile: rspCert.cert,
    keyFile: rspCert.key,
  });
  let proxy: RadiusProxy | undefined;
  let front: AbstractRadiusServer | undefined;
  try {
    proxy = new RadiusProxy({
      homeServers: [
        {
          name: 'radsec',
          host: '127.0.0.1',
          auth: tlsPort,
          acct: tlsPort,
          transport: 'tls',
          // RFC 6614 §2.3: the secret over TLS is 'radsec' (the default).
          tls: { ca: ca.certPem, cert: ourCert.certPem, key: ourCert.keyPem },
        },
      ],
      pools: [{ name: 'p', servers: ['radsec'] }],
      realms: [{ name: 'example.com', pool: 'p' }],
      timeout: 2,
      retries: 0,
      maxDuration: 5,
    });
    front = createRadiusServer(
      '127.0.0.1',
      {
        secret: NAS_SECRET,
        auth: (a, c) => (proxy as RadiusProxy).handleAuth(a, c),
        acct: (a, c) => (proxy as RadiusProxy).handleAcct(a, c),
      },
      { authPort: frontPort, accPort: 0 },
    );
    const frontInfo = await front.start();
    const ask = (password: string) =>
      radtest({
        user: 'alice@example.com',
        password,
        host: '127.0.0.1',
        port: frontPort,
        secret: NAS_SECRET,
      });
    const r = await ask('alicepw');
    assert.equal(r.replyCode, 'Access-Accept', `${r.stdout}${r.stderr}\n${rsp.output()}`);
    assert.equal(r.attributes.find(([n]) => n === 'Reply-Message')?.[1], 'behind radsecproxy');
    assert.equal(r.attributes.find(([n]) => n === 'Framed-IP-Address')?.[1], '10.9.8.7');
    const wrong = await ask('nope');
    assert.equal(wrong.replyCode, 'Access-Reject');
    const acct = await radclient({
      host: '127.0.0.1',
      port: frontInfo.accPort as number,
      type: 'acct',
      secret: NAS_SECRET,
      input: 'User-Name = "alice@example.com", Acct-Status-Type = Start, Acct-Session-Id = "via-radsec-1"',
    });
    assert.equal(acct.replies[0]?.code, 'Accounting-Response', acct.stdout + acct.stderr);
    assert.deepEqual(accounted, ['via-radsec-1']);
    assert.ok(proxy.status().every((s) => s.state === 'alive'));
  } finally {
    await proxy?.close();
    await front?.close();
    await rsp.stop();
    await home.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve: a TLS home server from the YAML (proxy.homeServers[].tls), its certificate verified', {
  skip: skipUnless('radsecproxy', 'radtest'),
}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-serve-radsec-'));
  const ca = makeCa(dir, 'home-ca');
  const other = makeCa(dir, 'other-ca');
  const rspCert = makeCert(dir, ca, 'radsecproxy');
  const ourCert = makeCert(dir, ca, 'aioradius-serve');
  const [tlsPort, auth, acct] = await freePorts(3);
  const home = createRadiusServer(
    '127.0.0.1',
    {
      secret: UDP_SECRET,
      auth: (attributes) =>
        attributes.get('User-Name') === 'alice' && attributes.get('User-Password') === 'alicepw'
          ? [[['Reply-Message', 'serve via radsecproxy']], ACCESS_ACCEPT]
          : [[], ACCESS_REJECT],
    },
    { authPort: 0 },
  );
  const homeInfo = await home.start();
  const rsp = await startRadsecproxyTlsFront({
    tlsPort,
    udpPort: homeInfo.authPort as number,
    udpSecret: UDP_SECRET,
    caFile: ca.cert,
    certFile: rspCert.cert,
    keyFile: rspCert.key,
  });
  const config = (caFile: string) =>
    `listen:\n  host: 127.0.0.1\n  auth: ${auth}\n  acct: ${acct}\n` +
    `clients:\n  - address: 127.0.0.1\n    secret: ${NAS_SECRET}\n` +
    'database: ./acct.db\n' +
    'proxy:\n  timeout: 1\n  retries: 0\n  homeServers:\n' +
    `    - name: radsec\n      host: 127.0.0.1\n      auth: ${tlsPort}\n      transport: tls\n` +
    `      tls:\n        certificate: ${path.relative(dir, ourCert.cert)}\n` +
    `        privateKey: ${path.relative(dir, ourCert.key)}\n        ca: ${path.relative(dir, caFile)}\n` +
    '  pools:\n    - { name: p, servers: [radsec] }\n' +
    '  realms:\n    - { name: example.com, pool: p, strip: true }\n';
  const file = path.join(dir, 'serve.yaml');
  const ask = () =>
    radtest({
      user: 'alice@example.com',
      password: 'alicepw',
      host: '127.0.0.1',
      port: auth,
      secret: NAS_SECRET,
    });
  try {
    writeFileSync(file, config(ca.cert));
    let serve = await startServe(file);
    try {
      const r = await ask();
      assert.equal(
        r.replyCode,
        'Access-Accept',
        `${r.stdout}${r.stderr}\n${serve.stderr()}\n${rsp.output()}`,
      );
      assert.equal(r.attributes.find(([n]) => n === 'Reply-Message')?.[1], 'serve via radsecproxy');
    } finally {
      await serve.stop('SIGTERM');
    }
    // Trusting another CA, serve refuses radsecproxy's certificate: the NAS gets no Accept.
    writeFileSync(file, config(other.cert));
    serve = await startServe(file);
    try {
      const r = await ask();
      assert.notEqual(r.replyCode, 'Access-Accept', r.stdout);
      const line = await serve.waitForLog('RADIUS client TLS connection failed', 5000);
      assert.match(String(line.err), /certificate/i);
    } finally {
      await serve.stop('SIGTERM');
    }
  } finally {
    await rsp.stop();
    await home.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

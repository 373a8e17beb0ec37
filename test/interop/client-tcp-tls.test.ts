// RadiusClient over TCP and TLS against peers nobody here wrote: FreeRADIUS 3.2's RADIUS/TCP
// listener and its RadSec listener (as in the stock sites-available/tls, `clients = radsec`), and
// radsecproxy (TLS in, UDP out) in front of FreeRADIUS; certificates made by the test.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RadiusClient } from '../../src/client/radius-client.js';
import { RadiusConnectionError } from '../../src/errors.js';
import { ACCESS_ACCEPT, ACCESS_REJECT, ACCOUNTING_RESPONSE } from '../../src/protocol/codes.js';
import { AccessRequest, AccountingRequest, StatusServer } from '../../src/protocol/packet.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import {
  type FreeradiusPeer,
  type RadsecproxyPeer,
  skipUnless,
  startFreeradius,
  startRadsecproxy,
} from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';

const SECRET = 'tcp-tls-interop-s3cret';

function alice(password = 'alicepw'): AccessRequest {
  return new AccessRequest('unused').addAttributes(['User-Name', 'alice'], ['User-Password', password]);
}

function start(session: string): AccountingRequest {
  return new AccountingRequest('unused').addAttributes(
    ['User-Name', 'alice'],
    ['Acct-Status-Type', 'Start'],
    ['Acct-Session-Id', session],
    ['NAS-IP-Address', '127.0.0.1'],
  );
}

/**
 * Sends with a client certificate `peer` must refuse, under TLS 1.3 and 1.2, with the default
 * timers: each call must end at once as the server's refusal, not after maxDuration (30 s).
 */
async function assertRefused(
  port: number,
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
  log: () => string,
) {
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    const c = new RadiusClient({
      servers: [{ host: '127.0.0.1', port, transport: 'tls', tls: { ...tls, maxVersion: version } }],
    });
    const t0 = performance.now();
    try {
      const err = await c.sendPacket(alice()).then(
        () => assert.fail(`${version}: accepted`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof RadiusConnectionError, `${version}: ${String(err)}\n${log()}`);
      assert.equal(err.refusedByServer, true, `${version}: ${err.message}`);
      assert.ok(performance.now() - t0 < 5000, `${version}: ${performance.now() - t0} ms`);
      assert.equal(c.statistics.socketErrors, 1);
    } finally {
      c.close();
    }
  }
}

describe('RadiusClient over TCP and TLS against FreeRADIUS and radsecproxy', {
  skip: skipUnless('freeradius'),
}, () => {
  let dir: string;
  let ca: CertFiles;
  let client: CertFiles;
  let fr: FreeradiusPeer;
  let tcpPort: number;
  let tlsPort: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-client-stream-'));
    ca = makeCa(dir, 'ca');
    const server = makeCert(dir, ca, 'freeradius');
    client = makeCert(dir, ca, 'nas');
    [tcpPort, tlsPort] = await freePorts(2, { tcp: true });
    fr = await startFreeradius({
      secret: SECRET,
      users: [
        {
          name: 'alice',
          password: 'alicepw',
          reply: [
            ['Reply-Message', '"Hello alice"'],
            ['Session-Timeout', '3600'],
          ],
        },
      ],
      tcpPort,
      tls: { port: tlsPort, certFile: 'server.pem', keyFile: 'server.key', caFile: 'ca.pem' },
      files: { 'server.pem': server.certPem, 'server.key': server.keyPem, 'ca.pem': ca.certPem },
    });
  });

  after(async () => {
    await fr?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const tls = () => ({ ca: ca.certPem, cert: client.certPem, key: client.keyPem });

  test('TCP client → FreeRADIUS TCP listener: Accept with reply attributes, Reject, accounting', async () => {
    const c = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: tcpPort, transport: 'tcp', secret: SECRET }],
      timeout: 5,
    });
    try {
      const [accept] = await c.sendPacket(alice());
      assert.equal(accept.code, ACCESS_ACCEPT);
      assert.equal(accept.get('Reply-Message'), 'Hello alice');
      assert.equal(accept.get('Session-Timeout'), 3600);
      const [reject] = await c.sendPacket(alice('wrong'));
      assert.equal(reject.code, ACCESS_REJECT);
      const [acct] = await c.sendPacket(start('tcp-1'));
      assert.equal(acct.code, ACCOUNTING_RESPONSE);
      // Many at once share the connection.
      const replies = await Promise.all(Array.from({ length: 50 }, () => c.sendPacket(alice())));
      assert.ok(replies.every(([r]) => r.code === ACCESS_ACCEPT));
      assert.equal(c.statistics.sockets, 1);
    } finally {
      c.close();
    }
  });

  test('TLS client → FreeRADIUS RadSec listener: Accept with reply attributes, accounting, Status-Server', async () => {
    const c = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: tlsPort, transport: 'tls', tls: tls() }],
      timeout: 5,
    });
    try {
      const [accept] = await c.sendPacket(alice());
      assert.equal(accept.code, ACCESS_ACCEPT, fr.log());
      assert.equal(accept.get('Reply-Message'), 'Hello alice');
      const [acct] = await c.sendPacket(start('tls-1'));
      assert.equal(acct.code, ACCOUNTING_RESPONSE);
      const [status] = await c.sendPacket(new StatusServer('unused'));
      assert.equal(status.code, ACCESS_ACCEPT);
      // Many at once share the connection (each in a TLS record of its own: FreeRADIUS reads one
      // packet per record).
      const replies = await Promise.all(Array.from({ length: 50 }, () => c.sendPacket(alice())));
      assert.ok(replies.every(([r]) => r.code === ACCESS_ACCEPT));
      assert.equal(c.statistics.sockets, 1);
    } finally {
      c.close();
    }
  });

  test('TLS client with a CA that did not sign FreeRADIUS’s certificate: RadiusConnectionError', async () => {
    const other = makeCa(dir, 'other-ca');
    const c = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: tlsPort, transport: 'tls', tls: { ...tls(), ca: other.certPem } }],
      timeout: 20,
      retries: 0,
    });
    try {
      await assert.rejects(c.sendPacket(alice()), RadiusConnectionError);
    } finally {
      c.close();
    }
  });

  test('TLS client with a certificate FreeRADIUS does not trust (another CA), TLS 1.3 and 1.2: refused at once', async () => {
    // FreeRADIUS closes without an alert: under TLS 1.3 after the client's handshake is done.
    const other = makeCa(dir, 'fr-foreign-ca');
    const stranger = makeCert(dir, other, 'fr-stranger');
    await assertRefused(tlsPort, { ca: ca.certPem, cert: stranger.certPem, key: stranger.keyPem }, fr.log);
  });

  describe('through radsecproxy (TLS in, UDP out)', { skip: skipUnless('radsecproxy') }, () => {
    let proxy: RadsecproxyPeer;
    let proxyPort: number;

    before(async () => {
      const proxyCert = makeCert(dir, ca, 'radsecproxy');
      [proxyPort] = await freePorts(1, { tcp: true });
      proxy = await startRadsecproxy(
        `ListenTLS 127.0.0.1:${proxyPort}
tls default {
    CACertificateFile ${ca.cert}
    CertificateFile ${proxyCert.cert}
    CertificateKeyFile ${proxyCert.key}
}
client 127.0.0.1 {
    type tls
    secret radsec
}
server freeradius {
    host 127.0.0.1
    port ${fr.authPort}
    type udp
    secret ${SECRET}
    StatusServer off
}
server freeradius-acct {
    host 127.0.0.1
    port ${fr.acctPort}
    type udp
    secret ${SECRET}
    StatusServer off
}
realm * {
    server freeradius
    accountingServer freeradius-acct
}
`,
        { port: proxyPort, proto: 'tcp' },
      );
    });

    after(async () => {
      await proxy?.stop();
    });

    test('TLS client → radsecproxy → FreeRADIUS: Accept with reply attributes, Reject, accounting', async () => {
      const c = new RadiusClient({
        servers: [{ host: '127.0.0.1', port: proxyPort, transport: 'tls', tls: tls() }],
        timeout: 5,
      });
      try {
        const [accept] = await c.sendPacket(alice());
        assert.equal(accept.code, ACCESS_ACCEPT, proxy.output());
        assert.equal(accept.get('Reply-Message'), 'Hello alice');
        assert.equal(accept.get('Session-Timeout'), 3600);
        const [reject] = await c.sendPacket(alice('wrong'));
        assert.equal(reject.code, ACCESS_REJECT);
        const [acct] = await c.sendPacket(start('radsecproxy-1'));
        assert.equal(acct.code, ACCOUNTING_RESPONSE);
        const replies = await Promise.all(Array.from({ length: 50 }, () => c.sendPacket(alice())));
        assert.ok(replies.every(([r]) => r.code === ACCESS_ACCEPT));
        assert.equal(c.statistics.sockets, 1);
      } finally {
        c.close();
      }
    });

    test('a client certificate radsecproxy does not trust (another CA), TLS 1.3 and 1.2: refused at once', async () => {
      // radsecproxy answers with the alert unknown_ca: under TLS 1.3 after the client's handshake.
      const other = makeCa(dir, 'rsp-foreign-ca');
      const stranger = makeCert(dir, other, 'rsp-stranger');
      await assertRefused(
        proxyPort,
        { ca: ca.certPem, cert: stranger.certPem, key: stranger.keyPem },
        proxy.output,
      );
    });

    test('RADIUS/1.1 offered (the default) falls back to RADIUS/TLS; required, the proxy is refused', async () => {
      // The client above offered radius/1.1 and radius/1.0 by ALPN (its default '1.0,1.1'):
      // radsecproxy answers with no ALPN, and historic RADIUS/TLS carried every packet.
      const strict = new RadiusClient({
        servers: [
          { host: '127.0.0.1', port: proxyPort, transport: 'tls', tls: { ...tls(), radiusVersion: '1.1' } },
        ],
        timeout: 5,
        retries: 0,
      });
      try {
        await assert.rejects(strict.sendPacket(alice()), RadiusConnectionError);
      } finally {
        strict.close();
      }
    });
  });
});

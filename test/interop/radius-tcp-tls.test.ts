// RADIUS over TCP and TLS against peers nobody here wrote: `radclient -P tcp` into our TCP listener,
// and radclient → radsecproxy (UDP in, TLS out) → our TLS listener, with certificates the test makes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RadiusClient } from '../../src/client/radius-client.js';
import { ACCESS_ACCEPT, ACCESS_REJECT, AccessRequest } from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { AbstractRadiusServer, type ServerOptions } from '../../src/server/abstract-server.js';
import type { Remote } from '../../src/transport/remote.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import {
  type FreeradiusPeer,
  radclient,
  type RadsecproxyPeer,
  skipUnless,
  startFreeradius,
  startRadsecproxyBridge,
} from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { startTlsRecordRelay, type TlsRecordRelay } from '../helpers/tls-record-relay.js';

const UDP_SECRET = 'testing123';
/** unlang that sends every request to the realm whose home server is our TLS listener. */
const PROXY_TO_US = '\tupdate control {\n\t\tProxy-To-Realm := "aioradius_realm"\n\t}';

class Server extends AbstractRadiusServer {
  remotes: Remote[] = [];
  accounting: string[] = [];
  validateNas(remote: Remote) {
    this.remotes.push(remote);
    // RFC 6614 §2.3: over TLS the secret is 'radsec'; the certificate is what authenticates.
    return remote.transport === 'tls' ? 'radsec' : UDP_SECRET;
  }
  override handleAuthPacket(attributes: AttributesSet) {
    const ok = attributes.get('User-Name') === 'alice' && attributes.get('User-Password') === 'alicepw';
    return ok
      ? ([
          [
            ['Reply-Message', 'Hello, alice'],
            ['Session-Timeout', 3600],
          ],
          ACCESS_ACCEPT,
        ] as const)
      : ([[], ACCESS_REJECT] as const);
  }
  override handleAccPacket(attributes: AttributesSet) {
    this.accounting.push(String(attributes.get('Acct-Session-Id')));
    return [[], null] as const;
  }
}

/** radclient to radsecproxy's UDP side (5 s per try, one try: the proxy waits on its home server). */
function viaProxy(port: number, type: 'auth' | 'acct' | 'status', input: string) {
  return radclient({
    host: '127.0.0.1',
    port,
    type,
    secret: UDP_SECRET,
    input,
    extraArgs: ['-t', '5', '-r', '1'],
  });
}

async function started(options: ServerOptions): Promise<{ server: Server; tcp?: number; tls?: number }> {
  const server = new Server('127.0.0.1', { authPort: 0, accPort: 0, ...options });
  const info = await server.start();
  return { server, tcp: info.tcpPort, tls: info.tlsPort };
}

describe('radclient -P tcp → our RADIUS/TCP listener', { skip: skipUnless('radclient') }, () => {
  test('PAP Accept with reply attributes, Reject, accounting, on one TCP port', async () => {
    const { server, tcp } = await started({ tcp: { port: 0 } });
    try {
      const port = tcp as number;
      const accept = await radclient({
        host: '127.0.0.1',
        port,
        type: 'auth',
        secret: UDP_SECRET,
        input: 'User-Name = "alice", User-Password = "alicepw", Message-Authenticator = 0x00',
        extraArgs: ['-P', 'tcp'],
      });
      assert.equal(accept.replies[0]?.code, 'Access-Accept', accept.stdout + accept.stderr);
      assert.ok(accept.replies[0].attributes.some(([k, v]) => k === 'Reply-Message' && v === 'Hello, alice'));
      const reject = await radclient({
        host: '127.0.0.1',
        port,
        type: 'auth',
        secret: UDP_SECRET,
        input: 'User-Name = "alice", User-Password = "wrong", Message-Authenticator = 0x00',
        extraArgs: ['-P', 'tcp'],
      });
      assert.equal(reject.replies[0]?.code, 'Access-Reject');
      const acct = await radclient({
        host: '127.0.0.1',
        port,
        type: 'acct',
        secret: UDP_SECRET,
        input: 'User-Name = "alice", Acct-Status-Type = Start, Acct-Session-Id = "tcp-s1"',
        extraArgs: ['-P', 'tcp'],
      });
      assert.equal(acct.replies[0]?.code, 'Accounting-Response');
      assert.deepEqual(server.accounting, ['tcp-s1']);
      assert.ok(server.remotes.every((r) => r.transport === 'tcp'));
    } finally {
      await server.close();
    }
  });
});

describe('radclient → radsecproxy (UDP in, TLS out) → our RADIUS/TLS listener', {
  skip: skipUnless('radclient', 'radsecproxy'),
}, () => {
  let dir: string;
  let ca: CertFiles;
  let serverCert: CertFiles;
  let proxyCert: CertFiles;
  let server: Server;
  let proxy: RadsecproxyPeer;
  let udpPort: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-radsec-'));
    ca = makeCa(dir, 'radsec-ca');
    serverCert = makeCert(dir, ca, 'radius-server');
    proxyCert = makeCert(dir, ca, 'radsecproxy');
    const s = await started({
      tls: { port: 0, cert: serverCert.certPem, key: serverCert.keyPem, ca: ca.certPem },
    });
    server = s.server;
    [udpPort] = await freePorts(1);
    proxy = await startRadsecproxyBridge({
      udpPort,
      udpSecret: UDP_SECRET,
      tlsPort: s.tls as number,
      caFile: ca.cert,
      certFile: proxyCert.cert,
      keyFile: proxyCert.key,
      statusServer: true,
    });
  });

  after(async () => {
    await proxy?.stop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('PAP Accept (with our reply attributes) and Reject through the proxy', async () => {
    const accept = await viaProxy(
      udpPort,
      'auth',
      'User-Name = "alice", User-Password = "alicepw", Message-Authenticator = 0x00',
    );
    assert.equal(
      accept.replies[0]?.code,
      'Access-Accept',
      `${accept.stdout}${accept.stderr}\n${proxy.output()}`,
    );
    assert.ok(accept.replies[0].attributes.some(([k, v]) => k === 'Reply-Message' && v === 'Hello, alice'));
    const reject = await viaProxy(
      udpPort,
      'auth',
      'User-Name = "alice", User-Password = "nope", Message-Authenticator = 0x00',
    );
    assert.equal(reject.replies[0]?.code, 'Access-Reject');
    const tlsRemote = server.remotes.find((r) => r.transport === 'tls');
    assert.equal(
      tlsRemote?.peerCertificate?.subject.CN,
      'radsecproxy',
      'the proxy authenticated with its certificate',
    );
    // radsecproxy offers no ALPN: our listener (RADIUS/1.1 allowed by default) falls back.
    assert.equal(tlsRemote?.radiusVersion, '1.0');
  });

  test('accounting through the proxy', async () => {
    const acct = await viaProxy(
      udpPort,
      'acct',
      'User-Name = "alice", Acct-Status-Type = Start, Acct-Session-Id = "radsec-s1"',
    );
    assert.equal(acct.replies[0]?.code, 'Accounting-Response', `${acct.stdout}${acct.stderr}`);
    assert.ok(server.accounting.includes('radsec-s1'));
  });

  test('Status-Server: the proxy answers its client, and its own watchdog (StatusServer on) is answered by us over TLS', async () => {
    const status = await viaProxy(udpPort, 'status', 'Message-Authenticator = 0x00');
    assert.equal(status.replies[0]?.code, 'Access-Accept', `${status.stdout}${status.stderr}`);
    // radsecproxy probes a home server 25 s after its last answer (STATUS_SERVER_PERIOD); it marks
    // the server dead when the probe goes unanswered, so a later request proves the answer counted.
    const deadline = Date.now() + 45_000;
    while (server.counters.statusServer === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    assert.ok(server.counters.statusServer >= 1, `no Status-Server reached us\n${proxy.output()}`);
    const after = await viaProxy(
      udpPort,
      'auth',
      'User-Name = "alice", User-Password = "alicepw", Message-Authenticator = 0x00',
    );
    assert.equal(after.replies[0]?.code, 'Access-Accept');
  });
});

describe('radsecproxy reads replies that share TLS records (our listener with shareRecords)', {
  skip: skipUnless('radsecproxy'),
}, () => {
  let dir: string;
  let server: Server;
  let relay: TlsRecordRelay;
  let proxy: RadsecproxyPeer;
  let udpPort: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-radsec-share-'));
    const ca = makeCa(dir, 'radsec-ca');
    const serverCert = makeCert(dir, ca, 'radius-server');
    const proxyCert = makeCert(dir, ca, 'radsecproxy');
    const s = await started({
      tls: { port: 0, cert: serverCert.certPem, key: serverCert.keyPem, ca: ca.certPem, shareRecords: true },
    });
    server = s.server;
    // The relay between radsecproxy and us counts our TLS records: proof that replies shared them.
    relay = await startTlsRecordRelay(s.tls as number);
    [udpPort] = await freePorts(1);
    proxy = await startRadsecproxyBridge({
      udpPort,
      udpSecret: UDP_SECRET,
      tlsPort: relay.port,
      caFile: ca.cert,
      certFile: proxyCert.cert,
      keyFile: proxyCert.key,
    });
  });

  after(async () => {
    await proxy?.stop();
    await relay?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('200 Access-Requests at once through radsecproxy: every one answered, in fewer records than replies', async () => {
    const client = new RadiusClient({ timeout: 8, retries: 0, maxInFlight: 200, adaptiveWindow: false });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, (_, i) => {
          const req = new AccessRequest(UDP_SECRET);
          req.add('User-Name', 'alice');
          req.add('User-Password', 'alicepw');
          req.add('Acct-Session-Id', `share-${i}`);
          return client.sendPacket(req, { remoteHost: '127.0.0.1', remotePort: udpPort });
        }),
      );
      const codes = results.map((r) => (r.status === 'fulfilled' ? r.value[0].code : String(r.reason)));
      const accepted = codes.filter((c) => c === ACCESS_ACCEPT).length;
      assert.equal(accepted, 200, `${[...new Set(codes)].join(', ')}\n${proxy.output()}`);
      assert.ok(relay.serverRecords() < 200, `${relay.serverRecords()} records for 200 replies`);
    } finally {
      client.close();
    }
  });
});

describe('radclient → FreeRADIUS (a RadSec proxy: home_server over TLS) → our RADIUS/TLS listener', {
  skip: skipUnless('radclient', 'freeradius'),
}, () => {
  let dir: string;
  let server: Server;
  let freeradius: FreeradiusPeer;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-frtls-'));
    const ca = makeCa(dir, 'fr-ca');
    const serverCert = makeCert(dir, ca, 'radius-server');
    const proxyCert = makeCert(dir, ca, 'freeradius-proxy');
    const s = await started({
      tls: { port: 0, cert: serverCert.certPem, key: serverCert.keyPem, ca: ca.certPem },
    });
    server = s.server;
    freeradius = await startFreeradius({
      secret: UDP_SECRET,
      files: { 'ca.pem': ca.certPem, 'proxy.pem': proxyCert.certPem, 'proxy.key': proxyCert.keyPem },
      proxyConf: `proxy server {
	default_fallback = no
}
home_server aioradius {
	ipaddr = 127.0.0.1
	port = ${s.tls}
	type = auth+acct
	proto = tcp
	secret = radsec
	status_check = none
	tls {
		private_key_file = @DIR@/proxy.key
		certificate_file = @DIR@/proxy.pem
		ca_file = @DIR@/ca.pem
		fragment_size = 8192
		check_crl = no
		cipher_list = "DEFAULT"
	}
}
home_server_pool aioradius_pool {
	type = fail-over
	home_server = aioradius
}
realm aioradius_realm {
	auth_pool = aioradius_pool
	acct_pool = aioradius_pool
}
`,
      extraAuthorize: PROXY_TO_US,
      extraPreacct: PROXY_TO_US,
    });
  });

  after(async () => {
    await freeradius?.stop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('PAP Accept with our reply attributes, Reject, and accounting, proxied over TLS', async () => {
    const send = (type: 'auth' | 'acct', input: string) =>
      radclient({
        host: '127.0.0.1',
        port: type === 'auth' ? freeradius.authPort : freeradius.acctPort,
        type,
        secret: UDP_SECRET,
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
      `${accept.stdout}${accept.stderr}\n${freeradius.log()}`,
    );
    assert.ok(accept.replies[0].attributes.some(([k, v]) => k === 'Reply-Message' && v === 'Hello, alice'));
    const reject = await send(
      'auth',
      'User-Name = "alice", User-Password = "nope", Message-Authenticator = 0x00',
    );
    assert.equal(reject.replies[0]?.code, 'Access-Reject');
    const acct = await send(
      'acct',
      'User-Name = "alice", Acct-Status-Type = Start, Acct-Session-Id = "fr-tls-1"',
    );
    assert.equal(
      acct.replies[0]?.code,
      'Accounting-Response',
      `${acct.stdout}${acct.stderr}\n${freeradius.log()}`,
    );
    assert.ok(server.accounting.includes('fr-tls-1'));
    const viaTls = server.remotes.filter((r) => r.transport === 'tls');
    assert.ok(viaTls.length >= 3);
    assert.equal(viaTls[0].peerCertificate?.subject.CN, 'freeradius-proxy');
  });

  test('200 Access-Requests at once, proxied over the one TLS connection: every one answered', async () => {
    // Many replies then leave our listener in one turn of the event loop, and in one TLS record
    // when written together: FreeRADIUS's proxy must read them all, not just the first.
    const client = new RadiusClient({ timeout: 8, retries: 0, maxInFlight: 200, adaptiveWindow: false });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, () => {
          const req = new AccessRequest(UDP_SECRET);
          req.add('User-Name', 'alice');
          req.add('User-Password', 'alicepw');
          return client.sendPacket(req, { remoteHost: '127.0.0.1', remotePort: freeradius.authPort });
        }),
      );
      const codes = results.map((r) => (r.status === 'fulfilled' ? r.value[0].code : String(r.reason)));
      const accepted = codes.filter((c) => c === ACCESS_ACCEPT).length;
      assert.equal(accepted, 200, `${[...new Set(codes)].join(', ')}\n${freeradius.log()}`);
    } finally {
      client.close();
    }
  });
});

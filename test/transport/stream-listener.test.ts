// RADIUS over TCP (RFC 6613) and TLS (RFC 6614) into the server's one request pipeline, driven from
// node:net and node:tls sockets: length framing, the transport and certificate in `Remote`, a
// client certificate from a foreign CA refused.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import {
  ACCESS_ACCEPT,
  ACCOUNTING_RESPONSE,
  AccessRequest,
  AccountingRequest,
  COA_ACK,
  ConfigError,
  CoARequest,
  DISCONNECT_ACK,
  DisconnectRequest,
  DynamicAuthorizationServer,
  RadiusResponseError,
  decodeResponse,
  StatusServer,
} from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { AbstractRadiusServer, type ServerOptions } from '../../src/server/abstract-server.js';
import { PacketFramer } from '../../src/transport/stream-listener.js';
import type { Remote } from '../../src/transport/remote.js';
import { RadiusClient } from '../../src/client/radius-client.js';
import type { Logger } from '../../src/server/logger.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import { startTlsRecordRelay } from '../helpers/tls-record-relay.js';

/** `b` with the bits of its octet at `at` flipped. */
function flipByte(b: Buffer, at: number): Buffer {
  b[at] ^= 1;
  return b;
}

const SECRET = 'radsec';

class Server extends AbstractRadiusServer {
  remotes: Remote[] = [];
  validateNas(remote: Remote) {
    this.remotes.push(remote);
    return SECRET;
  }
  override handleAuthPacket(attributes: AttributesSet) {
    return [[['Reply-Message', `hello ${attributes.get('User-Name')}`]], ACCESS_ACCEPT] as const;
  }
  override handleAccPacket() {
    return [[], null] as const;
  }
}

/** Reads whole RADIUS packets from a stream. */
class StreamReader {
  private readonly framer = new PacketFramer();
  private readonly packets: Buffer[] = [];
  private wake: (() => void) | undefined;
  closed = false;
  constructor(socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.packets.push(...this.framer.push(d));
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }
  async next(ms = 3000): Promise<Buffer | undefined> {
    const deadline = Date.now() + ms;
    while (this.packets.length === 0 && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.packets.shift();
  }
}

async function started(options: ServerOptions): Promise<{ server: Server; tcp?: number; tls?: number }> {
  const server = new Server('127.0.0.1', { authPort: 0, accPort: 0, ...options });
  const info = await server.start();
  return { server, tcp: info.tcpPort, tls: info.tlsPort };
}

describe('PacketFramer (RFC 6613 §2.6.4)', () => {
  test('packets split across chunks and several in one chunk come out whole; a bad length throws', () => {
    const a = new AccessRequest(SECRET).add('User-Name', 'a').encode();
    const b = new AccessRequest(SECRET).add('User-Name', 'bb').encode();
    const f = new PacketFramer();
    const all = Buffer.concat([a, b]);
    assert.deepEqual(f.push(all.subarray(0, 3)), []);
    assert.deepEqual(f.push(all.subarray(3, a.length + 5)), [a]);
    assert.deepEqual(f.push(all.subarray(a.length + 5)), [b]);
    assert.deepEqual(new PacketFramer().push(all), [a, b]);
    const bad = Buffer.from(a);
    bad.writeUInt16BE(19, 2);
    assert.throws(() => new PacketFramer().push(bad), RangeError);
    bad.writeUInt16BE(4097, 2);
    assert.throws(() => new PacketFramer().push(bad), RangeError);
  });
});

describe('RADIUS/TCP listener', () => {
  test('every request the server handles on one port; two packets in one write; Remote says tcp', async () => {
    const { server, tcp } = await started({ tcp: { port: 0 } });
    const socket = net.connect({ host: '127.0.0.1', port: tcp as number });
    await new Promise((r) => socket.once('connect', r));
    const reader = new StreamReader(socket);
    try {
      const auth = new AccessRequest(SECRET).addAttributes(['User-Name', 'alice'], ['User-Password', 'pw']);
      const acct = new AccountingRequest(SECRET, { identifier: 9 }).addAttributes(
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', 'tcp-1'],
      );
      socket.write(Buffer.concat([auth.encode(), acct.encode()]));
      const first = await reader.next();
      const second = await reader.next();
      assert.ok(first && second);
      const replies = [first, second].map((r) =>
        r[1] === auth.identifier && r[0] === ACCESS_ACCEPT
          ? decodeResponse(SECRET, r, auth)
          : decodeResponse(SECRET, r, acct),
      );
      assert.deepEqual(replies.map((r) => r.code).sort(), [ACCESS_ACCEPT, ACCOUNTING_RESPONSE].sort());
      const accept = replies.find((r) => r.code === ACCESS_ACCEPT);
      assert.equal(accept?.get('Reply-Message'), 'hello alice');
      // Status-Server on a stream: Access-Accept (RFC 6614 §2.1 carries every type on one connection).
      const status = new StatusServer(SECRET);
      socket.write(status.encode());
      const sreply = await reader.next();
      assert.ok(sreply);
      assert.equal(decodeResponse(SECRET, sreply, status).code, ACCESS_ACCEPT);
      assert.equal(server.remotes[0].transport, 'tcp');
      assert.equal(server.remotes[0].peerCertificate, undefined);
    } finally {
      socket.destroy();
      await server.close();
    }
  });

  test('lifetime: a connection is ended once it has lived that long, even while busy; idleTimeout when quiet', async () => {
    const { server, tcp } = await started({ tcp: { port: 0, lifetime: 0.3 } });
    try {
      const socket = net.connect({ host: '127.0.0.1', port: tcp as number });
      const reader = new StreamReader(socket);
      await new Promise((r) => socket.once('connect', r));
      const opened = Date.now();
      // Busy: a request every 50 ms, each answered, until the server ends the connection.
      let answered = 0;
      while (!reader.closed && Date.now() - opened < 3000) {
        socket.write(new AccessRequest(SECRET).add('User-Name', 'busy').encode());
        if (await reader.next(1000)) answered++;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(reader.closed, true, 'ended by its lifetime');
      assert.ok(answered >= 1);
    } finally {
      await server.close();
    }
    const quiet = await started({ tcp: { port: 0, idleTimeout: 0.2 } });
    try {
      const socket = net.connect({ host: '127.0.0.1', port: quiet.tcp as number });
      const reader = new StreamReader(socket);
      await new Promise((r) => socket.once('connect', r));
      assert.equal(await reader.next(3000), undefined);
      assert.equal(reader.closed, true, 'ended when idle');
    } finally {
      await quiet.server.close();
    }
  });

  test('lifetime with slow handlers: the connection ends once their replies are out, so no request is handled twice', async () => {
    const handled: string[] = [];
    class Slow extends AbstractRadiusServer {
      validateNas() {
        return SECRET;
      }
      override async handleAccPacket(attributes: AttributesSet) {
        handled.push(String(attributes.get('Acct-Session-Id')));
        await new Promise((r) => setTimeout(r, 400));
        return [[], null] as const;
      }
    }
    const server = new Slow('127.0.0.1', { authPort: 0, accPort: 0, tcp: { port: 0, lifetime: 0.5 } });
    const tcp = (await server.start()).tcpPort as number;
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: tcp, transport: 'tcp', secret: SECRET }],
      timeout: 10,
    });
    try {
      const calls: Array<Promise<unknown>> = [];
      for (let i = 0; i < 12; i++) {
        const acct = new AccountingRequest(SECRET)
          .add('Acct-Status-Type', 'Start')
          .add('Acct-Session-Id', `s${i}`);
        calls.push(client.sendPacket(acct));
        await new Promise((r) => setTimeout(r, 100));
      }
      const replies = await Promise.all(calls);
      assert.equal(replies.length, 12);
      assert.deepEqual([...handled].sort(), [...Array(12).keys()].map((i) => `s${i}`).sort());
    } finally {
      client.close();
      await server.close();
    }
  });

  test('a bad Length closes the connection; the server keeps serving others', async () => {
    const { server, tcp } = await started({ tcp: { port: 0 } });
    try {
      const bad = net.connect({ host: '127.0.0.1', port: tcp as number });
      const badReader = new StreamReader(bad);
      await new Promise((r) => bad.once('connect', r));
      bad.write(Buffer.from([1, 1, 0, 5, 0, 0, 0, 0]));
      assert.equal(await badReader.next(), undefined);
      assert.equal(badReader.closed, true);
      const good = net.connect({ host: '127.0.0.1', port: tcp as number });
      const reader = new StreamReader(good);
      await new Promise((r) => good.once('connect', r));
      good.write(new AccessRequest(SECRET).add('User-Name', 'bob').encode());
      assert.equal((await reader.next())?.[0], ACCESS_ACCEPT);
      good.destroy();
    } finally {
      await server.close();
    }
  });

  test('idleTimeout counts from the last whole request: a peer trickling a byte at a time is closed', async () => {
    const { server, tcp } = await started({ tcp: { port: 0, idleTimeout: 0.3 } });
    const socket = net.connect({ host: '127.0.0.1', port: tcp as number });
    const reader = new StreamReader(socket);
    try {
      await new Promise((r) => socket.once('connect', r));
      const request = new AccessRequest(SECRET).add('User-Name', 'slow').encode();
      // A byte every 100 ms: every byte reset Node's socket timeout, so this was never idle.
      let sent = 0;
      while (!reader.closed && sent < request.length - 1) {
        socket.write(request.subarray(sent, sent + 1));
        sent++;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(reader.closed, true, `closed after ${sent} of ${request.length} bytes`);
    } finally {
      socket.destroy();
      await server.close();
    }
  });

  test("a peer that ignores the server's close loses its place: maxConnectionsPerClient counts it only for a grace period", async () => {
    const { server, tcp } = await started({ tcp: { port: 0, idleTimeout: 0.2, maxConnectionsPerClient: 1 } });
    // Never ends its side: the server's FIN alone left the connection (and the address's one place) held.
    const stubborn = net.connect({ host: '127.0.0.1', port: tcp as number, allowHalfOpen: true });
    const stubbornReader = new StreamReader(stubborn);
    try {
      await new Promise((r) => stubborn.once('connect', r));
      await new Promise((r) => stubborn.once('end', r));
      assert.equal(stubbornReader.closed, false, 'half-closed only');
      // Within the grace (10 s) the place is freed: a new connection is then answered.
      let answered = false;
      for (let i = 0; i < 30 && !answered; i++) {
        const good = net.connect({ host: '127.0.0.1', port: tcp as number });
        const reader = new StreamReader(good);
        await new Promise((r) => good.once('connect', r));
        good.write(new AccessRequest(SECRET).add('User-Name', 'next').encode());
        answered = (await reader.next(500))?.[0] === ACCESS_ACCEPT;
        good.destroy();
        if (!answered) await new Promise((r) => setTimeout(r, 500));
      }
      // The place is freed when the server's socket closes: the stubborn connection is gone there.
      assert.equal(answered, true);
    } finally {
      stubborn.destroy();
      await server.close();
    }
  });
});

describe('RFC 6613 §2.6.4: over a stream, a request that must be discarded ends its connection', () => {
  /** A request whose authenticator verifies, with `mangle` applied to its bytes after signing. */
  const signed = (mangle: (b: Buffer) => Buffer) =>
    mangle(new AccountingRequest(SECRET).add('Acct-Status-Type', 'Start').add('User-Name', 'x').encode());
  const cases: Array<[string, () => Buffer, string?]> = [
    ['a bad Request Authenticator', () => signed((b) => flipByte(b, 4))],
    [
      'a bad Message-Authenticator',
      () => {
        const b = new AccessRequest(SECRET).add('User-Name', 'x').encode();
        b[b.length - 1] ^= 1;
        return b;
      },
    ],
    [
      'an attribute of Length 0',
      () => {
        const b = Buffer.from([4, 7, 0, 24, ...Buffer.alloc(16), 1, 0, 0, 0]);
        return b;
      },
    ],
    [
      'attributes that do not fill the packet',
      () => Buffer.from([1, 8, 0, 25, ...Buffer.alloc(16), 1, 7, 0x61, 0x62, 0x63]),
    ],
    ['an unknown client', () => new AccessRequest('other').add('User-Name', 'x').encode(), 'unknown'],
  ];
  for (const [name, bytes, unknown] of cases) {
    test(`${name}: dropped, and the connection closed; other connections keep being served`, async () => {
      class Picky extends Server {
        override validateNas(remote: Remote) {
          if (unknown) throw new RadiusResponseError('not a client');
          return super.validateNas(remote);
        }
      }
      const server = new Picky('127.0.0.1', { authPort: 0, accPort: 0, tcp: { port: 0 } });
      const tcp = (await server.start()).tcpPort as number;
      server.registerHandleException = () => undefined;
      try {
        const bad = net.connect({ host: '127.0.0.1', port: tcp });
        const badReader = new StreamReader(bad);
        await new Promise((r) => bad.once('connect', r));
        bad.write(bytes());
        assert.equal(await badReader.next(), undefined);
        assert.equal(badReader.closed, true, 'the connection was closed');
        if (!unknown) {
          const good = net.connect({ host: '127.0.0.1', port: tcp });
          const reader = new StreamReader(good);
          await new Promise((r) => good.once('connect', r));
          good.write(new AccessRequest(SECRET).add('User-Name', 'bob').encode());
          assert.equal((await reader.next())?.[0], ACCESS_ACCEPT);
          good.destroy();
        }
      } finally {
        await server.close();
      }
    });
  }
});

describe('RADIUS/TLS listener', () => {
  let dir: string;
  let ca: CertFiles;
  let serverCert: CertFiles;
  let clientCert: CertFiles;
  let foreignClient: CertFiles;
  let foreignCa: CertFiles;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-tls-'));
    ca = makeCa(dir, 'test-ca');
    serverCert = makeCert(dir, ca, 'radius-server');
    clientCert = makeCert(dir, ca, 'nas-one');
    foreignCa = makeCa(dir, 'foreign-ca');
    foreignClient = makeCert(dir, foreignCa, 'intruder');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const tlsOptions = () => ({ port: 0, cert: serverCert.certPem, key: serverCert.keyPem, ca: ca.certPem });

  function connect(port: number, client: CertFiles): tls.TLSSocket {
    return tls.connect({
      host: '127.0.0.1',
      port,
      ca: ca.certPem,
      cert: client.certPem,
      key: client.keyPem,
      servername: 'radius-server',
    });
  }

  test('a client certificate signed by the CA: answered, and validateNas sees the verified certificate', async () => {
    const { server, tls: port } = await started({ tls: tlsOptions() });
    const socket = connect(port as number, clientCert);
    const reader = new StreamReader(socket);
    try {
      await new Promise((r) => socket.once('secureConnect', r));
      const request = new AccessRequest(SECRET).addAttributes(
        ['User-Name', 'alice'],
        ['User-Password', 'pw'],
      );
      socket.write(request.encode());
      const reply = await reader.next();
      assert.ok(reply);
      assert.equal(decodeResponse(SECRET, reply, request).get('Reply-Message'), 'hello alice');
      const remote = server.remotes[0];
      assert.equal(remote.transport, 'tls');
      assert.equal(remote.peerCertificate?.subject.CN, 'nas-one');
    } finally {
      socket.destroy();
      await server.close();
    }
  });

  // 300 requests at once through a relay that counts the server's TLS records: by default each reply
  // is a record of its own (FreeRADIUS 3.2 reads one packet per record); with shareRecords the
  // replies of one turn share records, and our client reads them all.
  for (const shareRecords of [false, true]) {
    test(`300 replies at once: ${shareRecords ? 'shareRecords packs them into fewer records' : 'one TLS record each by default'}`, async () => {
      const { server, tls: port } = await started({ tls: { ...tlsOptions(), shareRecords } });
      const relay = await startTlsRecordRelay(port as number);
      const client = new RadiusClient({
        servers: [
          {
            host: '127.0.0.1',
            port: relay.port,
            transport: 'tls',
            tls: { ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem },
          },
        ],
        timeout: 10,
        retries: 0,
        maxInFlight: 300,
        adaptiveWindow: false,
      });
      try {
        const replies = await Promise.all(
          Array.from({ length: 300 }, (_, i) =>
            client.sendPacket(
              new AccessRequest(SECRET).addAttributes(['User-Name', `u${i}`], ['User-Password', 'pw']),
            ),
          ),
        );
        for (const [i, [reply]] of replies.entries()) assert.equal(reply.get('Reply-Message'), `hello u${i}`);
        const records = relay.serverRecords();
        if (shareRecords) assert.ok(records < 150, `${records} records for 300 replies`);
        else assert.ok(records >= 300, `${records} records for 300 replies`);
      } finally {
        client.close();
        await relay.close();
        await server.close();
      }
    });
  }

  /** A logger keeping each warning's fields and message. */
  function warnLog(): { logger: Logger; warnings: Array<{ fields: Record<string, unknown>; msg: string }> } {
    const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
    const logger: Logger = {
      debug() {},
      info() {},
      error() {},
      warn: (o: object | string, msg?: string) =>
        void warnings.push({ fields: o as Record<string, unknown>, msg: msg ?? '' }),
    };
    return { logger, warnings };
  }

  // Issue 12: a drop is logged with the NAS. Node destroys a socket refused for its certificate
  // before reporting it, so the peer is the one noted when the connection came in.
  for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
    test(`a client certificate from a foreign CA is refused at the handshake (${maxVersion}), and logged with the peer's address and port`, async () => {
      const { logger, warnings } = warnLog();
      const { server, tls: port } = await started({ tls: tlsOptions(), logger });
      const socket = tls.connect({
        host: '127.0.0.1',
        port: port as number,
        ca: ca.certPem,
        cert: foreignClient.certPem,
        key: foreignClient.keyPem,
        servername: 'radius-server',
        maxVersion,
      });
      const localPort = new Promise<number>((r) =>
        socket.once('connect', () => r(socket.localPort as number)),
      );
      const reader = new StreamReader(socket);
      try {
        socket.once('secureConnect', () =>
          socket.write(new AccessRequest(SECRET).add('User-Name', 'x').encode()),
        );
        assert.equal(await reader.next(), undefined, 'no answer');
        assert.equal(reader.closed, true, 'the connection is closed');
        assert.equal(server.remotes.length, 0, 'no request reached validateNas');
        const refused = warnings.filter((w) => w.fields.reason === 'connection_error');
        assert.equal(refused.length, 1, JSON.stringify(warnings));
        const { fields, msg } = refused[0];
        assert.equal(fields.transport, 'tls');
        assert.equal(fields.nas, '127.0.0.1');
        assert.equal(fields.port, await localPort);
        assert.match(String(fields.error), /client certificate refused: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
        assert.equal(msg, 'connection refused or closed (NAS 127.0.0.1)');
      } finally {
        socket.destroy();
        await server.close();
      }
    });
  }

  test('handshakes that never finish: closed after handshakeTimeout, and counted against maxConnectionsPerClient meanwhile', async () => {
    const { logger, warnings } = warnLog();
    const { server, tls: port } = await started({
      tls: { ...tlsOptions(), handshakeTimeout: 400, maxConnectionsPerClient: 3 },
      logger,
    });
    // The first bytes of a ClientHello, then nothing. Node's tls.Server reported the timeout and
    // left the socket open; and only connections past their handshake were counted.
    const hanging: net.Socket[] = [];
    const closed: Array<Promise<void>> = [];
    try {
      for (let i = 0; i < 4; i++) {
        const socket = net.connect({ host: '127.0.0.1', port: port as number });
        socket.on('error', () => {});
        hanging.push(socket);
        closed.push(new Promise((r) => socket.once('close', () => r())));
        await new Promise((r) => {
          socket.once('connect', r);
          socket.once('close', r);
        });
        if (!socket.destroyed) socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x50, 0x01]));
      }
      // The fourth is refused at once, the others closed at the handshake timeout (a bound, not a timing).
      const all = await Promise.race([
        Promise.all(closed).then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 8000)),
      ]);
      assert.equal(all, true, 'every connection closed');
      // Counted (radius_drops_total{reason="connection_error"} in serve's metrics): 3 timeouts, 1 refused.
      assert.ok(server.counters.connectionErrors >= 4, JSON.stringify(server.counters));
      assert.ok(
        warnings.some((w) => /too many connections/.test(String(w.fields.error ?? w.msg))),
        JSON.stringify(warnings),
      );
    } finally {
      for (const s of hanging) s.destroy();
      await server.close();
    }
  });

  test('without ca: refused at start, and with PSK clients only no certificate is trusted (not the public CAs)', async () => {
    const server = new Server('127.0.0.1', {
      authPort: 0,
      accPort: 0,
      tls: { port: 0, cert: serverCert.certPem, key: serverCert.keyPem },
    });
    await assert.rejects(server.start(), (err: unknown) => err instanceof ConfigError && err.field === 'ca');
    await server.close();
    // A CA the process trusts as public (NODE_EXTRA_CA_CERTS is read at start: a child process).
    const script = path.join(dir, 'psk-only.mjs');
    const index = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/index.js');
    writeFileSync(
      script,
      `import { AbstractRadiusServer, ACCESS_ACCEPT } from ${JSON.stringify(index)};
class S extends AbstractRadiusServer {
  validateNas() { return 'radsec'; }
  handleAuthPacket() { return [[], ACCESS_ACCEPT]; }
}
const s = new S('127.0.0.1', { authPort: 0, accPort: 0, tls: { port: 0, cert: process.env.CERT, key: process.env.KEY, psk: { nas: 'aabbccddeeff00112233445566778899' } } });
const info = await s.start();
console.log(info.tlsPort);
process.stdin.resume();
process.stdin.on('end', () => s.close().then(() => process.exit(0)));
`,
    );
    const child = spawn(process.execPath, [script], {
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: foreignCa.cert,
        CERT: serverCert.certPem.toString(),
        KEY: serverCert.keyPem.toString(),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const socket = connect(port, foreignClient);
      socket.on('error', () => {});
      const reader = new StreamReader(socket);
      socket.once('secureConnect', () =>
        socket.write(new AccessRequest(SECRET).add('User-Name', 'x').encode()),
      );
      assert.equal(await reader.next(), undefined, 'a certificate from a "public" CA is not a NAS');
      socket.destroy();
    } finally {
      child.stdin?.end();
      await exited;
    }
  });

  test('no client certificate at all is refused too, and logged with the peer', async () => {
    const { logger, warnings } = warnLog();
    const { server, tls: port } = await started({ tls: tlsOptions(), logger });
    const socket = tls.connect({
      host: '127.0.0.1',
      port: port as number,
      ca: ca.certPem,
      servername: 'radius-server',
    });
    const localPort = new Promise<number>((r) => socket.once('connect', () => r(socket.localPort as number)));
    const reader = new StreamReader(socket);
    try {
      socket.once('secureConnect', () =>
        socket.write(new AccessRequest(SECRET).add('User-Name', 'x').encode()),
      );
      assert.equal(await reader.next(), undefined);
      assert.equal(server.remotes.length, 0);
      const refused = warnings.find((w) => w.fields.reason === 'connection_error');
      assert.ok(refused, JSON.stringify(warnings));
      assert.equal(refused.fields.nas, '127.0.0.1');
      assert.equal(refused.fields.port, await localPort);
      assert.match(refused.msg, /\(NAS 127\.0\.0\.1\)$/);
    } finally {
      socket.destroy();
      await server.close();
    }
  });

  test('CoA and Disconnect over TLS into a DynamicAuthorizationServer (RFC 6614 §2.1)', async () => {
    const seen: Remote[] = [];
    class Nas extends DynamicAuthorizationServer {
      validateNas(remote: Remote) {
        seen.push(remote);
        return SECRET;
      }
      override handleCoaPacket() {
        return [[], COA_ACK] as const;
      }
      override handleDisconnectPacket() {
        return [[], DISCONNECT_ACK] as const;
      }
    }
    const nas = new Nas('127.0.0.1', { port: 0, tls: tlsOptions() });
    const info = await nas.start();
    const socket = connect(info.tlsPort as number, clientCert);
    const reader = new StreamReader(socket);
    try {
      await new Promise((r) => socket.once('secureConnect', r));
      const coa = new CoARequest(SECRET).addAttributes(['User-Name', 'alice'], ['Session-Timeout', 60]);
      socket.write(coa.encode());
      const ack = await reader.next();
      assert.ok(ack);
      assert.equal(decodeResponse(SECRET, ack, coa).code, COA_ACK);
      const disconnect = new DisconnectRequest(SECRET).add('User-Name', 'alice');
      socket.write(disconnect.encode());
      const dack = await reader.next();
      assert.ok(dack);
      assert.equal(decodeResponse(SECRET, dack, disconnect).code, DISCONNECT_ACK);
      assert.equal(seen[0].transport, 'tls');
      assert.equal(seen[0].peerCertificate?.subject.CN, 'nas-one');
    } finally {
      socket.destroy();
      await nas.close();
    }
  });
});

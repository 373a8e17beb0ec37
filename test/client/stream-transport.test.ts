// RadiusClient over TCP (RFC 6613) and TLS (RFC 6614): against our own TCP/TLS listeners and a
// small TCP server that misbehaves on purpose, with certificates the test makes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_REQUEST,
  AccessRequest,
  AccountingRequest,
  COA_ACK,
  CoARequest,
  ConfigError,
  DISCONNECT_ACK,
  DisconnectRequest,
  DynamicAuthorizationServer,
  RadiusClient,
  RadiusConnectionError,
  RadiusTimeoutError,
  STATUS_SERVER,
  StatusServer,
} from '../../src/index.js';
import { sendToDas } from '../../src/dynauth/das-sender.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { REFUSAL_WINDOW_MS } from '../../src/client/stream-connection.js';
import { AbstractRadiusServer, type ServerOptions } from '../../src/server/abstract-server.js';
import type { Remote } from '../../src/transport/remote.js';
import { type CertFiles, makeCa, makeCert, makeExpiredCert } from '../helpers/certs.js';
import { StreamTestServer, waitFor } from './stream-test-server.js';

/** `b` with the bits of its octet at `at` flipped. */
function flipByte(b: Buffer, at: number): Buffer {
  b[at] ^= 1;
  return b;
}

class Server extends AbstractRadiusServer {
  remotes: Remote[] = [];
  accounting: string[] = [];
  validateNas(remote: Remote) {
    this.remotes.push(remote);
    return remote.transport === 'tls' ? 'radsec' : 'tcp-secret';
  }
  override handleAuthPacket(attributes: AttributesSet) {
    return attributes.get('User-Password') === 'pw'
      ? ([[['Reply-Message', `hello ${attributes.get('User-Name')}`]], ACCESS_ACCEPT] as const)
      : ([[], 3] as const);
  }
  override handleAccPacket(attributes: AttributesSet) {
    this.accounting.push(String(attributes.get('Acct-Session-Id')));
    return [[], null] as const;
  }
}

async function started(options: ServerOptions): Promise<{ server: Server; tcp?: number; tls?: number }> {
  const server = new Server('127.0.0.1', { authPort: 0, accPort: 0, ...options });
  const info = await server.start();
  return { server, tcp: info.tcpPort, tls: info.tlsPort };
}

function access(secret: string, user = 'alice', password = 'pw'): AccessRequest {
  return new AccessRequest(secret).addAttributes(['User-Name', user], ['User-Password', password]);
}

describe('RadiusClient over TLS against our RADIUS/TLS listener', () => {
  let dir: string;
  let ca: CertFiles;
  let otherCa: CertFiles;
  let serverCert: CertFiles;
  let clientCert: CertFiles;
  let strangerCert: CertFiles;
  let server: Server;
  let port: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-client-tls-'));
    ca = makeCa(dir, 'client-tls-ca');
    otherCa = makeCa(dir, 'other-ca');
    serverCert = makeCert(dir, ca, 'radius-server');
    clientCert = makeCert(dir, ca, 'nas-one');
    strangerCert = makeCert(dir, otherCa, 'stranger');
    const s = await started({
      tls: { port: 0, cert: serverCert.certPem, key: serverCert.keyPem, ca: ca.certPem },
    });
    server = s.server;
    port = s.tls as number;
  });

  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const tls = () => ({ ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem });

  test('Access-Accept, accounting and Status-Server on one connection, secret radsec by default', async () => {
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port, transport: 'tls', tls: tls() }],
    });
    const before = server.remotes.length;
    try {
      // The packet's own secret is not used: a TLS server without one is 'radsec' (RFC 6614 §2.3).
      const [accept] = await client.sendPacket(access('not-this-one'));
      assert.equal(accept.code, ACCESS_ACCEPT);
      assert.equal(accept.get('Reply-Message'), 'hello alice');
      const acct = new AccountingRequest('x').addAttributes(
        ['User-Name', 'alice'],
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', 'tls-1'],
      );
      const [acctReply] = await client.sendPacket(acct);
      assert.equal(acctReply.codeName, 'Accounting-Response');
      assert.deepEqual(server.accounting, ['tls-1']);
      const [status] = await client.sendPacket(new StatusServer('x'));
      assert.equal(status.code, ACCESS_ACCEPT);
      const seen = server.remotes.slice(before);
      assert.equal(seen.length, 3);
      assert.ok(seen.every((r) => r.transport === 'tls' && r.peerCertificate?.subject.CN === 'nas-one'));
      // One connection carried all three (same source port).
      assert.equal(new Set(seen.map((r) => r.port)).size, 1);
      assert.equal(client.statistics.sockets, 1);
    } finally {
      client.close();
    }
  });

  test('TLS 1.3 and TLS 1.2 both work; minVersion is the caller’s', async () => {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const client = new RadiusClient({
        servers: [
          {
            host: '127.0.0.1',
            port,
            transport: 'tls',
            tls: { ...tls(), minVersion: version, maxVersion: version },
          },
        ],
      });
      try {
        const [accept] = await client.sendPacket(access('radsec'));
        assert.equal(accept.code, ACCESS_ACCEPT, version);
      } finally {
        client.close();
      }
    }
  });

  test('a server certificate the client’s CA did not sign is refused with RadiusConnectionError', async () => {
    const client = new RadiusClient({
      servers: [
        {
          host: '127.0.0.1',
          port,
          transport: 'tls',
          tls: { ca: otherCa.certPem, cert: strangerCert.certPem, key: strangerCert.keyPem },
        },
      ],
      timeout: 20,
      retries: 0,
    });
    try {
      const err = await client.sendPacket(access('radsec')).then(
        () => assert.fail('accepted'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof RadiusConnectionError, String(err));
      assert.equal(err.code, 'ERR_RADIUS_CONNECTION');
      assert.equal(err.transport, 'tls');
      assert.ok(err.cause instanceof Error);
      assert.equal(client.statistics.sockets, 0);
    } finally {
      client.close();
    }
  });

  test('no client certificate: the server’s refusal is a RadiusConnectionError, with TLS 1.2 and 1.3', async () => {
    // With TLS 1.3 the refusal comes as an alert after the client's handshake is done.
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const client = new RadiusClient({
        servers: [
          { host: '127.0.0.1', port, transport: 'tls', tls: { ca: ca.certPem, maxVersion: version } },
        ],
        timeout: 20,
        retries: 0,
      });
      try {
        const err = await client.sendPacket(access('radsec')).then(
          () => assert.fail('accepted'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof RadiusConnectionError, `${version}: ${String(err)}`);
        assert.match(String((err.cause as NodeJS.ErrnoException).code), /^ERR_SSL_/);
      } finally {
        client.close();
      }
    }
  });

  test('a client certificate the server refuses (another CA, expired), TLS 1.3 and 1.2: RadiusConnectionError at once', async () => {
    // Under TLS 1.3 the server judges the client's certificate once the client's handshake is done,
    // and Node's server then only closes: a refusal, not a dropped connection to reconnect to. With
    // the default timers a reconnecting client would give up only at maxDuration (30 s).
    const expired = makeExpiredCert(dir, ca, 'nas-expired');
    for (const cert of [strangerCert, expired]) {
      for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
        const label = `${path.basename(cert.cert)} ${version}`;
        const client = new RadiusClient({
          servers: [
            {
              host: '127.0.0.1',
              port,
              transport: 'tls',
              tls: { ca: ca.certPem, cert: cert.certPem, key: cert.keyPem, maxVersion: version },
            },
          ],
        });
        const t0 = performance.now();
        try {
          const err = await client.sendPacket(access('radsec')).then(
            () => assert.fail(`${label}: accepted`),
            (e: unknown) => e,
          );
          assert.ok(err instanceof RadiusConnectionError, `${label}: ${String(err)}`);
          assert.equal(err.refusedByServer, true, label);
          assert.match(err.message, /refused by the server/, label);
          assert.ok(performance.now() - t0 < 5000, `${label}: ${performance.now() - t0} ms`);
          const stats = client.statistics;
          assert.equal(stats.socketErrors, 1, label);
          assert.equal(stats.timeouts, 0, label);
          assert.equal(stats.sockets, 0, label);
        } finally {
          client.close();
        }
      }
    }
  });

  test('300 calls at once to a server that refuses the client: all fail with the one refused connection', async () => {
    // The window sends 32 on the first connection; the others wait for it. Refused, they fail with
    // it rather than one window per reconnection backoff.
    const client = new RadiusClient({
      servers: [
        {
          host: '127.0.0.1',
          port,
          transport: 'tls',
          tls: { ca: ca.certPem, cert: strangerCert.certPem, key: strangerCert.keyPem },
        },
      ],
    });
    const t0 = performance.now();
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 300 }, (_, i) => client.sendPacket(access('radsec', `b${i}`))),
      );
      assert.ok(
        results.every((r) => r.status === 'rejected' && r.reason instanceof RadiusConnectionError),
        String(results.find((r) => r.status === 'fulfilled' || !(r.reason instanceof RadiusConnectionError))),
      );
      assert.ok(performance.now() - t0 < 5000, `${performance.now() - t0} ms`);
      assert.equal(client.statistics.socketErrors, 1);
      assert.equal(client.statistics.queued, 0);
    } finally {
      client.close();
    }
  });

  test('past the server’s limit of connections per client: the refused connection fails its calls at once', async () => {
    const limited = await started({
      tls: {
        port: 0,
        cert: serverCert.certPem,
        key: serverCert.keyPem,
        ca: ca.certPem,
        maxConnectionsPerClient: 1,
      },
    });
    const config = {
      servers: [{ host: '127.0.0.1', port: limited.tls, transport: 'tls' as const, tls: tls() }],
    };
    const holder = new RadiusClient(config);
    const second = new RadiusClient(config);
    try {
      // The holder's connection stays open (socketIdleTimeout): the server's one for this address.
      assert.equal((await holder.sendPacket(access('radsec')))[0].code, ACCESS_ACCEPT);
      const t0 = performance.now();
      const err = await second.sendPacket(access('radsec')).then(
        () => assert.fail('accepted past the limit'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof RadiusConnectionError, String(err));
      assert.equal(err.refusedByServer, true);
      assert.ok(performance.now() - t0 < 5000, `${performance.now() - t0} ms`);
      assert.equal(second.statistics.socketErrors, 1);
      assert.equal((await holder.sendPacket(access('radsec')))[0].code, ACCESS_ACCEPT);
    } finally {
      holder.close();
      second.close();
      await limited.server.close();
    }
  });

  test('a TLS connection that answered, then drops: not a refusal, its call goes out again on a new one', async () => {
    const peer = await new StreamTestServer(
      'radsec',
      (seen) =>
        seen.connection === 0 && seen.packet.get('User-Name') === 'second'
          ? 'drop'
          : seen.packet.createReply(ACCESS_ACCEPT),
      { cert: serverCert.certPem, key: serverCert.keyPem },
    ).listen();
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: peer.port, transport: 'tls', tls: { ca: ca.certPem } }],
      timeout: 10,
      retries: 0,
    });
    try {
      assert.equal((await client.sendPacket(access('radsec', 'first')))[0].code, ACCESS_ACCEPT);
      assert.equal((await client.sendPacket(access('radsec', 'second')))[0].code, ACCESS_ACCEPT);
      assert.equal(peer.connections, 2);
      assert.deepEqual(
        peer.seen.map((s) => [s.connection, s.packet.get('User-Name')]),
        [
          [0, 'first'],
          [0, 'second'],
          [1, 'second'],
        ],
      );
    } finally {
      client.close();
      await peer.close();
    }
  });

  test('a TLS connection dropped unanswered, but not right after the handshake: resent on a new one', async () => {
    const peer = await new StreamTestServer(
      'radsec',
      (seen, srv) => {
        if (seen.connection > 0) return seen.packet.createReply(ACCESS_ACCEPT);
        const socket = srv.sockets[0];
        setTimeout(() => socket.destroy(), REFUSAL_WINDOW_MS + 500);
        return null;
      },
      { cert: serverCert.certPem, key: serverCert.keyPem },
    ).listen();
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: peer.port, transport: 'tls', tls: { ca: ca.certPem } }],
      timeout: 10,
      retries: 0,
    });
    try {
      assert.equal((await client.sendPacket(access('radsec')))[0].code, ACCESS_ACCEPT);
      assert.equal(peer.connections, 2);
    } finally {
      client.close();
      await peer.close();
    }
  });

  test('a host name that is not in the certificate is refused', async () => {
    const client = new RadiusClient({
      servers: [
        { host: '127.0.0.1', port, transport: 'tls', tls: { ...tls(), servername: 'elsewhere.example' } },
      ],
      timeout: 20,
      retries: 0,
    });
    try {
      await assert.rejects(client.sendPacket(access('radsec')), RadiusConnectionError);
    } finally {
      client.close();
    }
  });

  test('CoA and Disconnect over TLS to a DynamicAuthorizationServer (sendToDas with transport tls)', async () => {
    const seen: Remote[] = [];
    class Nas extends DynamicAuthorizationServer {
      validateNas(remote: Remote) {
        seen.push(remote);
        return 'radsec';
      }
      override handleCoaPacket() {
        return [[], COA_ACK] as const;
      }
      override handleDisconnectPacket() {
        return [[], DISCONNECT_ACK] as const;
      }
    }
    const nasCert = makeCert(dir, ca, 'nas-das');
    const nas = new Nas('127.0.0.1', {
      port: 0,
      tls: { port: 0, cert: nasCert.certPem, key: nasCert.keyPem, ca: ca.certPem },
    });
    const info = await nas.start();
    try {
      const coa = new CoARequest('radsec').addAttributes(['User-Name', 'alice'], ['Session-Timeout', 60]);
      const [ack] = await sendToDas(coa, '127.0.0.1', info.tlsPort, { transport: 'tls', tls: tls() });
      assert.equal(ack.code, COA_ACK);
      const disconnect = new DisconnectRequest('radsec').add('User-Name', 'alice');
      const [dack] = await sendToDas(disconnect, '127.0.0.1', info.tlsPort, { transport: 'tls', tls: tls() });
      assert.equal(dack.code, DISCONNECT_ACK);
      assert.equal(seen.length, 2);
      assert.ok(seen.every((r) => r.transport === 'tls' && r.peerCertificate?.subject.CN === 'nas-one'));
    } finally {
      await nas.close();
    }
  });
});

describe('RadiusClient stream configuration', () => {
  test('TLS defaults to port 2083 for every packet type; TCP keeps the per-type ports', () => {
    const client = new RadiusClient({
      servers: [
        { name: 'tls', host: '127.0.0.1', transport: 'tls' },
        { name: 'tcp', host: '127.0.0.1', transport: 'tcp', secret: 's' },
        { name: 'tcp-one', host: '127.0.0.1', transport: 'tcp', secret: 's', port: 1900 },
      ],
    });
    try {
      const ports = (name: string) =>
        client
          .serverStatus()
          .filter((s) => s.name === name)
          .map((s) => s.port);
      assert.deepEqual(ports('tls'), [2083, 2083, 2083]);
      assert.deepEqual(ports('tcp'), [1812, 1813, 3799]);
      assert.deepEqual(ports('tcp-one'), [1900, 1900, 1900]);
    } finally {
      client.close();
    }
  });

  test('bad transport settings are ConfigErrors naming the field', () => {
    assert.throws(
      () => new RadiusClient({ servers: [{ host: '127.0.0.1', transport: 'sctp' as 'tcp' }] }),
      (e: Error) => e instanceof ConfigError && e.field === 'servers[0].transport',
    );
    assert.throws(
      () => new RadiusClient({ servers: [{ host: '127.0.0.1', tls: {} }] }),
      (e: Error) => e instanceof ConfigError && e.field === 'servers[0].tls',
    );
    assert.throws(
      () => new RadiusClient({ watchdogInterval: -1 }),
      (e: Error) => e instanceof ConfigError && e.field === 'watchdogInterval',
    );
  });
});

describe('RadiusClient over TCP', () => {
  test('Access-Accept and accounting from our RADIUS/TCP listener', async () => {
    const { server, tcp } = await started({ tcp: { port: 0 } });
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: tcp, transport: 'tcp', secret: 'tcp-secret' }],
    });
    try {
      const [accept] = await client.sendPacket(access('x'));
      assert.equal(accept.get('Reply-Message'), 'hello alice');
      const [reject] = await client.sendPacket(access('x', 'alice', 'wrong'));
      assert.equal(reject.codeName, 'Access-Reject');
      const acct = new AccountingRequest('x').addAttributes(
        ['Acct-Status-Type', 'Stop'],
        ['Acct-Session-Id', 't1'],
      );
      await client.sendPacket(acct);
      assert.deepEqual(server.accounting, ['t1']);
      assert.ok(server.remotes.every((r) => r.transport === 'tcp'));
      assert.equal(new Set(server.remotes.map((r) => r.port)).size, 1);
    } finally {
      client.close();
      await server.close();
    }
  });

  test('no retransmission on a live connection: one transmission, then RadiusTimeoutError', async () => {
    const peer = await new StreamTestServer('s', () => null).listen();
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: peer.port, transport: 'tcp', secret: 's' }],
      timeout: 0.1,
      retries: 3,
      maxTimeout: 0.2,
    });
    try {
      const err = await client.sendPacket(access('s')).then(
        () => assert.fail('answered'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof RadiusTimeoutError, String(err));
      assert.equal(err.attempts, 1);
      assert.equal(peer.seen.length, 1);
      assert.equal(client.statistics.retransmissions, 0);
      assert.equal(client.statistics.noResponses, 1);
    } finally {
      client.close();
      await peer.close();
    }
  });

  test('RFC 6613 §2.6.4: a reply that does not verify, or does not parse, ends the connection; the call goes out again on a new one', async () => {
    for (const [name, spoil] of [
      ['a bad Response Authenticator', (b: Buffer) => flipByte(b, 4)],
      // An attribute of Length 0 after the header (Length fixed up, the authenticator then wrong too).
      ['an attribute of Length 0', (b: Buffer) => Buffer.concat([b, Buffer.from([18, 0])])],
    ] as const) {
      // The first connection's replies are spoiled; later ones are good.
      const peer = await new StreamTestServer('s', (seen) => {
        const reply = seen.packet.createReply(ACCESS_ACCEPT).encode();
        if (seen.connection > 0) return reply;
        const bad = spoil(Buffer.from(reply));
        bad.writeUInt16BE(bad.length, 2);
        return bad;
      }).listen();
      const client = new RadiusClient({
        servers: [{ host: '127.0.0.1', port: peer.port, transport: 'tcp', secret: 's' }],
        timeout: 30,
        retries: 0,
      });
      try {
        const [reply] = await client.sendPacket(access('s'));
        assert.equal(reply.code, ACCESS_ACCEPT, name);
        assert.equal(peer.connections, 2, name);
        assert.equal(client.statistics.invalidResponses, 1, name);
      } finally {
        client.close();
        await peer.close();
      }
    }
  });

  test('a dropped connection: the requests in flight go out again on a new one', async () => {
    // The first connection is dropped on its first request; later ones are answered.
    const peer = await new StreamTestServer('s', (seen) =>
      seen.connection === 0 ? 'drop' : seen.packet.createReply(ACCESS_ACCEPT),
    ).listen();
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: peer.port, transport: 'tcp', secret: 's' }],
      timeout: 10,
      retries: 0,
    });
    try {
      const [reply] = await client.sendPacket(access('s'));
      assert.equal(reply.code, ACCESS_ACCEPT);
      assert.equal(peer.connections, 2);
      assert.equal(peer.seen.length, 2);
      assert.ok(peer.seen.every((s) => s.packet.code === ACCESS_REQUEST));
    } finally {
      client.close();
      await peer.close();
    }
  });

  test('a server that keeps dropping: backoff between connections, then RadiusTimeoutError', async () => {
    const peer = await new StreamTestServer('s', () => 'drop').listen();
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: peer.port, transport: 'tcp', secret: 's' }],
      timeout: 1,
      retries: 0,
    });
    try {
      await assert.rejects(client.sendPacket(access('s')), RadiusTimeoutError);
      // Without backoff a second would hold hundreds of reconnections; with it (0.1, 0.2, 0.4 s...) a few.
      assert.ok(peer.connections >= 2 && peer.connections <= 6, `${peer.connections} connections`);
    } finally {
      client.close();
      await peer.close();
    }
  });

  test('resending on new connections counts as retransmissions: retries 2 sends a request three times, then RadiusTimeoutError', async () => {
    const peer = await new StreamTestServer('s', () => 'drop').listen();
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: peer.port, transport: 'tcp', secret: 's' }],
      timeout: 30,
      retries: 2,
      maxDuration: 10,
    });
    try {
      const refused = await client.sendPacket(access('s')).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(refused instanceof RadiusTimeoutError, String(refused));
      assert.equal(refused.attempts, 3);
      assert.equal(peer.seen.length, 3, `${peer.seen.length} transmissions`);
    } finally {
      client.close();
      await peer.close();
    }
  });

  test('connection refused: RadiusConnectionError at once, not a timeout', async () => {
    const peer = await new StreamTestServer('s').listen();
    const port = peer.port;
    await peer.close();
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port, transport: 'tcp', secret: 's' }],
      timeout: 20,
    });
    try {
      const err = await client.sendPacket(access('s')).then(
        () => assert.fail('answered'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof RadiusConnectionError, String(err));
      assert.equal((err.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
      assert.equal(err.refusedByServer, false);
      // A burst: the calls waiting behind the window fail with the connection, not one window per
      // reconnection backoff.
      const t0 = performance.now();
      const burst = await Promise.allSettled(
        Array.from({ length: 300 }, () => client.sendPacket(access('s'))),
      );
      assert.ok(burst.every((r) => r.status === 'rejected' && r.reason instanceof RadiusConnectionError));
      assert.ok(performance.now() - t0 < 5000, `${performance.now() - t0} ms`);
    } finally {
      client.close();
    }
  });

  test('a pool server that refuses connections: the request moves to the next server', async () => {
    const gone = await new StreamTestServer('s').listen();
    const gonePort = gone.port;
    await gone.close();
    const peer = await new StreamTestServer('s').listen();
    const client = new RadiusClient({
      servers: [
        { host: '127.0.0.1', port: gonePort, transport: 'tcp', secret: 's' },
        { host: '127.0.0.1', port: peer.port, transport: 'tcp', secret: 's' },
      ],
    });
    try {
      const [reply] = await client.sendPacket(access('s'));
      assert.equal(reply.code, ACCESS_ACCEPT);
      assert.equal(client.statistics.failovers, 1);
    } finally {
      client.close();
      await peer.close();
    }
  });

  test('Status-Server watchdog: an unanswering connection is dropped and its request resent', async () => {
    // The first connection never answers anything; the second answers.
    const peer = await new StreamTestServer('s', (seen) =>
      seen.connection === 0 ? null : seen.packet.createReply(ACCESS_ACCEPT),
    ).listen();
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: peer.port, transport: 'tcp', secret: 's' }],
      timeout: 30,
      retries: 0,
      watchdogInterval: 0.1,
    });
    try {
      const [reply] = await client.sendPacket(access('s'));
      assert.equal(reply.code, ACCESS_ACCEPT);
      const first = peer.seen.filter((s) => s.connection === 0).map((s) => s.packet.code);
      assert.equal(first[0], ACCESS_REQUEST);
      assert.ok(first.includes(STATUS_SERVER), `first connection saw ${first}`);
      assert.equal(peer.connections, 2);
    } finally {
      client.close();
      await peer.close();
    }
  });

  test('an idle connection answers the watchdog and stays; it closes after socketIdleTimeout', async () => {
    const peer = await new StreamTestServer('s').listen();
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: peer.port, transport: 'tcp', secret: 's' }],
      watchdogInterval: 0.05,
      socketIdleTimeout: 0.6,
    });
    try {
      await client.sendPacket(access('s'));
      assert.ok(await waitFor(() => peer.seen.some((s) => s.packet.code === STATUS_SERVER)));
      assert.equal(client.statistics.sockets, 1);
      // Watchdogs do not keep it busy: the idle timeout still closes it.
      assert.ok(await waitFor(() => client.statistics.sockets === 0, 5000));
      assert.equal(peer.connections, 1);
    } finally {
      client.close();
      await peer.close();
    }
  });

  test('more than 256 requests in flight open a second connection (identifiers per connection)', async () => {
    const held: (() => void)[] = [];
    const peer = await new StreamTestServer('s', (seen, srv) => {
      const reply = seen.packet.createReply(ACCESS_ACCEPT).encode();
      const socket = srv.sockets[seen.connection];
      held.push(() => socket.write(reply));
      if (held.length === 300) for (const f of held.splice(0)) f();
      return null;
    }).listen();
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: peer.port, transport: 'tcp', secret: 's' }],
      maxInFlight: 300,
      adaptiveWindow: false,
      timeout: 20,
    });
    try {
      const replies = await Promise.all(
        Array.from({ length: 300 }, (_, i) => client.sendPacket(access('s', `u${i}`))),
      );
      assert.equal(replies.length, 300);
      assert.ok(replies.every(([r]) => r.code === ACCESS_ACCEPT));
      assert.equal(peer.connections, 2);
    } finally {
      client.close();
      await peer.close();
    }
  });

  test('maxSockets bounds the connections: the others wait for a free identifier', async () => {
    const held: (() => void)[] = [];
    const peer = await new StreamTestServer('s', (seen, srv) => {
      const reply = seen.packet.createReply(ACCESS_ACCEPT).encode();
      const socket = srv.sockets[seen.connection];
      held.push(() => socket.write(reply));
      if (held.length === 256) for (const f of held.splice(0)) f();
      return null;
    }).listen();
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: peer.port, transport: 'tcp', secret: 's' }],
      maxInFlight: 1000,
      adaptiveWindow: false,
      maxSockets: 1,
      timeout: 20,
    });
    try {
      const replies = await Promise.all(
        Array.from({ length: 512 }, (_, i) => client.sendPacket(access('s', `u${i}`))),
      );
      assert.equal(replies.length, 512);
      assert.equal(peer.connections, 1);
    } finally {
      client.close();
      await peer.close();
    }
  });
});

// RADIUS/1.1 (RFC 9765) and TLS-PSK: the packet format with a Token (codec), ALPN negotiation
// between our client and our server in every combination of settings, what travels on the wire,
// CoA over RADIUS/1.1, and pre-shared keys instead of certificates.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import {
  ACCESS_ACCEPT,
  ACCESS_REQUEST,
  AccessRequest,
  AccountingRequest,
  COA_ACK,
  CoARequest,
  DynamicAuthorizationServer,
  decodeRequest,
  decodeResponse,
  MalformedPacketError,
  RadiusClient,
  RadiusConnectionError,
  type RadiusVersion,
  StatusServer,
  sendToDas,
} from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import type { Packet } from '../../src/protocol/packet.js';
import { AbstractRadiusServer, type ServerOptions } from '../../src/server/abstract-server.js';
import type { Remote } from '../../src/transport/remote.js';
import { radsecConnectOptions } from '../../src/client/stream-connection.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';

describe('RADIUS/1.1 packet format (RFC 9765 §4-5)', () => {
  test('a request with a Token: Reserved-1 and Reserved-2 zero, nothing hidden, no Message-Authenticator', () => {
    const req = new AccessRequest('unused', { token: 0xdeadbeef });
    req.add('User-Name', 'alice');
    req.add('User-Password', 'secret-pw');
    const bytes = req.encode();
    assert.equal(bytes[0], ACCESS_REQUEST);
    assert.equal(bytes[1], 0);
    assert.equal(bytes.readUInt16BE(2), bytes.length);
    assert.equal(bytes.readUInt32BE(4), 0xdeadbeef);
    assert.deepEqual(bytes.subarray(8, 20), Buffer.alloc(12));
    // User-Name then User-Password as a plain string (§5.1.1); no attribute 80 (§5.2).
    assert.deepEqual(
      bytes.subarray(20),
      Buffer.concat([
        Buffer.from([1, 7]),
        Buffer.from('alice'),
        Buffer.from([2, 11]),
        Buffer.from('secret-pw'),
      ]),
    );
    const back = decodeRequest('anything', bytes, { radius11: true });
    assert.equal(back.token, 0xdeadbeef);
    assert.equal(back.get('User-Password'), 'secret-pw');
  });

  test('a reply takes the Token; Tunnel-Password and MS-MPPE keys travel as their plain types', () => {
    const req = decodeRequest('s', new AccessRequest('s', { token: 7 }).add('User-Name', 'bob').encode(), {
      radius11: true,
    });
    const reply = req.createReply(ACCESS_ACCEPT, [
      ['Tunnel-Password:1', 'tunnel-pw'],
      ['MS-MPPE-Send-Key', Buffer.alloc(32, 0xab)],
    ]);
    const bytes = reply.encode();
    assert.equal(bytes.readUInt32BE(4), 7);
    assert.equal(bytes[1], 0);
    // Tag 1 and the text, no salt (§5.1.3).
    assert.ok(bytes.includes(Buffer.concat([Buffer.from([69, 12, 1]), Buffer.from('tunnel-pw')])));
    assert.ok(bytes.includes(Buffer.alloc(32, 0xab)), 'MPPE key in clear (§5.1.4)');
    const decoded = decodeResponse('other secret', bytes, req);
    assert.equal(decoded.get('Tunnel-Password'), 'tunnel-pw');
    assert.deepEqual(decoded.get('MS-MPPE-Send-Key'), Buffer.alloc(32, 0xab));
  });

  test('a reply with another Token is refused; a Message-Authenticator received is discarded', () => {
    const req = new AccessRequest('s', { token: 1 });
    req.encode();
    const reply = new AccessRequest('s', { token: 2 }).encode();
    reply[0] = ACCESS_ACCEPT;
    assert.throws(() => decodeResponse('s', reply, req), MalformedPacketError);
    // A request carrying attribute 80 anyway: processed, the attribute dropped unread.
    const withMa = Buffer.concat([
      new AccessRequest('s', { token: 3 }).add('User-Name', 'x').encode(),
      Buffer.from([80, 18, ...Buffer.alloc(16, 9)]),
    ]);
    withMa.writeUInt16BE(withMa.length, 2);
    const got = decodeRequest('s', withMa, { radius11: true });
    assert.equal(got.get('User-Name'), 'x');
    assert.equal(got.get('Message-Authenticator'), undefined);
  });
});

class Server extends AbstractRadiusServer {
  remotes: Remote[] = [];
  raw: Buffer[] = [];
  validateNas(remote: Remote) {
    this.remotes.push(remote);
    return 'radsec';
  }
  override handleAuthPacket(attributes: AttributesSet, context?: { packet: Packet }) {
    if (context?.packet.raw) this.raw.push(context.packet.raw);
    const ok = attributes.get('User-Password') === 'pw';
    return [
      [
        ['Reply-Message', `hi ${attributes.get('User-Name')}`],
        ['Tunnel-Password:2', 'tp'],
      ],
      ok ? ACCESS_ACCEPT : 3,
    ] as const;
  }
  override handleAccPacket() {
    return [[], null] as const;
  }
}

describe('RADIUS/1.1 and TLS-PSK between our client and our server', () => {
  let dir: string;
  let ca: CertFiles;
  let serverCert: CertFiles;
  let clientCert: CertFiles;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-r11-'));
    ca = makeCa(dir, 'ca');
    serverCert = makeCert(dir, ca, 'server');
    clientCert = makeCert(dir, ca, 'client');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function serve(tlsExtra: Record<string, unknown> = {}, options: ServerOptions = {}) {
    const server = new Server('127.0.0.1', {
      tls: { port: 0, cert: serverCert.certPem, key: serverCert.keyPem, ca: ca.certPem, ...tlsExtra },
      ...options,
    });
    const info = await server.start();
    return { server, port: info.tlsPort as number };
  }

  function client(port: number, tlsExtra: Record<string, unknown> = {}): RadiusClient {
    return new RadiusClient({
      servers: [
        {
          host: '127.0.0.1',
          port,
          transport: 'tls',
          tls: { ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem, ...tlsExtra },
        },
      ],
      timeout: 2,
      retries: 0,
      watchdogInterval: 0,
    });
  }

  async function login(c: RadiusClient, password = 'pw'): Promise<Packet> {
    const req = new AccessRequest('radsec').add('User-Name', 'alice').add('User-Password', password);
    const [reply] = await c.sendPacket(req, { timeout: 3, retries: 0 });
    return reply;
  }

  test('both on the default setting: RADIUS/1.1, Token on the wire, password in clear inside TLS', async () => {
    const { server, port } = await serve();
    const c = client(port);
    try {
      const reply = await login(c);
      assert.equal(reply.code, ACCESS_ACCEPT);
      assert.equal(reply.get('Reply-Message'), 'hi alice');
      assert.equal(reply.get('Tunnel-Password'), 'tp');
      assert.equal(reply.token !== undefined, true, 'the reply was read as RADIUS/1.1');
      assert.equal(server.remotes.at(-1)?.radiusVersion, '1.1');
      const raw = server.raw.at(-1) as Buffer;
      assert.equal(raw[1], 0, 'Reserved-1');
      assert.deepEqual(raw.subarray(8, 20), Buffer.alloc(12), 'Reserved-2');
      assert.ok(raw.includes(Buffer.from([2, 4, 0x70, 0x77])), 'User-Password "pw" as a plain string');
      assert.ok(!raw.includes(Buffer.from([80, 18])), 'no Message-Authenticator');
      // Many at once on one connection: each reply finds its request by Token.
      const replies = await Promise.all(
        Array.from({ length: 300 }, (_, i) => login(c, i % 2 === 0 ? 'pw' : 'bad')),
      );
      for (const [i, r] of replies.entries()) assert.equal(r.code, i % 2 === 0 ? ACCESS_ACCEPT : 3);
      // Accounting and Status-Server too (Status-Server without Message-Authenticator, §5.2).
      const [acct] = await c.sendPacket(
        new AccountingRequest('radsec').add('Acct-Status-Type', 'Start').add('Acct-Session-Id', 's1'),
      );
      assert.equal(acct.codeName, 'Accounting-Response');
      const [status] = await c.sendPacket(new StatusServer('radsec'));
      assert.equal(status.code, ACCESS_ACCEPT);
      assert.notEqual(status.token, undefined);
    } finally {
      c.close();
      await server.close();
    }
  });

  const fallbacks: Array<[RadiusVersion, RadiusVersion, '1.0' | '1.1' | 'refused']> = [
    ['1.0', '1.0,1.1', '1.0'],
    ['1.0,1.1', '1.0', '1.0'],
    ['1.1', '1.1', '1.1'],
    ['1.1', '1.0,1.1', '1.1'],
    ['1.1', '1.0', 'refused'],
    ['1.0', '1.1', 'refused'],
  ];
  for (const [clientVersion, serverVersion, outcome] of fallbacks) {
    test(`client ${clientVersion} x server ${serverVersion}: ${outcome}`, async () => {
      const { server, port } = await serve({ radiusVersion: serverVersion });
      const c = client(port, { radiusVersion: clientVersion });
      try {
        if (outcome === 'refused') {
          await assert.rejects(login(c), RadiusConnectionError);
          return;
        }
        const reply = await login(c);
        assert.equal(reply.code, ACCESS_ACCEPT);
        assert.equal(reply.get('Tunnel-Password'), 'tp');
        assert.equal(server.remotes.at(-1)?.radiusVersion, outcome);
        assert.equal(reply.token === undefined, outcome === '1.0');
      } finally {
        c.close();
        await server.close();
      }
    });
  }

  test('a client offering no ALPN speaks historic RADIUS/TLS; a server set to 1.1 closes on it', async () => {
    const { server, port } = await serve();
    const c = client(port, { ALPNProtocols: [] });
    try {
      assert.equal((await login(c)).code, ACCESS_ACCEPT);
      assert.equal(server.remotes.at(-1)?.radiusVersion, '1.0');
    } finally {
      c.close();
      await server.close();
    }
    // RFC 9765 §3.3: a server that requires RADIUS/1.1 closes a connection that did not ask for it.
    const strict = await serve({ radiusVersion: '1.1' });
    try {
      const socket = await connected(
        tls.connect({
          host: '127.0.0.1',
          port: strict.port,
          ca: ca.certPem,
          cert: clientCert.certPem,
          key: clientCert.keyPem,
          checkServerIdentity: () => undefined,
        }),
      );
      socket.on('error', () => {});
      const received: Buffer[] = [];
      socket.on('data', (d: Buffer) => received.push(d));
      socket.write(new AccessRequest('radsec').add('User-Name', 'a').add('User-Password', 'pw').encode());
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
      assert.equal(received.length, 0);
      assert.equal(strict.server.remotes.length, 0);
    } finally {
      await strict.server.close();
    }
  });

  test('RADIUS/1.1 needs TLS 1.3: over TLS 1.2 the server picks radius/1.0, and refuses a client set to 1.1', async () => {
    const { server, port } = await serve({ maxVersion: 'TLSv1.2', radiusVersion: '1.0,1.1' });
    const either = client(port, { radiusVersion: '1.0,1.1' });
    const only11 = client(port, { radiusVersion: '1.1' });
    try {
      const reply = await login(either);
      assert.equal(reply.code, ACCESS_ACCEPT);
      assert.equal(reply.token, undefined);
      assert.equal(server.remotes.at(-1)?.radiusVersion, '1.0');
      const seen = server.remotes.length;
      await assert.rejects(login(only11), RadiusConnectionError);
      assert.equal(server.remotes.length, seen);
    } finally {
      either.close();
      only11.close();
      await server.close();
    }
  });

  test('a session does not resume, so RADIUS/1.1 cannot be downgraded on resumption (§3.5)', async () => {
    const { server, port } = await serve();
    const base = {
      host: '127.0.0.1',
      port,
      ca: ca.certPem,
      cert: clientCert.certPem,
      key: clientCert.keyPem,
      ALPNProtocols: ['radius/1.1'],
      checkServerIdentity: () => undefined,
    };
    try {
      const first = await connected(tls.connect(base));
      const session = await new Promise<Buffer | undefined>((resolve) => {
        first.once('session', (s: Buffer) => resolve(s));
        first.write(new AccessRequest('radsec', { token: 1 }).add('User-Name', 'a').encode());
        setTimeout(() => resolve(undefined), 500);
      });
      first.destroy();
      const second = await connected(tls.connect({ ...base, session, ALPNProtocols: [] }));
      assert.equal(second.isSessionReused(), false);
      second.destroy();
    } finally {
      await server.close();
    }
  });

  test('CoA over RADIUS/1.1: sendToDas to a DynamicAuthorizationServer over TLS', async () => {
    const seen: Remote[] = [];
    const das = new (class extends DynamicAuthorizationServer {
      validateNas(remote: Remote) {
        seen.push(remote);
        return 'radsec';
      }
      override handleCoaPacket() {
        return [[], COA_ACK] as const;
      }
    })('127.0.0.1', {
      port: 0,
      tls: { port: 0, cert: serverCert.certPem, key: serverCert.keyPem, ca: ca.certPem },
    });
    const info = await das.start();
    try {
      const coa = new CoARequest('radsec').add('User-Name', 'alice').add('Acct-Session-Id', 'x1');
      const [reply] = await sendToDas(coa, '127.0.0.1', info.tlsPort, {
        transport: 'tls',
        tls: { ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem },
        timeout: 2,
        retries: 0,
      });
      assert.equal(reply.code, COA_ACK);
      assert.notEqual(reply.token, undefined, 'the ACK was read as RADIUS/1.1');
      assert.equal(seen[0].radiusVersion, '1.1');
    } finally {
      await das.close();
    }
  });

  test('TLS-PSK: no certificates, the identity reaches validateNas; a wrong key is refused', async () => {
    const key = Buffer.alloc(32, 0x5a);
    const { server, port } = await serve({
      cert: undefined,
      key: undefined,
      ca: undefined,
      psk: { nas1: key },
    });
    const good = new RadiusClient({
      servers: [{ host: '127.0.0.1', port, transport: 'tls', tls: { psk: { identity: 'nas1', key } } }],
      timeout: 2,
      retries: 0,
      watchdogInterval: 0,
    });
    const bad = new RadiusClient({
      servers: [
        {
          host: '127.0.0.1',
          port,
          transport: 'tls',
          tls: { psk: { identity: 'nas1', key: Buffer.alloc(32, 0x5b).toString('hex') } },
        },
      ],
      timeout: 2,
      retries: 0,
      watchdogInterval: 0,
    });
    try {
      assert.equal((await login(good)).code, ACCESS_ACCEPT);
      assert.equal(server.remotes.at(-1)?.pskIdentity, 'nas1');
      assert.equal(server.remotes.at(-1)?.peerCertificate, undefined);
      assert.equal(server.remotes.at(-1)?.radiusVersion, '1.1');
      const before = server.remotes.length;
      await assert.rejects(login(bad), RadiusConnectionError);
      assert.equal(server.remotes.length, before);
    } finally {
      good.close();
      bad.close();
      await server.close();
    }
  });

  // RFC 9813 / RFC 6614 §2.3: TLS-PSK over TLS 1.2 needs PSK cipher suites on both sides (Node's
  // default list has none): the listener adds them when given `psk`, the client when given its PSK.
  for (const withCertificate of [false, true]) {
    test(`TLS-PSK over TLS 1.2 ${withCertificate ? 'into a listener that also has a certificate' : 'without certificates'}: an ECDHE-PSK suite, the identity in Remote; wrong keys refused`, async () => {
      const key = Buffer.alloc(32, 0x6c);
      const psk = { psk: { nas12: key } };
      const certless = { cert: undefined, key: undefined, ca: undefined };
      const servers = [
        await serve(withCertificate ? psk : { ...certless, ...psk }),
        await serve({ ...(withCertificate ? {} : certless), ...psk, maxVersion: 'TLSv1.2' }),
      ];
      const [open, held] = servers;
      const pskClient = (port: number, identity: string, k: Buffer, extra: Record<string, unknown> = {}) =>
        new RadiusClient({
          servers: [
            { host: '127.0.0.1', port, transport: 'tls', tls: { psk: { identity, key: k }, ...extra } },
          ],
          timeout: 2,
          retries: 0,
          watchdogInterval: 0,
        });
      const clients = [
        // Our client held to TLS 1.2 against a listener that allows 1.3, and the other way round.
        pskClient(open.port, 'nas12', key, { maxVersion: 'TLSv1.2' }),
        pskClient(held.port, 'nas12', key),
      ];
      const refused = [
        pskClient(held.port, 'nas12', Buffer.alloc(32, 0x6d)),
        pskClient(held.port, 'nobody', key),
      ];
      try {
        for (const [i, c] of clients.entries()) {
          const server = servers[i].server;
          assert.equal((await login(c)).code, ACCESS_ACCEPT);
          assert.equal(server.remotes.at(-1)?.pskIdentity, 'nas12');
          assert.equal(server.remotes.at(-1)?.peerCertificate, undefined);
          // RFC 9765 §3.4: RADIUS/1.1 needs TLS 1.3.
          assert.equal(server.remotes.at(-1)?.radiusVersion, '1.0');
        }
        const before = held.server.remotes.length;
        for (const c of refused) await assert.rejects(login(c), RadiusConnectionError);
        assert.equal(held.server.remotes.length, before);
        // What the client's options negotiate: TLS 1.2 with the suite that has ephemeral keys.
        const { tls: options } = radsecConnectOptions(
          { psk: { identity: 'nas12', key }, maxVersion: 'TLSv1.2' },
          'test',
          'tls',
        );
        const socket = await connected(tls.connect({ ...options, host: '127.0.0.1', port: open.port }));
        try {
          assert.equal(socket.getProtocol(), 'TLSv1.2');
          assert.equal(socket.getCipher().name, 'ECDHE-PSK-CHACHA20-POLY1305');
        } finally {
          socket.destroy();
        }
      } finally {
        for (const c of [...clients, ...refused]) c.close();
        for (const s of servers) await s.server.close();
      }
    });
  }

  test('a PSK that is short or not hex is a configuration error', () => {
    for (const key of ['abcd', 'not hex at all', Buffer.alloc(8)]) {
      assert.throws(
        () =>
          new RadiusClient({
            servers: [{ host: '127.0.0.1', transport: 'tls', tls: { psk: { identity: 'n', key } } }],
          }),
        /PSK/,
      );
    }
    assert.throws(
      () =>
        new RadiusClient({
          servers: [{ host: '127.0.0.1', transport: 'tls', tls: { radiusVersion: '2.0' as never } }],
        }),
      /radiusVersion/,
    );
  });
});

function connected(socket: tls.TLSSocket): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

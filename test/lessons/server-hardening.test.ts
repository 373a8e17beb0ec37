// Defects a review found in the server's request path, each shown from raw UDP sockets:
// BlastRADIUS 'auto' state that unverified traffic could evict, duplicates recorded before the
// request verified, a NAS lookup without a time limit, and socket errors nobody saw.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCOUNTING_RESPONSE,
  AccessRequest,
  AccountingRequest,
  RadiusClient,
  RadiusResponseError,
} from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { hmacKeyCacheSize } from '../../src/protocol/md5.js';
import { AbstractRadiusServer, type ServerOptions } from '../../src/server/abstract-server.js';
import type { Remote } from '../../src/transport/udp.js';
import { UdpPeer, waitFor } from './udp-peer.js';

const SECRET = 'hardening-secret';

class Server extends AbstractRadiusServer {
  handled = 0;
  errors: unknown[] = [];
  lookup: (remote: Remote) => string | Promise<string> = () => SECRET;
  validateNas(remote: Remote) {
    return this.lookup(remote);
  }
  override handleAuthPacket(_attributes: AttributesSet) {
    this.handled++;
    return [[], ACCESS_ACCEPT] as const;
  }
  override handleAccPacket(_attributes: AttributesSet) {
    this.handled++;
    return [[], null] as const;
  }
  override registerHandleException(error: unknown) {
    this.errors.push(error);
  }
}

async function started(options: ServerOptions = {}): Promise<{ server: Server; auth: number; acct: number }> {
  const server = new Server('127.0.0.1', { authPort: 0, accPort: 0, ...options });
  const info = await server.start();
  return { server, auth: info.authPort as number, acct: info.accPort as number };
}

/** An Access-Request whose Message-Authenticator is computed with `secret`. */
function signedAccessRequest(secret: string, identifier = 7): Buffer {
  const req = new AccessRequest(secret, { identifier, authenticator: Buffer.alloc(16, identifier) });
  req.add('User-Name', 'alice');
  return req.encode();
}

describe('lesson: server hardening', { timeout: 120_000 }, () => {
  test("BlastRADIUS 'auto': datagrams from 10,001 other sources in the NAS's range do not make the server forget that the NAS signs", async () => {
    const { server, auth } = await started({ requireMessageAuthenticator: 'auto' });
    const nas = await UdpPeer.open();
    try {
      // The NAS signs one Access-Request: from now on 'auto' requires it from this address.
      nas.send(signedAccessRequest(SECRET, 1), auth);
      assert.ok(await nas.next(), 'the signed request is answered');
      assert.equal(server.nasSignsRequests('127.0.0.1'), true);
      // Spoofed sources inside 127.0.0.0/8: a forged signed request (wrong secret) and an unsigned one each.
      const forged = signedAccessRequest('not-the-secret', 2);
      const unsigned = new AccessRequest(SECRET, { identifier: 3 }).add('User-Name', 'x');
      unsigned.messageAuthenticator = false;
      const unsignedBytes = unsigned.encode();
      const sources = 10_001;
      const before = server.counters.requests;
      for (let i = 0; i < sources; i++) {
        const sock = createSocket('udp4');
        const address = `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
        await new Promise<void>((resolve) => sock.bind(0, address, resolve));
        sock.send(i % 2 === 0 ? forged : unsignedBytes, auth, '127.0.0.1', () => sock.close());
      }
      assert.ok(await waitFor(() => server.counters.requests >= before + sources, 30_000));
      // Only verified requests teach 'auto': none of the spoofed sources is remembered as signing.
      assert.equal(server.nasSignsRequests('127.1.0.1'), false);
      assert.equal(server.nasSignsRequests('127.1.0.2'), false);
      // The NAS's unsigned Access-Request is still refused.
      const dropped = server.counters.dropped;
      const plain = new AccessRequest(SECRET, { identifier: 4 }).add('User-Name', 'alice');
      plain.messageAuthenticator = false;
      nas.send(plain.encode(), auth);
      assert.ok(await waitFor(() => server.counters.dropped === dropped + 1));
      assert.equal(await nas.next(300), undefined, 'no reply to the unsigned request');
    } finally {
      nas.close();
      await server.close();
    }
  });

  test('a forged copy of a request (same source, identifier and authenticator, wrong secret) sent first does not make the genuine one a duplicate', async () => {
    const { server, auth, acct } = await started();
    const nas = await UdpPeer.open();
    try {
      // Access-Request: the forged copy's Message-Authenticator does not verify.
      nas.send(signedAccessRequest('not-the-secret', 9), auth);
      nas.send(signedAccessRequest(SECRET, 9), auth);
      const reply = await nas.next();
      assert.ok(reply, 'the genuine Access-Request is answered');
      assert.equal(reply.data[0], ACCESS_ACCEPT);
      assert.equal(server.counters.badAuthenticators, 1);
      assert.equal(server.counters.duplicates, 0);

      // Accounting-Request: the forged copy carries the genuine Request Authenticator over other content.
      const genuine = new AccountingRequest(SECRET, { identifier: 11 }).addAttributes(
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', 's1'],
      );
      const genuineBytes = genuine.encode();
      const forged = Buffer.from(genuineBytes);
      forged[forged.length - 1] ^= 0x01; // last byte of Acct-Session-Id: the authenticator no longer verifies
      nas.send(forged, acct);
      nas.send(genuineBytes, acct);
      const acctReply = await nas.next();
      assert.ok(acctReply, 'the genuine Accounting-Request is answered');
      assert.equal(acctReply.data[0], ACCOUNTING_RESPONSE);
      assert.equal(server.handled, 2);
      // A real retransmission is still a duplicate, answered from the cache and not handled again.
      nas.send(genuineBytes, acct);
      assert.ok(await nas.next());
      assert.equal(server.counters.duplicates, 1);
      assert.equal(server.handled, 2);
    } finally {
      nas.close();
      await server.close();
    }
  });

  test('an asynchronous validateNas that never answers is time-boxed like a handler: the request is abandoned, its retransmission handled', async () => {
    const { server, auth } = await started({ handlerTimeout: 0.3 });
    let calls = 0;
    server.lookup = () => {
      calls++;
      // The first lookup hangs forever; later ones answer.
      return calls === 1 ? new Promise<string>(() => {}) : Promise.resolve(SECRET);
    };
    const nas = await UdpPeer.open();
    try {
      const bytes = signedAccessRequest(SECRET, 21);
      nas.send(bytes, auth);
      assert.ok(await waitFor(() => server.errors.length === 1, 3000), 'the hung lookup is reported');
      assert.match(String((server.errors[0] as Error).message), /validateNas did not finish within 0\.3s/);
      assert.ok(await waitFor(() => server.inFlightCount === 0), 'nothing is left in flight');
      assert.equal(server.counters.unknownNas, 1);
      // The NAS retransmits: not a "duplicate" of the abandoned request, it is answered.
      nas.send(bytes, auth);
      const reply = await nas.next();
      assert.ok(reply);
      assert.equal(reply.data[0], ACCESS_ACCEPT);
    } finally {
      nas.close();
      await server.close();
    }
  });

  test('a refused NAS: counted, logged at warn with the address and a hint, rate-limited', async () => {
    const lines: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn(obj: object | string, msg?: string) {
        lines.push({ obj: obj as Record<string, unknown>, msg: msg ?? String(obj) });
      },
    };
    const { server, auth } = await started({ logger });
    server.lookup = () => {
      throw new RadiusResponseError('not a client');
    };
    const nas = await UdpPeer.open();
    try {
      for (let i = 0; i < 20; i++) nas.send(signedAccessRequest(SECRET, i), auth);
      assert.ok(await waitFor(() => server.counters.unknownNas === 20), JSON.stringify(server.counters));
      const unknown = lines.filter((l) => l.obj.reason === 'unknown_nas');
      assert.equal(unknown.length, 1, 'one line, not one per request');
      assert.equal(unknown[0].obj.nas, '127.0.0.1');
      assert.match(unknown[0].msg, /unknown NAS.*127\.0\.0\.1/);
      assert.match(String(unknown[0].obj.hint), /client entry/);
      // A wrong secret says so.
      server.lookup = () => 'another-secret';
      nas.send(signedAccessRequest(SECRET, 50), auth);
      assert.ok(await waitFor(() => lines.some((l) => l.obj.reason === 'bad_authenticator')));
      const bad = lines.find((l) => l.obj.reason === 'bad_authenticator');
      assert.match(String(bad?.obj.hint), /shared secret/);
      // EAP without Message-Authenticator (RFC 3579 §3.2): no secret would fix that, and the line
      // does not say one would.
      server.lookup = () => SECRET;
      const unsigned = new AccessRequest(SECRET, { identifier: 60, messageAuthenticator: false });
      unsigned.addAttributes(
        ['User-Name', 'alice'],
        ['EAP-Message', Buffer.from([2, 1, 0, 10, 1, 0x61, 0x6c, 0x69, 0x63, 0x65])],
      );
      nas.send(unsigned.encode(), auth);
      assert.ok(await waitFor(() => lines.some((l) => l.obj.reason === 'no_message_authenticator')));
      const missing = lines.find((l) => l.obj.reason === 'no_message_authenticator');
      assert.match(String(missing?.msg), /without Message-Authenticator/);
      assert.match(String(missing?.obj.hint), /RFC 3579/);
      assert.doesNotMatch(String(missing?.obj.hint), /shared secret/);
      assert.equal(lines.filter((l) => l.obj.reason === 'bad_authenticator').length, 1);
      assert.ok(!JSON.stringify(lines).includes(SECRET), 'no secret in the log');
    } finally {
      nas.close();
      await server.close();
    }
  });

  test('socket errors after binding are counted and logged, not swallowed; a port in use fails start() at once', async () => {
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (_o: object | string, m?: string) => void warnings.push(m ?? ''),
    };
    const { server, auth } = await started({ logger });
    try {
      const endpoints = (
        server as unknown as { endpoints: Array<{ socket: { emit(e: string, err: Error): void } }> }
      ).endpoints;
      const err = Object.assign(new Error('send failed'), { code: 'EPERM' });
      endpoints[0].socket.emit('error', err);
      endpoints[0].socket.emit('error', err);
      assert.equal(server.counters.socketErrors, 2);
      assert.equal(warnings.filter((w) => /socket error/.test(w)).length, 1, 'logged once per interval');
      // The server keeps answering.
      const nas = await UdpPeer.open();
      nas.send(signedAccessRequest(SECRET, 5), auth);
      assert.ok(await nas.next());
      nas.close();
      // A second server on the same port: start() rejects with the bind error.
      const second = new Server('127.0.0.1', { authPort: auth, accPort: 0 });
      await assert.rejects(second.start(), /EADDRINUSE/);
    } finally {
      await server.close();
    }
  });

  test('a closed server leaves no shared secret in the HMAC key cache', async () => {
    const { server, auth } = await started();
    const nas = await UdpPeer.open();
    try {
      nas.send(signedAccessRequest(SECRET, 3), auth);
      assert.ok(await nas.next());
      assert.ok(hmacKeyCacheSize() > 0, 'the secret was prepared for Message-Authenticator');
    } finally {
      nas.close();
      await server.close();
    }
    assert.equal(hmacKeyCacheSize(), 0);
  });

  test('a closed client leaves no shared secret in the HMAC key cache', async () => {
    const { server, auth } = await started();
    const client = new RadiusClient({ timeout: 1, retries: 0 });
    try {
      const [reply] = await client.sendPacket(new AccessRequest(SECRET).add('User-Name', 'alice'), {
        remoteHost: '127.0.0.1',
        remotePort: auth,
      });
      assert.equal(reply.code, ACCESS_ACCEPT);
      await server.close();
      // The server's close cleared the cache; the client's next packet prepares its key again.
      new AccessRequest(SECRET).add('User-Name', 'again').encode();
      assert.ok(hmacKeyCacheSize() > 0);
    } finally {
      client.close();
      await server.close();
    }
    assert.equal(hmacKeyCacheSize(), 0);
  });
});

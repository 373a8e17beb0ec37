import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { RadiusClient, type UnverifiedReply } from '../../src/client/radius-client.js';
import { ConfigError, RadiusAbortError, RadiusClosedError, RadiusTimeoutError } from '../../src/errors.js';
import { signPacket } from '../../src/protocol/authenticator.js';
import {
  ACCESS_ACCEPT,
  ACCESS_REQUEST,
  ACCOUNTING_RESPONSE,
  COA_ACK,
  DISCONNECT_NAK,
  STATUS_SERVER,
} from '../../src/protocol/codes.js';
import * as packet from '../../src/protocol/index.js';
import { AccountingRequest, CoARequest, DisconnectRequest, StatusServer } from '../../src/protocol/packet.js';
import { defaultAnswer, TestServer, waitFor } from './udp-test-server.js';

const SECRET = 'testing123';

function accessRequest(user = 'alice', password = 'alicepw'): packet.Packet {
  const request = new packet.AccessRequest(SECRET);
  request.addAttributes(['User-Name', user], ['User-Password', password]);
  return request;
}

/** Two test servers on consecutive ports P and P + 1 (in 45000-45999), as a NAS's 1812/1813. */
async function consecutivePair(): Promise<[TestServer, TestServer]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 45000 + 2 * Math.floor(Math.random() * 500);
    const first = await TestServer.start({ port }).catch(() => undefined);
    if (first === undefined) continue;
    const second = await TestServer.start({ port: port + 1 }).catch(() => undefined);
    if (second !== undefined) return [first, second];
    first.close();
  }
  throw new Error('no two consecutive free ports in 45000-45999');
}

describe('sendPacket basics', () => {
  test('resolves [response, responseTime] with the verified reply; the identifier is the client’s', async () => {
    const server = await TestServer.start();
    const client = new RadiusClient({ defaultServer: '127.0.0.1', timeout: 2, retries: 1 });
    try {
      const request = new packet.AccessRequest(SECRET, { identifier: 7 });
      request.addAttributes(['User-Name', 'alice'], ['User-Password', 'alicepw']);
      const [response, responseTime] = await client.sendPacket(request, {
        remoteHost: '127.0.0.1',
        remotePort: server.port,
      });
      assert.equal(response.code, ACCESS_ACCEPT);
      assert.equal(response.get('Reply-Message'), 'hello alice');
      assert.equal(response.request, request);
      assert.equal(typeof responseTime, 'number');
      assert.ok(responseTime > 0 && responseTime < 2);
      assert.equal(server.seen.length, 1);
      assert.equal(server.seen[0].packet.get('User-Password'), 'alicepw');
      assert.equal(server.seen[0].packet.identifier, request.identifier);
      // Access-Request carries Message-Authenticator by default (BlastRADIUS).
      assert.equal(server.seen[0].packet.messageAuthenticator, true);
      const stats = client.statistics;
      assert.equal(stats.requests, 1);
      assert.equal(stats.responses, 1);
      assert.equal(stats.timeouts, 0);
      assert.equal(stats.pending, 0);
      assert.equal(stats.sockets, 1);
      assert.equal(stats.minTime, responseTime);
      assert.equal(stats.maxTime, responseTime);
      assert.equal(stats.avgTime, responseTime);
    } finally {
      client.close();
      server.close();
    }
  });

  test('the two-step form of the specification also works', async () => {
    const server = await TestServer.start();
    const client = new RadiusClient({ defaultServer: '127.0.0.1', defaultPort: server.port });
    try {
      const responseFuture = await client.sendPacket(accessRequest('bob'));
      const [response, responseTime] = await responseFuture;
      assert.equal(response.get('Reply-Message'), 'hello bob');
      assert.ok(responseTime > 0);
    } finally {
      client.close();
      server.close();
    }
  });

  test('IPv6: a server on ::1', async () => {
    const server = await TestServer.start({ host: '::1' });
    const client = new RadiusClient();
    try {
      const [response] = await client.sendPacket(accessRequest('six'), {
        remoteHost: '::1',
        remotePort: server.port,
      });
      assert.equal(response.get('Reply-Message'), 'hello six');
      assert.equal(server.seen[0].remote.family, 'IPv6');
      // A long form of the address still matches the replies' source.
      const [again] = await client.sendPacket(accessRequest('long'), {
        remoteHost: '0:0:0:0:0:0:0:1',
        remotePort: server.port,
      });
      assert.equal(again.get('Reply-Message'), 'hello long');
    } finally {
      client.close();
      server.close();
    }
  });

  test('a host name is looked up (localhost, as the resolver orders it)', async () => {
    const { address } = await lookup('localhost');
    const server = await TestServer.start({ host: address === '::1' ? '::1' : '127.0.0.1' });
    const client = new RadiusClient({ defaultServer: 'localhost', defaultPort: server.port });
    try {
      const results = await Promise.all([1, 2, 3].map((i) => client.sendPacket(accessRequest(`l${i}`))));
      assert.deepEqual(
        results.map(([r]) => r.get('Reply-Message')),
        ['hello l1', 'hello l2', 'hello l3'],
      );
    } finally {
      client.close();
      server.close();
    }
  });

  test('NAS-Identifier = clientIdentifier unless the request identifies its NAS', async () => {
    const server = await TestServer.start();
    const client = new RadiusClient({
      defaultServer: '127.0.0.1',
      defaultPort: server.port,
      defaultAcctPort: server.port,
      clientIdentifier: 'blafoo',
    });
    try {
      await client.sendPacket(accessRequest());
      const withIp = accessRequest().add('NAS-IP-Address', '10.1.2.3');
      await client.sendPacket(withIp);
      const withId = accessRequest().add('NAS-Identifier', 'own');
      await client.sendPacket(withId);
      const acct = new AccountingRequest(SECRET).addAttributes(
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', 's1'],
      );
      await client.sendPacket(acct);
      const seen = server.seen.map((s) => s.packet.getAll('NAS-Identifier'));
      assert.deepEqual(seen, [['blafoo'], [], ['own'], ['blafoo']]);
    } finally {
      client.close();
      server.close();
    }
  });

  test('default ports by code: defaultPort, defaultAcctPort, defaultCoaPort', async () => {
    const [auth, acct, coa] = await Promise.all([TestServer.start(), TestServer.start(), TestServer.start()]);
    const client = new RadiusClient({
      defaultServer: '127.0.0.1',
      defaultPort: auth.port,
      defaultAcctPort: acct.port,
      defaultCoaPort: coa.port,
    });
    try {
      const [a] = await client.sendPacket(accessRequest());
      const [b] = await client.sendPacket(
        new AccountingRequest(SECRET).addAttributes(['Acct-Status-Type', 'Stop'], ['Acct-Session-Id', 's2']),
      );
      const [c] = await client.sendPacket(new CoARequest(SECRET).add('Acct-Session-Id', 's2'));
      const [d] = await client.sendPacket(new StatusServer(SECRET));
      assert.equal(a.code, ACCESS_ACCEPT);
      assert.equal(b.code, ACCOUNTING_RESPONSE);
      assert.equal(c.code, COA_ACK);
      assert.equal(d.code, ACCESS_ACCEPT);
      assert.deepEqual([auth.seen.length, acct.seen.length, coa.seen.length], [2, 1, 1]);
      assert.equal(auth.seen[1].packet.code, STATUS_SERVER);
    } finally {
      client.close();
      for (const s of [auth, acct, coa]) s.close();
    }
  });

  test('defaultPort alone: accounting goes to defaultPort + 1, CoA stays on 3799', async () => {
    const [auth, acct] = await consecutivePair();
    const client = new RadiusClient({ defaultServer: '127.0.0.1', defaultPort: auth.port, timeout: 1 });
    try {
      assert.equal(client.defaultAcctPort, auth.port + 1);
      assert.equal(client.defaultCoaPort, 3799);
      const [a] = await client.sendPacket(accessRequest());
      const [b] = await client.sendPacket(
        new AccountingRequest(SECRET).addAttributes(['Acct-Status-Type', 'Start'], ['Acct-Session-Id', 'p1']),
      );
      assert.equal(a.code, ACCESS_ACCEPT);
      assert.equal(b.code, ACCOUNTING_RESPONSE);
      assert.deepEqual(
        [auth.seen.map((s) => s.packet.codeName), acct.seen.map((s) => s.packet.codeName)],
        [['Access-Request'], ['Accounting-Request']],
      );
    } finally {
      client.close();
      auth.close();
      acct.close();
    }
  });

  test('the ports given win; neither given: 1812, 1813 and 3799', () => {
    const plain = new RadiusClient();
    const given = new RadiusClient({ defaultPort: 11812, defaultAcctPort: 21813, defaultCoaPort: 23799 });
    try {
      assert.deepEqual([plain.defaultPort, plain.defaultAcctPort, plain.defaultCoaPort], [1812, 1813, 3799]);
      assert.deepEqual(
        [given.defaultPort, given.defaultAcctPort, given.defaultCoaPort],
        [11812, 21813, 23799],
      );
      // 65535 has no port after it: accounting's port must then be given.
      assert.throws(() => new RadiusClient({ defaultPort: 65535 }), ConfigError);
      new RadiusClient({ defaultPort: 65535, defaultAcctPort: 1813 }).close();
    } finally {
      plain.close();
      given.close();
    }
  });

  test('a pool server with authPort alone: its accounting goes to authPort + 1', async () => {
    const [auth, acct] = await consecutivePair();
    const other = await TestServer.start();
    const client = new RadiusClient({
      servers: [
        { name: 'nas-pair', host: '127.0.0.1', authPort: auth.port },
        // acctPort given: kept; port given: every packet type.
        { name: 'explicit', host: '127.0.0.1', authPort: auth.port, acctPort: other.port },
        { name: 'single', host: '127.0.0.1', port: other.port },
      ],
      timeout: 1,
    });
    try {
      const ports = (name: string) =>
        client
          .serverStatus()
          .filter((s) => s.name === name)
          .map((s) => [s.kind, s.port]);
      assert.deepEqual(ports('nas-pair'), [
        ['auth', auth.port],
        ['acct', auth.port + 1],
        ['coa', 3799],
      ]);
      assert.deepEqual(ports('explicit'), [
        ['auth', auth.port],
        ['acct', other.port],
        ['coa', 3799],
      ]);
      assert.deepEqual(ports('single'), [
        ['auth', other.port],
        ['acct', other.port],
        ['coa', other.port],
      ]);
      const [b] = await client.sendPacket(
        new AccountingRequest(SECRET).addAttributes(['Acct-Status-Type', 'Start'], ['Acct-Session-Id', 'p2']),
      );
      assert.equal(b.code, ACCOUNTING_RESPONSE);
      assert.equal(acct.seen.length, 1);
      assert.equal(auth.seen.length, 0);
    } finally {
      client.close();
      for (const s of [auth, acct, other]) s.close();
    }
  });

  test('Dynamic Authorization: CoA-Request → CoA-ACK, Disconnect-Request → Disconnect-NAK', async () => {
    const server = await TestServer.start({
      handler: (seen) =>
        seen.packet.code === 40 ? seen.packet.createReply(DISCONNECT_NAK) : defaultAnswer(seen),
    });
    const client = new RadiusClient();
    try {
      const coa = new CoARequest(SECRET).addAttributes(['User-Name', 'alice'], ['Session-Timeout', 60]);
      const [ack] = await client.sendPacket(coa, { remoteHost: '127.0.0.1', remotePort: server.port });
      assert.equal(ack.code, COA_ACK);
      const dis = new DisconnectRequest(SECRET).add('User-Name', 'alice');
      const [nak] = await client.sendPacket(dis, { remoteHost: '127.0.0.1', remotePort: server.port });
      assert.equal(nak.code, DISCONNECT_NAK);
    } finally {
      client.close();
      server.close();
    }
  });

  test('bad options are ConfigError; a reply code is not sendable', async () => {
    assert.throws(() => new RadiusClient({ timeout: 0 }), ConfigError);
    assert.throws(() => new RadiusClient({ retries: -1 }), ConfigError);
    assert.throws(() => new RadiusClient({ maxSockets: 0 }), ConfigError);
    assert.throws(
      () => new RadiusClient({ requireMessageAuthenticator: 'yes' as unknown as boolean }),
      /requireMessageAuthenticator/,
    );
    assert.throws(() => new RadiusClient({ servers: [{ host: '' }] }), ConfigError);
    const client = new RadiusClient();
    try {
      await assert.rejects(client.sendPacket(accessRequest(), { remotePort: 0 }), ConfigError);
      await assert.rejects(client.sendPacket(accessRequest(), { server: 'nope' }), ConfigError);
      await assert.rejects(client.sendPacket(new packet.AccessAccept(SECRET)), /not a request/);
    } finally {
      client.close();
    }
  });

  test('calls made in one turn of the event loop are sent together after it, in call order', async () => {
    const server = await TestServer.start();
    const client = new RadiusClient({ timeout: 2, retries: 0 });
    try {
      const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
      const calls = Array.from({ length: 100 }, (_, i) => client.sendPacket(accessRequest(`u${i}`), opts));
      const results = await Promise.all(calls);
      assert.equal(results.length, 100);
      assert.deepEqual(
        server.seen.map((s) => s.packet.get('User-Name')),
        Array.from({ length: 100 }, (_, i) => `u${i}`),
      );
      assert.equal(client.statistics.retransmissions, 0);
    } finally {
      client.close();
      server.close();
    }
  });

  test('a call made and closed in the same turn sends nothing', async () => {
    const server = await TestServer.start();
    const client = new RadiusClient({ timeout: 2, retries: 0 });
    try {
      const call = client.sendPacket(accessRequest(), { remoteHost: '127.0.0.1', remotePort: server.port });
      client.close();
      await assert.rejects(call, RadiusClosedError);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(server.seen.length, 0);
    } finally {
      server.close();
    }
  });
});

describe('retransmission and timeouts', () => {
  test('a server that drops the first 2 transmissions answers the third: same identifier and authenticator', async () => {
    const server = await TestServer.start({
      handler: (seen, s) => (s.seen.length <= 2 ? null : defaultAnswer(seen)),
    });
    const client = new RadiusClient({ timeout: 0.15, retries: 3 });
    try {
      const [response] = await client.sendPacket(accessRequest(), {
        remoteHost: '127.0.0.1',
        remotePort: server.port,
      });
      assert.equal(response.code, ACCESS_ACCEPT);
      assert.equal(server.seen.length, 3);
      const [first, ...rest] = server.seen;
      for (const s of rest) {
        assert.equal(s.packet.identifier, first.packet.identifier);
        assert.deepEqual(s.packet.authenticator, first.packet.authenticator);
        assert.deepEqual(s.raw, first.raw, 'retransmissions resend the same bytes');
        assert.equal(s.remote.port, first.remote.port);
      }
      const stats = client.statistics;
      assert.equal(stats.retransmissions, 2);
      // The specification's "no responses": the two transmissions whose wait ran out.
      assert.equal(stats.noResponses, 2);
      assert.equal(stats.responses, 1);
      assert.equal(stats.timeouts, 0);
    } finally {
      client.close();
      server.close();
    }
  });

  test('no answer: RadiusTimeoutError naming the server and the attempts', async () => {
    const server = await TestServer.start({ handler: () => null });
    const client = new RadiusClient({ timeout: 0.1, retries: 2 });
    try {
      await assert.rejects(
        client.sendPacket(accessRequest(), { remoteHost: '127.0.0.1', remotePort: server.port }),
        (err: unknown) =>
          err instanceof RadiusTimeoutError &&
          err.attempts === 3 &&
          err.server === `127.0.0.1:${server.port}` &&
          err.message.includes('after 3 attempts'),
      );
      assert.equal(server.seen.length, 3);
      assert.equal(client.statistics.timeouts, 1);
      assert.equal(client.statistics.noResponses, 3, 'each attempt, the last one too');
      assert.equal(client.statistics.pending, 0);
    } finally {
      client.close();
      server.close();
    }
  });

  test('retries 0 is one attempt (per call and per client)', async () => {
    const server = await TestServer.start({ handler: () => null });
    const client = new RadiusClient({ timeout: 0.1, retries: 0 });
    try {
      const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
      await assert.rejects(client.sendPacket(accessRequest(), opts), {
        name: 'RadiusTimeoutError',
        attempts: 1,
      });
      assert.equal(server.seen.length, 1);
      const other = new RadiusClient({ timeout: 5, retries: 5 });
      try {
        await assert.rejects(other.sendPacket(accessRequest(), { ...opts, retries: 0, timeout: 0.1 }), {
          name: 'RadiusTimeoutError',
          attempts: 1,
        });
      } finally {
        other.close();
      }
      assert.equal(server.seen.length, 2);
    } finally {
      client.close();
      server.close();
    }
  });

  test('1,000 timeouts in parallel: all RadiusTimeoutError, 1,000 × (retries + 1) transmissions', async () => {
    const server = await TestServer.start({ handler: () => null });
    // A fixed window as wide as the burst: every call is sent at once and times out on its own.
    const client = new RadiusClient({ timeout: 0.4, retries: 1, maxInFlight: 1000, adaptiveWindow: false });
    try {
      const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, (_, i) => client.sendPacket(accessRequest(`t${i}`), opts)),
      );
      assert.equal(
        results.filter((r) => r.status === 'rejected' && r.reason instanceof RadiusTimeoutError).length,
        1000,
      );
      assert.ok(await waitFor(() => server.seen.length >= 2000, 2000));
      assert.equal(server.seen.length, 2000);
      assert.equal(client.statistics.timeouts, 1000);
      assert.equal(client.statistics.retransmissions, 1000);
    } finally {
      client.close();
      server.close();
    }
  });
});

describe('replies that must be ignored', () => {
  test('forged replies are counted and ignored; the genuine reply that follows completes the call', async () => {
    const forger = createSocket('udp4');
    forger.bind(0, '127.0.0.1');
    await once(forger, 'listening');
    const server = await TestServer.start({
      handler: ({ packet: req, remote }, s) => {
        const genuine = req.createReply(ACCESS_ACCEPT, [['Reply-Message', 'genuine']]).encode();
        // 1. the right bytes from another port (a second socket)
        forger.send(genuine, remote.port, remote.address);
        // 2. bad Response Authenticator
        const badAuth = Buffer.from(genuine);
        badAuth[4] ^= 0xff;
        s.send(badAuth, remote);
        // 3. bad Message-Authenticator, Response Authenticator recomputed so only the HMAC is wrong
        const badMa = Buffer.from(genuine);
        assert.equal(badMa[20], 80, 'the reply starts with Message-Authenticator');
        badMa[22] ^= 0xff;
        signPacket(badMa, badMa.length, req.authenticator, Buffer.from(SECRET));
        s.send(badMa, remote);
        // 4. an identifier nothing is waiting for
        const otherId = Buffer.from(genuine);
        otherId[1] = (otherId[1] + 1) & 0xff;
        s.send(otherId, remote);
        // 5. signed with another secret
        const wrongSecret = req.createReply(ACCESS_ACCEPT);
        wrongSecret.secret = Buffer.from('not-the-secret');
        s.send(wrongSecret.encode(), remote);
        // 6. a code that does not answer an Access-Request
        s.send(req.createReply(ACCOUNTING_RESPONSE).encode(), remote);
        // 7. too short to be RADIUS
        s.send(Buffer.alloc(10), remote);
        setTimeout(() => s.send(genuine, remote), 100);
        return null;
      },
    });
    const unverified: UnverifiedReply[] = [];
    const client = new RadiusClient({ timeout: 3, retries: 0, onUnverifiedReply: (r) => unverified.push(r) });
    try {
      const [response] = await client.sendPacket(accessRequest(), {
        remoteHost: '127.0.0.1',
        remotePort: server.port,
      });
      assert.equal(response.get('Reply-Message'), 'genuine');
      // Those failing verification (2, 3, 5) are reported, for the address they were sent to.
      assert.equal(unverified.length, 3);
      for (const r of unverified) {
        assert.deepEqual([r.server, r.kind, r.host, r.port], [undefined, 'auth', '127.0.0.1', server.port]);
        assert.equal(r.error.name, 'AuthenticatorError');
      }
      const stats = client.statistics;
      assert.deepEqual(stats.invalid, {
        wrongSource: 1,
        unknownIdentifier: 1,
        malformed: 2,
        badAuthenticator: 3,
      });
      assert.equal(stats.invalidResponses, 7);
      assert.equal(stats.retransmissions, 0);
    } finally {
      client.close();
      server.close();
      forger.close();
    }
  });

  test('requireMessageAuthenticator: a reply without one is ignored; by default it is accepted', async () => {
    const server = await TestServer.start({
      handler: ({ packet: req }) => {
        const reply = req.createReply();
        reply.messageAuthenticator = false;
        return reply;
      },
    });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    const strict = new RadiusClient({ requireMessageAuthenticator: true, timeout: 0.2, retries: 1 });
    const lenient = new RadiusClient({ timeout: 0.2, retries: 1 });
    try {
      const [ok] = await lenient.sendPacket(accessRequest(), opts);
      assert.equal(ok.messageAuthenticator, false);
      await assert.rejects(strict.sendPacket(accessRequest(), opts), RadiusTimeoutError);
      assert.equal(strict.statistics.invalid.badAuthenticator, 2);
      // Accounting replies are never held to it.
      const [acct] = await strict.sendPacket(
        new AccountingRequest(SECRET).addAttributes(['Acct-Status-Type', 'Start'], ['Acct-Session-Id', 'x']),
        opts,
      );
      assert.equal(acct.code, ACCOUNTING_RESPONSE);
    } finally {
      strict.close();
      lenient.close();
      server.close();
    }
  });
});

describe('Accounting-Request retransmission (RFC 2866 §5.2)', () => {
  test('with Acct-Delay-Time: updated value, new identifier, new authenticator', async () => {
    const server = await TestServer.start({
      handler: (seen, s) => (s.seen.length === 1 ? null : defaultAnswer(seen)),
    });
    const client = new RadiusClient({ timeout: 0.6, retries: 2 });
    try {
      const request = new AccountingRequest(SECRET).addAttributes(
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', 'sess-1'],
        ['Acct-Delay-Time', 0],
      );
      const [response] = await client.sendPacket(request, {
        remoteHost: '127.0.0.1',
        remotePort: server.port,
      });
      assert.equal(response.code, ACCOUNTING_RESPONSE);
      assert.equal(server.seen.length, 2);
      const [first, second] = server.seen;
      assert.equal(first.packet.get('Acct-Delay-Time'), 0);
      assert.ok((second.packet.get('Acct-Delay-Time') as number) >= 1);
      assert.notEqual(second.packet.identifier, first.packet.identifier);
      assert.notDeepEqual(second.packet.authenticator, first.packet.authenticator);
      assert.equal(second.remote.port, first.remote.port);
    } finally {
      client.close();
      server.close();
    }
  });

  test('a late reply to the previous transmission (old identifier) is ignored; the current one completes', async () => {
    let first: Buffer | undefined;
    const server = await TestServer.start({
      handler: (seen, s) => {
        const reply = defaultAnswer(seen) as packet.Packet;
        if (s.seen.length === 1) {
          first = reply.encode();
          return null;
        }
        // Second transmission: first the stale answer to the first one, then the right one.
        s.send(first as Buffer, seen.remote);
        return reply;
      },
    });
    const client = new RadiusClient({ timeout: 0.6, retries: 1 });
    try {
      const request = new AccountingRequest(SECRET).addAttributes(
        ['Acct-Status-Type', 'Interim-Update'],
        ['Acct-Session-Id', 'sess-3'],
        ['Acct-Delay-Time', 5],
      );
      const [response] = await client.sendPacket(request, {
        remoteHost: '127.0.0.1',
        remotePort: server.port,
      });
      assert.equal(response.identifier, server.seen[1].packet.identifier);
      assert.equal(server.seen[1].packet.get('Acct-Delay-Time'), 6);
      assert.equal(client.statistics.invalid.unknownIdentifier, 1);
    } finally {
      client.close();
      server.close();
    }
  });

  test('no identifier free: the changed retransmission waits for one, never reuses the old one (RFC 5080 §2.2.1)', async () => {
    // One socket, all 256 identifiers taken: 255 Access-Requests the server never answers, and one
    // Accounting-Request whose first transmission it drops.
    let acctSeen = 0;
    const server = await TestServer.start({
      handler: (seen) => {
        if (seen.packet.code !== 4) return null;
        return ++acctSeen === 1 ? null : defaultAnswer(seen);
      },
    });
    const client = new RadiusClient({
      timeout: 10,
      retries: 0,
      maxSockets: 1,
      maxInFlight: 256,
      adaptiveWindow: false,
    });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    try {
      const holder = new AbortController();
      const holders = Array.from({ length: 255 }, (_, i) =>
        client.sendPacket(accessRequest(`h${i}`), { ...opts, signal: holder.signal }),
      );
      for (const h of holders) h.catch(() => {});
      const acct = new AccountingRequest(SECRET).addAttributes(
        ['Acct-Status-Type', 'Interim-Update'],
        ['Acct-Session-Id', 'sess-full'],
        ['Acct-Delay-Time', 0],
      );
      const call = client.sendPacket(acct, { ...opts, timeout: 0.6, retries: 3, maxDuration: 10 });
      assert.ok(await waitFor(() => acctSeen === 1));
      // Past the first timeout Acct-Delay-Time has changed and no identifier is free: it waits.
      await new Promise((r) => setTimeout(r, 1000));
      const accounting = () => server.seen.filter((s) => s.packet.code === 4);
      assert.equal(accounting().length, 1, 'changed content must not go out under the old identifier');
      // Free identifiers: the retransmission goes out under a new one, before any new request.
      holder.abort();
      const [response] = await call;
      assert.equal(response.code, ACCOUNTING_RESPONSE);
      const [first, second] = accounting();
      assert.equal(accounting().length, 2);
      assert.notEqual(second.packet.identifier, first.packet.identifier);
      assert.ok((second.packet.get('Acct-Delay-Time') as number) >= 1);
      assert.equal(first.packet.get('Acct-Delay-Time'), 0);
      // One transmission went unanswered; the aborted holders' waits never ran out.
      assert.equal(client.statistics.noResponses, 1);
    } finally {
      client.close();
      server.close();
    }
  });

  test('noResponses counts a transmission once: the wait for a free identifier that follows is not another', async () => {
    // As above, but the identifiers stay taken: the changed retransmission never goes out, and
    // maxDuration ends the call while it waits.
    const server = await TestServer.start({ handler: () => null });
    const client = new RadiusClient({
      timeout: 10,
      retries: 0,
      maxSockets: 1,
      maxInFlight: 256,
      adaptiveWindow: false,
    });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    try {
      const holder = new AbortController();
      const holders = Array.from({ length: 255 }, (_, i) =>
        client.sendPacket(accessRequest(`h${i}`), { ...opts, signal: holder.signal }),
      );
      for (const h of holders) h.catch(() => {});
      const acct = new AccountingRequest(SECRET).addAttributes(
        ['Acct-Status-Type', 'Interim-Update'],
        ['Acct-Session-Id', 'sess-wait'],
        ['Acct-Delay-Time', 0],
      );
      await assert.rejects(
        client.sendPacket(acct, { ...opts, timeout: 0.6, retries: 3, maxDuration: 1.5 }),
        (err: unknown) => err instanceof RadiusTimeoutError && err.attempts === 1,
      );
      assert.equal(server.seen.filter((s) => s.packet.code === 4).length, 1);
      assert.equal(client.statistics.noResponses, 1);
      holder.abort();
    } finally {
      client.close();
      server.close();
    }
  });

  test('without Acct-Delay-Time: the same bytes', async () => {
    const server = await TestServer.start({
      handler: (seen, s) => (s.seen.length === 1 ? null : defaultAnswer(seen)),
    });
    const client = new RadiusClient({ timeout: 0.3, retries: 2 });
    try {
      const request = new AccountingRequest(SECRET).addAttributes(
        ['Acct-Status-Type', 'Stop'],
        ['Acct-Session-Id', 'sess-2'],
      );
      await client.sendPacket(request, { remoteHost: '127.0.0.1', remotePort: server.port });
      assert.equal(server.seen.length, 2);
      assert.deepEqual(server.seen[1].raw, server.seen[0].raw);
    } finally {
      client.close();
      server.close();
    }
  });
});

describe('close and abort', () => {
  test('close() rejects pending calls with RadiusClosedError; later calls too', async () => {
    const server = await TestServer.start({ handler: () => null });
    const client = new RadiusClient({ timeout: 5 });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    try {
      const pending = [1, 2, 3].map((i) => client.sendPacket(accessRequest(`c${i}`), opts));
      assert.ok(await waitFor(() => server.seen.length === 3));
      client.close();
      for (const p of pending) await assert.rejects(p, RadiusClosedError);
      await assert.rejects(client.sendPacket(accessRequest(), opts), RadiusClosedError);
      assert.equal(client.closed, true);
      assert.equal(client.statistics.sockets, 0);
      assert.equal(client.statistics.pending, 0);
    } finally {
      client.close();
      server.close();
    }
  });

  test('AbortSignal rejects with RadiusAbortError and frees the identifier', async () => {
    const server = await TestServer.start({ handler: () => null });
    // One socket: 256 identifiers, so the 257th call waits for one.
    const client = new RadiusClient({
      timeout: 5,
      retries: 0,
      maxSockets: 1,
      maxInFlight: 256,
      adaptiveWindow: false,
    });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    try {
      const controller = new AbortController();
      const pending = Array.from({ length: 256 }, (_, i) =>
        client.sendPacket(accessRequest(`a${i}`), i === 10 ? { ...opts, signal: controller.signal } : opts),
      );
      for (const p of pending) p.catch(() => {});
      assert.ok(await waitFor(() => server.seen.length === 256));
      const waiting = client.sendPacket(accessRequest('late'), opts);
      waiting.catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(server.seen.length, 256, 'no identifier free: the 257th call waits');
      const abortedId = server.seen[10].packet.identifier;
      controller.abort(new Error('user gave up'));
      await assert.rejects(pending[10], (err: unknown) => {
        assert.ok(err instanceof RadiusAbortError);
        assert.equal((err.cause as Error).message, 'user gave up');
        return true;
      });
      assert.ok(await waitFor(() => server.seen.length === 257));
      assert.equal(server.seen[256].packet.get('User-Name'), 'late');
      assert.equal(
        server.seen[256].packet.identifier,
        abortedId,
        'the freed identifier went to the waiting call',
      );
      assert.equal(client.statistics.aborted, 1);

      // Aborted before the call, and aborted while waiting for an identifier.
      const already = AbortSignal.abort();
      await assert.rejects(
        client.sendPacket(accessRequest(), { ...opts, signal: already }),
        RadiusAbortError,
      );
      const c2 = new AbortController();
      const queued = client.sendPacket(accessRequest('queued'), { ...opts, signal: c2.signal });
      c2.abort();
      await assert.rejects(queued, RadiusAbortError);
      client.close();
      await assert.rejects(waiting, RadiusClosedError);
      assert.equal(server.seen.length, 257);
    } finally {
      client.close();
      server.close();
    }
  });

  test('a reply code is verified against the request: Status-Server gets Access-Accept', async () => {
    const server = await TestServer.start();
    const client = new RadiusClient();
    try {
      const [r] = await client.sendPacket(new StatusServer(SECRET), {
        remoteHost: '127.0.0.1',
        remotePort: server.port,
      });
      assert.equal(r.code, ACCESS_ACCEPT);
      assert.equal(server.seen[0].packet.code, STATUS_SERVER);
      assert.equal(server.seen[0].packet.messageAuthenticator, true);
      assert.equal(server.seen.filter((s) => s.packet.code === ACCESS_REQUEST).length, 0);
    } finally {
      client.close();
      server.close();
    }
  });
});

describe('sendPacketWith (callbacks instead of a promise)', () => {
  test('exactly one callback: the reply, a timeout, or a closed client', async () => {
    const server = await TestServer.start();
    const silent = await TestServer.start({ handler: () => null });
    const client = new RadiusClient({ timeout: 0.05, retries: 0 });
    try {
      const calls: string[] = [];
      const sent = (label: string, port: number) =>
        new Promise<void>((done) =>
          client.sendPacketWith(
            accessRequest(label),
            { remoteHost: '127.0.0.1', remotePort: port },
            ([response, seconds]) => {
              calls.push(`${label} ${response.get('Reply-Message')} ${typeof seconds}`);
              done();
            },
            (error) => {
              calls.push(`${label} ${(error as Error).constructor.name}`);
              done();
            },
          ),
        );
      await Promise.all([sent('alice', server.port), sent('bob', silent.port)]);
      client.close();
      await sent('carol', server.port);
      // Nothing more arrives later (no second callback for any of them).
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(calls.sort(), [
        'alice hello alice number',
        'bob RadiusTimeoutError',
        'carol RadiusClosedError',
      ]);
    } finally {
      client.close();
      server.close();
      silent.close();
    }
  });
});

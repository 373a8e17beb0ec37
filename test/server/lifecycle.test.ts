// AbstractRadiusServer's life: binding, the ports it opens, close() with work in flight, run(),
// periodic tasks, sync and async handlers, the handler's context, IPv6 and host names.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import net from 'node:net';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  ACCOUNTING_RESPONSE,
  AccessRequest,
  AccountingRequest,
  decodeResponse,
  type Packet,
  ConfigError,
  RadiusBindError,
  RadiusClient,
  RadiusClosedError,
  RadiusError,
  RadiusTimeoutError,
} from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import {
  AbstractRadiusServer,
  type HandlerResult,
  type RequestContext,
} from '../../src/server/abstract-server.js';
import { periodicTask } from '../../src/server/periodic-task.js';
import { freePort, ipv6LoopbackAvailable } from '../helpers/ports.js';
import { fulfilsLater, rejectsLater } from '../helpers/thenables.js';
import { udpSocketsOpen } from '../helpers/udp-sockets.js';

const SECRET = 'lifecycle-secret';
const WAIT_MS = 3000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** A TLS listener with a PSK needs no certificate files. */
const PSK = Buffer.alloc(32, 0x11);

/** Polls `cond` every few milliseconds; false if it did not become true within `ms`. */
async function waitFor(cond: () => boolean, ms = WAIT_MS): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() >= deadline) return false;
    await sleep(5);
  }
  return true;
}

/** A client socket that queues the datagrams it receives; every wait is bounded. */
class Peer {
  private readonly queue: Buffer[] = [];
  private wake: (() => void) | undefined;
  private constructor(private readonly sock: Socket) {
    sock.on('message', (m) => {
      this.queue.push(m);
      this.wake?.();
    });
  }

  static async open(address = '127.0.0.1'): Promise<Peer> {
    const sock = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => sock.bind(0, address, resolve));
    return new Peer(sock);
  }

  send(data: Buffer, port: number, host = '127.0.0.1'): void {
    this.sock.send(data, port, host);
  }

  /** The next datagram, or undefined when none came within `ms`. */
  async next(ms = WAIT_MS): Promise<Buffer | undefined> {
    if (this.queue.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.queue.shift();
  }

  /** Sends `request` and decodes the reply (fails the test when none comes). */
  async exchange(request: Packet, port: number, host = '127.0.0.1'): Promise<Packet> {
    this.send(request.encode(), port, host);
    const data = await this.next();
    assert.ok(data, `no reply to ${request.codeName} id ${request.identifier}`);
    return decodeResponse(SECRET, data, request);
  }

  close(): void {
    this.sock.close();
  }
}

function accessRequest(user: string, password = 'pw'): AccessRequest {
  return new AccessRequest(SECRET).addAttributes(['User-Name', user], ['User-Password', password]);
}

/** A controllable promise: the test decides when a slow handler finishes. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

class AuthOnlyServer extends AbstractRadiusServer {
  validateNas() {
    return SECRET;
  }
  override handleAuthPacket(attrs: AttributesSet) {
    return [[], attrs.get('User-Password') === 'pw' ? ACCESS_ACCEPT : ACCESS_REJECT] as const;
  }
}

class AcctOnlyServer extends AbstractRadiusServer {
  validateNas() {
    return SECRET;
  }
  override handleAccPacket() {
    return [[], null] as const;
  }
}

class BothServer extends AuthOnlyServer {
  override handleAccPacket() {
    return [[], null] as const;
  }
}

describe('binding', () => {
  test('`listening` resolves with the ports bound (port 0 picks free ones)', async () => {
    const server = new BothServer('127.0.0.1', { authPort: 0, accPort: 0 });
    void server.start();
    const info = await server.listening;
    try {
      assert.equal(info.address, '127.0.0.1');
      assert.equal(info.host, '127.0.0.1');
      assert.ok(info.authPort && info.authPort > 0);
      assert.ok(info.accPort && info.accPort > 0);
      assert.notEqual(info.authPort, info.accPort);
      // start() again gives the same ports, no second bind.
      assert.deepEqual(await server.start(), info);
      const peer = await Peer.open();
      try {
        assert.equal((await peer.exchange(accessRequest('u'), info.authPort)).code, ACCESS_ACCEPT);
        const acct = new AccountingRequest(SECRET).addAttributes(['Acct-Status-Type', 'Start']);
        assert.equal((await peer.exchange(acct, info.accPort)).code, ACCOUNTING_RESPONSE);
      } finally {
        peer.close();
      }
    } finally {
      await server.close();
    }
  });

  test('only the port of an overridden handler is opened', async () => {
    const auth = new AuthOnlyServer('127.0.0.1', { authPort: 0, accPort: 0 });
    const acct = new AcctOnlyServer('127.0.0.1', { authPort: 0, accPort: 0 });
    try {
      const a = await auth.start();
      assert.ok(a.authPort && a.authPort > 0);
      assert.equal(a.accPort, undefined);
      const b = await acct.start();
      assert.equal(b.authPort, undefined);
      assert.ok(b.accPort && b.accPort > 0);
    } finally {
      await auth.close();
      await acct.close();
    }
  });

  test('a server with no handler refuses to start', async () => {
    class NoHandler extends AbstractRadiusServer {
      validateNas() {
        return SECRET;
      }
    }
    const server = new NoHandler('127.0.0.1', { authPort: 0, accPort: 0 });
    await assert.rejects(server.start(), (e: RadiusError) => e.code === 'ERR_RADIUS_NO_HANDLER');
    await assert.rejects(server.listening);
    await server.close();
  });

  test('a port already in use rejects start() and `listening` with RadiusBindError naming it', async () => {
    const holder = createSocket('udp4');
    await new Promise<void>((r) => holder.bind(0, '127.0.0.1', r));
    const port = holder.address().port;
    const server = new AuthOnlyServer('127.0.0.1', { authPort: port });
    const expected = (e: unknown) =>
      e instanceof RadiusBindError &&
      e.code === 'ERR_RADIUS_BIND' &&
      e.address === '127.0.0.1' &&
      e.port === port &&
      e.transport === 'udp' &&
      e.systemCode === 'EADDRINUSE' &&
      e.message.includes(`UDP 127.0.0.1:${port}`) &&
      (e.cause as NodeJS.ErrnoException).code === 'EADDRINUSE';
    try {
      await assert.rejects(server.start(), expected);
      await assert.rejects(server.listening, expected);
      // close() of a server that never started resolves.
      await server.close();
    } finally {
      holder.close();
    }
  });

  test('a TCP or TLS port in use: RadiusBindError with the transport, and no UDP socket left open', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      for (const [transport, options] of [
        ['tcp', { authPort: 0, tcp: { port } }],
        ['tls', { authPort: 0, tls: { port, psk: { nas: PSK } } }],
      ] as const) {
        const before = await udpSocketsOpen();
        const server = new AuthOnlyServer('127.0.0.1', options);
        await assert.rejects(
          server.start(),
          (e: unknown) =>
            e instanceof RadiusBindError &&
            e.transport === transport &&
            e.port === port &&
            e.message.includes(`${transport.toUpperCase()} 127.0.0.1:${port}`),
        );
        assert.equal(await udpSocketsOpen(), before, 'the UDP port bound before is released');
      }
    } finally {
      holder.close();
    }
  });

  test('IPv6: the address is bracketed in the message', async (t) => {
    if (!(await ipv6LoopbackAvailable())) return t.skip('::1 not available');
    const holder = createSocket({ type: 'udp6', ipv6Only: true });
    await new Promise<void>((r) => holder.bind(0, '::1', r));
    const port = holder.address().port;
    try {
      await assert.rejects(new AuthOnlyServer('::1', { authPort: port }).start(), (e: unknown) =>
        (e as Error).message.includes(`UDP [::1]:${port}`),
      );
    } finally {
      holder.close();
    }
  });

  test('an IPv6 server on ::1', async (t) => {
    if (!(await ipv6LoopbackAvailable())) return t.skip('::1 not available');
    const server = new AuthOnlyServer('::1', { authPort: 0 });
    const info = await server.start();
    const peer = await Peer.open('::1');
    try {
      assert.equal(info.address, '::1');
      const reply = await peer.exchange(accessRequest('v6'), info.authPort!, '::1');
      assert.equal(reply.code, ACCESS_ACCEPT);
      assert.equal(server.nasCounters('::1').accepts, 1);
    } finally {
      peer.close();
      await server.close();
    }
  });

  test("the host name 'localhost' is resolved and served", async () => {
    const server = new AuthOnlyServer('localhost', { authPort: 0 });
    const info = await server.start();
    const peer = await Peer.open(info.address);
    try {
      assert.equal(info.host, 'localhost');
      assert.ok(['127.0.0.1', '::1'].includes(info.address), info.address);
      const reply = await peer.exchange(accessRequest('local'), info.authPort!, info.address);
      assert.equal(reply.code, ACCESS_ACCEPT);
    } finally {
      peer.close();
      await server.close();
    }
  });
});

// Issue 14: each listener is optional. A server with a stream listener opens UDP only when given a
// port; null leaves a UDP listener out; without streams the defaults stay 1812/1813 (the spec's).
describe('optional UDP listeners', () => {
  test('without tcp or tls the UDP ports default to 1812 and 1813', () => {
    const server = new BothServer('127.0.0.1');
    assert.equal(server.options.authPort, 1812);
    assert.equal(server.options.accPort, 1813);
  });

  for (const streams of ['tls', 'tcp'] as const) {
    test(`a server given only ${streams} opens no UDP socket`, async () => {
      const options = streams === 'tls' ? { tls: { port: 0, psk: { nas: PSK } } } : { tcp: { port: 0 } };
      const server = new BothServer('127.0.0.1', options);
      assert.equal(server.options.authPort, null);
      assert.equal(server.options.accPort, null);
      const before = await udpSocketsOpen();
      try {
        const info = await server.start();
        assert.equal(await udpSocketsOpen(), before, 'no UDP socket opened');
        assert.equal(info.authPort, undefined);
        assert.equal(info.accPort, undefined);
        assert.ok(((streams === 'tls' ? info.tlsPort : info.tcpPort) as number) > 0);
      } finally {
        await server.close();
      }
    });
  }

  test('with a stream listener, a UDP port given is opened, the other is not', async () => {
    const server = new BothServer('127.0.0.1', { authPort: 0, tcp: { port: 0 } });
    const before = await udpSocketsOpen();
    const peer = await Peer.open();
    try {
      const info = await server.start();
      assert.equal(await udpSocketsOpen(), before + 2, 'one UDP socket for the server (and the peer)');
      assert.ok(info.authPort && info.authPort > 0);
      assert.equal(info.accPort, undefined);
      assert.equal((await peer.exchange(accessRequest('u'), info.authPort)).code, ACCESS_ACCEPT);
    } finally {
      peer.close();
      await server.close();
    }
  });

  test('null leaves a UDP listener out even without streams', async () => {
    const server = new BothServer('127.0.0.1', { authPort: null, accPort: 0 });
    const before = await udpSocketsOpen();
    try {
      const info = await server.start();
      assert.equal(await udpSocketsOpen(), before + 1);
      assert.equal(info.authPort, undefined);
      assert.ok(info.accPort && info.accPort > 0);
    } finally {
      await server.close();
    }
  });

  test('no listener left at all refuses to start; a port that is not one is a ConfigError', async () => {
    const none = new AuthOnlyServer('127.0.0.1', { authPort: null });
    await assert.rejects(none.start(), (e: RadiusError) => e.code === 'ERR_RADIUS_NO_LISTENER');
    for (const bad of [-1, 65536, 1.5, Number.NaN, '1812', false]) {
      assert.throws(
        () => new AuthOnlyServer('127.0.0.1', { authPort: bad as number }),
        (e: unknown) => e instanceof ConfigError && e.field === 'authPort',
        String(bad),
      );
    }
  });
});

describe('handlers', () => {
  test('sync and async handlers both answer', async () => {
    class Mixed extends AbstractRadiusServer {
      validateNas() {
        return Promise.resolve(SECRET);
      }
      override handleAuthPacket(attrs: AttributesSet) {
        const ok = attrs.get('User-Password') === 'pw';
        return [[['Reply-Message', 'sync']], ok ? ACCESS_ACCEPT : ACCESS_REJECT] as const;
      }
      override async handleAccPacket() {
        await sleep(1);
        return [[['Reply-Message', 'async']], null] as const;
      }
    }
    const server = new Mixed('127.0.0.1', { authPort: 0, accPort: 0 });
    const info = await server.start();
    const peer = await Peer.open();
    try {
      const auth = await peer.exchange(accessRequest('s', 'pw'), info.authPort!);
      assert.equal(auth.code, ACCESS_ACCEPT);
      assert.equal(auth.get('Reply-Message'), 'sync');
      const reject = await peer.exchange(accessRequest('s', 'bad'), info.authPort!);
      assert.equal(reject.code, ACCESS_REJECT);
      const acct = new AccountingRequest(SECRET).addAttributes(['Acct-Status-Type', 'Stop']);
      const resp = await peer.exchange(acct, info.accPort!);
      assert.equal(resp.code, ACCOUNTING_RESPONSE);
      assert.equal(resp.get('Reply-Message'), 'async');
      assert.equal(server.counters.accepts, 1);
      assert.equal(server.counters.rejects, 1);
      assert.equal(server.counters.accountingResponses, 1);
    } finally {
      peer.close();
      await server.close();
    }
  });

  // A PromiseLike from another promise library is awaited as a native promise is.
  test('thenables (not native promises) from validateNas and handlers are awaited', async () => {
    const errors: unknown[] = [];
    class Thenables extends AbstractRadiusServer {
      validateNas(): PromiseLike<string> {
        return fulfilsLater(SECRET);
      }
      override handleAuthPacket(attrs: AttributesSet): PromiseLike<HandlerResult<number>> {
        if (attrs.get('User-Name') === 'fails') return rejectsLater(new Error('thenable rejected'));
        return fulfilsLater([[['Reply-Message', 'from a thenable']], ACCESS_ACCEPT] as const);
      }
      override registerHandleException(error: unknown) {
        errors.push(error);
      }
    }
    const server = new Thenables('127.0.0.1', { authPort: 0 });
    const info = await server.start();
    const client = new RadiusClient({
      servers: [{ host: '127.0.0.1', port: info.authPort as number, secret: SECRET }],
      timeout: 1,
      retries: 0,
    });
    try {
      const [accept] = await client.sendPacket(accessRequest('alice'));
      assert.equal(accept.code, ACCESS_ACCEPT);
      assert.equal(accept.get('Reply-Message'), 'from a thenable');
      assert.equal(server.counters.accepts, 1);
      assert.equal(server.counters.unknownNas, 0);
      // Rejected: no reply, counted and reported as a rejected promise is.
      await assert.rejects(client.sendPacket(accessRequest('fails')), RadiusTimeoutError);
      assert.equal(server.counters.handlerErrors, 1);
      assert.equal(server.counters.dropped, 1);
      assert.ok(errors.some((e) => e instanceof Error && e.message === 'thenable rejected'));
    } finally {
      client.close();
      await server.close();
    }
  });

  test('the context carries the remote, the verified packet, the secret and the port', async () => {
    const seen: Array<{ attrs: AttributesSet; ctx: RequestContext | undefined }> = [];
    class Ctx extends AbstractRadiusServer {
      validateNas() {
        return { secret: Buffer.from(SECRET), name: 'nas-1' };
      }
      override handleAuthPacket(attrs: AttributesSet, ctx?: RequestContext) {
        seen.push({ attrs, ctx });
        return [[], ACCESS_ACCEPT] as const;
      }
      override handleAccPacket(attrs: AttributesSet, ctx?: RequestContext) {
        seen.push({ attrs, ctx });
        return [[], null] as const;
      }
    }
    const server = new Ctx('127.0.0.1', { authPort: 0, accPort: 0 });
    const info = await server.start();
    const peer = await Peer.open();
    try {
      const req = accessRequest('ctx-user');
      await peer.exchange(req, info.authPort!);
      const acct = new AccountingRequest(SECRET).addAttributes(['Acct-Session-Id', 'ctx-1']);
      await peer.exchange(acct, info.accPort!);
      assert.equal(seen.length, 2);
      const [a, b] = seen;
      assert.ok(a.ctx && b.ctx);
      assert.equal(a.ctx.port, 'auth');
      assert.equal(b.ctx.port, 'acct');
      assert.equal(a.ctx.remote.address, '127.0.0.1');
      assert.equal(a.ctx.remote.family, 'IPv4');
      assert.ok(a.ctx.remote.port > 0);
      assert.equal(b.ctx.remote.port, a.ctx.remote.port);
      assert.ok(a.ctx.secret.equals(Buffer.from(SECRET)));
      assert.equal(a.ctx.packet.code, req.code);
      assert.equal(a.ctx.packet.identifier, req.identifier);
      assert.ok(a.ctx.packet.authenticator.equals(req.authenticator));
      assert.equal(a.ctx.packet.attributes, a.attrs);
      assert.equal(a.attrs.get('User-Name'), 'ctx-user');
      // User-Password arrives revealed.
      assert.equal(a.attrs.get('User-Password'), 'pw');
      assert.equal(a.ctx.packet.messageAuthenticator, true);
      assert.equal(b.attrs.get('Acct-Session-Id'), 'ctx-1');
      assert.equal(b.ctx.packet.raw?.[0], 4);
    } finally {
      peer.close();
      await server.close();
    }
  });
});

describe('close() and run()', () => {
  test('close() waits for a slow handler in flight, and its reply is still sent', async () => {
    const slow = gate();
    let entered = false;
    let calls = 0;
    class Slow extends AbstractRadiusServer {
      validateNas() {
        return SECRET;
      }
      override async handleAuthPacket() {
        calls++;
        entered = true;
        await slow.promise;
        return [[['Reply-Message', 'finished']], ACCESS_ACCEPT] as const;
      }
    }
    const server = new Slow('127.0.0.1', { authPort: 0, closeTimeout: 10 });
    const info = await server.start();
    const peer = await Peer.open();
    try {
      const req = accessRequest('slow');
      peer.send(req.encode(), info.authPort!);
      assert.ok(await waitFor(() => entered), 'the handler never started');
      let closed = false;
      const closing = server.close().then(() => (closed = true));
      // A request arriving while closing is not handled.
      peer.send(accessRequest('late').encode(), info.authPort!);
      await sleep(50);
      assert.equal(closed, false, 'close() resolved while a handler was still running');
      slow.open();
      await closing;
      const data = await peer.next();
      assert.ok(data, 'the reply of the in-flight request was lost');
      const reply = decodeResponse(SECRET, data, req);
      assert.equal(reply.code, ACCESS_ACCEPT);
      assert.equal(reply.get('Reply-Message'), 'finished');
      assert.equal(calls, 1);
      assert.equal(await peer.next(200), undefined);
    } finally {
      peer.close();
      slow.open();
      await server.close();
    }
  });

  test('close() gives up on a handler after closeTimeout', async () => {
    const never = gate();
    let entered = false;
    class Stuck extends AbstractRadiusServer {
      validateNas() {
        return SECRET;
      }
      override async handleAuthPacket() {
        entered = true;
        await never.promise;
        return [[], ACCESS_ACCEPT] as const;
      }
    }
    const server = new Stuck('127.0.0.1', { authPort: 0, closeTimeout: 0.1, handlerTimeout: 60 });
    const info = await server.start();
    const peer = await Peer.open();
    try {
      peer.send(accessRequest('stuck').encode(), info.authPort!);
      assert.ok(await waitFor(() => entered));
      // Bounded: the test fails by the runner's timeout if close() never resolves.
      await server.close();
      assert.equal(server.inFlightCount, 1);
    } finally {
      never.open();
      peer.close();
    }
  });

  test('close() before start(): `listening` and a later start() reject, nothing is bound', async () => {
    const server = new AuthOnlyServer('127.0.0.1', { authPort: 0 });
    let closeEvents = 0;
    server.on('close', () => closeEvents++);
    await server.close();
    await assert.rejects(server.listening, RadiusClosedError);
    await assert.rejects(server.start(), RadiusClosedError);
    // Never listened, so never 'close' either (as after a failed start).
    assert.equal(closeEvents, 0);
    await server.close();
  });

  test('close() during start() lets the bind finish, then releases the ports', async () => {
    const server = new BothServer('127.0.0.1', { authPort: 0, accPort: 0 });
    const starting = server.start();
    const closing = server.close();
    const info = await starting;
    await closing;
    // Both ports are free again: a socket can take each of them.
    for (const port of [info.authPort, info.accPort]) {
      const sock = createSocket('udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          sock.once('error', reject);
          sock.bind(port, '127.0.0.1', resolve);
        });
      } finally {
        sock.close();
      }
    }
  });

  test('a failed start() releases the port it had already bound', async () => {
    const holder = createSocket('udp4');
    await new Promise<void>((r) => holder.bind(0, '127.0.0.1', r));
    const authPort = await freePort();
    // The auth port binds, then the accounting port is taken: start() fails.
    const server = new BothServer('127.0.0.1', { authPort, accPort: holder.address().port });
    try {
      await assert.rejects(server.start(), { code: 'ERR_RADIUS_BIND', systemCode: 'EADDRINUSE' });
      const again = new AuthOnlyServer('127.0.0.1', { authPort });
      const info = await again.start();
      assert.equal(info.authPort, authPort);
      await again.close();
    } finally {
      holder.close();
    }
  });

  test('the ports are released by close()', async () => {
    const first = new BothServer('127.0.0.1', { authPort: 0, accPort: 0 });
    const info = await first.start();
    await first.close();
    const again = new BothServer('127.0.0.1', { authPort: info.authPort, accPort: info.accPort });
    try {
      const info2 = await again.start();
      assert.equal(info2.authPort, info.authPort);
      assert.equal(info2.accPort, info.accPort);
    } finally {
      await again.close();
    }
  });

  test('run() resolves after close(), and emits listening and close', async () => {
    const server = new AuthOnlyServer('127.0.0.1', { authPort: 0 });
    const events: string[] = [];
    server.on('listening', () => events.push('listening'));
    server.on('close', () => events.push('close'));
    const before = process.listenerCount('SIGTERM');
    const beforeInt = process.listenerCount('SIGINT');
    let done = false;
    const running = server.run().then(() => (done = true));
    const info = await server.listening;
    // run() adds its signal handlers right after start() resolves.
    assert.ok(await waitFor(() => process.listenerCount('SIGTERM') === before + 1));
    const peer = await Peer.open();
    try {
      assert.equal((await peer.exchange(accessRequest('r'), info.authPort!)).code, ACCESS_ACCEPT);
      assert.equal(done, false);
      await server.close();
      await running;
      assert.equal(done, true);
      assert.deepEqual(events, ['listening', 'close']);
      // run() took its signal handlers away.
      assert.equal(process.listenerCount('SIGTERM'), before);
      assert.equal(process.listenerCount('SIGINT'), beforeInt);
    } finally {
      peer.close();
      await server.close();
    }
  });
});

describe('@periodicTask', () => {
  test('runs repeatedly, never overlaps, reports errors, and stops with close()', async () => {
    const errors: unknown[] = [];
    class Tasks extends AuthOnlyServer {
      ticks = 0;
      slowRuns = 0;
      active = 0;
      maxActive = 0;
      failures = 0;

      @periodicTask({ delay: 0.01 })
      tick() {
        this.ticks++;
      }

      // Each run takes longer than the delay: a timer-driven scheduler would overlap runs.
      @periodicTask({ delay: 0.005 })
      async slow() {
        this.active++;
        this.maxActive = Math.max(this.maxActive, this.active);
        await sleep(30);
        this.slowRuns++;
        this.active--;
      }

      @periodicTask({ delay: 0.01 })
      async failing() {
        this.failures++;
        if (this.failures % 2) throw new Error(`async failure ${this.failures}`);
        throw new RadiusError(`sync-style failure ${this.failures}`);
      }

      override registerHandleException(error: unknown) {
        errors.push(error);
      }
    }
    const server = new Tasks('127.0.0.1', { authPort: 0 });
    assert.equal(server.ticks, 0);
    await server.start();
    try {
      assert.ok(await waitFor(() => server.ticks >= 3 && server.slowRuns >= 3 && errors.length >= 3));
      assert.equal(server.maxActive, 1, 'a periodic task overlapped itself');
      // Each failure reaches registerHandleException and does not stop the task.
      assert.ok(errors.every((e) => e instanceof Error && /failure \d+/.test(e.message)));
      assert.ok(server.failures >= 3);
    } finally {
      await server.close();
    }
    // close() waited for the slow task's run in progress.
    assert.equal(server.active, 0);
    const after = { ticks: server.ticks, slow: server.slowRuns, failures: server.failures };
    await sleep(100);
    assert.deepEqual({ ticks: server.ticks, slow: server.slowRuns, failures: server.failures }, after);
  });

  test('a task does not run before start()', async () => {
    class Idle extends AuthOnlyServer {
      runs = 0;
      @periodicTask({ delay: 0.005 })
      tick() {
        this.runs++;
      }
    }
    const server = new Idle('127.0.0.1', { authPort: 0 });
    await sleep(50);
    assert.equal(server.runs, 0);
    await server.start();
    try {
      assert.ok(await waitFor(() => server.runs >= 1));
    } finally {
      await server.close();
    }
  });

  test('a non-positive delay is refused', () => {
    assert.throws(() => periodicTask({ delay: 0 }), RangeError);
    assert.throws(() => periodicTask({ delay: -1 }), RangeError);
  });
});

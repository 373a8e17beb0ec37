// Duplicate detection (RFC 5080 §2.2.2) seen from raw UDP sockets: a retransmission is answered
// from the cache, never handled twice, and a new authenticator or source port is a new request;
// with two instances sharing a real redis-server, also when the copy reaches the other instance.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCOUNTING_RESPONSE,
  AccessRequest,
  AccountingRequest,
  decodeResponse,
} from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { AbstractRadiusServer, type ListeningInfo } from '../../src/server/abstract-server.js';
import { RedisSharedState } from '../../src/store/redis-shared-state.js';
import type { DuplicateClaim, SharedDuplicateStore } from '../../src/store/store.js';
import { type RedisPeer, redisMissing, startRedis } from '../helpers/redis.js';

const SECRET = 'duplicates-secret';
const WAIT_MS = 3000;
const TTL_S = 0.2;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond`; false if it did not become true within `ms`. */
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

  static async open(): Promise<Peer> {
    const sock = createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    return new Peer(sock);
  }

  send(data: Buffer, port: number): void {
    this.sock.send(data, port, '127.0.0.1');
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

  /** Sends bytes and returns the next datagram (fails the test when none comes). */
  async roundTrip(data: Buffer, port: number): Promise<Buffer> {
    this.send(data, port);
    const reply = await this.next();
    assert.ok(reply, 'no reply');
    return reply;
  }

  /**
   * Proves nothing else is queued or on its way: a fresh request sent now must be the next answer
   * (the server answers one source in order, so an extra reply would arrive before it).
   */
  async assertQuiet(port: number): Promise<void> {
    const probe = new AccessRequest(SECRET).addAttributes(['User-Name', 'probe']);
    const reply = await this.roundTrip(probe.encode(), port);
    assert.equal(reply[1], probe.identifier, 'an unexpected extra reply arrived');
    assert.equal(decodeResponse(SECRET, reply, probe).code, ACCESS_ACCEPT);
  }

  close(): void {
    this.sock.close();
  }
}

/** A promise the test resolves: the handler waits on it. */
interface Gate {
  promise: Promise<void>;
  open: () => void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

class CountingServer extends AbstractRadiusServer {
  /** Handler runs per User-Name (Access-Request) or Acct-Session-Id (Accounting-Request). */
  readonly runs = new Map<string, number>();
  /** Users whose handler waits for the gate. */
  readonly gates = new Map<string, Gate>();
  readonly entered = new Set<string>();
  readonly errors: unknown[] = [];

  validateNas() {
    return SECRET;
  }

  private bump(key: string): number {
    const n = (this.runs.get(key) ?? 0) + 1;
    this.runs.set(key, n);
    return n;
  }

  override async handleAuthPacket(attrs: AttributesSet) {
    const user = String(attrs.get('User-Name'));
    const n = user === 'probe' ? 0 : this.bump(user);
    this.entered.add(user);
    const g = this.gates.get(user);
    if (g) await g.promise;
    if (user === 'fails') throw new Error('handler failed');
    // A reply that differs on every run (and a random Tunnel-Password salt): a second run is visible.
    return [
      [
        ['Reply-Message', `run ${n} for ${user}`],
        ['Tunnel-Password:1', 'tunnel-secret'],
      ],
      ACCESS_ACCEPT,
    ] as const;
  }

  override handleAccPacket(attrs: AttributesSet) {
    const key = `acct:${attrs.get('Acct-Session-Id')}`;
    this.bump(key);
    this.entered.add(key);
    const g = this.gates.get(key);
    const reply = [[], null] as const;
    return g ? g.promise.then(() => reply) : reply;
  }

  override registerHandleException(error: unknown) {
    this.errors.push(error);
  }
}

describe('duplicate detection', () => {
  let server: CountingServer;
  let info: ListeningInfo;
  let authPort: number;
  let peer: Peer;

  before(async () => {
    // A long TTL: nothing here may expire, however slow the machine.
    server = new CountingServer('127.0.0.1', { authPort: 0, accPort: 0, duplicateTtl: 60 });
    info = await server.start();
    authPort = info.authPort!;
    peer = await Peer.open();
  });

  after(async () => {
    peer?.close();
    for (const g of server.gates.values()) g.open();
    await server?.close();
  });

  let dupsBefore = 0;
  let unansweredBefore = 0;
  beforeEach(() => {
    dupsBefore = server.counters.duplicates;
    unansweredBefore = server.counters.duplicatesUnanswered;
  });
  const newDuplicates = () => server.counters.duplicates - dupsBefore;
  /** Retransmissions dropped rather than answered from the cache (metrics count them as drops). */
  const newUnanswered = () => server.counters.duplicatesUnanswered - unansweredBefore;

  test('a retransmission gets a byte-identical reply and the handler runs once', async () => {
    const req = new AccessRequest(SECRET).addAttributes(['User-Name', 'retrans'], ['User-Password', 'pw']);
    const bytes = req.encode();
    const first = await peer.roundTrip(bytes, authPort);
    const second = await peer.roundTrip(Buffer.from(bytes), authPort);
    const third = await peer.roundTrip(Buffer.from(bytes), authPort);
    assert.ok(first.equals(second));
    assert.ok(first.equals(third));
    const reply = decodeResponse(SECRET, first, req, { requireMessageAuthenticator: true });
    assert.equal(reply.get('Reply-Message'), 'run 1 for retrans');
    assert.equal(server.runs.get('retrans'), 1);
    assert.equal(newDuplicates(), 2);
    assert.equal(newUnanswered(), 0, 'answered from the cache: not a drop');
    assert.equal(server.nasCounters('127.0.0.1').duplicates, server.counters.duplicates);
    await peer.assertQuiet(authPort);
  });

  test('a duplicate that arrives while the handler runs is handled once; the reply comes when it ends', async () => {
    const g = gate();
    server.gates.set('slow', g);
    const req = new AccessRequest(SECRET).addAttributes(['User-Name', 'slow']);
    const bytes = req.encode();
    peer.send(bytes, authPort);
    assert.ok(await waitFor(() => server.entered.has('slow')), 'the handler never started');
    peer.send(bytes, authPort);
    peer.send(bytes, authPort);
    assert.ok(await waitFor(() => newDuplicates() === 2), 'the duplicates were not seen');
    assert.equal(newUnanswered(), 2, 'dropped while the first copy is handled');
    // Nothing is answered while the handler waits.
    assert.equal(await peer.next(50), undefined);
    g.open();
    const data = await peer.next();
    assert.ok(data, 'no reply after the handler finished');
    assert.equal(decodeResponse(SECRET, data, req).get('Reply-Message'), 'run 1 for slow');
    assert.equal(server.runs.get('slow'), 1);
    await peer.assertQuiet(authPort);
  });

  test('the same identifier with a new authenticator is a new request', async () => {
    const a = new AccessRequest(SECRET, { identifier: 77 }).addAttributes(['User-Name', 'same-id']);
    const b = new AccessRequest(SECRET, { identifier: 77 }).addAttributes(['User-Name', 'same-id']);
    assert.ok(!a.authenticator.equals(b.authenticator));
    const ra = decodeResponse(SECRET, await peer.roundTrip(a.encode(), authPort), a);
    const rb = decodeResponse(SECRET, await peer.roundTrip(b.encode(), authPort), b);
    assert.equal(ra.get('Reply-Message'), 'run 1 for same-id');
    assert.equal(rb.get('Reply-Message'), 'run 2 for same-id');
    assert.equal(server.runs.get('same-id'), 2);
    assert.equal(newDuplicates(), 0);
  });

  test('the same bytes from another source port are a new request', async () => {
    const other = await Peer.open();
    try {
      const req = new AccessRequest(SECRET).addAttributes(['User-Name', 'two-ports']);
      const bytes = req.encode();
      const r1 = decodeResponse(SECRET, await peer.roundTrip(bytes, authPort), req);
      const r2 = decodeResponse(SECRET, await other.roundTrip(bytes, authPort), req);
      assert.equal(r1.get('Reply-Message'), 'run 1 for two-ports');
      assert.equal(r2.get('Reply-Message'), 'run 2 for two-ports');
      assert.equal(newDuplicates(), 0);
    } finally {
      other.close();
    }
  });

  test('an Accounting-Request retransmission is answered but counted once', async () => {
    const req = new AccountingRequest(SECRET).addAttributes(
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', 'dup-acct'],
    );
    const bytes = req.encode();
    const first = await peer.roundTrip(bytes, info.accPort!);
    const second = await peer.roundTrip(bytes, info.accPort!);
    assert.ok(first.equals(second));
    assert.equal(decodeResponse(SECRET, first, req).code, ACCOUNTING_RESPONSE);
    assert.equal(server.runs.get('acct:dup-acct'), 1);
    assert.equal(newDuplicates(), 1);
  });

  test('a retransmission of a request whose handler failed is not handled again', async () => {
    const before = server.errors.length;
    const req = new AccessRequest(SECRET).addAttributes(['User-Name', 'fails']);
    const bytes = req.encode();
    peer.send(bytes, authPort);
    assert.ok(await waitFor(() => server.errors.length === before + 1));
    peer.send(bytes, authPort);
    assert.ok(await waitFor(() => newDuplicates() === 1));
    await peer.assertQuiet(authPort);
    assert.equal(newUnanswered(), 1, 'its first copy got no reply: neither does this one');
    assert.equal(server.runs.get('fails'), 1);
    assert.equal(server.errors.length, before + 1);
  });

  test('requests from many sources in flight at once are all answered once', async () => {
    const g = gate();
    server.gates.set('burst', g);
    const peers = await Promise.all(Array.from({ length: 20 }, () => Peer.open()));
    try {
      const reqs = peers.map(() => new AccessRequest(SECRET).addAttributes(['User-Name', 'burst']));
      const bytes = reqs.map((r) => r.encode());
      // Every request twice while the handlers wait: 20 runs, 20 duplicates.
      for (const [i, p] of peers.entries()) p.send(bytes[i], authPort);
      assert.ok(await waitFor(() => server.runs.get('burst') === 20));
      for (const [i, p] of peers.entries()) p.send(bytes[i], authPort);
      assert.ok(await waitFor(() => newDuplicates() === 20));
      g.open();
      for (const [i, p] of peers.entries()) {
        const data = await p.next();
        assert.ok(data, `peer ${i} got no reply`);
        assert.equal(decodeResponse(SECRET, data, reqs[i]).code, ACCESS_ACCEPT);
      }
      for (const p of peers) await p.assertQuiet(authPort);
      assert.equal(server.runs.get('burst'), 20);
    } finally {
      for (const p of peers) p.close();
    }
  });
});

describe('duplicateTtl', () => {
  let server: CountingServer;
  let authPort: number;
  let peer: Peer;

  before(async () => {
    server = new CountingServer('127.0.0.1', { authPort: 0, duplicateTtl: TTL_S });
    authPort = (await server.start()).authPort!;
    peer = await Peer.open();
  });

  after(async () => {
    peer?.close();
    for (const g of server.gates.values()) g.open();
    await server?.close();
  });

  let dupsBefore = 0;
  beforeEach(() => {
    dupsBefore = server.counters.duplicates;
  });
  const newDuplicates = () => server.counters.duplicates - dupsBefore;

  test('after duplicateTtl a retransmission is handled again', async () => {
    const req = new AccessRequest(SECRET).addAttributes(['User-Name', 'expire']);
    const bytes = req.encode();
    const first = await peer.roundTrip(bytes, authPort);
    assert.equal(decodeResponse(SECRET, first, req).get('Reply-Message'), 'run 1 for expire');
    await sleep(TTL_S * 1000 * 2);
    const later = await peer.roundTrip(bytes, authPort);
    assert.equal(decodeResponse(SECRET, later, req).get('Reply-Message'), 'run 2 for expire');
    assert.equal(server.runs.get('expire'), 2);
    assert.equal(newDuplicates(), 0);
  });

  test('a retransmission after duplicateTtl while the handler still runs is not handled again', async () => {
    const g = gate();
    server.gates.set('slower', g);
    const req = new AccessRequest(SECRET).addAttributes(['User-Name', 'slower']);
    const bytes = req.encode();
    peer.send(bytes, authPort);
    assert.ok(await waitFor(() => server.entered.has('slower')));
    // The handler outlives the cache's TTL; the request is still in progress, not forgotten.
    await sleep(TTL_S * 1000 * 2);
    peer.send(bytes, authPort);
    assert.ok(await waitFor(() => newDuplicates() === 1), 'the retransmission was not taken as a duplicate');
    g.open();
    const data = await peer.next();
    assert.ok(data);
    assert.equal(decodeResponse(SECRET, data, req).get('Reply-Message'), 'run 1 for slower');
    assert.equal(server.runs.get('slower'), 1);
    await peer.assertQuiet(authPort);
  });
});

/** An instance's Redis store, counting what it is asked (Redis answers, nothing is faked). */
class CountedSharedState implements SharedDuplicateStore {
  claims = 0;
  completed = 0;
  constructor(readonly redis: RedisSharedState) {}

  claim(key: string, ttlMs: number): Promise<DuplicateClaim> {
    this.claims++;
    return this.redis.claim(key, ttlMs);
  }

  async complete(key: string, reply: Buffer | undefined, ttlMs: number): Promise<void> {
    await this.redis.complete(key, reply, ttlMs);
    this.completed++;
  }
}

describe('duplicate detection shared by two instances (Redis)', { skip: redisMissing() }, () => {
  let redis: RedisPeer;
  const instances: Array<{ server: CountingServer; shared: CountedSharedState; info: ListeningInfo }> = [];
  let peer: Peer;

  before(async () => {
    redis = await startRedis();
    for (let i = 0; i < 2; i++) {
      const store = await RedisSharedState.open(redis.url);
      await store.ready;
      const shared = new CountedSharedState(store);
      // A long TTL: neither the claims nor the tables may expire during a test.
      const server = new CountingServer('127.0.0.1', {
        authPort: 0,
        accPort: 0,
        duplicateTtl: 60,
        sharedDuplicates: shared,
      });
      instances.push({ server, shared, info: await server.start() });
    }
    peer = await Peer.open();
  });

  after(async () => {
    peer?.close();
    for (const { server, shared } of instances) {
      for (const g of server.gates.values()) g.open();
      await server.close();
      await shared.redis.close();
    }
    await redis?.stop();
  });

  /**
   * The NAS sends `bytes` to A; while A's handler (keyed `key`) waits, copies reach B (a balancer
   * spreading retransmissions); then A answers, and the next copies reach B again.
   */
  async function acrossInstances(bytes: Buffer, key: string, port: 'authPort' | 'accPort'): Promise<Buffer> {
    const [a, b] = instances;
    const g = gate();
    a.server.gates.set(key, g);
    peer.send(bytes, a.info[port] as number);
    assert.ok(await waitFor(() => a.server.entered.has(key)), 'A never started the handler');

    // A holds the claim: B drops each copy, and asks Redis again for each one.
    const claims = b.shared.claims;
    const dups = b.server.counters.duplicates;
    for (let i = 1; i <= 2; i++) {
      peer.send(bytes, b.info[port] as number);
      assert.ok(await waitFor(() => b.server.counters.duplicates === dups + i), `copy ${i} to B not dropped`);
      assert.equal(b.shared.claims, claims + i, `copy ${i} to B was not looked up in Redis`);
    }
    assert.equal(await peer.next(50), undefined, 'B answered while A was deciding');

    const completed = a.shared.completed;
    g.open();
    const first = await peer.next();
    assert.ok(first, 'no reply from A');
    assert.ok(await waitFor(() => a.shared.completed === completed + 1), "A's reply never reached Redis");

    // Now B answers with A's reply, taken from Redis once and then from its own table.
    const second = await peer.roundTrip(bytes, b.info[port] as number);
    assert.ok(second.equals(first), "B's answer is not A's reply");
    const asked = b.shared.claims;
    const third = await peer.roundTrip(bytes, b.info[port] as number);
    assert.ok(third.equals(first));
    assert.equal(b.shared.claims, asked, 'a local retransmission went to Redis');

    assert.equal(a.server.runs.get(key), 1);
    assert.equal(b.server.runs.get(key), undefined, "B's handler ran");
    await peer.assertQuiet(a.info.authPort as number);
    await peer.assertQuiet(b.info.authPort as number);
    return first;
  }

  test("an Access-Request copy that reaches B while A decides is dropped, and a later one gets A's reply", async () => {
    const req = new AccessRequest(SECRET).addAttributes(['User-Name', 'crossing'], ['User-Password', 'pw']);
    const reply = await acrossInstances(req.encode(), 'crossing', 'authPort');
    assert.equal(decodeResponse(SECRET, reply, req).get('Reply-Message'), 'run 1 for crossing');
  });

  test('the same for an Accounting-Request: stored once, by A, and acknowledged by B', async () => {
    const req = new AccountingRequest(SECRET).addAttributes(
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', 'crossing'],
    );
    const reply = await acrossInstances(req.encode(), 'acct:crossing', 'accPort');
    assert.equal(decodeResponse(SECRET, reply, req).code, ACCOUNTING_RESPONSE);
  });
});

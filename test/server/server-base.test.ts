// RadiusServerBase on its own, with endpoints that are not sockets: the lifecycle does not depend on
// UDP (TCP and TLS servers will share it). Start, failed start, close with work in flight, close
// during start, error reporting and the handler time limit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RadiusClosedError, RadiusError } from '../../src/errors.js';
import type { Logger } from '../../src/server/logger.js';
import { periodicTask } from '../../src/server/periodic-task.js';
import { RadiusServerBase, type ServerEndpoint } from '../../src/server/server-base.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` (bounded); false if it did not become true within `ms`. */
async function waitFor(cond: () => boolean, ms = 2000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() >= deadline) return false;
    await sleep(5);
  }
  return true;
}

/** A controllable promise. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

class MemoryEndpoint implements ServerEndpoint {
  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
}

interface MemoryInfo {
  name: string;
  endpoints: number;
}

/** A server whose endpoints are objects in memory; the test decides how opening them goes. */
class MemoryServer extends RadiusServerBase<MemoryInfo> {
  readonly options = { handlerTimeout: 0.05, closeTimeout: 0.2 };
  readonly opened: MemoryEndpoint[] = [];
  readonly errors: unknown[] = [];
  readonly cleared: string[] = [];
  /** Opening waits for this, when set. */
  openGate: Promise<void> | undefined;
  /** Opening fails after the first endpoint, when set. */
  failSecond = false;

  constructor(logger?: Logger) {
    super('memory', 'memory server', logger);
  }

  protected async openEndpoints(): Promise<MemoryInfo> {
    this.opened.push(this.addEndpoint(new MemoryEndpoint()));
    await this.openGate;
    if (this.failSecond) throw new RadiusError('second endpoint unavailable', 'ERR_TEST');
    this.opened.push(this.addEndpoint(new MemoryEndpoint()));
    return { name: 'memory', endpoints: this.opened.length };
  }

  protected override onClosed(): void {
    this.cleared.push(`endpoints closed: ${this.opened.every((ep) => ep.closed)}`);
  }

  override registerHandleException(error: unknown): void {
    this.errors.push(error);
    if (error instanceof Error && error.message === 'throw again') throw new Error('reporter failed');
  }

  /** What a transport does with a request: tracked while running, dropped otherwise. */
  receive(work: Promise<void>): boolean {
    if (this.state !== 'running') return false;
    this.track(work);
    return true;
  }

  limit<T>(p: Promise<T>): Promise<T> {
    return this.timeBox(p);
  }
}

describe('RadiusServerBase', () => {
  test('a closed server does not start again; a failed start keeps its own error', async () => {
    const server = new MemoryServer();
    await server.start();
    await server.close();
    await assert.rejects(server.start(), RadiusClosedError);
    const failed = new MemoryServer();
    failed.failSecond = true;
    await assert.rejects(failed.start(), /second endpoint unavailable/);
    await assert.rejects(failed.start(), /second endpoint unavailable/);
  });

  test("a 'listening' or 'close' listener that throws is reported; start(), close() and run() still finish", async () => {
    const server = new MemoryServer();
    server.on('listening', () => {
      throw new Error('listening listener failed');
    });
    server.on('close', () => {
      throw new Error('close listener failed');
    });
    const running = server.run();
    await server.listening;
    await server.close();
    await running;
    assert.deepEqual(
      server.errors.map((e) => (e as Error).message),
      ['listening listener failed', 'close listener failed'],
    );
  });

  test('start() opens the endpoints, close() closes them; events and `listening` follow', async () => {
    const server = new MemoryServer();
    const events: string[] = [];
    server.on('listening', (info: MemoryInfo) => events.push(`listening ${info.endpoints}`));
    server.on('close', () => events.push('close'));
    const info = await server.start();
    assert.deepEqual(info, { name: 'memory', endpoints: 2 });
    assert.equal(await server.listening, info);
    assert.equal(await server.start(), info, 'a second start() opens nothing more');
    assert.equal(server.opened.length, 2);
    await server.close();
    assert.ok(server.opened.every((ep) => ep.closed));
    assert.deepEqual(server.cleared, ['endpoints closed: true']);
    assert.deepEqual(events, ['listening 2', 'close']);
    assert.equal(server.receive(Promise.resolve()), false, 'a closed server takes nothing');
    await server.close();
    assert.deepEqual(events, ['listening 2', 'close'], 'close() is idempotent');
  });

  test("'listening' and 'close' are typed: the payload is the server's Info, other names do not compile", async () => {
    const server = new MemoryServer();
    const seen: number[] = [];
    // Inferred, not annotated: `info` is MemoryInfo.
    server.once('listening', (info) => seen.push(info.endpoints));
    const closed = () => seen.push(-1);
    server.on('close', closed);
    // @ts-expect-error a property MemoryInfo does not have
    server.on('listening', (info) => info.nonexistent);
    // @ts-expect-error 'close' has no payload
    server.on('close', (info: MemoryInfo) => info.endpoints);
    // @ts-expect-error an event the server does not emit
    server.on('lisening', () => {});
    await server.start();
    await server.close();
    server.off('close', closed);
    assert.deepEqual(seen, [2, -1]);
  });

  test('a failed start closes what was opened and rejects `listening`', async () => {
    const server = new MemoryServer();
    server.failSecond = true;
    await assert.rejects(server.start(), { code: 'ERR_TEST' });
    await assert.rejects(server.listening, { code: 'ERR_TEST' });
    assert.equal(server.opened.length, 1);
    assert.equal(server.opened[0].closed, true);
    await server.close();
    await assert.rejects(server.start(), { code: 'ERR_TEST' });
  });

  test('close() before start() rejects `listening` with RadiusClosedError', async () => {
    const server = new MemoryServer();
    await server.close();
    await assert.rejects(server.listening, RadiusClosedError);
    await assert.rejects(server.start(), RadiusClosedError);
    assert.equal(server.opened.length, 0);
  });

  test('close() during start() waits for the endpoints, then closes them all', async () => {
    const server = new MemoryServer();
    const opening = gate();
    server.openGate = opening.promise;
    const starting = server.start();
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await sleep(20);
    assert.equal(closed, false);
    opening.open();
    await starting;
    await closing;
    assert.equal(server.opened.length, 2);
    assert.ok(
      server.opened.every((ep) => ep.closed),
      'an endpoint stayed open',
    );
  });

  test('close() waits for work in flight; failures go to registerHandleException', async () => {
    const server = new MemoryServer();
    await server.start();
    const slow = gate();
    assert.ok(server.receive(slow.promise));
    assert.ok(server.receive(Promise.reject(new Error('request failed'))));
    assert.equal(server.inFlightCount, 2);
    assert.ok(await waitFor(() => server.inFlightCount === 1));
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await sleep(20);
    assert.equal(closed, false, 'close() did not wait for the work in flight');
    assert.equal(server.receive(Promise.resolve()), false, 'a closing server takes nothing');
    slow.open();
    await closing;
    assert.equal(server.inFlightCount, 0);
    assert.deepEqual(
      server.errors.map((e) => (e as Error).message),
      ['request failed'],
    );
  });

  test('close() gives up on work in flight after closeTimeout', async () => {
    const server = new MemoryServer();
    await server.start();
    const never = gate();
    server.receive(never.promise);
    // Bounded by closeTimeout (0.2 s); the runner's timeout fails the test otherwise.
    await server.close();
    assert.equal(server.inFlightCount, 1);
    assert.ok(server.opened.every((ep) => ep.closed));
    never.open();
  });

  test('a registerHandleException that throws is logged, not propagated', async () => {
    const logged: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn() {},
      error: (obj, msg) => logged.push(`${msg}: ${(obj as { err: string }).err}`),
    };
    const server = new MemoryServer(logger);
    await server.start();
    try {
      server.receive(Promise.reject(new Error('throw again')));
      assert.ok(await waitFor(() => logged.length === 1));
      assert.deepEqual(logged, ['registerHandleException threw: Error: reporter failed']);
    } finally {
      await server.close();
    }
  });

  test('timeBox() rejects a handler past handlerTimeout and passes a prompt one through', async () => {
    const server = new MemoryServer();
    assert.equal(await server.limit(Promise.resolve(7)), 7);
    const never = gate();
    // The time limit's timer does not hold the process open (a server's sockets do): this does.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      await assert.rejects(server.limit(never.promise), (e: RadiusError) => {
        assert.equal(e.code, 'ERR_RADIUS_HANDLER_TIMEOUT');
        assert.match(e.message, /0\.05s/);
        return true;
      });
    } finally {
      clearInterval(keepAlive);
      never.open();
    }
  });

  test('@periodicTask methods run between start() and close()', async () => {
    class Periodic extends MemoryServer {
      runs = 0;
      @periodicTask({ delay: 0.005 })
      tick() {
        this.runs++;
      }
    }
    const server = new Periodic();
    await sleep(20);
    assert.equal(server.runs, 0);
    await server.start();
    assert.ok(await waitFor(() => server.runs >= 2));
    await server.close();
    const runs = server.runs;
    await sleep(30);
    assert.equal(server.runs, runs);
  });
});

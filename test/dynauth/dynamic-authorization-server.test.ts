import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type DynamicAuthorizationServerOptions,
  DynamicAuthorizationServer,
  type DynauthHandlerResult,
  type DynauthRequestContext,
} from '../../src/dynauth/dynamic-authorization-server.js';
import { ERROR_CAUSE } from '../../src/dynauth/error-cause.js';
import { sendToDas } from '../../src/dynauth/das-sender.js';
import {
  ConfigError,
  InvalidValueError,
  RadiusClosedError,
  RadiusError,
  RadiusResponseError,
} from '../../src/errors.js';
import type { AttributePair, AttributesSet } from '../../src/protocol/attributes.js';
import { COA_ACK, COA_NAK, DISCONNECT_ACK, DISCONNECT_NAK } from '../../src/protocol/codes.js';
import {
  AccessRequest,
  CoARequest,
  DisconnectRequest,
  decodeResponse,
  type Packet,
} from '../../src/protocol/packet.js';
import { periodicTask } from '../../src/server/periodic-task.js';
import type { Remote } from '../../src/transport/udp.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import { fulfilsLater, rejectsLater } from '../helpers/thenables.js';
import { udpSocketsOpen } from '../helpers/udp-sockets.js';

const SECRET = 'dynauth-s3cret';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A DAS whose handlers answer by User-Name, so each test picks the outcome. */
class TestDas extends DynamicAuthorizationServer {
  readonly calls: Array<{ kind: string; user: unknown; context: DynauthRequestContext }> = [];
  readonly errors: unknown[] = [];
  /** Source ports whose requests validateNas refuses. */
  readonly refusedPorts = new Set<number>();
  /** Source ports that must send Message-Authenticator. */
  readonly strictPorts = new Set<number>();
  release: (() => void) | undefined;

  validateNas(remote: Remote) {
    if (this.refusedPorts.has(remote.port)) throw new RadiusResponseError(`unknown client ${remote.address}`);
    return { secret: SECRET, requireMessageAuthenticator: this.strictPorts.has(remote.port) };
  }

  override async handleCoaPacket(attributes: AttributesSet, context: DynauthRequestContext) {
    const user = attributes.get('User-Name');
    this.calls.push({ kind: 'coa', user, context });
    if (user === 'slow') await new Promise<void>((r) => (this.release = r));
    if (user === 'throw') throw new Error('handler failed');
    if (user === 'nak') return [[['Error-Cause', 'Administratively-Prohibited']], COA_NAK] as const;
    if (user === 'nak-default') return [[], COA_NAK] as const;
    if (user === 'bad-reply') return [[['Reply-Message', 'not allowed in an ACK']], COA_ACK] as const;
    if (user === 'bad-cause') return [[['Error-Cause', 503]], COA_ACK] as const;
    if (user === 'bad-code') return [[], DISCONNECT_ACK] as const;
    return [[], COA_ACK] as const;
  }

  override handleDisconnectPacket(attributes: AttributesSet, context: DynauthRequestContext) {
    const user = attributes.get('User-Name');
    this.calls.push({ kind: 'disconnect', user, context });
    if (user === 'unknown')
      return [[['Error-Cause', ERROR_CAUSE.SESSION_CONTEXT_NOT_FOUND]], DISCONNECT_NAK] as const;
    return [[['Acct-Terminate-Cause', 'Admin-Reset']], DISCONNECT_ACK] as const;
  }

  override registerHandleException(error: unknown) {
    this.errors.push(error);
  }
}

/** A DAC socket on loopback that sends datagrams and waits (bounded) for one reply. */
class Dac {
  private readonly queue: Buffer[] = [];
  private waiter: ((b: Buffer) => void) | undefined;
  private constructor(readonly sock: Socket) {
    sock.on('message', (m: Buffer) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(m);
      } else this.queue.push(m);
    });
  }

  static async open(address = '127.0.0.1'): Promise<Dac> {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, address, r));
    return new Dac(sock);
  }

  get port(): number {
    return this.sock.address().port;
  }

  /** The next reply, or undefined after `ms` without one. */
  next(ms = 2000): Promise<Buffer | undefined> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, ms);
      this.waiter = (b) => {
        clearTimeout(timer);
        resolve(b);
      };
    });
  }

  send(bytes: Buffer, port: number): void {
    this.sock.send(bytes, port, '127.0.0.1');
  }

  /** Sends and returns the reply (undefined if none within `ms`). */
  async exchange(bytes: Buffer, port: number, ms = 2000): Promise<Buffer | undefined> {
    this.send(bytes, port);
    return this.next(ms);
  }

  close(): void {
    this.sock.close();
  }
}

/** Polls until `cond` holds (bounded); the server counts asynchronously after a datagram. */
async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

function coa(...pairs: AttributePair[]): CoARequest {
  return new CoARequest(SECRET, { attributes: pairs });
}

function disconnect(...pairs: AttributePair[]): DisconnectRequest {
  return new DisconnectRequest(SECRET, { attributes: pairs });
}

/** Sends a request, decodes and verifies the reply against it. */
async function ask(dac: Dac, port: number, request: Packet): Promise<Packet> {
  const reply = await dac.exchange(request.encode(), port);
  assert.ok(reply, `no reply to ${request.codeName}`);
  return decodeResponse(SECRET, reply, request);
}

async function startDas(options: DynamicAuthorizationServerOptions = {}): Promise<[TestDas, number]> {
  const das = new TestDas('127.0.0.1', { port: 0, ...options });
  const info = await das.start();
  return [das, info.port as number];
}

describe('DynamicAuthorizationServer over UDP', () => {
  let das: TestDas;
  let port: number;
  let dac: Dac;

  before(async () => {
    [das, port] = await startDas({ nasIdentification: { nasIdentifier: 'nas-1' } });
    dac = await Dac.open();
  });
  after(async () => {
    dac.close();
    await das.close();
  });

  test('CoA-Request → CoA-ACK, with the context the handler needs', async () => {
    const before = das.counters.acks;
    const reply = await ask(dac, port, coa(['User-Name', 'alice'], ['Filter-Id', 'gold']));
    assert.equal(reply.code, COA_ACK);
    assert.equal(reply.attributes.size, 0);
    const call = das.calls.at(-1);
    assert.equal(call?.kind, 'coa');
    assert.equal(call?.context.remote.port, dac.port);
    assert.equal(call?.context.authorizeOnly, false);
    assert.equal(call?.context.packet.get('Filter-Id'), 'gold');
    assert.equal(das.counters.acks, before + 1);
    assert.equal(das.dacCounters('127.0.0.1').coaRequests >= 1, true);
  });

  test('Disconnect-Request → Disconnect-ACK with Acct-Terminate-Cause', async () => {
    const reply = await ask(dac, port, disconnect(['User-Name', 'alice'], ['Acct-Session-Id', 's1']));
    assert.equal(reply.code, DISCONNECT_ACK);
    assert.equal(reply.get('Acct-Terminate-Cause'), 'Admin-Reset');
  });

  test('a handler NAK keeps its Error-Cause; one without gets the default (503)', async () => {
    const nak = await ask(dac, port, coa(['User-Name', 'nak']));
    assert.equal(nak.code, COA_NAK);
    assert.deepEqual(nak.getAll('Error-Cause'), ['Administratively-Prohibited']);
    const plain = await ask(dac, port, coa(['User-Name', 'nak-default']));
    assert.equal(plain.code, COA_NAK);
    assert.deepEqual(plain.getAll('Error-Cause'), ['Session-Context-Not-Found']);
    const dnak = await ask(dac, port, disconnect(['User-Name', 'unknown']));
    assert.equal(dnak.code, DISCONNECT_NAK);
    assert.equal(dnak.get('Error-Cause'), 'Session-Context-Not-Found');
  });

  test('Proxy-State and State come back unmodified (RFC 5176 §3.1, §3.3)', async () => {
    const reply = await ask(
      dac,
      port,
      coa(
        ['Proxy-State', Buffer.from('p1')],
        ['User-Name', 'alice'],
        ['State', Buffer.from('st-1')],
        ['Proxy-State', Buffer.from('p2')],
      ),
    );
    assert.equal(reply.code, COA_ACK);
    assert.deepEqual(reply.getAll('Proxy-State'), [Buffer.from('p1'), Buffer.from('p2')]);
    assert.deepEqual(reply.get('State'), Buffer.from('st-1'));
  });

  test('RFC 5176 §3 rules NAK before the handler, with the right Error-Cause', async () => {
    const cases: Array<[string, Packet, number, string]> = [
      ['no session identification', coa(['Filter-Id', 'gold']), COA_NAK, 'Missing-Attribute'],
      [
        'Service-Type in a Disconnect',
        disconnect(['User-Name', 'a'], ['Service-Type', 'Framed-User']),
        DISCONNECT_NAK,
        'Unsupported-Attribute',
      ],
      [
        'authorization attribute in a Disconnect',
        disconnect(['User-Name', 'a'], ['Session-Timeout', 5]),
        DISCONNECT_NAK,
        'Unsupported-Attribute',
      ],
      [
        'Authorize-Only not supported',
        coa(['User-Name', 'a'], ['Service-Type', 'Authorize-Only'], ['State', Buffer.from('s')]),
        COA_NAK,
        'Unsupported-Service',
      ],
      [
        'another NAS-Identifier',
        disconnect(['User-Name', 'a'], ['NAS-Identifier', 'nas-2']),
        DISCONNECT_NAK,
        'NAS-Identification-Mismatch',
      ],
      [
        'two Acct-Session-Id',
        coa(['Acct-Session-Id', 'a'], ['Acct-Session-Id', 'b']),
        COA_NAK,
        'Invalid-Request',
      ],
      [
        'Error-Cause in a CoA-Request',
        coa(['User-Name', 'a'], ['Error-Cause', 401]),
        COA_NAK,
        'Unsupported-Attribute',
      ],
      [
        'malformed Framed-IP-Address',
        disconnect(['User-Name', 'a'], ['Attr-8', Buffer.from([1, 2, 3])]),
        DISCONNECT_NAK,
        'Invalid-Request',
      ],
    ];
    const calls = das.calls.length;
    const violations = das.counters.ruleViolations;
    for (const [name, request, code, cause] of cases) {
      const reply = await ask(dac, port, request);
      assert.equal(reply.code, code, name);
      assert.deepEqual(reply.getAll('Error-Cause'), [cause], name);
    }
    assert.equal(das.calls.length, calls, 'no handler ran');
    assert.equal(das.counters.ruleViolations, violations + cases.length);
  });

  test('matching NAS-Identifier passes to the handler', async () => {
    const reply = await ask(dac, port, disconnect(['User-Name', 'a'], ['NAS-Identifier', 'nas-1']));
    assert.equal(reply.code, DISCONNECT_ACK);
  });

  test('a wrong secret (bad Request Authenticator) is dropped and counted', async () => {
    const bad = new CoARequest('not-the-secret', { attributes: [['User-Name', 'alice']] });
    const calls = das.calls.length;
    const n = das.counters.badAuthenticators;
    assert.equal(await dac.exchange(bad.encode(), port, 300), undefined);
    await waitFor(() => das.counters.badAuthenticators === n + 1);
    assert.equal(das.calls.length, calls);
    // The same identifier with the right secret is a new, genuine request.
    const good = coa(['User-Name', 'alice']);
    good.identifier = bad.identifier;
    assert.equal((await ask(dac, port, good)).code, COA_ACK);
  });

  test('a Message-Authenticator that does not verify is dropped (RFC 5176 §3.4)', async () => {
    // Message-Authenticator computed with another secret, Request Authenticator with ours.
    const forged = new CoARequest('other', {
      attributes: [['User-Name', 'alice']],
      messageAuthenticator: true,
    });
    const bytes = forged.encode();
    bytes.fill(0, 4, 20);
    const auth = createHash('md5').update(bytes).update(SECRET).digest();
    auth.copy(bytes, 4);
    const n = das.counters.badAuthenticators;
    assert.equal(await dac.exchange(bytes, port, 300), undefined);
    await waitFor(() => das.counters.badAuthenticators === n + 1);
  });

  test('a request with Message-Authenticator gets a reply with one', async () => {
    const request = new CoARequest(SECRET, {
      attributes: [['User-Name', 'alice']],
      messageAuthenticator: true,
    });
    const reply = await dac.exchange(request.encode(), port);
    assert.ok(reply);
    const decoded = decodeResponse(SECRET, reply, request, { requireMessageAuthenticator: true });
    assert.equal(decoded.messageAuthenticator, true);
  });

  test('a client held to Message-Authenticator: requests without one are dropped', async () => {
    const strict = await Dac.open();
    try {
      das.strictPorts.add(strict.port);
      const n = das.counters.badAuthenticators;
      assert.equal(await strict.exchange(coa(['User-Name', 'alice']).encode(), port, 300), undefined);
      await waitFor(() => das.counters.badAuthenticators === n + 1);
      const signed = new CoARequest(SECRET, {
        attributes: [['User-Name', 'alice']],
        messageAuthenticator: true,
      });
      const reply = await strict.exchange(signed.encode(), port);
      assert.equal(reply?.[0], COA_ACK);
    } finally {
      strict.close();
    }
  });

  test('an unknown client is dropped and counted (RFC 5176 §6.1)', async () => {
    const stranger = await Dac.open();
    try {
      das.refusedPorts.add(stranger.port);
      const n = das.counters.unknownNas;
      const errors = das.errors.length;
      assert.equal(await stranger.exchange(coa(['User-Name', 'alice']).encode(), port, 300), undefined);
      await waitFor(() => das.counters.unknownNas === n + 1);
      assert.ok(das.errors.slice(errors).some((e) => e instanceof RadiusResponseError));
    } finally {
      stranger.close();
    }
  });

  test('an unknown client is counted by its address too, and not listed among the clients', async () => {
    const stranger = await Dac.open('127.0.0.9');
    try {
      das.refusedPorts.add(stranger.port);
      const n = das.counters.unknownNas;
      assert.equal(await stranger.exchange(coa(['User-Name', 'alice']).encode(), port, 300), undefined);
      await waitFor(() => das.counters.unknownNas === n + 1);
      assert.equal(das.dacCounters('127.0.0.9').unknownNas, 1);
      assert.equal(das.dacCounters('127.0.0.9').coaRequests, 0);
      assert.ok(!das.dacList().some((c) => c.address === '127.0.0.9'));
    } finally {
      stranger.close();
    }
  });

  test('a retransmission is answered from the cache, the handler runs once', async () => {
    const request = coa(['User-Name', 'alice'], ['Acct-Session-Id', 'dup-1']);
    const bytes = request.encode();
    const calls = das.calls.length;
    const dups = das.counters.duplicates;
    const first = await dac.exchange(bytes, port);
    const second = await dac.exchange(bytes, port);
    assert.ok(first && second);
    assert.deepEqual(second, first);
    assert.equal(das.calls.length, calls + 1);
    assert.equal(das.counters.duplicates, dups + 1);
  });

  test('a retransmission while the handler runs is dropped; the one reply follows', async () => {
    const request = coa(['User-Name', 'slow']);
    const bytes = request.encode();
    const calls = das.calls.length;
    dac.send(bytes, port);
    await waitFor(() => das.calls.length === calls + 1);
    const dups = das.counters.duplicates;
    dac.send(bytes, port);
    await waitFor(() => das.counters.duplicates === dups + 1);
    das.release?.();
    const reply = await dac.next();
    assert.ok(reply);
    assert.equal(decodeResponse(SECRET, reply, request).code, COA_ACK);
    assert.equal(await dac.next(200), undefined, 'only one reply');
    assert.equal(das.calls.length, calls + 1);
  });

  test('a handler that throws: no reply, counted, reported', async () => {
    const n = das.counters.handlerErrors;
    assert.equal(await dac.exchange(coa(['User-Name', 'throw']).encode(), port, 300), undefined);
    await waitFor(() => das.counters.handlerErrors === n + 1);
    assert.match(String((das.errors.at(-1) as Error).message), /handler failed/);
  });

  test('a handler reply that breaks RFC 5176 is not sent, and the error says why', async () => {
    for (const [user, why] of [
      ['bad-reply', /must not carry Reply-Message/],
      ['bad-cause', /only be sent in a NAK/],
      ['bad-code', /returned code 41/],
    ] as const) {
      const n = das.counters.handlerErrors;
      const dropped = das.counters.dropped;
      assert.equal(await dac.exchange(coa(['User-Name', user]).encode(), port, 300), undefined, user);
      await waitFor(() => das.counters.handlerErrors === n + 1);
      assert.equal(das.counters.dropped, dropped + 1, user);
      const err = das.errors.at(-1);
      assert.ok(err instanceof RadiusError);
      assert.match(err.message, why);
    }
  });

  test('a handler reply that cannot be sent is in the drop log, with a hint', async () => {
    const logged: Array<Record<string, unknown>> = [];
    const saved = das.logger;
    das.logger = {
      debug() {},
      info() {},
      error() {},
      warn(obj) {
        if (typeof obj === 'object') logged.push(obj as Record<string, unknown>);
      },
    };
    try {
      // From another source address: a NAS and reason not logged by the tests before.
      const other = createSocket('udp4');
      await new Promise<void>((r) => other.bind(0, '127.0.0.2', r));
      try {
        other.send(coa(['User-Name', 'bad-code']).encode(), port, '127.0.0.1');
        await waitFor(() => logged.some((l) => l.reason === 'bad_handler_result'));
      } finally {
        other.close();
      }
      const line = logged.find((l) => l.reason === 'bad_handler_result');
      assert.equal(line?.nas, '127.0.0.2');
      assert.match(String(line?.error), /returned code 41/);
      assert.match(String(line?.hint), /handler/);
    } finally {
      das.logger = saved;
    }
  });

  test('other codes and garbage are dropped and counted', async () => {
    const dropped = das.counters.dropped;
    const malformed = das.counters.malformed;
    const access = new AccessRequest(SECRET, { attributes: [['User-Name', 'a']] });
    assert.equal(await dac.exchange(access.encode(), port, 200), undefined);
    assert.equal(await dac.exchange(Buffer.from([43, 1, 0, 5]), port, 200), undefined);
    await waitFor(() => das.counters.dropped === dropped + 1 && das.counters.malformed === malformed + 1);
    // Still answering afterwards.
    assert.equal((await ask(dac, port, coa(['User-Name', 'alice']))).code, COA_ACK);
  });
});

describe('Event-Timestamp (RFC 5176 §6.3)', () => {
  test('outside the window: silently discarded and counted; inside: handled', async () => {
    const [das, port] = await startDas({ eventTimestampWindow: 300 });
    const dac = await Dac.open();
    try {
      assert.equal(das.options.duplicateTtl, 300, 'the duplicate window is the timestamp window');
      for (const offset of [-1000, 1000]) {
        const stale = coa(['User-Name', 'alice'], ['Event-Timestamp', new Date(Date.now() + offset * 1000)]);
        const n = das.counters.staleTimestamps;
        assert.equal(await dac.exchange(stale.encode(), port, 300), undefined);
        await waitFor(() => das.counters.staleTimestamps === n + 1);
      }
      assert.equal(das.calls.length, 0);
      assert.equal(das.counters.naks, 0);
      const fresh = disconnect(['User-Name', 'alice'], ['Event-Timestamp', new Date(Date.now() - 100_000)]);
      assert.equal((await ask(dac, port, fresh)).code, DISCONNECT_ACK);
      // Without a timestamp: accepted unless required.
      assert.equal((await ask(dac, port, coa(['User-Name', 'alice']))).code, COA_ACK);
    } finally {
      dac.close();
      await das.close();
    }
  });

  test('checked by default (300 s): a stale request gets no reply, so no Error-Cause either', async () => {
    const [das, port] = await startDas();
    const dac = await Dac.open();
    try {
      assert.equal(das.options.eventTimestampWindow, 300);
      const stale = coa(['User-Name', 'alice'], ['Event-Timestamp', new Date(Date.now() - 600_000)]);
      assert.equal(await dac.exchange(stale.encode(), port, 300), undefined);
      await waitFor(() => das.counters.staleTimestamps === 1);
      assert.equal(das.counters.naks, 0);
      assert.equal(das.calls.length, 0);
      // A retransmission is discarded again: a stale request is not remembered as a duplicate.
      assert.equal(await dac.exchange(stale.encode(), port, 300), undefined);
      await waitFor(() => das.counters.staleTimestamps === 2);
      assert.equal(das.counters.duplicates, 0);
      const current = coa(['User-Name', 'alice'], ['Event-Timestamp', new Date(Date.now() - 200_000)]);
      assert.equal((await ask(dac, port, current)).code, COA_ACK);
    } finally {
      dac.close();
      await das.close();
    }
  });

  test('a window of 0 or false turns the check off', async () => {
    for (const off of [0, false] as const) {
      const [das, port] = await startDas({ eventTimestampWindow: off });
      const dac = await Dac.open();
      try {
        assert.equal(das.options.eventTimestampWindow, undefined);
        const old = coa(['User-Name', 'alice'], ['Event-Timestamp', new Date(Date.now() - 86_400_000)]);
        assert.equal((await ask(dac, port, old)).code, COA_ACK, String(off));
        assert.equal(das.counters.staleTimestamps, 0);
      } finally {
        dac.close();
        await das.close();
      }
    }
  });

  test('a configured window is the one applied, either side of the local clock', async () => {
    const [das, port] = await startDas({ eventTimestampWindow: 60 });
    const dac = await Dac.open();
    try {
      assert.equal(das.options.duplicateTtl, 60);
      for (const offset of [-120, 120]) {
        const outside = coa(
          ['User-Name', 'alice'],
          ['Event-Timestamp', new Date(Date.now() + offset * 1000)],
        );
        const n = das.counters.staleTimestamps;
        assert.equal(await dac.exchange(outside.encode(), port, 300), undefined);
        await waitFor(() => das.counters.staleTimestamps === n + 1);
      }
      const inside = disconnect(['User-Name', 'alice'], ['Event-Timestamp', new Date(Date.now() - 30_000)]);
      assert.equal((await ask(dac, port, inside)).code, DISCONNECT_ACK);
    } finally {
      dac.close();
      await das.close();
    }
  });

  test('requireEventTimestamp discards requests without one', async () => {
    const [das, port] = await startDas({ requireEventTimestamp: true, eventTimestampWindow: 60 });
    const dac = await Dac.open();
    try {
      assert.equal(await dac.exchange(coa(['User-Name', 'alice']).encode(), port, 300), undefined);
      await waitFor(() => das.counters.staleTimestamps === 1);
      const stamped = coa(['User-Name', 'alice'], ['Event-Timestamp', new Date()]);
      assert.equal((await ask(dac, port, stamped)).code, COA_ACK);
    } finally {
      dac.close();
      await das.close();
    }
  });
});

describe('Authorize-Only (RFC 5176 §3.2)', () => {
  test('a handled Authorize-Only CoA gets a CoA-NAK with Service-Type, State and Request-Initiated', async () => {
    const [das, port] = await startDas({ authorizeOnly: true });
    const dac = await Dac.open();
    try {
      const request = coa(
        ['User-Name', 'alice'],
        ['Service-Type', 'Authorize-Only'],
        ['State', Buffer.from('reauth-1')],
      );
      const reply = await ask(dac, port, request);
      assert.equal(das.calls[0]?.context.authorizeOnly, true);
      assert.equal(reply.code, COA_NAK);
      assert.equal(reply.get('Service-Type'), 'Authorize-Only');
      assert.deepEqual(reply.get('State'), Buffer.from('reauth-1'));
      assert.deepEqual(reply.getAll('Error-Cause'), ['Request-Initiated']);
      assert.equal(das.counters.naks, 1);
      const noState = await ask(dac, port, coa(['User-Name', 'alice'], ['Service-Type', 'Authorize-Only']));
      assert.deepEqual(noState.getAll('Error-Cause'), ['Missing-Attribute']);
    } finally {
      dac.close();
      await das.close();
    }
  });
});

describe('lifecycle and options', () => {
  test('a handler not overridden answers NAK Unsupported-Extension (406)', async () => {
    class CoaOnly extends DynamicAuthorizationServer {
      validateNas() {
        return SECRET;
      }
      override handleCoaPacket() {
        return [[], COA_ACK] as const;
      }
    }
    const das = new CoaOnly('127.0.0.1', { port: 0 });
    const port = (await das.start()).port as number;
    const dac = await Dac.open();
    try {
      const reply = await ask(dac, port, disconnect(['User-Name', 'alice']));
      assert.equal(reply.code, DISCONNECT_NAK);
      assert.equal(reply.get('Error-Cause'), 'Unsupported-Extension');
    } finally {
      dac.close();
      await das.close();
    }
  });

  test('start() refuses a server with no handler; close() is idempotent', async () => {
    class Nothing extends DynamicAuthorizationServer {
      validateNas() {
        return SECRET;
      }
    }
    const das = new Nothing('127.0.0.1', { port: 0 });
    await assert.rejects(das.start(), { code: 'ERR_RADIUS_NO_HANDLER' });
    await das.close();
    const [ok] = await startDas();
    await ok.close();
    await ok.close();
  });

  test('options are checked; Event-Timestamp is checked by default (RFC 5176 §6.3)', () => {
    const defaults = new TestDas('127.0.0.1').options;
    assert.equal(defaults.eventTimestampWindow, 300);
    assert.equal(defaults.duplicateTtl, 300, 'the duplicate window is the timestamp window');
    assert.equal(defaults.requireEventTimestamp, false);
    for (const off of [0, false] as const) {
      const options = new TestDas('127.0.0.1', { eventTimestampWindow: off }).options;
      assert.equal(options.eventTimestampWindow, undefined);
      assert.equal(options.duplicateTtl, 5);
    }
    assert.equal(new TestDas('127.0.0.1', { duplicateTtl: 900 }).options.duplicateTtl, 900);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      assert.throws(() => new TestDas('127.0.0.1', { eventTimestampWindow: bad }), InvalidValueError);
    assert.throws(() => new TestDas('127.0.0.1', { defaultErrorCause: 201 }), InvalidValueError);
    assert.throws(() => new TestDas('127.0.0.1', { defaultErrorCause: 504 }), /both NAKs/);
    assert.equal(new TestDas('127.0.0.1').options.port, 3799);
    assert.equal(new TestDas('127.0.0.1', { defaultErrorCause: null }).options.defaultErrorCause, null);
  });

  test('defaultErrorCause: null sends a NAK without Error-Cause', async () => {
    const [das, port] = await startDas({ defaultErrorCause: null });
    const dac = await Dac.open();
    try {
      const reply = await ask(dac, port, coa(['User-Name', 'nak-default']));
      assert.equal(reply.code, COA_NAK);
      assert.equal(reply.get('Error-Cause'), undefined);
    } finally {
      dac.close();
      await das.close();
    }
  });
});

describe('duplicate detection after verification (RFC 5176 §2.3)', () => {
  /** A copy of `bytes` with the same Identifier and Request Authenticator that no longer verifies. */
  function forgedCopy(bytes: Buffer): Buffer {
    const forged = Buffer.from(bytes);
    forged[forged.length - 1] ^= 0x01;
    return forged;
  }

  test('a forged copy waiting with the genuine request does not make the genuine one a duplicate', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    class Gated extends DynamicAuthorizationServer {
      calls = 0;
      validateNas() {
        return gate.then(() => SECRET);
      }
      override handleCoaPacket() {
        this.calls++;
        return [[], COA_ACK] as const;
      }
    }
    const das = new Gated('127.0.0.1', { port: 0 });
    const port = (await das.start()).port as number;
    const dac = await Dac.open();
    try {
      const request = coa(['User-Name', 'alice']);
      const bytes = request.encode();
      dac.send(forgedCopy(bytes), port);
      dac.send(bytes, port);
      // Both wait in validateNas; then the forged one fails its Request Authenticator.
      await waitFor(() => das.counters.requests === 2);
      open();
      const reply = await dac.next();
      assert.ok(reply, 'the genuine request was not answered');
      assert.equal(decodeResponse(SECRET, reply, request).code, COA_ACK);
      await waitFor(() => das.counters.badAuthenticators === 1);
      assert.equal(das.counters.duplicates, 0);
      assert.equal(das.calls, 1);
      assert.equal(await dac.next(200), undefined, 'only one reply');
    } finally {
      open();
      dac.close();
      await das.close();
    }
  });

  test('a forged copy of a request being handled is counted as bad, not as its duplicate', async () => {
    const [das, port] = await startDas();
    const dac = await Dac.open();
    try {
      const request = coa(['User-Name', 'slow']);
      const bytes = request.encode();
      dac.send(bytes, port);
      await waitFor(() => das.calls.length === 1);
      dac.send(forgedCopy(bytes), port);
      await waitFor(() => das.counters.badAuthenticators === 1);
      assert.equal(das.counters.duplicates, 0);
      das.release?.();
      const reply = await dac.next();
      assert.ok(reply);
      assert.equal(decodeResponse(SECRET, reply, request).code, COA_ACK);
      // The genuine retransmission is answered from the cache.
      assert.deepEqual(await dac.exchange(bytes, port), reply);
      assert.equal(das.counters.duplicates, 1);
      assert.equal(das.calls.length, 1);
    } finally {
      das.release?.();
      dac.close();
      await das.close();
    }
  });
});

describe('lifecycle shared with the RADIUS server', () => {
  test('close() before start(): `listening` and a later start() reject', async () => {
    const das = new TestDas('127.0.0.1', { port: 0 });
    await das.close();
    await assert.rejects(das.listening, RadiusClosedError);
    await assert.rejects(das.start(), RadiusClosedError);
    assert.equal(das.inFlightCount, 0);
  });

  test('run() resolves after close(), with the listening and close events', async () => {
    const das = new TestDas('127.0.0.1', { port: 0 });
    const events: string[] = [];
    das.on('listening', (info) => events.push(`listening ${(info.port ?? 0) > 0}`));
    das.on('close', () => events.push('close'));
    const running = das.run();
    const info = await das.listening;
    const dac = await Dac.open();
    try {
      assert.equal((await ask(dac, info.port as number, coa(['User-Name', 'alice']))).code, COA_ACK);
      await das.close();
      await running;
      assert.deepEqual(events, ['listening true', 'close']);
    } finally {
      dac.close();
    }
  });

  test('close() waits for a handler in flight and still sends its reply', async () => {
    const [das, port] = await startDas({ closeTimeout: 10 });
    const dac = await Dac.open();
    try {
      const request = coa(['User-Name', 'slow']);
      dac.send(request.encode(), port);
      await waitFor(() => das.calls.length === 1);
      assert.equal(das.inFlightCount, 1);
      let closed = false;
      const closing = das.close().then(() => (closed = true));
      // Not taken while closing.
      dac.send(coa(['User-Name', 'late']).encode(), port);
      await sleep(50);
      assert.equal(closed, false);
      das.release?.();
      await closing;
      const reply = await dac.next();
      assert.ok(reply, 'the reply of the request in flight was lost');
      assert.equal(decodeResponse(SECRET, reply, request).code, COA_ACK);
      assert.equal(das.calls.length, 1);
      assert.equal(das.inFlightCount, 0);
    } finally {
      das.release?.();
      dac.close();
      await das.close();
    }
  });

  test('a handler past handlerTimeout is abandoned: no reply, reported', async () => {
    const [das, port] = await startDas({ handlerTimeout: 0.05 });
    const dac = await Dac.open();
    try {
      assert.equal(await dac.exchange(coa(['User-Name', 'slow']).encode(), port, 300), undefined);
      await waitFor(() => das.counters.handlerErrors === 1);
      assert.equal((das.errors.at(-1) as RadiusError).code, 'ERR_RADIUS_HANDLER_TIMEOUT');
    } finally {
      das.release?.();
      dac.close();
      await das.close();
    }
  });

  test('@periodicTask methods run while the server runs and stop with close()', async () => {
    class Ticking extends TestDas {
      ticks = 0;
      @periodicTask({ delay: 0.005 })
      tick() {
        this.ticks++;
        if (this.ticks === 2) throw new Error('tick failed');
      }
    }
    const das = new Ticking('127.0.0.1', { port: 0 });
    await sleep(20);
    assert.equal(das.ticks, 0, 'ran before start()');
    await das.start();
    try {
      await waitFor(() => das.ticks >= 3);
      assert.ok(das.errors.some((e) => e instanceof Error && e.message === 'tick failed'));
    } finally {
      await das.close();
    }
    const ticks = das.ticks;
    await sleep(50);
    assert.equal(das.ticks, ticks);
  });
});

// Like the RADIUS server's authPort/accPort: a DAS given a stream listener opens UDP only when
// given a port, and null leaves UDP out; without streams the default stays 3799 (RFC 5176 §2.3).
describe('optional UDP listener', () => {
  let dir: string;
  let ca: CertFiles;
  let serverCert: CertFiles;
  let clientCert: CertFiles;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'aioradius-das-listen-'));
    ca = makeCa(dir, 'ca');
    serverCert = makeCert(dir, ca, 'das');
    clientCert = makeCert(dir, ca, 'dac');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const stream of ['tls', 'tcp'] as const) {
    test(`a DAS given only ${stream} opens no UDP socket and answers over ${stream}`, async () => {
      const options: DynamicAuthorizationServerOptions =
        stream === 'tls'
          ? { tls: { port: 0, cert: serverCert.certPem, key: serverCert.keyPem, ca: ca.certPem } }
          : { tcp: { port: 0 } };
      const das = new TestDas('127.0.0.1', options);
      assert.equal(das.options.port, null);
      const before = await udpSocketsOpen();
      try {
        const info = await das.start();
        assert.equal(await udpSocketsOpen(), before, 'no UDP socket opened (3799 left alone)');
        assert.equal(info.port, undefined);
        const port = stream === 'tls' ? info.tlsPort : info.tcpPort;
        assert.ok(port !== undefined && port > 0);
        const request = new CoARequest(SECRET).addAttributes(['User-Name', 'alice']);
        const tls = { ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem };
        const [reply] = await sendToDas(request, '127.0.0.1', port, {
          transport: stream,
          tls: stream === 'tls' ? tls : undefined,
        });
        assert.equal(reply.code, COA_ACK);
        assert.equal(das.calls.at(-1)?.context.remote.transport, stream);
      } finally {
        await das.close();
      }
    });
  }

  test('with a stream listener, a UDP port given is opened; null leaves it out', async () => {
    const both = new TestDas('127.0.0.1', { port: 0, tcp: { port: 0 } });
    const before = await udpSocketsOpen();
    const dac = await Dac.open();
    try {
      const info = await both.start();
      assert.equal(await udpSocketsOpen(), before + 2, 'one UDP socket for the DAS (and the DAC)');
      assert.ok(info.port !== undefined && info.port > 0);
      assert.equal((await ask(dac, info.port, coa(['User-Name', 'alice']))).code, COA_ACK);
    } finally {
      dac.close();
      await both.close();
    }
    const tcpOnly = new TestDas('127.0.0.1', { port: null, tcp: { port: 0 } });
    const count = await udpSocketsOpen();
    try {
      const info = await tcpOnly.start();
      assert.equal(await udpSocketsOpen(), count);
      assert.equal(info.port, undefined);
      assert.ok(info.tcpPort !== undefined && info.tcpPort > 0);
    } finally {
      await tcpOnly.close();
    }
  });

  test('no listener at all refuses to start; a port that is not one is a ConfigError', async () => {
    const none = new TestDas('127.0.0.1', { port: null });
    await assert.rejects(none.start(), (e: RadiusError) => e.code === 'ERR_RADIUS_NO_LISTENER');
    await none.close();
    for (const bad of [-1, 65536, 1.5, Number.NaN, '3799', false]) {
      assert.throws(
        () => new TestDas('127.0.0.1', { port: bad as number }),
        (e: unknown) => e instanceof ConfigError && e.field === 'port',
        String(bad),
      );
    }
  });
});

describe('thenables from user code', () => {
  test('a thenable (not a native promise) from validateNas or a handler is awaited; one that rejects is a handler error', async () => {
    class Thenables extends DynamicAuthorizationServer {
      readonly errors: unknown[] = [];
      validateNas(): PromiseLike<string> {
        return fulfilsLater(SECRET);
      }
      override handleCoaPacket(attributes: AttributesSet): PromiseLike<DynauthHandlerResult> {
        if (attributes.get('User-Name') === 'fails') return rejectsLater(new Error('thenable rejected'));
        return fulfilsLater([[], COA_ACK] as const);
      }
      override registerHandleException(error: unknown) {
        this.errors.push(error);
      }
    }
    const das = new Thenables('127.0.0.1', { port: 0 });
    const port = (await das.start()).port as number;
    const dac = await Dac.open();
    try {
      assert.equal((await ask(dac, port, coa(['User-Name', 'alice']))).code, COA_ACK);
      assert.equal(das.counters.acks, 1);
      assert.equal(await dac.exchange(coa(['User-Name', 'fails']).encode(), port, 300), undefined);
      await waitFor(() => das.counters.handlerErrors === 1);
      assert.equal(das.counters.dropped, 1);
      assert.ok(das.errors.some((e) => e instanceof Error && e.message === 'thenable rejected'));
    } finally {
      dac.close();
      await das.close();
    }
  });
});

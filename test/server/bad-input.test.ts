// A running server fed what the network may send: unknown NASes, wrong secrets, garbage, bad
// lengths, wrong codes and ports, failing handlers, and thousands of mutated datagrams. After each,
// a good request is still answered and the counters (total and per NAS) say what happened.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_REQUEST,
  ACCOUNTING_RESPONSE,
  AccessRequest,
  AccountingRequest,
  decodeRequest,
  decodeResponse,
  EapDiscardError,
  type Packet,
  RadiusError,
  RadiusResponseError,
  StatusServer,
  scanPacket,
} from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import {
  AbstractRadiusServer,
  type ListeningInfo,
  type RequestContext,
} from '../../src/server/abstract-server.js';
import type { ServerCounters } from '../../src/server/counters.js';

const SECRET = 'bad-input-secret';
/** What the server logged at warn: the drop log's lines. */
const warnings: Array<{ fields: Record<string, unknown>; message: string | undefined }> = [];
const logger = {
  debug() {},
  info() {},
  error() {},
  warn(obj: object | string, msg?: string) {
    if (typeof obj === 'object') warnings.push({ fields: obj as Record<string, unknown>, message: msg });
  },
};
const WAIT_MS = 3000;
const NAS = '127.0.0.1';

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
  readonly queue: Buffer[] = [];
  private wake: (() => void) | undefined;
  private constructor(private readonly sock: Socket) {
    sock.on('message', (m) => {
      this.queue.push(m);
      this.wake?.();
    });
  }

  static async open(): Promise<Peer> {
    const sock = createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, NAS, resolve));
    return new Peer(sock);
  }

  get port(): number {
    return this.sock.address().port;
  }

  send(data: Buffer, port: number): void {
    this.sock.send(data, port, NAS);
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

  /**
   * Sends a good Access-Request and checks that the next datagram is its Access-Accept. The server
   * answers one source in order, so a reply to anything sent earlier would arrive first: this
   * proves both "still answering" and "nothing was answered before".
   */
  async assertStillAnswers(port: number): Promise<void> {
    const req = new AccessRequest(SECRET).addAttributes(['User-Name', 'good'], ['User-Password', 'pw']);
    this.send(req.encode(), port);
    const data = await this.next();
    assert.ok(data, 'the server no longer answers');
    assert.equal(data[1], req.identifier, 'a reply to an earlier (bad) datagram arrived');
    const reply = decodeResponse(SECRET, data, req, { requireMessageAuthenticator: true });
    assert.equal(reply.code, ACCESS_ACCEPT);
  }

  close(): void {
    this.sock.close();
  }
}

class TestServer extends AbstractRadiusServer {
  readonly unknownPorts = new Set<number>();
  readonly errors: unknown[] = [];
  readonly seen: Array<{ attrs: AttributesSet; context: RequestContext | undefined }> = [];
  private readonly hanging: Array<() => void> = [];

  validateNas(remote: { port: number }) {
    if (this.unknownPorts.has(remote.port)) throw new RadiusResponseError(`no NAS at port ${remote.port}`);
    return SECRET;
  }

  override handleAuthPacket(attrs: AttributesSet, context?: RequestContext) {
    this.seen.push({ attrs, context });
    switch (attrs.get('User-Name')) {
      case 'throws':
        throw new Error('the handler broke');
      case 'eap-discard':
        throw new EapDiscardError('Identifier 5, expected 4');
      case 'eap-malformed':
        throw new EapDiscardError('EAP Length 64 with 10 bytes', { malformed: true });
      case 'hangs':
        return new Promise<never>((resolve) => this.hanging.push(resolve as () => void));
      case 'bad-code':
        return [[], 99] as const;
      case 'bad-attribute':
        return [[['No-Such-Attribute', 'x']], ACCESS_ACCEPT] as const;
      case 'not-a-tuple':
        return 'accept' as unknown as readonly [[], 2];
      case 'accounting-code':
        return [[], ACCOUNTING_RESPONSE] as const;
      case 'not-an-integer':
        return [[['Session-Timeout', 'abc']], ACCESS_ACCEPT] as const;
      case 'too-long':
        return [[['Reply-Message', 'x'.repeat(300)]], ACCESS_ACCEPT] as const;
      default:
        return [[['Reply-Message', 'ok']], ACCESS_ACCEPT] as const;
    }
  }

  override handleAccPacket() {
    return [[], null] as const;
  }

  override registerHandleException(error: unknown) {
    this.errors.push(error);
  }

  releaseHanging(): void {
    for (const r of this.hanging.splice(0)) r();
  }
}

type Delta = Partial<Record<keyof ServerCounters, number>>;

/** Nonzero differences between two counter sets. */
function diff(now: Readonly<ServerCounters>, then: Readonly<ServerCounters>): Delta {
  const out: Delta = {};
  for (const k of Object.keys(now) as Array<keyof ServerCounters>) {
    const d = now[k] - then[k];
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** Header + attributes, with the length field set to the real length. */
function rawPacket(code: number, identifier: number, attributes: Buffer, authenticator?: Buffer): Buffer {
  const head = Buffer.alloc(20);
  head[0] = code;
  head[1] = identifier;
  head.writeUInt16BE(20 + attributes.length, 2);
  (authenticator ?? Buffer.alloc(16, 0x5a)).copy(head, 4);
  return Buffer.concat([head, attributes]);
}

/** One attribute's bytes: type, length, value. */
function attr(type: number, value: Buffer | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([Buffer.from([type, v.length + 2]), v]);
}

function goodAccess(user = 'someone'): AccessRequest {
  return new AccessRequest(SECRET).addAttributes(['User-Name', user], ['User-Password', 'pw']);
}

describe('bad input against a running server', () => {
  let server: TestServer;
  let info: ListeningInfo;
  let authPort: number;
  let accPort: number;
  let peer: Peer;

  before(async () => {
    // requireMessageAuthenticator false: requests without one must reach the decoder here.
    server = new TestServer(NAS, {
      authPort: 0,
      accPort: 0,
      handlerTimeout: 0.2,
      requireMessageAuthenticator: false,
      logger,
    });
    info = await server.start();
    authPort = info.authPort!;
    accPort = info.accPort!;
    peer = await Peer.open();
    // The NAS becomes known (per-NAS counters exist from here on).
    await peer.assertStillAnswers(authPort);
  });

  after(async () => {
    peer?.close();
    server?.releaseHanging();
    await server?.close();
  });

  /**
   * Sends each datagram to `port`, then a good request that must be the next answer; returns the
   * counter changes (total and this NAS) minus the good request's own.
   */
  async function fire(datagrams: Buffer[], port = authPort): Promise<{ total: Delta; nas: Delta }> {
    const total0 = { ...server.counters };
    const nas0 = { ...server.nasCounters(NAS) };
    for (const d of datagrams) peer.send(d, port);
    await peer.assertStillAnswers(authPort);
    const sub = (d: Delta): Delta => {
      for (const k of ['requests', 'accessRequests', 'accepts'] as const) {
        d[k] = (d[k] ?? 0) - 1;
        if (d[k] === 0) delete d[k];
      }
      return d;
    };
    return {
      total: sub(diff(server.counters, total0)),
      nas: sub(diff(server.nasCounters(NAS), nas0)),
    };
  }

  test('an unknown NAS is ignored and reported to registerHandleException', async () => {
    const stranger = await Peer.open();
    try {
      server.unknownPorts.add(stranger.port);
      const errors0 = server.errors.length;
      const total0 = { ...server.counters };
      const nas0 = { ...server.nasCounters(NAS) };
      stranger.send(goodAccess('stranger').encode(), authPort);
      stranger.send(new AccountingRequest(SECRET).encode(), accPort);
      assert.ok(await waitFor(() => server.counters.unknownNas - total0.unknownNas === 2));
      assert.equal(server.errors.length, errors0 + 2);
      assert.ok(server.errors.slice(errors0).every((e) => e instanceof RadiusResponseError));
      assert.deepEqual(diff(server.counters, total0), { requests: 2, unknownNas: 2 });
      // Counted by address: this refused source shares the known NAS's address (it is told apart by
      // port), so only that NAS's unknownNas moved.
      assert.deepEqual(diff(server.nasCounters(NAS), nas0), { unknownNas: 2 });
      assert.ok(!server.seen.some((s) => s.attrs.get('User-Name') === 'stranger'));
      // The same source, once known, is answered (and nothing it sent before was).
      server.unknownPorts.delete(stranger.port);
      await stranger.assertStillAnswers(authPort);
    } finally {
      stranger.close();
    }
  });

  test('Accounting-Request signed with the wrong secret', async () => {
    const wrong = new AccountingRequest('not-the-secret').addAttributes(['Acct-Status-Type', 'Start']);
    const d = await fire([wrong.encode()], accPort);
    assert.deepEqual(d.total, { requests: 1, badAuthenticators: 1 });
    assert.deepEqual(d.nas, { requests: 1, badAuthenticators: 1 });
  });

  test('Access-Request with a bad Message-Authenticator', async () => {
    const tampered = goodAccess().encode();
    assert.deepEqual([tampered[20], tampered[21]], [80, 18]);
    tampered[30] ^= 0x01;
    const wrongSecret = new AccessRequest('not-the-secret').addAttributes(['User-Name', 'x']).encode();
    const d = await fire([tampered, wrongSecret]);
    assert.deepEqual(d.total, { requests: 2, badAuthenticators: 2 });
    assert.deepEqual(d.nas, { requests: 2, badAuthenticators: 2 });
  });

  test('Status-Server without Message-Authenticator is not answered', async () => {
    const status = new StatusServer(SECRET, { messageAuthenticator: false }).encode();
    const d = await fire([status]);
    assert.deepEqual(d.total, { requests: 1, badAuthenticators: 1 });
    assert.deepEqual(d.nas, { requests: 1, badAuthenticators: 1 });
  });

  test('garbage, empty and truncated datagrams', async () => {
    const good = goodAccess().encode();
    const d = await fire([
      Buffer.from('GET / HTTP/1.1\r\nHost: radius\r\n\r\n'),
      Buffer.alloc(0),
      Buffer.from([1]),
      good.subarray(0, 19),
      good.subarray(0, 20), // header only, but its length field says more
    ]);
    assert.deepEqual(d.total, { requests: 5, malformed: 5 });
    // Dropped before the NAS is looked up: counted against the known source, not as its requests.
    assert.deepEqual(d.nas, { malformed: 5 });
  });

  test('oversize: a length field above 4096', async () => {
    const big = Buffer.alloc(5000);
    const good = goodAccess().encode();
    good.copy(big);
    big.writeUInt16BE(5000, 2);
    const d = await fire([big]);
    assert.deepEqual(d.total, { requests: 1, malformed: 1 });
  });

  test('a packet of exactly 4096 bytes is answered', async () => {
    const req = new AccessRequest(SECRET).addAttributes(['User-Name', 'big']);
    // 20 header + 18 Message-Authenticator + 5 User-Name + 15 x 255 + 1 x 228 = 4096.
    for (let i = 0; i < 15; i++) req.add('Connect-Info', 'x'.repeat(253));
    req.add('Connect-Info', 'y'.repeat(226));
    const bytes = req.encode();
    assert.equal(bytes.length, 4096);
    peer.send(bytes, authPort);
    const data = await peer.next();
    assert.ok(data);
    assert.equal(decodeResponse(SECRET, data, req).code, ACCESS_ACCEPT);
  });

  test('header length longer than the datagram', async () => {
    const good = goodAccess().encode();
    good.writeUInt16BE(good.length + 10, 2);
    const d = await fire([good]);
    assert.deepEqual(d.total, { requests: 1, malformed: 1 });
    assert.deepEqual(d.nas, { malformed: 1 });
  });

  test('header length shorter than the datagram: the trailing bytes are ignored', async () => {
    const req = goodAccess('padded');
    const bytes = Buffer.concat([req.encode(), Buffer.alloc(40, 0xee)]);
    peer.send(bytes, authPort);
    const data = await peer.next();
    assert.ok(data, 'a padded request was not answered');
    assert.equal(
      decodeResponse(SECRET, data, req, { requireMessageAuthenticator: true }).code,
      ACCESS_ACCEPT,
    );
    // The handler saw the packet as framed by its length field.
    const last = server.seen.at(-1);
    assert.equal(last?.attrs.get('User-Name'), 'padded');
    assert.equal(last?.context?.packet.raw?.length, bytes.length - 40);
    // Accounting too: the Request Authenticator covers only `length` bytes.
    const acct = new AccountingRequest(SECRET).addAttributes(['Acct-Session-Id', 'padded']);
    peer.send(Buffer.concat([acct.encode(), Buffer.from('trailing')]), accPort);
    const acctReply = await peer.next();
    assert.ok(acctReply);
    assert.equal(decodeResponse(SECRET, acctReply, acct).code, 5);
  });

  test('attribute length 0, 1, or past the end of the packet', async () => {
    const user = attr(1, 'u');
    const d = await fire([
      rawPacket(ACCESS_REQUEST, 1, Buffer.concat([user, Buffer.from([18, 0, 0, 0])])),
      rawPacket(ACCESS_REQUEST, 2, Buffer.concat([user, Buffer.from([18, 1, 0, 0])])),
      rawPacket(ACCESS_REQUEST, 3, Buffer.concat([user, Buffer.from([18, 40, 65, 65])])),
      rawPacket(ACCESS_REQUEST, 4, Buffer.concat([user, Buffer.from([18])])),
      rawPacket(ACCESS_REQUEST, 5, Buffer.from([80, 5, 0, 0, 0])), // Message-Authenticator not 18 bytes
    ]);
    assert.deepEqual(d.total, { requests: 5, malformed: 5 });
    assert.deepEqual(d.nas, { malformed: 5 });
  });

  test('values of the wrong size are kept raw and the request is answered', async () => {
    // Framed-IP-Address of 3 bytes, NAS-Port of 2: no Message-Authenticator, so nothing else to fail.
    const bytes = rawPacket(
      ACCESS_REQUEST,
      9,
      Buffer.concat([attr(1, 'odd'), attr(8, Buffer.from([10, 0, 0])), attr(5, Buffer.from([0, 1]))]),
    );
    peer.send(bytes, authPort);
    const data = await peer.next();
    assert.ok(data);
    assert.equal(data[0], ACCESS_ACCEPT);
    assert.equal(data[1], 9);
    const attrs = server.seen.at(-1)?.attrs;
    assert.equal(attrs?.get('User-Name'), 'odd');
    assert.equal(attrs?.has('Framed-IP-Address'), false);
    assert.equal(attrs?.has('NAS-Port'), false);
  });

  test('unknown codes, replies and CoA sent to the server are dropped', async () => {
    const d = await fire([
      rawPacket(99, 1, attr(1, 'x')),
      rawPacket(0, 2, attr(1, 'x')),
      rawPacket(255, 3, Buffer.alloc(0)),
      rawPacket(2, 4, attr(18, 'an Access-Accept')),
      rawPacket(43, 5, attr(1, 'a CoA-Request')),
      rawPacket(13, 6, Buffer.alloc(0)), // Status-Client
    ]);
    assert.deepEqual(d.total, { requests: 6, dropped: 6 });
    assert.deepEqual(d.nas, { dropped: 6 });
  });

  test('Accounting-Request on the auth port and Access-Request on the acct port are dropped', async () => {
    const acct = new AccountingRequest(SECRET).addAttributes(['Acct-Status-Type', 'Start']).encode();
    const onAuth = await fire([acct], authPort);
    assert.deepEqual(onAuth.total, { requests: 1, dropped: 1 });
    assert.deepEqual(onAuth.nas, { dropped: 1 });
    const onAcct = await fire([goodAccess('wrong-port').encode()], accPort);
    assert.deepEqual(onAcct.total, { requests: 1, dropped: 1 });
    assert.ok(!server.seen.some((s) => s.attrs.get('User-Name') === 'wrong-port'));
  });

  test('a handler that throws: no reply, the error is reported', async () => {
    const errors0 = server.errors.length;
    const d = await fire([goodAccess('throws').encode()]);
    assert.deepEqual(d.total, { requests: 1, accessRequests: 1, handlerErrors: 1, dropped: 1 });
    assert.deepEqual(d.nas, { requests: 1, accessRequests: 1, handlerErrors: 1, dropped: 1 });
    assert.equal(server.errors.length, errors0 + 1);
    assert.match((server.errors.at(-1) as Error).message, /the handler broke/);
  });

  test('an EAP Response discarded on purpose: dropped and logged as such, not a handler error', async () => {
    const warnings0 = warnings.length;
    const d = await fire([goodAccess('eap-discard').encode(), goodAccess('eap-discard').encode()]);
    assert.deepEqual(d.total, { requests: 2, accessRequests: 2, dropped: 2 });
    assert.deepEqual(d.nas, { requests: 2, accessRequests: 2, dropped: 2 });
    const lines = warnings.slice(warnings0);
    assert.equal(lines.length, 1, 'the second is counted for the next line, not logged');
    assert.equal(lines[0].fields.reason, 'eap_discarded');
    assert.match(String(lines[0].fields.error), /Identifier 5, expected 4/);
    assert.match(String(lines[0].fields.hint), /retransmission/);
    assert.doesNotMatch(String(lines[0].fields.hint), /registerHandleException/);
  });

  test('a malformed EAP packet (RFC 3748 §4): counted and logged as malformed, with a hint that fits', async () => {
    const warnings0 = warnings.length;
    const d = await fire([goodAccess('eap-malformed').encode()]);
    assert.deepEqual(d.total, { requests: 1, accessRequests: 1, malformed: 1 });
    const lines = warnings.slice(warnings0);
    assert.equal(lines[0].fields.reason, 'eap_malformed');
    assert.equal(lines[0].fields.metricReason, 'malformed');
    assert.match(String(lines[0].fields.hint), /supplicant/);
    assert.doesNotMatch(String(lines[0].fields.hint), /retransmission/);
  });

  test('a handler that never resolves is abandoned after handlerTimeout', async () => {
    const errors0 = server.errors.length;
    const total0 = { ...server.counters };
    const req = goodAccess('hangs').encode();
    peer.send(req, authPort);
    // Other requests are answered while it hangs.
    await peer.assertStillAnswers(authPort);
    assert.ok(await waitFor(() => server.counters.handlerErrors > total0.handlerErrors));
    assert.equal(server.errors.length, errors0 + 1);
    assert.equal((server.errors.at(-1) as RadiusError).code, 'ERR_RADIUS_HANDLER_TIMEOUT');
    // A retransmission is not handled again, and nothing was ever sent for it.
    peer.send(req, authPort);
    await peer.assertStillAnswers(authPort);
    assert.deepEqual(diff(server.counters, total0), {
      requests: 4,
      accessRequests: 3,
      accepts: 2,
      handlerErrors: 1,
      dropped: 1,
      duplicates: 1,
      // Its first copy got no reply: neither does the retransmission.
      duplicatesUnanswered: 1,
    });
    assert.equal(server.inFlightCount, 0);
  });

  test('a handler result that cannot be sent: counted as dropped, reported and logged', async () => {
    const errors0 = server.errors.length;
    const warnings0 = warnings.length;
    const names = [
      'bad-code',
      'bad-attribute',
      'not-a-tuple',
      'accounting-code',
      'not-an-integer',
      'too-long',
    ];
    const d = await fire(names.map((n) => goodAccess(n).encode()));
    const n = names.length;
    assert.deepEqual(d.total, { requests: n, accessRequests: n, handlerErrors: n, dropped: n });
    assert.deepEqual(d.nas, { requests: n, accessRequests: n, handlerErrors: n, dropped: n });
    assert.equal(server.errors.length, errors0 + n);
    assert.ok(server.errors.slice(errors0).every((e) => e instanceof RadiusError));
    // The drop log: the first of this NAS and reason is written, with a hint naming the problem.
    const lines = warnings.slice(warnings0).filter((w) => w.fields.reason === 'bad_handler_result');
    assert.equal(lines.length, 1);
    assert.equal(lines[0].fields.nas, NAS);
    assert.match(String(lines[0].fields.hint), /handler/);
    assert.match(String(lines[0].fields.error), /returned code 99/);
  });

  test('2,000 random and mutated datagrams, then it still answers', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 0x5eed);
    const rand = xorshift(seed);
    const int = (n: number) => Math.floor(rand() * n);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
    const seeds: Array<() => Packet> = [
      () => goodAccess('fuzz'),
      () =>
        new AccessRequest(SECRET, { messageAuthenticator: false }).addAttributes(
          ['User-Name', 'fuzz'],
          ['User-Password', 'pw'],
          ['NAS-Port', 7],
          ['Framed-IP-Address', '10.1.2.3'],
          ['MS-CHAP-Challenge', Buffer.alloc(16, 0x11)],
          ['Proxy-State', Buffer.from('ps')],
          ['Tunnel-Password:1', 'tunnel'],
        ),
      () =>
        new AccountingRequest(SECRET).addAttributes(
          ['Acct-Status-Type', 'Interim-Update'],
          ['Acct-Session-Id', 'f'],
        ),
      () => new StatusServer(SECRET),
    ];
    const mutate = (b: Buffer): Buffer => {
      switch (int(7)) {
        case 0: // flip a few bytes anywhere
          for (let i = 1 + int(4); i > 0; i--) b[int(b.length)] ^= 1 + int(255);
          return b;
        case 1: // a random attribute length byte
          if (b.length > 21) b[21 + int(b.length - 21)] = int(256);
          return b;
        case 2: // truncate
          return b.subarray(0, int(b.length));
        case 3: // trailing junk
          return Buffer.concat([b, bytes(int(64))]);
        case 4: // random length field
          b.writeUInt16BE(int(65536), 2);
          return b;
        case 5: // random code
          b[0] = int(256);
          return b;
        default: // pure noise
          return bytes(int(120));
      }
    };
    const errors0 = server.errors.length;
    const total0 = { ...server.counters };
    const N = 2000;
    const BATCH = 100;
    let sent = 0;
    while (sent < N) {
      for (let i = 0; i < BATCH; i++, sent++) {
        const datagram = mutate(seeds[int(seeds.length)]().encode());
        // The codec itself only ever throws its own typed errors on these bytes.
        try {
          decodeRequest(SECRET, datagram);
        } catch (e) {
          assert.ok(e instanceof RadiusError, `seed ${seed}, datagram ${sent}: ${String(e)}`);
        }
        peer.send(datagram, int(4) === 0 ? accPort : authPort);
      }
      // Between batches: the server is alive and answers; the replies before its answer are sound.
      const probe = goodAccess('probe');
      peer.send(probe.encode(), authPort);
      let answered = false;
      for (let i = 0; i < BATCH + 1 && !answered; i++) {
        const data = await peer.next();
        assert.ok(data, `seed ${seed}: no answer after ${sent} datagrams`);
        checkReply(data);
        answered = data[1] === probe.identifier && answers(data, probe);
      }
      assert.ok(answered, `seed ${seed}: the probe after ${sent} datagrams was not answered`);
    }
    const d = diff(server.counters, total0);
    // Every datagram was received and classified (loopback with a 4 MiB buffer loses none).
    assert.equal(d.requests, N + N / BATCH, `seed ${seed}`);
    assert.ok(server.errors.slice(errors0).every((e) => e instanceof RadiusError));
    assert.ok((d.malformed ?? 0) > 0 && (d.badAuthenticators ?? 0) > 0 && (d.dropped ?? 0) > 0);
    assert.equal(server.inFlightCount, 0);
  });
});

/** A reply from the server is always well framed, and Access-* replies carry Message-Authenticator first. */
function checkReply(data: Buffer): void {
  const scan = scanPacket(data);
  assert.equal(scan.length, data.length);
  if (data[0] === 2 || data[0] === 3 || data[0] === 11) assert.deepEqual([data[20], data[21]], [80, 18]);
  assert.ok([2, 3, 5, 11].includes(data[0]), `reply code ${data[0]}`);
}

/** True when `data` is a verified Access-Accept to `request` (a fuzz reply may share its identifier). */
function answers(data: Buffer, request: Packet): boolean {
  try {
    return decodeResponse(SECRET, data, request).code === ACCESS_ACCEPT;
  } catch {
    return false;
  }
}

/** A small seeded PRNG (xorshift32), so a failure can be replayed with FUZZ_SEED. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

// BlastRADIUS (CVE-2024-3596) policy of the server: which Access-Requests without
// Message-Authenticator are dropped, per server and per NAS, and what every reply carries
// (Message-Authenticator first, Proxy-State copied, attributes hidden with the request authenticator).
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_CHALLENGE,
  ACCESS_REJECT,
  ACCOUNTING_RESPONSE,
  AccessRequest,
  AccountingRequest,
  decodeResponse,
  decryptTunnelPassword,
  type Packet,
  StatusServer,
} from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import {
  AbstractRadiusServer,
  type NasConfig,
  type ServerOptions,
} from '../../src/server/abstract-server.js';

const SECRET = 'blastradius-secret';
const WAIT_MS = 3000;
const MESSAGE_AUTHENTICATOR = 80;
const PROXY_STATE = 33;
const TUNNEL_PASSWORD = 69;

/** A client socket that queues the datagrams it receives; every wait is bounded. */
class Peer {
  private readonly queue: Buffer[] = [];
  private wake: (() => void) | undefined;
  private constructor(
    private readonly sock: Socket,
    readonly host: string,
  ) {
    sock.on('message', (m) => {
      this.queue.push(m);
      this.wake?.();
    });
  }

  static async open(host = '127.0.0.1'): Promise<Peer> {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => sock.bind(0, host, resolve));
    return new Peer(sock, host);
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
   * Sends `request`; resolves with the raw reply, or undefined when it was dropped. "Dropped" is
   * proved without waiting for a timeout: a Status-Server sent right after to the same port must
   * be the next answer (one socket answers in order). Status-Server leaves the policy state alone.
   */
  async send(request: Packet, port: number): Promise<Buffer | undefined> {
    const probe = new StatusServer(SECRET);
    this.sock.send(request.encode(), port, this.host);
    this.sock.send(probe.encode(), port, this.host);
    const first = await this.next();
    assert.ok(first, 'no reply at all: the server stopped answering');
    if (first[1] === probe.identifier && verifies(first, probe)) return undefined;
    const second = await this.next();
    assert.ok(second && second[1] === probe.identifier && verifies(second, probe), 'probe not answered');
    return first;
  }

  close(): void {
    this.sock.close();
  }
}

function verifies(data: Buffer, request: Packet): boolean {
  try {
    decodeResponse(SECRET, data, request);
    return true;
  } catch {
    return false;
  }
}

/** An Access-Request with or without Message-Authenticator. */
function access(user: string, withMA: boolean, ...extra: Array<[string, string | Buffer]>): AccessRequest {
  const req = new AccessRequest(SECRET, { messageAuthenticator: withMA });
  req.addAttributes(['User-Name', user], ['User-Password', 'pw'], ...extra);
  return req;
}

class PolicyServer extends AbstractRadiusServer {
  /** What validateNas returns: the secret or a NasConfig (per-NAS overrides). */
  config: string | NasConfig = SECRET;
  validateNas() {
    return this.config;
  }
  override handleAuthPacket(attrs: AttributesSet) {
    const user = String(attrs.get('User-Name'));
    const eap = attrs.get('EAP-Message');
    if (eap !== undefined) return [[['EAP-Message', Buffer.from([1, 2, 0, 4])]], ACCESS_CHALLENGE] as const;
    if (user === 'reject') return [[['Reply-Message', 'no']], ACCESS_REJECT] as const;
    if (user === 'challenge') return [[['State', Buffer.from('st-1')]], ACCESS_CHALLENGE] as const;
    if (user === 'tunnel') {
      return [
        [
          ['Tunnel-Password:1', 'first-tunnel-password'],
          ['Tunnel-Password:2', 'second'],
        ],
        ACCESS_ACCEPT,
      ] as const;
    }
    return [[['Reply-Message', `hello ${user}`]], ACCESS_ACCEPT] as const;
  }
  override handleAccPacket() {
    return [[], null] as const;
  }
}

/** Starts a PolicyServer and a client peer for one test; returns a disposer. */
async function setup(options: ServerOptions, host = '127.0.0.1') {
  const server = new PolicyServer(host, { authPort: 0, accPort: 0, ...options });
  const info = await server.start();
  const peer = await Peer.open(host);
  return {
    server,
    peer,
    authPort: info.authPort!,
    accPort: info.accPort!,
    async dispose() {
      peer.close();
      await server.close();
    },
  };
}

describe('requireMessageAuthenticator', () => {
  test('true: an Access-Request without Message-Authenticator is dropped', async () => {
    const t = await setup({ requireMessageAuthenticator: true });
    try {
      assert.equal(await t.peer.send(access('no-ma', false), t.authPort), undefined);
      assert.equal(t.server.counters.dropped, 1);
      assert.equal(t.server.nasCounters('127.0.0.1').dropped, 1);
      const reply = await t.peer.send(access('with-ma', true), t.authPort);
      assert.ok(reply);
      assert.equal(reply[0], ACCESS_ACCEPT);
      // Accounting is exempt (RFC 2866 has no Message-Authenticator requirement).
      const acct = await t.peer.send(new AccountingRequest(SECRET), t.accPort);
      assert.equal(acct?.[0], ACCOUNTING_RESPONSE);
    } finally {
      await t.dispose();
    }
  });

  test("'auto' (the default): accepted until the NAS sends one with Message-Authenticator", async () => {
    const t = await setup({});
    assert.equal(t.server.options.requireMessageAuthenticator, 'auto');
    try {
      assert.ok(await t.peer.send(access('before-1', false), t.authPort));
      assert.ok(await t.peer.send(access('before-2', false), t.authPort));
      assert.equal(t.server.counters.dropped, 0);
      assert.ok(await t.peer.send(access('with', true), t.authPort));
      assert.equal(await t.peer.send(access('after', false), t.authPort), undefined);
      assert.equal(t.server.nasCounters('127.0.0.1').dropped, 1);
      // Still accepted with one.
      assert.ok(await t.peer.send(access('with-again', true), t.authPort));
    } finally {
      await t.dispose();
    }
  });

  test("'auto' is per NAS: another NAS without Message-Authenticator is still accepted", async () => {
    // One server sees one loopback address per family, so the second NAS's datagrams are handed
    // to the server's datagram entry point directly, as the transport would, from ::1.
    const t = await setup({});
    try {
      assert.ok(await t.peer.send(access('v4-with', true), t.authPort));
      assert.equal(await t.peer.send(access('v4-without', false), t.authPort), undefined);
      const fromV6 = await inject(t.server, access('v6-without', false).encode(), '::1');
      assert.equal(fromV6?.[0], ACCESS_ACCEPT);
      assert.equal(t.server.nasCounters('::1').accepts, 1);
      assert.equal(t.server.nasCounters('::1').dropped, 0);
      assert.equal(t.server.nasCounters('127.0.0.1').dropped, 1);
      // A second source port on the same address is the same NAS.
      const other = await Peer.open();
      try {
        assert.equal(await other.send(access('v4-other-port', false), t.authPort), undefined);
      } finally {
        other.close();
      }
    } finally {
      await t.dispose();
    }
  });

  test("'auto' is switched on by Access-Requests only, not by Status-Server or accounting", async () => {
    const t = await setup({});
    try {
      // Status-Server must carry Message-Authenticator (RFC 5997 §3) whatever the NAS does for
      // Access-Requests, and accounting may carry one: neither says the NAS signs Access-Requests.
      const status = await t.peer.send(new StatusServer(SECRET), t.authPort);
      assert.equal(status?.[0], ACCESS_ACCEPT);
      const acct = new AccountingRequest(SECRET, { messageAuthenticator: true });
      assert.equal((await t.peer.send(acct, t.accPort))?.[0], ACCOUNTING_RESPONSE);
      assert.ok(await t.peer.send(access('still-accepted', false), t.authPort));
      assert.equal(t.server.counters.dropped, 0);
    } finally {
      await t.dispose();
    }
  });

  test("'auto' is not switched on by a Message-Authenticator that does not verify", async () => {
    const t = await setup({});
    try {
      const forged = access('forged', true);
      const bytes = forged.encode();
      bytes[25] ^= 0xff;
      const sock = createSocket('udp4');
      try {
        await new Promise<void>((r) => sock.send(bytes, t.authPort, '127.0.0.1', () => r()));
      } finally {
        sock.close();
      }
      assert.ok(await t.peer.send(access('after-forged', false), t.authPort));
      assert.equal(t.server.counters.badAuthenticators, 1);
    } finally {
      await t.dispose();
    }
  });

  test('false: accepted without Message-Authenticator, even after one was seen', async () => {
    const t = await setup({ requireMessageAuthenticator: false });
    try {
      assert.ok(await t.peer.send(access('with', true), t.authPort));
      assert.ok(await t.peer.send(access('without', false), t.authPort));
      assert.equal(t.server.counters.dropped, 0);
      assert.equal(t.server.counters.accepts, 2);
    } finally {
      await t.dispose();
    }
  });

  test('a NasConfig from validateNas overrides the server policy', async () => {
    const strict = await setup({ requireMessageAuthenticator: true });
    try {
      strict.server.config = { secret: SECRET, requireMessageAuthenticator: false };
      assert.ok(await strict.peer.send(access('nas-lenient', false), strict.authPort));
    } finally {
      await strict.dispose();
    }
    const lenient = await setup({ requireMessageAuthenticator: false });
    try {
      lenient.server.config = { secret: Buffer.from(SECRET), requireMessageAuthenticator: true };
      assert.equal(await lenient.peer.send(access('nas-strict', false), lenient.authPort), undefined);
      lenient.server.config = { secret: SECRET, requireMessageAuthenticator: 'auto' };
      assert.ok(await lenient.peer.send(access('nas-auto-before', false), lenient.authPort));
      assert.ok(await lenient.peer.send(access('nas-auto-with', true), lenient.authPort));
      assert.equal(await lenient.peer.send(access('nas-auto-after', false), lenient.authPort), undefined);
      assert.equal(lenient.server.counters.dropped, 2);
    } finally {
      await lenient.dispose();
    }
  });
});

describe('limitProxyState', () => {
  test('an Access-Request with Proxy-State and no Message-Authenticator is dropped', async () => {
    const t = await setup({ requireMessageAuthenticator: false });
    assert.equal(t.server.options.limitProxyState, true);
    try {
      const ps: [string, Buffer] = ['Proxy-State', Buffer.from('hop-1')];
      assert.equal(await t.peer.send(access('ps-no-ma', false, ps), t.authPort), undefined);
      assert.equal(t.server.counters.dropped, 1);
      assert.ok(await t.peer.send(access('ps-ma', true, ps), t.authPort));
      // Accounting-Requests are signed by their Request Authenticator: Proxy-State is fine there.
      const acct = new AccountingRequest(SECRET).addAttributes(ps);
      assert.equal((await t.peer.send(acct, t.accPort))?.[0], ACCOUNTING_RESPONSE);
      // Per NAS: switched off for this NAS.
      t.server.config = { secret: SECRET, limitProxyState: false };
      assert.ok(await t.peer.send(access('ps-nas-off', false, ps), t.authPort));
      assert.equal(t.server.counters.dropped, 1);
    } finally {
      await t.dispose();
    }
  });

  test('limitProxyState false accepts it, and a NasConfig can turn it back on', async () => {
    const t = await setup({ requireMessageAuthenticator: false, limitProxyState: false });
    try {
      const ps: [string, Buffer] = ['Proxy-State', Buffer.from('hop-1')];
      assert.ok(await t.peer.send(access('ps-allowed', false, ps), t.authPort));
      t.server.config = { secret: SECRET, limitProxyState: true };
      assert.equal(await t.peer.send(access('ps-nas-on', false, ps), t.authPort), undefined);
    } finally {
      await t.dispose();
    }
  });
});

describe('what replies carry', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  before(async () => {
    t = await setup({ requireMessageAuthenticator: false, limitProxyState: false });
  });
  after(async () => {
    await t?.dispose();
  });

  test('every Access-Accept, -Reject and -Challenge has Message-Authenticator first, and it verifies', async () => {
    const cases: Array<[string, boolean, number]> = [
      ['alice', true, ACCESS_ACCEPT],
      ['alice', false, ACCESS_ACCEPT],
      ['reject', true, ACCESS_REJECT],
      ['reject', false, ACCESS_REJECT],
      ['challenge', true, ACCESS_CHALLENGE],
      ['challenge', false, ACCESS_CHALLENGE],
    ];
    for (const [user, withMA, code] of cases) {
      const req = access(user, withMA, ['Proxy-State', Buffer.from('p')]);
      const data = await t.peer.send(req, t.authPort);
      assert.ok(data, `${user}/${withMA}: no reply`);
      assert.equal(data[0], code);
      checkReplyBytes(data, req, true);
      decodeResponse(SECRET, data, req, { requireMessageAuthenticator: true });
    }
  });

  test('Status-Server replies on both ports carry Message-Authenticator first', async () => {
    for (const [port, code] of [
      [t.authPort, ACCESS_ACCEPT],
      [t.accPort, ACCOUNTING_RESPONSE],
    ] as const) {
      const req = new StatusServer(SECRET);
      const data = await t.peer.send(req, port);
      assert.ok(data);
      assert.equal(data[0], code);
      checkReplyBytes(data, req, true);
    }
  });

  test('an Accounting-Response carries no Message-Authenticator and signs with the request', async () => {
    const req = new AccountingRequest(SECRET).addAttributes(['Acct-Session-Id', 'x']);
    const data = await t.peer.send(req, t.accPort);
    assert.ok(data);
    checkReplyBytes(data, req, false);
  });

  test('EAP-Message without Message-Authenticator is dropped, with it answered', async () => {
    const eap: [string, Buffer] = ['EAP-Message', Buffer.from([2, 1, 0, 9, 1, 0x61, 0x6c, 0x69, 0x63])];
    const bad0 = t.server.counters.badAuthenticators;
    assert.equal(await t.peer.send(access('eap', false, eap), t.authPort), undefined);
    assert.equal(t.server.counters.badAuthenticators, bad0 + 1);
    const req = access('eap', true, eap);
    const data = await t.peer.send(req, t.authPort);
    assert.ok(data);
    assert.equal(data[0], ACCESS_CHALLENGE);
    checkReplyBytes(data, req, true);
    const reply = decodeResponse(SECRET, data, req, { requireMessageAuthenticator: true });
    assert.deepEqual(reply.get('EAP-Message'), Buffer.from([1, 2, 0, 4]));
  });

  test('Proxy-State is copied into the reply in order, byte for byte', async () => {
    const states = [Buffer.from('first'), Buffer.from([0, 1, 2, 255]), Buffer.from('third-hop')];
    const req = new AccessRequest(SECRET).addAttributes(
      ['Proxy-State', states[0]],
      ['User-Name', 'reject'],
      ['Proxy-State', states[1]],
      ['NAS-Port', 1],
      ['Proxy-State', states[2]],
    );
    const data = await t.peer.send(req, t.authPort);
    assert.ok(data);
    assert.deepEqual(attributesOf(data, PROXY_STATE), states);
    const acct = new AccountingRequest(SECRET).addAttributes(
      ['Proxy-State', states[2]],
      ['Proxy-State', states[0]],
    );
    const acctData = await t.peer.send(acct, t.accPort);
    assert.ok(acctData);
    assert.deepEqual(attributesOf(acctData, PROXY_STATE), [states[2], states[0]]);
  });

  test('reply attributes are hidden with the Request Authenticator (Tunnel-Password)', async () => {
    const req = access('tunnel', true);
    const data = await t.peer.send(req, t.authPort);
    assert.ok(data);
    const [first, second] = attributesOf(data, TUNNEL_PASSWORD);
    assert.equal(first[0], 1);
    assert.equal(second[0], 2);
    const secret = Buffer.from(SECRET);
    const salt1 = first.subarray(1, 3);
    const salt2 = second.subarray(1, 3);
    assert.ok(salt1[0] & 0x80 && salt2[0] & 0x80, 'salt high bit not set (RFC 2868 §3.5)');
    assert.ok(!salt1.equals(salt2), 'salts repeated within a packet');
    const plain1 = decryptTunnelPassword(first.subarray(1), secret, req.authenticator);
    assert.equal(plain1.toString(), 'first-tunnel-password');
    assert.equal(decryptTunnelPassword(second.subarray(1), secret, req.authenticator).toString(), 'second');
    // Not with the reply's own authenticator.
    let withResponseAuth: string | undefined;
    try {
      withResponseAuth = decryptTunnelPassword(first.subarray(1), secret, data.subarray(4, 20)).toString();
    } catch {
      withResponseAuth = undefined;
    }
    assert.notEqual(withResponseAuth, 'first-tunnel-password');
    const reply = decodeResponse(SECRET, data, req);
    assert.equal(reply.get('Tunnel-Password:1'), 'first-tunnel-password');
  });
});

/** The transport's view of the server: its datagram entry point (private API, for one test). */

/** Hands `data` to the server as if it came from `address`; resolves with its reply, if any. */
async function inject(
  server: AbstractRadiusServer,
  data: Buffer,
  address: string,
): Promise<Buffer | undefined> {
  let reply: Buffer | undefined;
  const family = address.includes(':') ? 'IPv6' : 'IPv4';
  server.receive(
    data,
    { address, port: 40000, family, transport: 'udp' },
    { send: (d) => (reply = d) },
    'auth',
  );
  const deadline = Date.now() + WAIT_MS;
  while (server.inFlightCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return reply;
}

/** Values of every top-level attribute `type` in a packet, in order. */
function attributesOf(data: Buffer, type: number): Buffer[] {
  const out: Buffer[] = [];
  const length = data.readUInt16BE(2);
  for (let p = 20; p + 2 <= length; p += data[p + 1]) {
    assert.ok(data[p + 1] >= 2);
    if (data[p] === type) out.push(Buffer.from(data.subarray(p + 2, p + data[p + 1])));
  }
  return out;
}

/**
 * Checks a reply with our own MD5/HMAC (node:crypto), independent of the codec: the Response
 * Authenticator (RFC 2865 §3) and, when expected, a Message-Authenticator that is the first
 * attribute (bytes 20..21 = 0x50 0x12) and verifies (RFC 3579 §3.2, RFC 5997 §3).
 */
function checkReplyBytes(data: Buffer, request: Packet, expectMA: boolean): void {
  const length = data.readUInt16BE(2);
  assert.equal(length, data.length);
  assert.equal(data[1], request.identifier);
  const requestAuth = request.authenticator;
  const expected = createHash('md5')
    .update(data.subarray(0, 4))
    .update(requestAuth)
    .update(data.subarray(20, length))
    .update(SECRET)
    .digest();
  assert.ok(expected.equals(data.subarray(4, 20)), 'Response Authenticator does not verify');
  const maCount = attributesOf(data, MESSAGE_AUTHENTICATOR).length;
  if (!expectMA) {
    assert.equal(maCount, 0);
    return;
  }
  assert.deepEqual([data[20], data[21]], [0x50, 0x12], 'Message-Authenticator is not the first attribute');
  assert.equal(maCount, 1);
  const copy = Buffer.from(data);
  requestAuth.copy(copy, 4);
  copy.fill(0, 22, 38);
  const mac = createHmac('md5', SECRET).update(copy).digest();
  assert.ok(mac.equals(data.subarray(22, 38)), 'Message-Authenticator does not verify');
}

// A PAP server built on AbstractRadiusServer, driven by clients nobody here wrote (radtest,
// radclient, pyrad) on 127.0.0.1 and ::1, with every packet captured and checked by tshark.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ACCESS_ACCEPT, ACCESS_REJECT } from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { AbstractRadiusServer, type RequestContext } from '../../src/server/abstract-server.js';
import {
  type Capture,
  dissect,
  expertErrors,
  pyradSend,
  radclient,
  radtest,
  skipUnless,
  startCapture,
} from '../helpers/peers.js';
import { freePorts, ipv6LoopbackAvailable } from '../helpers/ports.js';

const SECRET = 'server-interop-s3cret';

interface AcctRecord {
  status: unknown;
  session: unknown;
  family: string;
}

class PapServer extends AbstractRadiusServer {
  authCalls = 0;
  readonly acct: AcctRecord[] = [];
  readonly errors: unknown[] = [];

  validateNas() {
    return SECRET;
  }

  override handleAuthPacket(attrs: AttributesSet) {
    this.authCalls++;
    if (attrs.get('User-Name') === 'alice' && attrs.get('User-Password') === 'alicepw') {
      return [
        [
          ['Reply-Message', 'Hello alice'],
          ['Framed-IP-Address', '10.0.0.7'],
          ['Session-Timeout', 3600],
        ],
        ACCESS_ACCEPT,
      ] as const;
    }
    return [[['Reply-Message', 'Wrong password']], ACCESS_REJECT] as const;
  }

  override async handleAccPacket(attrs: AttributesSet, context?: RequestContext) {
    this.acct.push({
      status: attrs.get('Acct-Status-Type'),
      session: attrs.get('Acct-Session-Id'),
      family: context?.remote.family ?? '?',
    });
    return [[], null] as const;
  }

  override registerHandleException(error: unknown) {
    this.errors.push(error);
  }
}

/** radtest/radclient print Message-Authenticator among the reply attributes: leave it out. */
function withoutMA(attrs: Array<[string, string]>): Array<[string, string]> {
  return attrs.filter(([name]) => name !== 'Message-Authenticator');
}

describe('AbstractRadiusServer with real clients', { skip: skipUnless('radtest', 'radclient') }, () => {
  let ipv6 = false;
  let authPort = 0;
  let accPort = 0;
  let v4: PapServer;
  let v6: PapServer | undefined;
  let capture: Capture | undefined;

  before(async () => {
    ipv6 = await ipv6LoopbackAvailable();
    [authPort, accPort] = await freePorts(2, { ipv6 });
    // pyrad cannot send Message-Authenticator, so this server does not require it (the policy
    // has its own tests); radtest sends one anyway.
    const options = { authPort, accPort, requireMessageAuthenticator: false } as const;
    v4 = new PapServer('127.0.0.1', options);
    await v4.start();
    if (ipv6) {
      v6 = new PapServer('::1', options);
      await v6.start();
    }
    if (skipUnless('tshark') === false) capture = await startCapture([authPort, accPort]);
  });

  after(async () => {
    await capture?.dispose();
    await v4?.close();
    await v6?.close();
  });

  test('radtest PAP: Access-Accept with the reply attributes', async () => {
    const r = await radtest({
      user: 'alice',
      password: 'alicepw',
      host: '127.0.0.1',
      port: authPort,
      secret: SECRET,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.replyCode, 'Access-Accept');
    assert.deepEqual(withoutMA(r.attributes), [
      ['Reply-Message', 'Hello alice'],
      ['Framed-IP-Address', '10.0.0.7'],
      ['Session-Timeout', '3600'],
    ]);
    // radtest always sends Message-Authenticator; our reply carries one too.
    assert.ok(r.attributes.some(([name]) => name === 'Message-Authenticator'));
  });

  test('radtest wrong password: Access-Reject, exit 1', async () => {
    const r = await radtest({
      user: 'alice',
      password: 'wrong',
      host: '127.0.0.1',
      port: authPort,
      secret: SECRET,
    });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.replyCode, 'Access-Reject');
    assert.deepEqual(withoutMA(r.attributes), [['Reply-Message', 'Wrong password']]);
  });

  test('radtest over IPv6', async (t) => {
    if (!v6) return t.skip('::1 not available');
    const r = await radtest({
      user: 'alice',
      password: 'alicepw',
      host: '::1',
      port: authPort,
      secret: SECRET,
    });
    assert.equal(r.replyCode, 'Access-Accept', r.stdout + r.stderr);
    assert.equal(v6.nasCounters('::1').accepts, 1);
  });

  test('radclient Access-Request, with and without Message-Authenticator', async () => {
    const calls = v4.authCalls;
    for (const ma of ['', ', Message-Authenticator = 0x00']) {
      const r = await radclient({
        host: '127.0.0.1',
        port: authPort,
        type: 'auth',
        secret: SECRET,
        input: `User-Name = "alice", User-Password = "alicepw"${ma}`,
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.replies.length, 1);
      assert.equal(r.replies[0].code, 'Access-Accept');
      assert.ok(
        withoutMA(r.replies[0].attributes).some(([n, v]) => n === 'Reply-Message' && v === 'Hello alice'),
      );
    }
    assert.equal(v4.authCalls, calls + 2);
  });

  test('radclient accounting Start, Interim-Update, Stop reach the handler', async () => {
    const before = v4.acct.length;
    for (const status of ['Start', 'Interim-Update', 'Stop']) {
      const r = await radclient({
        host: '127.0.0.1',
        port: accPort,
        type: 'acct',
        secret: SECRET,
        input: `User-Name = "alice", Acct-Status-Type = ${status}, Acct-Session-Id = "sess-42", Acct-Session-Time = 60`,
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(r.replies, [{ code: 'Accounting-Response', attributes: [] }]);
    }
    assert.deepEqual(v4.acct.slice(before), [
      { status: 'Start', session: 'sess-42', family: 'IPv4' },
      { status: 'Interim-Update', session: 'sess-42', family: 'IPv4' },
      { status: 'Stop', session: 'sess-42', family: 'IPv4' },
    ]);
    assert.equal(v4.counters.accountingResponses, 3);
  });

  test('Status-Server is answered on the auth and acct ports and never reaches a handler', async () => {
    const calls = v4.authCalls;
    const accts = v4.acct.length;
    const status0 = v4.counters.statusServer;
    const input = 'Message-Authenticator = 0x00';
    const auth = await radclient({
      host: '127.0.0.1',
      port: authPort,
      type: 'status',
      secret: SECRET,
      input,
    });
    assert.equal(auth.code, 0, auth.stdout + auth.stderr);
    assert.equal(auth.replies[0]?.code, 'Access-Accept');
    const acct = await radclient({ host: '127.0.0.1', port: accPort, type: 'status', secret: SECRET, input });
    assert.equal(acct.code, 0, acct.stdout + acct.stderr);
    assert.equal(acct.replies[0]?.code, 'Accounting-Response');
    assert.equal(v4.counters.statusServer, status0 + 2);
    assert.equal(v4.authCalls, calls);
    assert.equal(v4.acct.length, accts);
  });

  test('Status-Server without Message-Authenticator is not answered', async () => {
    const calls = v4.authCalls;
    const bad0 = v4.counters.badAuthenticators;
    const status0 = v4.counters.statusServer;
    const r = await radclient({
      host: '127.0.0.1',
      port: authPort,
      type: 'status',
      secret: SECRET,
      input: 'User-Name = "probe"',
      extraArgs: ['-t', '1', '-r', '1'],
    });
    assert.equal(r.replies.length, 0, r.stdout);
    assert.notEqual(r.code, 0);
    assert.equal(v4.counters.badAuthenticators, bad0 + 1);
    assert.equal(v4.counters.statusServer, status0);
    assert.equal(v4.authCalls, calls);
  });

  test('Status-Server over IPv6', async (t) => {
    if (!v6) return t.skip('::1 not available');
    const r = await radclient({
      host: '::1',
      port: accPort,
      type: 'status',
      secret: SECRET,
      input: 'Message-Authenticator = 0x00',
    });
    assert.equal(r.replies[0]?.code, 'Accounting-Response', r.stdout + r.stderr);
  });

  test('pyrad Access-Request and Accounting-Request', { skip: skipUnless('pyrad') }, async () => {
    const auth = await pyradSend({
      host: '127.0.0.1',
      port: authPort,
      secret: SECRET,
      kind: 'auth',
      attributes: [
        ['User-Name', 'alice'],
        ['User-Password', 'alicepw'],
        ['NAS-Port', 3],
      ],
    });
    // pyrad verifies the Response Authenticator and ignores a reply that fails it.
    assert.equal(auth.code, ACCESS_ACCEPT, auth.stderr);
    assert.deepEqual(auth.attributes['Reply-Message'], ['Hello alice']);
    assert.deepEqual(auth.attributes['Framed-IP-Address'], ['10.0.0.7']);
    const before = v4.acct.length;
    const acct = await pyradSend({
      host: '127.0.0.1',
      port: accPort,
      secret: SECRET,
      kind: 'acct',
      attributes: [
        ['User-Name', 'alice'],
        ['Acct-Status-Type', 'Stop'],
        ['Acct-Session-Id', 'py-1'],
      ],
    });
    assert.equal(acct.code, 5, acct.stderr);
    assert.deepEqual(v4.acct.slice(before), [{ status: 'Stop', session: 'py-1', family: 'IPv4' }]);
  });

  test('pyrad over IPv6', { skip: skipUnless('pyrad') }, async (t) => {
    if (!v6) return t.skip('::1 not available');
    const before = v6.acct.length;
    const acct = await pyradSend({
      host: '::1',
      port: accPort,
      secret: SECRET,
      kind: 'acct',
      attributes: [
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', 'py-6'],
      ],
    });
    assert.equal(acct.code, 5, acct.stderr);
    assert.deepEqual(v6.acct.slice(before), [{ status: 'Start', session: 'py-6', family: 'IPv6' }]);
  });

  test('pyrad with a wrong secret gets no reply', { skip: skipUnless('pyrad') }, async () => {
    const bad0 = v4.counters.badAuthenticators;
    const acct = await pyradSend({
      host: '127.0.0.1',
      port: accPort,
      secret: 'not-the-secret',
      kind: 'acct',
      attributes: [['Acct-Status-Type', 'Start']],
      timeoutSec: 1,
    });
    assert.equal(acct.code, null);
    assert.equal(v4.counters.badAuthenticators, bad0 + 1);
  });

  test('no handler error was reported along the way', () => {
    assert.deepEqual(v4.errors, []);
    assert.deepEqual(v6?.errors ?? [], []);
  });

  test('tshark: every reply is well formed and its authenticators verify', {
    skip: skipUnless('tshark'),
  }, async () => {
    assert.ok(capture);
    const pcap = await capture.stop();
    const ports = [authPort, accPort];
    const rows = await dissect(pcap, {
      ports,
      secret: SECRET,
      fields: [
        'frame.number',
        'ip.src',
        'ip.dst',
        'ipv6.src',
        'ipv6.dst',
        'udp.srcport',
        'udp.dstport',
        'radius.code',
        'radius.id',
        'radius.authenticator',
        'radius.authenticator.valid',
        'radius.Message_Authenticator',
        'udp.payload',
      ],
    });
    // tshark 4.0 links no Status-Server exchange (and a one-pass read fills no rspframe): pair
    // each reply with the latest request from its destination (address, port) with its identifier.
    const clientKey = (r: Record<string, string>, side: 'src' | 'dst') =>
      `${r[`ip.${side}`] || r[`ipv6.${side}`]}|${r[`udp.${side}port`]}|${r['radius.id']}`;
    const pending = new Map<string, Record<string, string>>();
    const answered = new Set<Record<string, string>>();
    const responses: Array<[Record<string, string>, Record<string, string>]> = [];
    for (const r of rows) {
      if (['1', '4', '12'].includes(r['radius.code'])) {
        pending.set(clientKey(r, 'src'), r);
        continue;
      }
      const request = pending.get(clientKey(r, 'dst'));
      assert.ok(request, `frame ${r['frame.number']}: a reply to no captured request`);
      answered.add(request);
      responses.push([r, request]);
    }
    const count = (code: string) => responses.filter(([r]) => r['radius.code'] === code).length;
    // At least what the tests above got answered (IPv6 adds more).
    assert.ok(count('2') >= 6, `${count('2')} Access-Accepts`);
    assert.ok(count('3') >= 1, `${count('3')} Access-Rejects`);
    assert.ok(count('5') >= 6, `${count('5')} Accounting-Responses`);
    for (const [r, request] of responses) {
      const frame = `frame ${r['frame.number']}`;
      const payload = hex(r['udp.payload']);
      const requestAuth = hex(request['radius.authenticator']);
      const statusReply = request['radius.code'] === '12';
      // tshark checks the Response Authenticator of every reply but those to Status-Server.
      if (!statusReply) assert.equal(r['radius.authenticator.valid'], '1', `${frame}: ${JSON.stringify(r)}`);
      // Our own check of each (RFC 2865 §3, RFC 5997 §3), and Message-Authenticator first in
      // every Access-* reply and every reply to Status-Server (BlastRADIUS).
      verifyReply(payload, requestAuth, payload[0] !== 5 || statusReply, frame);
    }
    // The Status-Server without Message-Authenticator was captured, and nothing answered it.
    const unsigned = rows.filter(
      (r) => r['radius.code'] === '12' && r['radius.Message_Authenticator'] === '',
    );
    assert.ok(unsigned.length >= 1, 'the unsigned Status-Server was not captured');
    for (const r of unsigned) assert.ok(!answered.has(r), `frame ${r['frame.number']} was answered`);
    assert.deepEqual(await expertErrors(pcap, { ports, secret: SECRET }), []);
  });
});

function hex(field: string): Buffer {
  return Buffer.from(field.replace(/:/g, ''), 'hex');
}

/** Response Authenticator and (when expected) Message-Authenticator, recomputed with node:crypto. */
function verifyReply(payload: Buffer, requestAuth: Buffer, expectMA: boolean, frame: string): void {
  assert.equal(requestAuth.length, 16);
  const length = payload.readUInt16BE(2);
  const auth = createHash('md5')
    .update(payload.subarray(0, 4))
    .update(requestAuth)
    .update(payload.subarray(20, length))
    .update(SECRET)
    .digest();
  assert.ok(auth.equals(payload.subarray(4, 20)), `${frame}: Response Authenticator does not verify`);
  if (!expectMA) return;
  assert.deepEqual([payload[20], payload[21]], [0x50, 0x12], `${frame}: Message-Authenticator not first`);
  const copy = Buffer.from(payload.subarray(0, length));
  requestAuth.copy(copy, 4);
  copy.fill(0, 22, 38);
  const mac = createHmac('md5', SECRET).update(copy).digest();
  assert.ok(mac.equals(payload.subarray(22, 38)), `${frame}: Message-Authenticator does not verify`);
}

// radclient (FreeRADIUS's client) sends CoA-Request and Disconnect-Request to our
// DynamicAuthorizationServer; tshark checks what went over the wire.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DynamicAuthorizationServer } from '../../src/dynauth/dynamic-authorization-server.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { COA_ACK, COA_NAK, DISCONNECT_ACK, DISCONNECT_NAK } from '../../src/protocol/codes.js';
import {
  type Capture,
  dissect,
  expertErrors,
  radclient,
  skipUnless,
  startCapture,
} from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

const SECRET = 'das-interop-s3cret';

/** A NAS that knows one session: user alice, Acct-Session-Id s1. */
class Nas extends DynamicAuthorizationServer {
  validateNas() {
    return SECRET;
  }
  override handleCoaPacket(attributes: AttributesSet) {
    if (attributes.get('User-Name') !== 'alice')
      return [[['Error-Cause', 'Session-Context-Not-Found']], COA_NAK] as const;
    return [[], COA_ACK] as const;
  }
  override handleDisconnectPacket(attributes: AttributesSet) {
    if (attributes.get('Acct-Session-Id') !== 's1') return [[], DISCONNECT_NAK] as const;
    return [[['Acct-Terminate-Cause', 'Admin-Reset']], DISCONNECT_ACK] as const;
  }
}

describe('radclient → our Dynamic Authorization Server', { skip: skipUnless('radclient') }, () => {
  let nas: Nas;
  let port: number;
  let capture: Capture | undefined;

  before(async () => {
    port = await freePort();
    nas = new Nas('127.0.0.1', { port, eventTimestampWindow: 300 });
    await nas.start();
    if (skipUnless('tshark') === false) capture = await startCapture([port]);
  });

  after(async () => {
    await capture?.dispose();
    await nas.close();
  });

  const send = (type: 'coa' | 'disconnect', input: string) =>
    radclient({ host: '127.0.0.1', port, type, secret: SECRET, input });

  test('CoA-Request: CoA-ACK, and CoA-NAK with the handler’s Error-Cause', async () => {
    const ack = await send('coa', 'User-Name = "alice", Filter-Id = "gold"');
    assert.equal(ack.code, 0, ack.stdout + ack.stderr);
    assert.deepEqual(ack.replies, [{ code: 'CoA-ACK', attributes: [] }]);
    const nak = await send('coa', 'User-Name = "bob", Filter-Id = "gold"');
    assert.equal(nak.code, 1);
    assert.deepEqual(nak.replies, [
      { code: 'CoA-NAK', attributes: [['Error-Cause', 'Session-Context-Not-Found']] },
    ]);
  });

  test('Disconnect-Request: Disconnect-ACK with Acct-Terminate-Cause, Disconnect-NAK with the default cause', async () => {
    const ack = await send('disconnect', 'User-Name = "alice", Acct-Session-Id = "s1"');
    assert.deepEqual(ack.replies, [
      { code: 'Disconnect-ACK', attributes: [['Acct-Terminate-Cause', 'Admin-Reset']] },
    ]);
    const nak = await send('disconnect', 'User-Name = "alice", Acct-Session-Id = "s2"');
    assert.deepEqual(nak.replies, [
      { code: 'Disconnect-NAK', attributes: [['Error-Cause', 'Session-Context-Not-Found']] },
    ]);
  });

  test('the RFC 5176 §3 rules answer radclient with Missing-Attribute and Unsupported-Attribute', async () => {
    const missing = await send('coa', 'Filter-Id = "gold"');
    assert.deepEqual(missing.replies, [
      { code: 'CoA-NAK', attributes: [['Error-Cause', 'Missing-Attribute']] },
    ]);
    const unsupported = await send('disconnect', 'User-Name = "alice", Service-Type = Framed-User');
    assert.deepEqual(unsupported.replies, [
      { code: 'Disconnect-NAK', attributes: [['Error-Cause', 'Unsupported-Attribute']] },
    ]);
  });

  test('Proxy-State comes back; Message-Authenticator is answered with one radclient verifies', async () => {
    const r = await send('coa', 'User-Name = "alice", Proxy-State = 0x6162, Message-Authenticator = 0x00');
    assert.equal(r.replies[0]?.code, 'CoA-ACK', r.stdout + r.stderr);
    const names = r.replies[0]?.attributes.map(([n]) => n) ?? [];
    assert.ok(names.includes('Proxy-State'), r.stdout);
    assert.ok(names.includes('Message-Authenticator'), r.stdout);
  });

  test('Event-Timestamp: current is handled, stale gets no reply (RFC 5176 §6.3)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const fresh = await send('coa', `User-Name = "alice", Event-Timestamp = ${now}`);
    assert.equal(fresh.replies[0]?.code, 'CoA-ACK', fresh.stdout + fresh.stderr);
    const stale = nas.counters.staleTimestamps;
    const old = await send('coa', `User-Name = "alice", Event-Timestamp = ${now - 3600}`);
    assert.deepEqual(old.replies, []);
    assert.notEqual(old.code, 0);
    assert.ok(nas.counters.staleTimestamps > stale);
  });

  test('a wrong secret gets no reply and is counted', async () => {
    const bad = nas.counters.badAuthenticators;
    const r = await radclient({
      host: '127.0.0.1',
      port,
      type: 'coa',
      secret: 'wrong',
      input: 'User-Name = "alice"',
    });
    assert.deepEqual(r.replies, []);
    assert.ok(nas.counters.badAuthenticators > bad);
  });

  test('tshark: our replies have valid Response Authenticators and no expert errors', {
    skip: skipUnless('tshark'),
  }, async () => {
    assert.ok(capture);
    const pcap = await capture.stop();
    const rows = await dissect(pcap, {
      ports: [port],
      secret: SECRET,
      fields: [
        'frame.number',
        'radius.code',
        'radius.id',
        'radius.authenticator.valid',
        'radius.Error_Cause',
      ],
    });
    const replies = rows.filter((r) => ['41', '42', '44', '45'].includes(r['radius.code']));
    assert.ok(replies.length >= 8, `only ${replies.length} replies captured`);
    for (const r of replies) assert.equal(r['radius.authenticator.valid'], '1', JSON.stringify(r));
    const causes = new Set(replies.map((r) => r['radius.Error_Cause']).filter(Boolean));
    for (const c of ['401', '402', '503']) assert.ok(causes.has(c), `Error-Cause ${c} in ${[...causes]}`);
    assert.deepEqual(await expertErrors(pcap, { ports: [port], secret: SECRET }), []);
  });
});

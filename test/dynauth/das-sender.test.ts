import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { RadiusClient } from '../../src/client/radius-client.js';
import { sendToDas } from '../../src/dynauth/das-sender.js';
import { DynamicAuthorizationServer } from '../../src/dynauth/dynamic-authorization-server.js';
import { InvalidValueError, RadiusAbortError, RadiusTimeoutError } from '../../src/errors.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { COA_ACK, DISCONNECT_ACK, DISCONNECT_NAK } from '../../src/protocol/codes.js';
import { AccessRequest, CoARequest, DisconnectRequest, decodeRequest } from '../../src/protocol/packet.js';

const SECRET = 'sender-s3cret';

class Nas extends DynamicAuthorizationServer {
  readonly seen: AttributesSet[] = [];
  validateNas() {
    return SECRET;
  }
  override handleCoaPacket(attributes: AttributesSet) {
    this.seen.push(attributes);
    return [[], COA_ACK] as const;
  }
  override handleDisconnectPacket(attributes: AttributesSet) {
    this.seen.push(attributes);
    return attributes.get('User-Name') === 'gone'
      ? ([[['Error-Cause', 'Session-Context-Not-Found']], DISCONNECT_NAK] as const)
      : ([[], DISCONNECT_ACK] as const);
  }
}

/** A raw UDP peer that answers with whatever `answer` builds (or stays silent). */
async function rawPeer(answer: (msg: Buffer) => Buffer | undefined): Promise<{ sock: Socket; port: number }> {
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const out = answer(msg);
    if (out) sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { sock, port: sock.address().port };
}

describe('sendToDas', () => {
  let nas: Nas;
  let port: number;

  before(async () => {
    // The NAS checks Event-Timestamp: the sender's own one must be current.
    nas = new Nas('127.0.0.1', { port: 0, eventTimestampWindow: 300, requireEventTimestamp: true });
    port = (await nas.start()).port as number;
  });
  after(() => nas.close());

  test('CoA-Request → [CoA-ACK, seconds]; an Event-Timestamp is added once', async () => {
    const request = new CoARequest(SECRET, {
      attributes: [
        ['User-Name', 'alice'],
        ['Filter-Id', 'gold'],
      ],
    });
    const [response, time] = await sendToDas(request, '127.0.0.1', port, { timeout: 2 });
    assert.equal(response.code, COA_ACK);
    assert.equal(response.request, request);
    assert.equal(typeof time, 'number');
    assert.ok(time >= 0);
    assert.ok(request.get('Event-Timestamp') instanceof Date);
    assert.ok(nas.seen.at(-1)?.get('Event-Timestamp') instanceof Date);
  });

  test('Disconnect-NAK resolves (not rejects) with its Error-Cause decoded', async () => {
    const request = new DisconnectRequest(SECRET, { attributes: [['User-Name', 'gone']] });
    const [response] = await sendToDas(request, '127.0.0.1', port);
    assert.equal(response.code, DISCONNECT_NAK);
    assert.equal(response.get('Error-Cause'), 'Session-Context-Not-Found');
    const [ack] = await sendToDas(
      new DisconnectRequest(SECRET, { attributes: [['Acct-Session-Id', 's1']] }),
      '127.0.0.1',
      port,
    );
    assert.equal(ack.code, DISCONNECT_ACK);
  });

  test('a request that breaks RFC 5176 §3 is refused before sending, unless validate: false', async () => {
    const seen = nas.seen.length;
    const bare = new CoARequest(SECRET, { attributes: [['Filter-Id', 'gold']] });
    await assert.rejects(sendToDas(bare, '127.0.0.1', port), {
      code: 'ERR_RADIUS_DYNAUTH_REQUEST',
      message: /no session identification/,
    });
    const withService = new DisconnectRequest(SECRET, {
      attributes: [
        ['User-Name', 'a'],
        ['Service-Type', 'Framed-User'],
      ],
    });
    await assert.rejects(sendToDas(withService, '127.0.0.1', port), /Service-Type/);
    assert.equal(nas.seen.length, seen);
    // Sent anyway, the NAS answers with the NAK the RFC asks for.
    const [nak] = await sendToDas(bare, '127.0.0.1', port, { validate: false });
    assert.equal(nak.get('Error-Cause'), 'Missing-Attribute');
  });

  test('only CoA-Request and Disconnect-Request are sent', async () => {
    const access = new AccessRequest(SECRET, { attributes: [['User-Name', 'a']] });
    await assert.rejects(sendToDas(access as unknown as CoARequest, '127.0.0.1', port), InvalidValueError);
  });

  test('eventTimestamp: false leaves the request alone', async () => {
    const request = new CoARequest(SECRET, { attributes: [['User-Name', 'alice']] });
    const peer = await rawPeer((msg) => decodeRequest(SECRET, msg).createReply(COA_ACK).encode());
    try {
      await sendToDas(request, '127.0.0.1', peer.port, { eventTimestamp: false });
      assert.equal(request.get('Event-Timestamp'), undefined);
    } finally {
      peer.sock.close();
    }
  });

  test('a reply with a stale Event-Timestamp is discarded when a window is set', async () => {
    const old = new Date(Date.now() - 3_600_000);
    const peer = await rawPeer((msg) =>
      decodeRequest(SECRET, msg)
        .createReply(COA_ACK, [['Event-Timestamp', old]])
        .encode(),
    );
    try {
      const make = () => new CoARequest(SECRET, { attributes: [['User-Name', 'alice']] });
      await assert.rejects(sendToDas(make(), '127.0.0.1', peer.port, { eventTimestampWindow: 300 }), {
        code: 'ERR_RADIUS_STALE_EVENT_TIMESTAMP',
      });
      // Without a window the reply is taken as it is.
      const [reply] = await sendToDas(make(), '127.0.0.1', peer.port);
      assert.equal(reply.code, COA_ACK);
    } finally {
      peer.sock.close();
    }
  });

  test('retransmits the same bytes, then times out', async () => {
    const received: Buffer[] = [];
    const peer = await rawPeer((msg) => {
      received.push(msg);
      return undefined;
    });
    try {
      const request = new CoARequest(SECRET, { attributes: [['User-Name', 'alice']] });
      await assert.rejects(
        sendToDas(request, '127.0.0.1', peer.port, { timeout: 0.1, retries: 2 }),
        RadiusTimeoutError,
      );
      assert.equal(received.length, 3);
      assert.deepEqual(received[1], received[0]);
      assert.deepEqual(received[2], received[0]);
    } finally {
      peer.sock.close();
    }
  });

  test('an AbortSignal ends the call', async () => {
    const peer = await rawPeer(() => undefined);
    try {
      const ac = new AbortController();
      const request = new CoARequest(SECRET, { attributes: [['User-Name', 'alice']] });
      const p = sendToDas(request, '127.0.0.1', peer.port, { timeout: 5, signal: ac.signal });
      ac.abort();
      await assert.rejects(p, RadiusAbortError);
    } finally {
      peer.sock.close();
    }
  });

  test('a shared RadiusClient is used and left open', async () => {
    const client = new RadiusClient({ timeout: 2 });
    try {
      const request = new CoARequest(SECRET, { attributes: [['User-Name', 'alice']] });
      await sendToDas(request, '127.0.0.1', port, { client });
      assert.equal(client.statistics.responses, 1);
      assert.equal(client.closed, false);
    } finally {
      client.close();
    }
  });
});

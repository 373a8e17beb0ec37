// Lesson "malformed input": random and mutated datagrams against the Dynamic Authorization Server
// and against a RadiusClient's socket; both keep working. The RADIUS server's own run is in
// test/server/bad-input.test.ts, the codec's in test/protocol/property.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  AccessRequest,
  type AttributesSet,
  COA_ACK,
  COA_NAK,
  CoARequest,
  DISCONNECT_ACK,
  DISCONNECT_NAK,
  DisconnectRequest,
  DynamicAuthorizationServer,
  decodeRequest,
  decodeResponse,
  type Packet,
  RadiusClient,
  RadiusError,
  scanPacket,
} from '../../src/index.js';
import { UdpPeer, waitFor, xorshift } from './udp-peer.js';

const SECRET = 'malformed-secret';
const SEED = Number(process.env.FUZZ_SEED ?? 0x1e55);

/** Mutations of a valid datagram; every one changes it. */
function mutator(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  return (valid: Buffer, trailingJunk: boolean): Buffer => {
    const b = Buffer.from(valid);
    switch (int(trailingJunk ? 7 : 6)) {
      case 0: // flip a few bytes anywhere
        for (let i = 1 + int(4); i > 0; i--) b[int(b.length)] ^= 1 + int(255);
        return b;
      case 1: // an attribute length byte
        if (b.length > 21) b[21 + int(b.length - 21)] ^= 1 + int(255);
        else b[0] ^= 0x80;
        return b;
      case 2: // truncated
        return b.subarray(0, int(b.length));
      case 3: // another length field
        b.writeUInt16BE((b.readUInt16BE(2) + 1 + int(65535)) & 0xffff, 2);
        return b;
      case 4: // another code
        b[0] ^= 1 + int(255);
        return b;
      case 5: // noise
        return bytes(int(120));
      default: // trailing junk after the length field's end
        return Buffer.concat([b, bytes(1 + int(64))]);
    }
  };
}

class Nas extends DynamicAuthorizationServer {
  readonly errors: unknown[] = [];
  validateNas() {
    return SECRET;
  }
  override handleCoaPacket(attrs: AttributesSet) {
    return attrs.get('User-Name') === 'nak' ? ([[], COA_NAK] as const) : ([[], COA_ACK] as const);
  }
  override handleDisconnectPacket() {
    return [[], DISCONNECT_ACK] as const;
  }
  override registerHandleException(error: unknown) {
    this.errors.push(error);
  }
}

describe('lesson: malformed input', { timeout: 60_000 }, () => {
  test('2,000 random and mutated datagrams against a Dynamic Authorization Server: it keeps answering', async () => {
    const das = new Nas('127.0.0.1', { port: 0 });
    const port = (await das.start()).port as number;
    const peer = await UdpPeer.open();
    const rand = xorshift(SEED);
    const mutate = mutator(rand);
    const seeds: Array<() => Packet> = [
      () => new CoARequest(SECRET).addAttributes(['User-Name', 'fuzz'], ['Filter-Id', 'gold']),
      () =>
        new CoARequest(SECRET, { messageAuthenticator: true }).addAttributes(
          ['Acct-Session-Id', 'fz'],
          ['Session-Timeout', 60],
          ['Proxy-State', Buffer.from('ps')],
        ),
      () =>
        new DisconnectRequest(SECRET).addAttributes(['User-Name', 'nak'], ['Framed-IP-Address', '10.0.0.1']),
      () => new AccessRequest(SECRET).addAttributes(['User-Name', 'wrong-port']),
    ];
    const N = 2000;
    const BATCH = 100;
    const requests0 = das.counters.requests;
    try {
      for (let sent = 0; sent < N; ) {
        for (let i = 0; i < BATCH; i++, sent++) {
          const datagram = mutate(seeds[Math.floor(rand() * seeds.length)]().encode(), true);
          try {
            decodeRequest(SECRET, datagram);
          } catch (e) {
            assert.ok(e instanceof RadiusError, `seed ${SEED}, datagram ${sent}: ${String(e)}`);
          }
          peer.send(datagram, port);
        }
        // The probe's ACK must come, after at most one reply per datagram of the batch.
        const probe = new CoARequest(SECRET).add('User-Name', 'probe');
        peer.send(probe.encode(), port);
        let answered = false;
        for (let i = 0; i <= BATCH && !answered; i++) {
          const got = await peer.next();
          assert.ok(got, `seed ${SEED}: no answer after ${sent} datagrams`);
          assert.equal(scanPacket(got.data).length, got.data.length);
          assert.ok([COA_ACK, COA_NAK, DISCONNECT_ACK, DISCONNECT_NAK].includes(got.data[0]));
          try {
            answered = decodeResponse(SECRET, got.data, probe).code === COA_ACK;
          } catch {
            answered = false;
          }
        }
        assert.ok(answered, `seed ${SEED}: the probe after ${sent} datagrams was not answered`);
      }
      // Every datagram was received and classified.
      assert.equal(das.counters.requests - requests0, N + N / BATCH);
      const c = das.counters;
      assert.ok(c.malformed > 0 && c.badAuthenticators > 0 && c.dropped > 0, JSON.stringify(c));
      assert.ok(das.errors.every((e) => e instanceof RadiusError));
    } finally {
      peer.close();
      await das.close();
    }
  });

  test('random and mutated replies on a client socket are ignored and counted; the genuine reply completes', async () => {
    const rand = xorshift(SEED + 1);
    const mutate = mutator(rand);
    const JUNK = 200;
    const server = await UdpPeer.open(({ data, remote }, peer) => {
      const req = decodeRequest(SECRET, data);
      const genuine = req
        .createReply(ACCESS_ACCEPT, [['Reply-Message', `genuine ${req.get('User-Name')}`]])
        .encode();
      for (let i = 0; i < JUNK; i++) peer.send(mutate(genuine, false), remote.port);
      peer.send(genuine, remote.port);
    });
    const client = new RadiusClient({ timeout: 3, retries: 0 });
    const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
    try {
      for (let round = 0; round < 5; round++) {
        const [reply] = await client.sendPacket(
          new AccessRequest(SECRET).add('User-Name', `r${round}`),
          opts,
        );
        assert.equal(reply.get('Reply-Message'), `genuine r${round}`);
        assert.ok(
          await waitFor(() => client.statistics.invalidResponses === (round + 1) * JUNK),
          `round ${round}: ${JSON.stringify(client.statistics.invalid)}`,
        );
      }
      const stats = client.statistics;
      assert.equal(stats.responses, 5);
      assert.equal(stats.retransmissions, 0);
      assert.equal(stats.pending, 0);
    } finally {
      client.close();
      server.close();
    }
  });
});

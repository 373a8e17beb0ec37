// Lesson "verify the received bytes": the client, the server and the Dynamic Authorization Server
// check the Response/Request Authenticator and Message-Authenticator over the datagram as it
// arrived, so repeated attributes that are not adjacent (and a Message-Authenticator in the middle)
// verify. The codec side is in test/protocol/lessons.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCOUNTING_RESPONSE,
  AbstractRadiusServer,
  AccessRequest,
  type AttributesSet,
  COA_ACK,
  DynamicAuthorizationServer,
  decodeRequest,
  decodeResponse,
  RadiusClient,
  type RequestContext,
} from '../../src/index.js';
import { attr, rawPacket, sign, UdpPeer } from './udp-peer.js';

const SECRET = 'received-bytes-secret';
const ZERO16 = Buffer.alloc(16);

describe('lesson: verify the received bytes', { timeout: 60_000 }, () => {
  test('RadiusClient: a reply with interleaved repeats and Message-Authenticator in the middle verifies', async () => {
    let genuine: Buffer | undefined;
    const server = await UdpPeer.open(({ data, remote }, peer) => {
      const req = decodeRequest(SECRET, data);
      genuine = sign(
        rawPacket(
          ACCESS_ACCEPT,
          req.identifier,
          ZERO16,
          attr(18, 'one'),
          attr(25, 'class-a'),
          attr(80, ZERO16),
          attr(18, 'two'),
          attr(25, 'class-b'),
          attr(18, 'three'),
        ),
        SECRET,
        req.authenticator,
      );
      // A copy with its last byte changed comes first: it must not verify.
      const tampered = Buffer.from(genuine);
      tampered[tampered.length - 1] ^= 1;
      peer.send(tampered, remote.port);
      peer.send(genuine, remote.port);
    });
    const client = new RadiusClient({ timeout: 2, retries: 0, requireMessageAuthenticator: true });
    try {
      const [reply] = await client.sendPacket(new AccessRequest(SECRET).add('User-Name', 'bob'), {
        remoteHost: '127.0.0.1',
        remotePort: server.port,
      });
      assert.equal(reply.messageAuthenticator, true);
      assert.deepEqual(reply.getAll('Reply-Message'), ['one', 'two', 'three']);
      assert.deepEqual(
        reply.getAll('Class'),
        ['class-a', 'class-b'].map((s) => Buffer.from(s)),
      );
      assert.deepEqual(reply.attributes.keys(), [
        'Reply-Message',
        'Class',
        'Message-Authenticator',
        'Reply-Message',
        'Class',
        'Reply-Message',
      ]);
      assert.deepEqual(reply.raw, genuine);
      assert.equal(client.statistics.invalid.badAuthenticator, 1);
    } finally {
      client.close();
      server.close();
    }
  });

  test('the server verifies requests with interleaved repeats and hands them over in wire order', async () => {
    const seen: Array<{ keys: string[]; classes: unknown[]; ma: boolean | undefined }> = [];
    class Server extends AbstractRadiusServer {
      validateNas() {
        return SECRET;
      }
      override handleAuthPacket(attrs: AttributesSet, context?: RequestContext) {
        seen.push({
          keys: attrs.keys(),
          classes: attrs.getAll('Class'),
          ma: context?.packet.messageAuthenticator,
        });
        return [[], ACCESS_ACCEPT] as const;
      }
      override handleAccPacket(attrs: AttributesSet, context?: RequestContext) {
        seen.push({
          keys: attrs.keys(),
          classes: attrs.getAll('Class'),
          ma: context?.packet.messageAuthenticator,
        });
        return [[], null] as const;
      }
    }
    const server = new Server('127.0.0.1', { authPort: 0, accPort: 0, requireMessageAuthenticator: true });
    const info = await server.start();
    const authPort = info.authPort as number;
    const accPort = info.accPort as number;
    const peer = await UdpPeer.open();
    try {
      const interleaved = [
        attr(25, 'a'),
        attr(1, 'bob'),
        attr(80, ZERO16),
        attr(25, 'b'),
        attr(30, 'called'),
        attr(25, 'c'),
      ];
      // Access-Request: random Request Authenticator, Message-Authenticator over it.
      const requestAuth = randomBytes(16);
      const access = sign(rawPacket(1, 7, requestAuth, ...interleaved), SECRET, requestAuth, true);
      peer.send(access, authPort);
      const accept = await peer.next();
      assert.ok(accept, 'the Access-Request was not answered');
      assert.equal(accept.data[0], ACCESS_ACCEPT);
      decodeResponse(SECRET, accept.data, decodeRequest(SECRET, access), {
        requireMessageAuthenticator: true,
      });
      // Accounting-Request: Message-Authenticator over a zero header field, then the authenticator.
      const acct = sign(
        rawPacket(4, 8, ZERO16, attr(40, Buffer.from([0, 0, 0, 1])), ...interleaved),
        SECRET,
        ZERO16,
      );
      peer.send(acct, accPort);
      const response = await peer.next();
      assert.ok(response, 'the Accounting-Request was not answered');
      assert.equal(
        decodeResponse(SECRET, response.data, decodeRequest(SECRET, acct)).code,
        ACCOUNTING_RESPONSE,
      );
      const classes = ['a', 'b', 'c'].map((s) => Buffer.from(s));
      const order = ['Class', 'User-Name', 'Message-Authenticator', 'Class', 'Called-Station-Id', 'Class'];
      assert.deepEqual(seen, [
        { keys: order, classes, ma: true },
        { keys: ['Acct-Status-Type', ...order], classes, ma: true },
      ]);
      assert.equal(server.counters.badAuthenticators, 0);
    } finally {
      peer.close();
      await server.close();
    }
  });
  test('the Dynamic Authorization Server verifies a CoA-Request with interleaved repeats and Proxy-State', async () => {
    let seen: { keys: string[]; classes: unknown[] } | undefined;
    class Nas extends DynamicAuthorizationServer {
      validateNas() {
        return SECRET;
      }
      override handleCoaPacket(attrs: AttributesSet) {
        seen = { keys: attrs.keys(), classes: attrs.getAll('Class') };
        return [[], COA_ACK] as const;
      }
    }
    const das = new Nas('127.0.0.1', { port: 0 });
    const port = (await das.start()).port as number;
    const peer = await UdpPeer.open();
    try {
      // RFC 5176 §3.5: Message-Authenticator over a zero header field, then the Request Authenticator.
      const coa = sign(
        rawPacket(
          43,
          9,
          ZERO16,
          attr(33, 'hop-1'),
          attr(1, 'bob'),
          attr(25, 'a'),
          attr(80, ZERO16),
          attr(33, 'hop-2'),
          attr(11, 'filter'),
          attr(25, 'b'),
        ),
        SECRET,
        ZERO16,
      );
      peer.send(coa, port);
      const got = await peer.next();
      assert.ok(got, 'the CoA-Request was not answered');
      const ack = decodeResponse(SECRET, got.data, decodeRequest(SECRET, coa), {
        requireMessageAuthenticator: true,
      });
      assert.equal(ack.code, COA_ACK);
      assert.deepEqual(
        ack.getAll('Proxy-State'),
        ['hop-1', 'hop-2'].map((s) => Buffer.from(s)),
      );
      assert.deepEqual(seen, {
        keys: [
          'Proxy-State',
          'User-Name',
          'Class',
          'Message-Authenticator',
          'Proxy-State',
          'Filter-Id',
          'Class',
        ],
        classes: ['a', 'b'].map((s) => Buffer.from(s)),
      });
      assert.equal(das.counters.badAuthenticators, 0);
    } finally {
      peer.close();
      await das.close();
    }
  });
});

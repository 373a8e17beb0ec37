// Lesson "253-byte limit" across the network: values past the limit are typed errors wherever they
// are encoded (a handler's reply, a client's request), and EAP-Message crosses in 253-byte pieces
// in both directions. The codec rows (253/254 bytes, long-extended More flag, VSA inner lengths)
// are in test/protocol/lessons.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_CHALLENGE,
  AbstractRadiusServer,
  AccessRequest,
  type AttributesSet,
  decodeResponse,
  InvalidValueError,
  RadiusClient,
  type RequestContext,
} from '../../src/index.js';
import { radclient, skipUnless } from '../helpers/peers.js';
import { UdpPeer, waitFor } from './udp-peer.js';

const SECRET = 'limit-253-secret';

/** Lengths of the top-level attributes of `type` in encoded bytes, in order. */
function lengthsOf(b: Buffer, type: number): number[] {
  const out: number[] = [];
  for (let p = 20; p < b.readUInt16BE(2); p += b[p + 1]) if (b[p] === type) out.push(b[p + 1]);
  return out;
}

class EchoServer extends AbstractRadiusServer {
  readonly errors: unknown[] = [];
  readonly eap: Array<{ joined: unknown; wireLengths: number[] }> = [];
  validateNas() {
    return SECRET;
  }
  override handleAuthPacket(attrs: AttributesSet, context?: RequestContext) {
    const user = attrs.get('User-Name');
    const eap = attrs.get('EAP-Message');
    if (Buffer.isBuffer(eap)) {
      this.eap.push({ joined: eap, wireLengths: lengthsOf(context?.packet.raw as Buffer, 79) });
      // Answer with the bytes reversed: a different value of the same length, split again.
      return [[['EAP-Message', Buffer.from(eap).reverse()]], ACCESS_CHALLENGE] as const;
    }
    if (user === 'fits') return [[['Reply-Message', 'x'.repeat(253)]], ACCESS_ACCEPT] as const;
    if (user === 'too-long') return [[['Reply-Message', 'x'.repeat(254)]], ACCESS_ACCEPT] as const;
    return [[['Reply-Message', 'ok']], ACCESS_ACCEPT] as const;
  }
  override registerHandleException(error: unknown) {
    this.errors.push(error);
  }
}

async function startServer(): Promise<{ server: EchoServer; port: number }> {
  const server = new EchoServer('127.0.0.1', { authPort: 0 });
  const { authPort } = await server.start();
  return { server, port: authPort as number };
}

describe('lesson: 253-byte limit', { timeout: 60_000 }, () => {
  test('a handler reply value of 254 bytes: no reply, a typed InvalidValueError reported; 253 bytes are sent', async () => {
    const { server, port } = await startServer();
    const peer = await UdpPeer.open();
    try {
      const tooLong = new AccessRequest(SECRET).add('User-Name', 'too-long');
      peer.send(tooLong.encode(), port);
      assert.ok(await waitFor(() => server.errors.length === 1));
      const error = server.errors[0];
      assert.ok(error instanceof InvalidValueError, String(error));
      assert.equal(error.attribute, 'Reply-Message');
      // The next request is answered, and it is the next datagram: nothing was sent for the first.
      const fits = new AccessRequest(SECRET).add('User-Name', 'fits');
      peer.send(fits.encode(), port);
      const got = await peer.next();
      assert.ok(got);
      const reply = decodeResponse(SECRET, got.data, fits);
      assert.equal(reply.get('Reply-Message'), 'x'.repeat(253));
      assert.deepEqual(lengthsOf(got.data, 18), [255]);
      assert.equal(server.counters.handlerErrors, 1);
    } finally {
      peer.close();
      await server.close();
    }
  });

  test('RadiusClient: a request value of 254 bytes rejects the call with InvalidValueError and frees its identifier', async () => {
    const { server, port } = await startServer();
    // One socket: a leaked identifier per failed call would leave the last call waiting forever.
    const client = new RadiusClient({ timeout: 2, retries: 0, maxSockets: 1 });
    const opts = { remoteHost: '127.0.0.1', remotePort: port };
    try {
      const failures = await Promise.allSettled(
        Array.from({ length: 300 }, () =>
          client.sendPacket(
            new AccessRequest(SECRET).addAttributes(['User-Name', 'u'], ['Class', Buffer.alloc(254)]),
            opts,
          ),
        ),
      );
      for (const f of failures) {
        assert.equal(f.status, 'rejected');
        assert.ok(f.reason instanceof InvalidValueError, String(f.reason));
        assert.equal(f.reason.attribute, 'Class');
      }
      assert.equal(client.statistics.pending, 0);
      const [ok] = await client.sendPacket(new AccessRequest(SECRET).add('User-Name', 'after'), opts);
      assert.equal(ok.get('Reply-Message'), 'ok');
      assert.equal(server.counters.accessRequests, 1, 'a failed call reached the server');
    } finally {
      client.close();
      await server.close();
    }
  });

  test('EAP-Message of 1,000 bytes crosses in 253-byte pieces in order, both ways, and is joined in order', async () => {
    const { server, port } = await startServer();
    const client = new RadiusClient({ timeout: 2, retries: 0 });
    try {
      const eap = randomBytes(1000);
      const [reply] = await client.sendPacket(
        new AccessRequest(SECRET).addAttributes(['User-Name', 'eap'], ['EAP-Message', eap]),
        { remoteHost: '127.0.0.1', remotePort: port },
      );
      assert.deepEqual(server.eap, [{ joined: eap, wireLengths: [255, 255, 255, 243] }]);
      assert.equal(reply.code, ACCESS_CHALLENGE);
      assert.deepEqual(reply.get('EAP-Message'), Buffer.from(eap).reverse());
      assert.deepEqual(lengthsOf(reply.raw as Buffer, 79), [255, 255, 255, 243]);
    } finally {
      client.close();
      await server.close();
    }
  });

  test('radclient: EAP-Message pieces it sends are joined in order by us, and our split reply by it', {
    skip: skipUnless('radclient'),
  }, async () => {
    const { server, port } = await startServer();
    try {
      // radclient reads lines of at most 1024 characters (one piece per line, in order) and prints
      // values of at most about 500 bytes: 400 bytes, two pieces each way.
      const eap = randomBytes(400);
      const pieces = [eap.subarray(0, 253), eap.subarray(253)];
      const r = await radclient({
        host: '127.0.0.1',
        port,
        type: 'auth',
        secret: SECRET,
        input: [
          'User-Name = "eap"',
          ...pieces.map((p) => `EAP-Message = 0x${p.toString('hex')}`),
          'Message-Authenticator = 0x00',
        ].join('\n'),
      });
      assert.equal(r.replies.length, 1, r.stdout + r.stderr);
      assert.deepEqual(server.eap, [{ joined: eap, wireLengths: [255, 149] }]);
      assert.equal(r.replies[0].code, 'Access-Challenge');
      const printed = r.replies[0].attributes.filter(([n]) => n === 'EAP-Message').map(([, v]) => v);
      assert.deepEqual(printed, [`0x${Buffer.from(eap).reverse().toString('hex')}`]);
    } finally {
      await server.close();
    }
  });
});

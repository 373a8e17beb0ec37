// CoA/Disconnect proxying (RFC 5176 §3.1): a home server acting as DAS sends to our proxy, which
// forwards to the NAS holding the session (a DynamicAuthorizationServer here, so that what arrives
// can be seen) and relays its ACK or NAK; Error-Cause 502 when no NAS is known (§3.6).
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import {
  type AttributesSet,
  COA_ACK,
  COA_NAK,
  CoARequest,
  decodeRequest,
  DISCONNECT_ACK,
  DISCONNECT_NAK,
  DisconnectRequest,
  DynamicAuthorizationServer,
  type DynauthHandlerResult,
  DynauthProxy,
  type DynauthRequestContext,
  type Logger,
  NasDirectory,
  RadiusClient,
  RadiusProxy,
} from '../../src/index.js';

const DAS_SECRET = 'das-home-secret';
const NAS_SECRET = 'nas-coa-secret';

/** The NAS: ACKs sessions of alice, NAKs the rest with 503 (Session Context Not Found). */
class TestNas extends DynamicAuthorizationServer {
  readonly seen: AttributesSet[] = [];
  /** Whether each CoA-Request arrived with Message-Authenticator. */
  readonly signed: boolean[] = [];
  override validateNas(): string {
    return NAS_SECRET;
  }
  override handleCoaPacket(attributes: AttributesSet, context?: DynauthRequestContext): DynauthHandlerResult {
    this.seen.push(attributes);
    this.signed.push(context?.packet.messageAuthenticator === true);
    return attributes.get('User-Name') === 'alice' ? [[], COA_ACK] : [[['Error-Cause', 503]], COA_NAK];
  }
  override handleDisconnectPacket(attributes: AttributesSet): DynauthHandlerResult {
    this.seen.push(attributes);
    return attributes.get('User-Name') === 'alice'
      ? [[], DISCONNECT_ACK]
      : [[['Error-Cause', 503]], DISCONNECT_NAK];
  }
}

describe('DynauthProxy between a DAS and a NAS', () => {
  let nasServer: TestNas;
  let proxy: RadiusProxy;
  let dynauth: DynauthProxy;
  let port: number;
  let nasPort: number;
  const das = new RadiusClient({ timeout: 2, retries: 0 });
  before(async () => {
    nasServer = new TestNas('127.0.0.1', { port: 0 });
    nasPort = (await nasServer.start()).port as number;
    proxy = new RadiusProxy({
      // The DAS is this home server: its requests are verified with its secret.
      homeServers: [{ name: 'home', host: '127.0.0.1', auth: 1, secret: DAS_SECRET }],
      pools: [{ name: 'p', servers: ['home'] }],
      realms: [{ name: 'example.com', pool: 'p' }],
      timeout: 0.3,
      retries: 0,
      maxDuration: 0.5,
    });
    const known = new Map([['127.0.0.1', { secret: NAS_SECRET, coaPort: nasPort, name: 'nas-one' }]]);
    dynauth = new DynauthProxy(proxy, '127.0.0.1', {
      port: 0,
      nases: new NasDirectory({
        byAddress: (a) => known.get(a),
        byIdentifier: (id) => (id === 'nas-one' ? '127.0.0.1' : undefined),
      }),
    });
    port = (await dynauth.start()).port as number;
  });
  after(async () => {
    das.close();
    await dynauth.close();
    await proxy.close();
    await nasServer.close();
  });

  const send = (req: CoARequest | DisconnectRequest) =>
    das.sendPacket(req, { remoteHost: '127.0.0.1', remotePort: port }).then(([r]) => r);

  test('CoA-Request by NAS-IP-Address: forwarded with our Proxy-State, the ACK relayed with the DAS Proxy-State', async () => {
    const before = nasServer.seen.length;
    const reply = await send(
      new CoARequest(DAS_SECRET).addAttributes(
        ['NAS-IP-Address', '127.0.0.1'],
        ['User-Name', 'alice'],
        ['Filter-Id', 'gold'],
        ['Proxy-State', Buffer.from('das-state')],
      ),
    );
    assert.equal(reply.code, COA_ACK, JSON.stringify(reply.attributes.toObject()));
    // RFC 2865 §5.33: the DAS's Proxy-State comes back alone; ours stays between proxy and NAS.
    assert.deepEqual(reply.getAll('Proxy-State'), [Buffer.from('das-state')]);
    assert.equal(nasServer.seen.length, before + 1);
    const seen = nasServer.seen.at(-1) as AttributesSet;
    assert.equal(seen.get('Filter-Id'), 'gold');
    const states = seen.getAll('Proxy-State') as Buffer[];
    assert.equal(states.length, 2);
    assert.deepEqual(states[0], Buffer.from('das-state'));
  });

  test('Message-Authenticator on every hop: a signed CoA-Request reaches the NAS signed (BlastRADIUS)', async () => {
    const signed = new CoARequest(DAS_SECRET, { messageAuthenticator: true }).addAttributes(
      ['NAS-IP-Address', '127.0.0.1'],
      ['User-Name', 'alice'],
    );
    assert.equal((await send(signed)).code, COA_ACK);
    assert.equal(nasServer.signed.at(-1), true);
  });

  test('Disconnect-Request by NAS-Identifier: the NAS NAK and its Error-Cause come back', async () => {
    const ack = await send(
      new DisconnectRequest(DAS_SECRET).addAttributes(['NAS-Identifier', 'nas-one'], ['User-Name', 'alice']),
    );
    assert.equal(ack.code, DISCONNECT_ACK);
    const nak = await send(
      new DisconnectRequest(DAS_SECRET).addAttributes(['NAS-Identifier', 'nas-one'], ['User-Name', 'bob']),
    );
    assert.equal(nak.code, DISCONNECT_NAK);
    assert.equal(nak.get('Error-Cause'), 'Session-Context-Not-Found');
  });

  test('no NAS for the request: NAK with Error-Cause 502 (Request Not Routable), nothing forwarded', async () => {
    const before = nasServer.seen.length;
    const reply = await send(
      new CoARequest(DAS_SECRET).addAttributes(['NAS-IP-Address', '10.9.9.9'], ['User-Name', 'alice']),
    );
    assert.equal(reply.code, COA_NAK);
    assert.equal(reply.get('Error-Cause'), 'Proxy-Request-Not-Routable');
    assert.equal(nasServer.seen.length, before);
  });

  test('a session seen in accounting finds its NAS by Acct-Session-Id', async () => {
    const attrs = new CoARequest(DAS_SECRET).addAttributes(['Acct-Session-Id', 'sess-42']).attributes;
    dynauth.nases.noteAccounting(attrs, '127.0.0.1');
    const reply = await send(
      new DisconnectRequest(DAS_SECRET).addAttributes(['Acct-Session-Id', 'sess-42'], ['User-Name', 'alice']),
    );
    assert.equal(reply.code, DISCONNECT_ACK);
  });

  test('a NAS that does not answer: NAK with Error-Cause 505', async () => {
    const silent = new Map([['127.0.0.1', { secret: NAS_SECRET, coaPort: 9 }]]);
    const other = new DynauthProxy(proxy, '127.0.0.1', {
      port: 0,
      nases: new NasDirectory({ byAddress: (a) => silent.get(a) }),
    });
    const otherPort = (await other.start()).port;
    try {
      const [reply] = await das.sendPacket(
        new CoARequest(DAS_SECRET).addAttributes(['NAS-IP-Address', '127.0.0.1'], ['User-Name', 'alice']),
        { remoteHost: '127.0.0.1', remotePort: otherPort },
      );
      assert.equal(reply.code, COA_NAK);
      assert.equal(reply.get('Error-Cause'), 'Proxy-Processing-Error');
    } finally {
      await other.close();
    }
  });

  test('a request signed with another secret than the home server one is not answered', async () => {
    await assert.rejects(
      das.sendPacket(
        new CoARequest('wrong').addAttributes(['NAS-IP-Address', '127.0.0.1'], ['User-Name', 'alice']),
        {
          remoteHost: '127.0.0.1',
          remotePort: port,
          timeout: 0.5,
        },
      ),
      /no response/,
    );
  });
});

/**
 * A NAS on a bare UDP socket answering every CoA-Request with a CoA-ACK that carries what RFC 5176
 * §3.6 does not allow in one (Reply-Message, Filter-Id, Error-Cause 201), as some NASes do.
 */
async function chattyNas() {
  const sock = createSocket('udp4');
  sock.on('message', (data, rinfo) => {
    const req = decodeRequest(NAS_SECRET, data);
    const reply = req.createReply(COA_ACK, [
      ['Reply-Message', 'changed'],
      ['Filter-Id', 'gold'],
      ['Error-Cause', 201],
      ['Event-Timestamp', 1_700_000_000],
    ]);
    sock.send(reply.encode(), rinfo.port, rinfo.address);
  });
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  return { port: sock.address().port, close: () => sock.close() };
}

describe('DynauthProxy and a NAS whose ACK carries attributes RFC 5176 §3.6 forbids', () => {
  test('the DAS hears the ACK without them, with its Proxy-State; one warning per NAS names them', async () => {
    const nas = await chattyNas();
    const warnings: Array<{ obj: unknown; msg: string | undefined }> = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (obj, msg) => warnings.push({ obj, msg }),
      error() {},
    };
    const proxy = new RadiusProxy({
      homeServers: [{ name: 'home', host: '127.0.0.1', auth: 1, secret: DAS_SECRET }],
      pools: [{ name: 'p', servers: ['home'] }],
      realms: [{ name: 'example.com', pool: 'p' }],
      timeout: 0.5,
      retries: 0,
    });
    const known = new Map([['127.0.0.1', { secret: NAS_SECRET, coaPort: nas.port, name: 'chatty' }]]);
    const dynauth = new DynauthProxy(proxy, '127.0.0.1', {
      port: 0,
      logger,
      nases: new NasDirectory({ byAddress: (a) => known.get(a) }),
    });
    const port = (await dynauth.start()).port;
    const das = new RadiusClient({ timeout: 1, retries: 0 });
    try {
      for (let i = 0; i < 2; i++) {
        const [reply] = await das.sendPacket(
          new CoARequest(DAS_SECRET).addAttributes(
            ['NAS-IP-Address', '127.0.0.1'],
            ['User-Name', 'alice'],
            ['Proxy-State', Buffer.from(`das-${i}`)],
          ),
          { remoteHost: '127.0.0.1', remotePort: port },
        );
        assert.equal(reply.code, COA_ACK);
        assert.deepEqual(reply.getAll('Proxy-State'), [Buffer.from(`das-${i}`)]);
        assert.equal(reply.get('Reply-Message'), undefined);
        assert.equal(reply.get('Filter-Id'), undefined);
        assert.equal(reply.get('Error-Cause'), undefined);
        // What §3.6 allows in a CoA-ACK is relayed.
        assert.equal(reply.get('Event-Timestamp') instanceof Date, true);
      }
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      const text = JSON.stringify(warnings[0]);
      for (const name of ['chatty', 'Reply-Message', 'Filter-Id', 'Error-Cause', '5176']) {
        assert.ok(text.includes(name), `${name} in ${text}`);
      }
    } finally {
      das.close();
      await dynauth.close();
      await proxy.close();
      nas.close();
    }
  });
});

// CoA/Disconnect proxying (RFC 5176 §3.1): a home server acting as DAS sends to our proxy, which
// forwards to the NAS holding the session (a DynamicAuthorizationServer here, so that what arrives
// can be seen) and relays its ACK or NAK; Error-Cause 502 when no NAS is known (§3.6).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type AttributesSet,
  COA_ACK,
  COA_NAK,
  CoARequest,
  DISCONNECT_ACK,
  DISCONNECT_NAK,
  DisconnectRequest,
  DynamicAuthorizationServer,
  type DynauthHandlerResult,
  DynauthProxy,
  NasDirectory,
  RadiusClient,
  RadiusProxy,
} from '../../src/index.js';

const DAS_SECRET = 'das-home-secret';
const NAS_SECRET = 'nas-coa-secret';

/** The NAS: ACKs sessions of alice, NAKs the rest with 503 (Session Context Not Found). */
class TestNas extends DynamicAuthorizationServer {
  readonly seen: AttributesSet[] = [];
  override validateNas(): string {
    return NAS_SECRET;
  }
  override handleCoaPacket(attributes: AttributesSet): DynauthHandlerResult {
    this.seen.push(attributes);
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
    nasPort = (await nasServer.start()).port;
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
    port = (await dynauth.start()).port;
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

// Handlers as the specification writes them: array literals returned with no
// `as const` and no return type, which TypeScript widens to arrays (`(number | string[][])[]`). They
// compile (this file is part of the test build), and radclient and our client get the replies.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  AbstractRadiusServer,
  AccessRequest,
  AccountingRequest,
  type AttributesSet,
  COA_ACK,
  CoARequest,
  DISCONNECT_NAK,
  DisconnectRequest,
  DynamicAuthorizationServer,
  ERROR_CAUSE,
  type HandlerResult,
  type HandlerTuple,
  RadiusClient,
  RadiusResponseError,
  type Remote,
  type RemoteInfo,
  sendToDas,
} from '../../src/index.js';
import { radclient, skipUnless } from '../helpers/peers.js';

const SECRET = 'spec-handlers-s3cret';

// README names the handler result types without a type argument.
export const namedTuple: HandlerTuple = [[], ACCESS_ACCEPT];
export const namedResult: HandlerResult = [[], null];

// The specification writes `validateNas(remote: RemoteInfo)`: the same type as Remote.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const remoteInfoIsRemote: Same<RemoteInfo, Remote> = true;

class RealRadiusServer extends AbstractRadiusServer {
  readonly seen: unknown[] = [];
  validateNas(remote: RemoteInfo) {
    if (remote.address !== '127.0.0.1') throw new RadiusResponseError('unknown NAS');
    return SECRET;
  }
  override async handleAuthPacket(attributes: AttributesSet) {
    this.seen.push(attributes.get('User-Name'));
    return [[['Reply-Message', 'hi']], ACCESS_ACCEPT];
  }
  override handleAccPacket(attributes: AttributesSet) {
    this.seen.push(attributes.get('Acct-Session-Id'));
    return [[], null];
  }
}

class Nas extends DynamicAuthorizationServer {
  readonly seen: unknown[] = [];
  validateNas(remote: Remote) {
    if (remote.address !== '127.0.0.1') throw new RadiusResponseError('unknown DAC');
    return SECRET;
  }
  override handleCoaPacket(a: AttributesSet) {
    this.seen.push(a.get('User-Name'));
    return [[], COA_ACK];
  }
  override handleDisconnectPacket(a: AttributesSet) {
    this.seen.push(a.get('User-Name'));
    return [[['Error-Cause', ERROR_CAUSE.SESSION_CONTEXT_NOT_FOUND]], DISCONNECT_NAK];
  }
}

// The widened form is still typed: a code that is not a number, or a reply that is not attribute
// pairs, does not compile.
export class NotCompiling extends AbstractRadiusServer {
  validateNas() {
    return SECRET;
  }
  // @ts-expect-error the code is a string
  override handleAuthPacket() {
    return [[], 'Access-Accept'];
  }
  // @ts-expect-error the attributes are a string
  override handleAccPacket() {
    return ['Reply-Message', null];
  }
}

describe('handlers returning widened arrays', () => {
  const server = new RealRadiusServer('127.0.0.1', { authPort: 0, accPort: 0 });
  const nas = new Nas('127.0.0.1', { port: 0 });
  let auth = 0;
  let acct = 0;
  let das = 0;

  before(async () => {
    const info = await server.start();
    auth = info.authPort ?? 0;
    acct = info.accPort ?? 0;
    das = (await nas.start()).port ?? 0;
  });

  after(async () => {
    await server.close();
    await nas.close();
  });

  test('our client: Access-Accept with Reply-Message, Accounting-Response', async () => {
    const client = new RadiusClient({ defaultServer: '127.0.0.1', timeout: 1, retries: 1 });
    try {
      const request = new AccessRequest(SECRET).addAttributes(['User-Name', 'u'], ['User-Password', 'p']);
      const [accept] = await client.sendPacket(request, { remotePort: auth });
      assert.equal(accept.code, ACCESS_ACCEPT);
      assert.equal(accept.attributes.get('Reply-Message'), 'hi');
      const start = new AccountingRequest(SECRET).addAttributes(
        ['Acct-Status-Type', 'Start'],
        ['Acct-Session-Id', 's1'],
      );
      const [response] = await client.sendPacket(start, { remotePort: acct });
      assert.equal(response.codeName, 'Accounting-Response');
    } finally {
      client.close();
    }
    assert.equal(server.counters.dropped, 0);
  });

  test('our client: CoA-ACK, and Disconnect-NAK with the Error-Cause', async () => {
    const coa = new CoARequest(SECRET).addAttributes(['User-Name', 'alice']);
    const [ack] = await sendToDas(coa, '127.0.0.1', das, { timeout: 1, retries: 1 });
    assert.equal(ack.code, COA_ACK);
    const disconnect = new DisconnectRequest(SECRET).addAttributes(['User-Name', 'alice']);
    const [nak] = await sendToDas(disconnect, '127.0.0.1', das, { timeout: 1, retries: 1 });
    assert.equal(nak.code, DISCONNECT_NAK);
    assert.equal(nak.attributes.get('Error-Cause'), 'Session-Context-Not-Found');
    assert.equal(nas.counters.dropped, 0);
  });

  test('radclient: the same replies', { skip: skipUnless('radclient') }, async () => {
    const run = (port: number, type: 'auth' | 'acct' | 'coa' | 'disconnect', input: string) =>
      radclient({ host: '127.0.0.1', port, type, secret: SECRET, input });
    const accept = await run(
      auth,
      'auth',
      'User-Name = "u", User-Password = "p", Message-Authenticator = 0x00',
    );
    assert.equal(accept.replies.length, 1, accept.stdout + accept.stderr);
    assert.equal(accept.replies[0].code, 'Access-Accept');
    // Message-Authenticator comes first in every Access-Accept; the handler's attribute follows.
    assert.deepEqual(
      accept.replies[0].attributes.filter(([name]) => name !== 'Message-Authenticator'),
      [['Reply-Message', 'hi']],
    );
    const response = await run(acct, 'acct', 'Acct-Status-Type = Start, Acct-Session-Id = "s2"');
    assert.deepEqual(response.replies, [{ code: 'Accounting-Response', attributes: [] }]);
    const ack = await run(das, 'coa', 'User-Name = "alice", Filter-Id = "gold"');
    assert.deepEqual(ack.replies, [{ code: 'CoA-ACK', attributes: [] }]);
    const nak = await run(das, 'disconnect', 'User-Name = "alice"');
    assert.deepEqual(nak.replies, [
      { code: 'Disconnect-NAK', attributes: [['Error-Cause', 'Session-Context-Not-Found']] },
    ]);
  });
});

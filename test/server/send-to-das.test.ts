import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ACCESS_ACCEPT,
  AbstractRadiusServer,
  CoARequest,
  COA_ACK,
  DISCONNECT_NAK,
  DisconnectRequest,
  DynamicAuthorizationServer,
  ERROR_CAUSE,
} from '../../src/index.js';

class Nas extends DynamicAuthorizationServer {
  seen: string[] = [];
  ports: number[] = [];
  validateNas(remote: import('../../src/index.js').Remote) {
    this.ports.push(remote.port);
    return 'das-secret';
  }
  override handleCoaPacket(attributes: import('../../src/index.js').AttributesSet) {
    this.seen.push(`coa:${attributes.get('User-Name')}`);
    return [[], COA_ACK] as const;
  }
  override handleDisconnectPacket(attributes: import('../../src/index.js').AttributesSet) {
    this.seen.push(`disconnect:${attributes.get('User-Name')}`);
    return [[['Error-Cause', ERROR_CAUSE.SESSION_CONTEXT_NOT_FOUND]], DISCONNECT_NAK] as const;
  }
}

class Aaa extends AbstractRadiusServer {
  validateNas() {
    return 'testing123';
  }
  override handleAuthPacket() {
    return [[], ACCESS_ACCEPT] as const;
  }
}

test('server.sendToDas reaches a Dynamic Authorization server and returns its ACK or NAK', async () => {
  const nas = new Nas('127.0.0.1', { port: 0 });
  const aaa = new Aaa('127.0.0.1', { authPort: 0 });
  const { port } = await nas.start();
  await aaa.start();
  try {
    const coa = new CoARequest('das-secret').addAttributes(['User-Name', 'alice'], ['Session-Timeout', 600]);
    const [ack] = await aaa.sendToDas(coa, '127.0.0.1', port, { timeout: 2, retries: 1 });
    assert.equal(ack.codeName, 'CoA-ACK');
    const disconnect = new DisconnectRequest('das-secret').addAttributes(['User-Name', 'bob']);
    const [nak] = await aaa.sendToDas(disconnect, '127.0.0.1', port, { timeout: 2, retries: 1 });
    assert.equal(nak.codeName, 'Disconnect-NAK');
    assert.equal(nak.get('Error-Cause'), 'Session-Context-Not-Found');
    assert.deepEqual(nas.seen, ['coa:alice', 'disconnect:bob']);
    // One client for the server's life: both requests left from the same socket.
    assert.equal(nas.ports.length, 2);
    assert.equal(nas.ports[0], nas.ports[1]);
  } finally {
    await aaa.close();
    await nas.close();
  }
});

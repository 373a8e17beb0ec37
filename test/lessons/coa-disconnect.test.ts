// Lesson "CoA/Disconnect" (RFC 5176): a request that identifies no session is a clear error before
// sending, or a NAK with Error-Cause Missing-Attribute when it arrives; the port is 3799 by default
// and configurable at every entry point. CoA-Request rules are in test/dynauth/.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AbstractRadiusServer,
  COA_ACK,
  CoARequest,
  DISCONNECT_ACK,
  DISCONNECT_NAK,
  DisconnectRequest,
  DynamicAuthorizationServer,
  RadiusClient,
  RadiusError,
  sendToDas,
} from '../../src/index.js';

const SECRET = 'coa-lesson-secret';

class Nas extends DynamicAuthorizationServer {
  handled = 0;
  validateNas() {
    return SECRET;
  }
  override handleCoaPacket() {
    this.handled++;
    return [[], COA_ACK] as const;
  }
  override handleDisconnectPacket() {
    this.handled++;
    return [[], DISCONNECT_ACK] as const;
  }
}

class AaaServer extends AbstractRadiusServer {
  validateNas() {
    return SECRET;
  }
  override handleAccPacket() {
    return [[], null] as const;
  }
}

describe('lesson: CoA/Disconnect', { timeout: 60_000 }, () => {
  test('a Disconnect-Request that identifies no session: refused before sending; sent anyway, NAK Missing-Attribute', async () => {
    const nas = new Nas('127.0.0.1', { port: 0 });
    const port = (await nas.start()).port;
    try {
      // Only NAS identification and an Event-Timestamp: nothing says which session.
      const bare = () => new DisconnectRequest(SECRET, { attributes: [['NAS-IP-Address', '127.0.0.1']] });
      await assert.rejects(
        sendToDas(bare(), '127.0.0.1', port),
        (e: unknown) =>
          e instanceof RadiusError && e.code === 'ERR_RADIUS_DYNAUTH_REQUEST' && /session/.test(e.message),
      );
      assert.equal(nas.counters.requests, 0, 'it was sent');
      const [nak] = await sendToDas(bare(), '127.0.0.1', port, { validate: false });
      assert.equal(nak.code, DISCONNECT_NAK);
      assert.deepEqual(nak.getAll('Error-Cause'), ['Missing-Attribute']);
      assert.equal(nas.handled, 0);
      // With a session identified, the same request is handled.
      const [ack] = await sendToDas(
        new DisconnectRequest(SECRET, {
          attributes: [
            ['NAS-IP-Address', '127.0.0.1'],
            ['Acct-Session-Id', 'sess-9'],
          ],
        }),
        '127.0.0.1',
        port,
      );
      assert.equal(ack.code, DISCONNECT_ACK);
      assert.equal(nas.handled, 1);
    } finally {
      await nas.close();
    }
  });

  test('the port is 3799 by default and configurable at every entry point', async () => {
    assert.equal(new Nas('127.0.0.1').options.port, 3799);
    const defaults = new RadiusClient();
    try {
      assert.equal(defaults.defaultCoaPort, 3799);
    } finally {
      defaults.close();
    }
    const nas = new Nas('127.0.0.1', { port: 0 });
    const port = (await nas.start()).port;
    assert.notEqual(port, 3799);
    const aaa = new AaaServer('127.0.0.1', { accPort: 0 });
    await aaa.start();
    const byDefaultPort = new RadiusClient({ defaultServer: '127.0.0.1', defaultCoaPort: port });
    const pooled = new RadiusClient({ servers: [{ name: 'nas', host: '127.0.0.1', coaPort: port }] });
    const coa = () => new CoARequest(SECRET, { attributes: [['User-Name', 'alice']] });
    try {
      const answers = [
        (await sendToDas(coa(), '127.0.0.1', port))[0],
        (await aaa.sendToDas(coa(), '127.0.0.1', port))[0],
        (await byDefaultPort.sendPacket(coa()))[0],
        (await pooled.sendPacket(coa()))[0],
        (await pooled.sendPacket(coa(), { server: 'nas' }))[0],
      ];
      assert.deepEqual(
        answers.map((a) => a.code),
        [COA_ACK, COA_ACK, COA_ACK, COA_ACK, COA_ACK],
      );
      assert.equal(nas.handled, 5);
      assert.ok(pooled.serverStatus().some((s) => s.kind === 'coa' && s.port === port));
    } finally {
      byDefaultPort.close();
      pooled.close();
      await aaa.close();
      await nas.close();
    }
  });
});

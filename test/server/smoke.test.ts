import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { ACCESS_ACCEPT, ACCESS_REJECT, AccessRequest, decodeResponse } from '../../src/index.js';
import { AbstractRadiusServer } from '../../src/server/abstract-server.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';

class PapServer extends AbstractRadiusServer {
  calls = 0;
  validateNas() {
    return 'testing123';
  }
  override handleAuthPacket(attrs: AttributesSet) {
    this.calls++;
    const ok = attrs.get('User-Name') === 'alice' && attrs.get('User-Password') === 'alicepw';
    return [ok ? [['Reply-Message', 'hi alice']] : [], ok ? ACCESS_ACCEPT : ACCESS_REJECT] as const;
  }
}

test('a PAP server answers Accept and Reject over UDP', async () => {
  const server = new PapServer('127.0.0.1', { authPort: 0 });
  const info = await server.start();
  const sock = createSocket('udp4');
  try {
    for (const [pw, code] of [
      ['alicepw', ACCESS_ACCEPT],
      ['nope', ACCESS_REJECT],
    ] as const) {
      const req = new AccessRequest('testing123');
      req.addAttributes(['User-Name', 'alice'], ['User-Password', pw]);
      sock.send(req.encode(), info.authPort!, '127.0.0.1');
      const [msg] = await once(sock, 'message');
      const resp = decodeResponse('testing123', msg as Buffer, req, { requireMessageAuthenticator: true });
      assert.equal(resp.code, code);
      if (code === ACCESS_ACCEPT) assert.equal(resp.get('Reply-Message'), 'hi alice');
    }
    assert.equal(server.calls, 2);
    assert.equal(server.counters.accepts, 1);
    assert.equal(server.counters.rejects, 1);
  } finally {
    sock.close();
    await server.close();
  }
});

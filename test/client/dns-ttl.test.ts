// The client's host name cache honours a lifetime (dnsTtl): a server that moves is found again.
import assert from 'node:assert/strict';
import dnsPromises from 'node:dns/promises';
import { syncBuiltinESMExports } from 'node:module';
import { test } from 'node:test';
import { RadiusClient } from '../../src/client/radius-client.js';
import { AccessRequest } from '../../src/protocol/packet.js';
import { TestServer } from './udp-test-server.js';

test('a host name is looked up again once dnsTtl has passed; the new address gets new sockets', async (t) => {
  const a = await TestServer.start({ host: '127.0.0.1' });
  let b: TestServer;
  try {
    b = await TestServer.start({ host: '127.0.0.2', port: a.port });
  } catch {
    a.close();
    t.skip('127.0.0.2 cannot be bound here');
    return;
  }
  // The resolver answers 127.0.0.1, then 127.0.0.2 (as if the server's DNS record changed).
  const real = dnsPromises.lookup;
  let answer = '127.0.0.1';
  let lookups = 0;
  const fake = async (host: string) => {
    assert.equal(host, 'radius.example.test');
    lookups++;
    return { address: answer, family: 4 };
  };
  (dnsPromises as { lookup: unknown }).lookup = fake;
  syncBuiltinESMExports();
  const client = new RadiusClient({ dnsTtl: 0.2, defaultServer: 'radius.example.test', defaultPort: a.port });
  try {
    const send = (user: string) =>
      client.sendPacket(
        new AccessRequest('testing123').addAttributes(['User-Name', user], ['User-Password', 'pw']),
      );
    await send('first');
    await send('second');
    assert.equal(lookups, 1, 'within the lifetime the answer is reused');
    answer = '127.0.0.2';
    await new Promise((r) => setTimeout(r, 300));
    // The call that finds the answer stale still goes to the known address; the lookup runs meanwhile.
    for (let i = 0; i < 20 && b.seen.length === 0; i++) {
      await send(`moved${i}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(lookups, 2);
    assert.ok(b.seen.length > 0, 'requests reach the new address');
    assert.equal(a.seen.length + b.seen.length, client.statistics.requests);
    assert.equal(client.statistics.invalidResponses, 0);
    // The old socket closed once its last request was answered.
    assert.equal(client.statistics.sockets, 1);
  } finally {
    (dnsPromises as { lookup: unknown }).lookup = real;
    syncBuiltinESMExports();
    client.close();
    a.close();
    b.close();
  }
});

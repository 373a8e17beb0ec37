// RadiusClient against a real FreeRADIUS: PAP Accept with reply attributes, Reject, accounting,
// Status-Server and CoA/Disconnect, over IPv4 and IPv6; a burst of 20,000 calls at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RadiusClient } from '../../src/client/radius-client.js';
import { RadiusTimeoutError } from '../../src/errors.js';
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  ACCOUNTING_RESPONSE,
  COA_ACK,
  COA_NAK,
  DISCONNECT_ACK,
} from '../../src/protocol/codes.js';
import {
  AccessRequest,
  AccountingRequest,
  CoARequest,
  DisconnectRequest,
  StatusServer,
} from '../../src/protocol/packet.js';
import { type FreeradiusPeer, skipUnless, startFreeradius } from '../helpers/peers.js';
import { freePorts, ipv6LoopbackAvailable } from '../helpers/ports.js';

const SECRET = 'client-interop-s3cret';

describe('RadiusClient against FreeRADIUS', { skip: skipUnless('freeradius') }, () => {
  let fr: FreeradiusPeer;
  let ipv6 = false;
  let coaPort = 0;
  let client: RadiusClient;

  before(async () => {
    ipv6 = await ipv6LoopbackAvailable();
    [coaPort] = await freePorts(1, { ipv6 });
    fr = await startFreeradius({
      secret: SECRET,
      ipv6,
      coaPort,
      users: [
        {
          name: 'alice',
          password: 'alicepw',
          reply: [
            ['Reply-Message', '"Hello alice"'],
            ['Framed-IP-Address', '10.0.0.7'],
            ['Session-Timeout', '3600'],
          ],
        },
      ],
      extraCoa: '\t\tif (&User-Name == "nak-me") {\n\t\t\treject\n\t\t}',
    });
    client = new RadiusClient({ clientIdentifier: 'aioradius-interop', timeout: 2, retries: 2 });
  });

  after(async () => {
    client?.close();
    await fr?.stop();
  });

  const hosts = () => (ipv6 ? ['127.0.0.1', '::1'] : ['127.0.0.1']);

  test('PAP: Access-Accept with reply attributes; wrong password: Access-Reject', async () => {
    for (const host of hosts()) {
      const ok = new AccessRequest(SECRET).addAttributes(
        ['User-Name', 'alice'],
        ['User-Password', 'alicepw'],
      );
      const [accept, time] = await client.sendPacket(ok, { remoteHost: host, remotePort: fr.authPort });
      assert.equal(accept.code, ACCESS_ACCEPT, host);
      assert.equal(accept.get('Reply-Message'), 'Hello alice');
      assert.equal(accept.get('Framed-IP-Address'), '10.0.0.7');
      assert.equal(accept.get('Session-Timeout'), 3600);
      assert.ok(time > 0);
      const bad = new AccessRequest(SECRET).addAttributes(['User-Name', 'alice'], ['User-Password', 'wrong']);
      const [reject] = await client.sendPacket(bad, { remoteHost: host, remotePort: fr.authPort });
      assert.equal(reject.code, ACCESS_REJECT, host);
    }
  });

  test('a long password (past 16 bytes) and many requests in parallel', async () => {
    const calls = Array.from({ length: 300 }, (_, i) =>
      client.sendPacket(
        new AccessRequest(SECRET).addAttributes(
          ['User-Name', 'alice'],
          ['User-Password', i % 2 === 0 ? 'alicepw' : 'a-much-longer-wrong-password-0123456789'],
        ),
        { remoteHost: '127.0.0.1', remotePort: fr.authPort },
      ),
    );
    const results = await Promise.all(calls);
    for (const [i, [r]] of results.entries())
      assert.equal(r.code, i % 2 === 0 ? ACCESS_ACCEPT : ACCESS_REJECT);
  });

  test('Accounting Start and Stop are answered', async () => {
    for (const host of hosts()) {
      for (const status of ['Start', 'Stop'] as const) {
        const req = new AccountingRequest(SECRET).addAttributes(
          ['User-Name', 'alice'],
          ['Acct-Status-Type', status],
          ['Acct-Session-Id', `interop-${host}`],
          ['Acct-Delay-Time', 0],
        );
        const [resp] = await client.sendPacket(req, { remoteHost: host, remotePort: fr.acctPort });
        assert.equal(resp.code, ACCOUNTING_RESPONSE, `${host} ${status}`);
      }
    }
  });

  test('Status-Server is answered on the auth and the acct port', async () => {
    for (const host of hosts()) {
      const [auth] = await client.sendPacket(new StatusServer(SECRET), {
        remoteHost: host,
        remotePort: fr.authPort,
      });
      assert.equal(auth.code, ACCESS_ACCEPT, host);
      const [acct] = await client.sendPacket(new StatusServer(SECRET), {
        remoteHost: host,
        remotePort: fr.acctPort,
      });
      assert.equal(acct.code, ACCOUNTING_RESPONSE, host);
    }
  });

  test('CoA-Request and Disconnect-Request to its CoA listener: ACK, and NAK when refused', async () => {
    const opts = { remoteHost: '127.0.0.1', remotePort: coaPort };
    const [ack] = await client.sendPacket(new CoARequest(SECRET).add('User-Name', 'alice'), opts);
    assert.equal(ack.code, COA_ACK);
    const [dack] = await client.sendPacket(new DisconnectRequest(SECRET).add('User-Name', 'alice'), opts);
    assert.equal(dack.code, DISCONNECT_ACK);
    const [nak] = await client.sendPacket(new CoARequest(SECRET).add('User-Name', 'nak-me'), opts);
    assert.equal(nak.code, COA_NAK);
  });

  test('20,000 Access-Requests at once, default settings: all Access-Accept, no timeout', async () => {
    // Sent at once, the old client put up to 16,384 in flight: FreeRADIUS's socket buffer
    // overflowed and the retransmissions repeated the burst. The window keeps it within what the
    // server holds (its default thread pool; max_requests is raised by the helper).
    const burst = new RadiusClient();
    try {
      const opts = { remoteHost: '127.0.0.1', remotePort: fr.authPort };
      const results = await Promise.allSettled(
        Array.from({ length: 20_000 }, () =>
          burst.sendPacket(
            new AccessRequest(SECRET).addAttributes(['User-Name', 'alice'], ['User-Password', 'alicepw']),
            opts,
          ),
        ),
      );
      const timeouts = results.filter(
        (r) => r.status === 'rejected' && r.reason instanceof RadiusTimeoutError,
      );
      assert.equal(timeouts.length, 0);
      const other = results.find((r) => r.status === 'rejected');
      assert.equal(other, undefined, String((other as PromiseRejectedResult | undefined)?.reason));
      for (const r of results) if (r.status === 'fulfilled') assert.equal(r.value[0].code, ACCESS_ACCEPT);
      const stats = burst.statistics;
      assert.equal(stats.responses, 20_000);
      assert.equal(stats.timeouts, 0);
      assert.equal(stats.invalidResponses, 0);
      // Not a burst the server drops and the retransmissions repeat: few requests are sent twice.
      assert.ok(stats.retransmissions <= 400, `${stats.retransmissions} retransmissions`);
    } finally {
      burst.close();
    }
  });

  test('nothing was ignored along the way', () => {
    const stats = client.statistics;
    assert.equal(stats.invalidResponses, 0);
    assert.equal(stats.timeouts, 0);
    assert.equal(stats.responses, stats.requests);
  });
});

// sendToDas against FreeRADIUS's coa listener: FreeRADIUS verifies our Request Authenticators and
// Message-Authenticator, we verify its ACK/NAK; tshark checks the traffic.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sendToDas } from '../../src/dynauth/das-sender.js';
import { COA_ACK, COA_NAK, DISCONNECT_ACK, DISCONNECT_NAK } from '../../src/protocol/codes.js';
import { CoARequest, DisconnectRequest } from '../../src/protocol/packet.js';
import {
  type Capture,
  dissect,
  expertErrors,
  type FreeradiusPeer,
  skipUnless,
  startCapture,
  startFreeradius,
} from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

const SECRET = 'dac-interop-s3cret';

// recv-coa runs for both CoA-Request and Disconnect-Request: `reject` makes the NAK.
const EXTRA_COA = [
  '\t\tif (&User-Name == "nak-me") {',
  '\t\t\tupdate reply {',
  '\t\t\t\t&Error-Cause := Session-Context-Not-Found',
  '\t\t\t}',
  '\t\t\treject',
  '\t\t}',
].join('\n');

describe('sendToDas → FreeRADIUS coa listener', { skip: skipUnless('freeradius') }, () => {
  let fr: FreeradiusPeer;
  let coaPort: number;
  let capture: Capture | undefined;

  before(async () => {
    coaPort = await freePort();
    fr = await startFreeradius({ secret: SECRET, coaPort, extraCoa: EXTRA_COA });
    if (skipUnless('tshark') === false) capture = await startCapture([coaPort]);
  });

  after(async () => {
    await capture?.dispose();
    await fr?.stop();
  });

  const coa = (user: string, ma = false) =>
    new CoARequest(SECRET, {
      attributes: [
        ['User-Name', user],
        ['Acct-Session-Id', 'sess-1'],
        ['Filter-Id', 'gold'],
      ],
      messageAuthenticator: ma,
    });
  const disconnect = (user: string) =>
    new DisconnectRequest(SECRET, {
      attributes: [
        ['User-Name', user],
        ['Acct-Session-Id', 'sess-1'],
        ['NAS-IP-Address', '127.0.0.1'],
      ],
    });

  test('CoA-Request → CoA-ACK', async () => {
    const [response, time] = await sendToDas(coa('alice'), '127.0.0.1', coaPort, { timeout: 3, retries: 1 });
    assert.equal(response.code, COA_ACK);
    assert.ok(time >= 0);
  });

  test('CoA-Request with Message-Authenticator → CoA-ACK', async () => {
    const [response] = await sendToDas(coa('alice', true), '127.0.0.1', coaPort, { timeout: 3, retries: 1 });
    assert.equal(response.code, COA_ACK);
  });

  test('CoA-Request → CoA-NAK with Error-Cause', async () => {
    const [response] = await sendToDas(coa('nak-me'), '127.0.0.1', coaPort, { timeout: 3, retries: 1 });
    assert.equal(response.code, COA_NAK);
    assert.equal(response.get('Error-Cause'), 'Session-Context-Not-Found');
  });

  test('Disconnect-Request → Disconnect-ACK and Disconnect-NAK', async () => {
    const [ack] = await sendToDas(disconnect('alice'), '127.0.0.1', coaPort, { timeout: 3, retries: 1 });
    assert.equal(ack.code, DISCONNECT_ACK);
    const [nak] = await sendToDas(disconnect('nak-me'), '127.0.0.1', coaPort, { timeout: 3, retries: 1 });
    assert.equal(nak.code, DISCONNECT_NAK);
    assert.equal(nak.get('Error-Cause'), 'Session-Context-Not-Found');
  });

  test('with the wrong secret FreeRADIUS stays silent: a timeout', async () => {
    const request = new CoARequest('not-the-secret', { attributes: [['User-Name', 'alice']] });
    await assert.rejects(sendToDas(request, '127.0.0.1', coaPort, { timeout: 0.5, retries: 0 }), {
      code: 'ERR_RADIUS_TIMEOUT',
    });
  });

  test('tshark: valid Response Authenticators, Error-Cause and Event-Timestamp seen, no expert errors', {
    skip: skipUnless('tshark'),
  }, async () => {
    assert.ok(capture);
    const pcap = await capture.stop();
    const rows = await dissect(pcap, {
      ports: [coaPort],
      secret: SECRET,
      fields: [
        'frame.number',
        'radius.code',
        'radius.authenticator.valid',
        'radius.Error_Cause',
        'radius.Event_Timestamp',
        'radius.Message_Authenticator',
      ],
    });
    const requests = rows.filter((r) => r['radius.code'] === '40' || r['radius.code'] === '43');
    const replies = rows.filter((r) => ['41', '42', '44', '45'].includes(r['radius.code']));
    assert.ok(requests.length >= 6, `only ${requests.length} requests captured`);
    assert.equal(replies.length, 5);
    for (const r of replies) assert.equal(r['radius.authenticator.valid'], '1', JSON.stringify(r));
    for (const r of requests) assert.notEqual(r['radius.Event_Timestamp'], '', JSON.stringify(r));
    assert.ok(requests.some((r) => r['radius.Message_Authenticator'] !== ''));
    assert.equal(replies.filter((r) => r['radius.Error_Cause'] === '503').length, 2);
    assert.deepEqual(await expertErrors(pcap, { ports: [coaPort], secret: SECRET }), []);
  });
});

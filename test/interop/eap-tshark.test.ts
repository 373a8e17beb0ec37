// Our EAP replies as tshark sees them: every Access-Challenge and Access-Accept of a PEAP login
// has a valid Response Authenticator and nothing malformed, and with the key log our server writes
// (opt-in, SSLKEYLOGFILE format) tshark decrypts the tunnel and shows the inner EAP-MSCHAPv2.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EapExampleServer } from '../../examples/eap-server.js';
import { makeCa, makeCert } from '../helpers/certs.js';
import { eapolTest, tailOf } from '../helpers/eapol.js';
import { type Capture, dissect, expertErrors, skipUnless, startCapture } from '../helpers/peers.js';

const SECRET = 'eap-tshark-s3cret';
const USERS = new Map([['alice', { password: 'alicepw' }]]);

describe('tshark reads a PEAP login against EapServer', { skip: skipUnless('eapol_test', 'tshark') }, () => {
  let dir = '';
  let keyLog = '';
  let server: EapExampleServer;
  let port = 0;
  let capture: Capture | undefined;
  let pcap = '';

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-eap-tshark-'));
    keyLog = path.join(dir, 'keys.log');
    const ca = makeCa(dir, 'tshark-ca');
    const cert = makeCert(dir, ca, 'tshark-server');
    const tls = {
      cert: cert.certPem,
      key: cert.keyPem,
      keyLog: (line: Buffer) => appendFileSync(keyLog, line),
    };
    server = new EapExampleServer('127.0.0.1', USERS, SECRET, { tls }, { authPort: 0 });
    port = (await server.start()).authPort as number;
    capture = await startCapture([port]);
    const r = await eapolTest(
      {
        eap: 'PEAP',
        identity: 'alice',
        password: 'alicepw',
        phase1: 'peapver=0',
        phase2: 'auth=MSCHAPV2',
        ca_cert: ca.cert,
      },
      port,
      SECRET,
    );
    assert.ok(r.success, tailOf(r));
    pcap = await capture.stop();
  });
  after(async () => {
    await capture?.dispose();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every reply has a valid Response Authenticator and Message-Authenticator; nothing malformed', async () => {
    const opts = { ports: [port], secret: SECRET };
    const rows = await dissect(pcap, opts);
    const replies = rows.filter((r) => r['udp.srcport'] === String(port));
    assert.ok(replies.length >= 8, `a PEAP login takes several rounds: ${replies.length}`);
    for (const r of replies) {
      assert.equal(r['radius.authenticator.valid'], '1', JSON.stringify(r));
      assert.notEqual(r['radius.Message_Authenticator'], '', JSON.stringify(r));
    }
    assert.deepEqual(
      replies.map((r) => r['radius.code']).slice(-1),
      ['2'],
      'the last reply is an Access-Accept',
    );
    assert.deepEqual(await expertErrors(pcap, opts), []);
  });

  test('with our key log tshark decrypts the tunnel: inner EAP-MSCHAPv2 (26) and the Result TLV (33)', async () => {
    const innerTypes = async (extraArgs: string[]) => {
      const rows = await dissect(pcap, {
        ports: [port],
        secret: SECRET,
        fields: ['eap.type'],
        filter: 'eap',
        extraArgs,
      });
      return new Set(rows.flatMap((r) => r['eap.type'].split(',')));
    };
    const without = await innerTypes([]);
    assert.ok(!without.has('26'), 'without the keys the tunnel stays opaque');
    const decrypted = await innerTypes(['-o', `tls.keylog_file:${keyLog}`]);
    assert.ok(decrypted.has('26') && decrypted.has('33'), [...decrypted].join(','));
  });
});

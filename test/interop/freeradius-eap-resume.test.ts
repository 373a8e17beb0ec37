// FreeRADIUS 3.2 started with its eap TLS session cache on (the EAP benchmark's contender) must
// really resume: it keeps sessions only in files under persist_dir, so the helper has to set it.
// Checked with eapol_test -r (wpa_supplicant) and with the benchmark's node:tls peer.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { eapTlsLogin } from '../../bench/eap-peer.js';
import { RadiusClient } from '../../src/client/radius-client.js';
import { makeCa, makeCert } from '../helpers/certs.js';
import { eapolTest } from '../helpers/eapol.js';
import { skipUnless, startFreeradius } from '../helpers/peers.js';

const SECRET = 'resume-s3cret';

test('FreeRADIUS with the eap cache on resumes EAP-TLS sessions (eapol_test -r, node:tls peer)', {
  skip: skipUnless('freeradius', 'eapol_test'),
}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-fr-resume-'));
  const ca = makeCa(dir, 'ca');
  const server = makeCert(dir, ca, 'server');
  const client = makeCert(dir, ca, 'client');
  const fr = await startFreeradius({
    secret: SECRET,
    files: {
      'eap.pem': readFileSync(server.cert),
      'eap.key': readFileSync(server.key),
      'eap-ca.pem': readFileSync(ca.cert),
    },
    eap: { certFile: 'eap.pem', keyFile: 'eap.key', caFile: 'eap-ca.pem', tlsMaxVersion: '1.3', cache: true },
  });
  const radius = new RadiusClient({ timeout: 5, retries: 1 });
  try {
    const r = await eapolTest(
      {
        eap: 'TLS',
        identity: 'client',
        ca_cert: ca.cert,
        client_cert: client.cert,
        private_key: client.key,
        phase1: 'tls_disable_tlsv1_3=1',
      },
      fr.authPort,
      SECRET,
      { reauths: 1 },
    );
    assert.ok(r.success, r.stdout.slice(-2000));
    assert.equal(r.mppeOk, 2);
    // The login after the reauthentication trigger is the one that must have resumed.
    const second = r.stdout.split('Triggering EAP reauthentication')[1] ?? '';
    assert.match(second, /Handshake finished - resumed=1/, r.stdout.slice(-3000));

    // The benchmark's peer: TLS 1.2 offers the session ID, TLS 1.3 the ticket of the last login.
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      const o = {
        port: fr.authPort,
        secret: SECRET,
        identity: 'client',
        ca: ca.certPem,
        cert: client.certPem,
        key: client.keyPem,
        maxVersion,
      };
      const full = await eapTlsLogin(radius, o);
      assert.ok(full.accepted && !full.resumed && full.session, maxVersion);
      const resumed = await eapTlsLogin(radius, o, full.session);
      assert.ok(resumed.accepted, maxVersion);
      assert.ok(resumed.resumed, `${maxVersion}: FreeRADIUS answered the offered session in full`);
    }
  } finally {
    radius.close();
    await fr.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

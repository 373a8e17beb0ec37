// The fatal alert a refused EAP-TLS peer gets (RFC 5216 §2.1.3), read by OpenSSL on the peer's
// side (a node:tls client): in clear under TLS 1.2, under each TLS 1.3 suite's traffic keys.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type tls from 'node:tls';
import { alertForVerifyError, plainAlert, TLS_ALERT } from '../../src/eap/tls-alert.js';
import { tlsEndpoints } from '../../src/eap/tls-config.js';
import { TlsEngine } from '../../src/eap/tls-engine.js';
import { makeCa, makeCert } from '../helpers/certs.js';
import { MemoryTlsPeer } from '../helpers/memory-tls-peer.js';

describe('the TLS alert of a refused client', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-tls-alert-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = makeCa(dir, 'ca');
  const server = makeCert(dir, ca, 'server');
  const foreign = makeCert(dir, makeCa(dir, 'foreign-ca'), 'foreign');
  const endpoints = tlsEndpoints({
    cert: server.certPem,
    key: server.keyPem,
    ca: ca.certPem,
    keepCertificate: false,
  });

  /** A client with a certificate from another CA, through the handshake; the engine then refuses it. */
  async function refused(
    options: tls.ConnectionOptions,
  ): Promise<{ error: Error & { code?: string }; engine: TlsEngine }> {
    const client = new MemoryTlsPeer({
      ca: ca.certPem,
      cert: foreign.certPem,
      key: foreign.keyPem,
      ...options,
    });
    const error = new Promise<Error>((resolve) => client.socket.once('error', resolve));
    const engine = new TlsEngine(endpoints.certificate);
    try {
      await engine.receive(await client.next(), Buffer.from([0]));
      client.give(engine.takeOutput());
      await engine.receive(await client.next(), Buffer.from([0]));
      assert.ok(engine.established);
      if (typeof options.ciphers === 'string') {
        assert.equal(client.socket.getCipher()?.standardName, options.ciphers, 'the suite asked for');
      }
      assert.equal(engine.facts?.authorized, false);
      const alert = await engine.refuse(
        alertForVerifyError(engine.facts?.authorizationError, engine.facts?.protocol ?? null),
      );
      assert.ok(alert.length > 0, 'an alert was made');
      assert.equal(engine.takeOutput().length, 0, 'the flight it replaces is dropped');
      client.give(alert);
      const timeout = new Promise<Error>((resolve) =>
        setTimeout(() => resolve(new Error('no error')), 5000).unref(),
      );
      return { error: await Promise.race([error, timeout]), engine };
    } finally {
      engine.destroy();
      client.destroy();
    }
  }

  test('TLS 1.2: a plaintext unknown_ca alert in place of the server Finished', async () => {
    const { error } = await refused({ maxVersion: 'TLSv1.2' });
    assert.equal(error.code, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', error.message);
  });

  for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
    test(`TLS 1.3, ${suite}: the alert protected under the server's application traffic keys`, async () => {
      const { error } = await refused({ minVersion: 'TLSv1.3', ciphers: suite });
      assert.equal(error.code, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', error.message);
    });
  }

  test('no client certificate: certificate_required under TLS 1.3, handshake_failure under 1.2', async () => {
    const v13 = await refused({ minVersion: 'TLSv1.3', cert: undefined, key: undefined });
    assert.equal(v13.error.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', v13.error.message);
    // Node's own code for it would be UNABLE_TO_GET_ISSUER_CERT: the reason logged says what happened.
    assert.equal(v13.engine.facts?.authorizationError, 'PEER_DID_NOT_RETURN_A_CERTIFICATE');
    const v12 = await refused({ maxVersion: 'TLSv1.2', cert: undefined, key: undefined });
    assert.equal(v12.error.code, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', v12.error.message);
  });

  test("verify codes map to the alerts OpenSSL's own verification would send", () => {
    assert.equal(alertForVerifyError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'TLSv1.3'), TLS_ALERT.unknownCa);
    assert.equal(alertForVerifyError('CERT_HAS_EXPIRED', 'TLSv1.2'), TLS_ALERT.certificateExpired);
    assert.equal(alertForVerifyError('CERT_REVOKED', 'TLSv1.3'), TLS_ALERT.certificateRevoked);
    assert.equal(alertForVerifyError(undefined, 'TLSv1.3'), TLS_ALERT.certificateRequired);
    assert.equal(alertForVerifyError(undefined, 'TLSv1.2'), TLS_ALERT.handshakeFailure);
    assert.equal(alertForVerifyError('CERT_SIGNATURE_FAILURE', 'TLSv1.2'), TLS_ALERT.badCertificate);
    assert.deepEqual([...plainAlert(TLS_ALERT.unknownCa)], [21, 3, 3, 0, 2, 2, 48]);
  });
});

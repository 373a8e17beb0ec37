// The messages and fields of the typed errors in src/errors.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RadiusConnectionError } from '../src/errors.js';

describe('RadiusConnectionError', () => {
  test('a TLS alert from the server is named, not OpenSSL’s whole line; the cause stays the TLS error', () => {
    const alert = Object.assign(
      new Error(
        '80CC8F4B137F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:' +
          '../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116\n',
      ),
      { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' },
    );
    const err = new RadiusConnectionError('radius.example:2083', 'tls', {
      cause: alert,
      refusedByServer: true,
    });
    assert.equal(
      err.message,
      'TLS connection to radius.example:2083 refused by the server: TLS alert "certificate required" (116)',
    );
    assert.equal(err.code, 'ERR_RADIUS_CONNECTION');
    assert.equal(err.refusedByServer, true);
    assert.equal(err.cause, alert);
  });

  test('other failures keep their reason and are not refusals', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2083'), { code: 'ECONNREFUSED' });
    const err = new RadiusConnectionError('127.0.0.1:2083', 'tcp', { cause: refused });
    assert.equal(err.message, 'TCP connection to 127.0.0.1:2083 failed: connect ECONNREFUSED 127.0.0.1:2083');
    assert.equal(err.refusedByServer, false);
  });
});

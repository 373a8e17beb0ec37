// The messages and fields of the typed errors in src/errors.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RadiusConnectionError, RadiusQueueFullError, RadiusTimeoutError } from '../src/errors.js';

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

describe('RadiusTimeoutError', () => {
  test('attempts made, or why it was never sent: the window until its time limit, or a silent server', () => {
    const one = new RadiusTimeoutError('127.0.0.1:1812', 1);
    assert.equal(one.message, 'no response from 127.0.0.1:1812 after 1 attempt');
    assert.equal(new RadiusTimeoutError('a, b', 4).message, 'no response from a, b after 4 attempts');
    assert.equal(one.silentSeconds, -1);
    const waited = new RadiusTimeoutError('127.0.0.1:1812', 0);
    assert.match(waited.message, /not sent within the time limit/);
    assert.equal(waited.silentSeconds, -1);
    const silent = new RadiusTimeoutError('127.0.0.1:1812', 0, 0.5123);
    assert.equal(
      silent.message,
      'no response from 127.0.0.1:1812: not sent, the server answered none of the requests before it (nothing for 0.5 s)',
    );
    assert.equal(silent.silentSeconds, 0.5123);
    assert.equal(silent.code, 'ERR_RADIUS_TIMEOUT');
    // Only a call never sent carries the silence.
    assert.equal(new RadiusTimeoutError('x', 2, 1).silentSeconds, -1);
  });
});

describe('RadiusQueueFullError', () => {
  test('the verb agrees with the count', () => {
    assert.equal(
      new RadiusQueueFullError('127.0.0.1:1812', 1).message,
      '1 request already waits for 127.0.0.1:1812',
    );
    assert.equal(
      new RadiusQueueFullError('127.0.0.1:1812', 2).message,
      '2 requests already wait for 127.0.0.1:1812',
    );
    // maxQueued 0: nothing may wait, and a call that would have to is refused.
    assert.equal(
      new RadiusQueueFullError('a', 0).message,
      'no request may wait for a (maxQueued 0) and this one cannot go now',
    );
    const err = new RadiusQueueFullError('a', 65536);
    assert.equal(err.code, 'ERR_RADIUS_QUEUE_FULL');
    assert.equal(err.maxQueued, 65536);
    assert.equal(err.server, 'a');
  });
});

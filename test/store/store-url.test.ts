// Store URLs: the password masked in every message, the scheme checked before a driver sees the
// URL, and a driver's failure turned into StoreOpenError with a one-line reason.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RadiusError, StoreOpenError } from '../../src/errors.js';
import { checkStoreUrl, storeOpenFailed, urlForLog } from '../../src/store/store-url.js';

/** The StoreOpenError `fn` throws. */
function thrown(fn: () => void): StoreOpenError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StoreOpenError, String(err));
    return err;
  }
  assert.fail('nothing thrown');
}

describe('store URLs', () => {
  test('urlForLog masks the password and nothing else; an unparsable URL shows its scheme only', () => {
    assert.equal(urlForLog('postgres://rad:S3cret@db:5432/radius'), 'postgres://rad:***@db:5432/radius');
    assert.equal(urlForLog('redis://:S3cret@127.0.0.1:6379'), 'redis://:***@127.0.0.1:6379');
    assert.equal(urlForLog('postgres://rad@db/radius'), 'postgres://rad@db/radius');
    assert.equal(urlForLog('redis://:S3cret@host:notaport'), 'redis://…');
    assert.equal(urlForLog('postgres://rad:S3cret@/radius'), 'postgres://…');
    assert.equal(urlForLog('S3cret'), '(not a URL)');
    // pg reads the password from the query too.
    assert.equal(
      urlForLog('postgres://rad@db/radius?password=S3cret&sslmode=require&sslpassword=S3cret2'),
      'postgres://rad@db/radius?password=***&sslmode=require&sslpassword=***',
    );
  });

  test('checkStoreUrl takes the schemes given, in any case, and nothing else', () => {
    checkStoreUrl('PostgreSQL', 'postgres://rad@db/radius', ['postgres', 'postgresql']);
    checkStoreUrl('PostgreSQL', 'PostgreSQL://rad@db/radius', ['postgres', 'postgresql']);
    // What pg takes and URL() does not: credentials and a socket directory, no host.
    checkStoreUrl('PostgreSQL', 'postgres://rad:S3cret@/radius?host=/run/postgresql', ['postgres']);
    const err = thrown(() =>
      checkStoreUrl('PostgreSQL', 'mysql://rad:S3cret@x/radius', ['postgres', 'postgresql']),
    );
    assert.ok(err instanceof RadiusError);
    assert.equal(err.code, 'ERR_RADIUS_STORE_OPEN');
    assert.equal(err.store, 'PostgreSQL');
    assert.equal(err.url, 'mysql://rad:***@x/radius');
    assert.equal(err.reason, 'not a postgres:// or postgresql:// URL');
    assert.equal(
      err.message,
      'cannot open the PostgreSQL store at mysql://rad:***@x/radius: not a postgres:// or postgresql:// URL',
    );
    assert.equal(thrown(() => checkStoreUrl('Redis', 'db.example', ['redis'])).reason, 'not a redis:// URL');
  });

  test("storeOpenFailed: the driver's error as cause and its message as reason; never a URL error's input", () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const err = storeOpenFailed('PostgreSQL', 'postgres://rad:S3cret@127.0.0.1/radius', refused);
    assert.equal(err.cause, refused);
    assert.equal(
      err.message,
      'cannot open the PostgreSQL store at postgres://rad:***@127.0.0.1/radius: connect ECONNREFUSED 127.0.0.1:5432',
    );
    // Refused on every address of a name: an AggregateError whose own message is empty.
    const both = new AggregateError(
      [new Error('connect ECONNREFUSED ::1:5432'), new Error('connect ECONNREFUSED 127.0.0.1:5432')],
      '',
    );
    assert.equal(
      storeOpenFailed('PostgreSQL', 'postgres://localhost/radius', both).reason,
      'connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
    );
    // Node's URL error holds the whole input, password included: not kept.
    let invalid: unknown;
    try {
      new URL('redis://:S3cret@host:notaport');
    } catch (e) {
      invalid = e;
    }
    const bad = storeOpenFailed('Redis', 'redis://:S3cret@host:notaport', invalid);
    assert.equal(bad.reason, 'not a valid URL');
    assert.equal(bad.cause, undefined);
    assert.doesNotMatch(`${bad.message} ${bad.stack}`, /S3cret/);
  });
});

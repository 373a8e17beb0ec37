// The record of a shared TLS session (src/eap/tls-session-record.ts): the session's DER SEQUENCE,
// then the identity authenticated over it as a UTF8String; what is read back is that identity or
// none, never another one. Real sessions go through it in test/eap/shared-ttls-resumption.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSessionRecord, withIdentity } from '../../src/eap/tls-session-record.js';

/** A DER element: tag, length (short or long form), content. */
function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), content]);
}

const session = der(0x30, Buffer.concat([der(0x02, Buffer.from([1])), der(0x04, Buffer.alloc(200, 7))]));

test('a session alone names nobody; with an identity, the same session and that identity', () => {
  assert.deepEqual(readSessionRecord(session), { session, identity: undefined });
  for (const identity of ['alice', 'DOMAIN\\bob', 'élodie@example.net', '', 'x'.repeat(300)]) {
    const record = withIdentity(session, identity);
    assert.ok(record);
    assert.deepEqual(readSessionRecord(record), { session, identity });
  }
});

test('an identity UTF-8 cannot carry as it is (a lone surrogate) is not recorded', () => {
  assert.equal(withIdentity(session, 'a\ud800b'), undefined);
});

test('anything after the session but one well-formed UTF8String names nobody', () => {
  const alice = withIdentity(session, 'alice') as Buffer;
  for (const tail of [
    Buffer.from([0x0c]),
    Buffer.from([0x0c, 5, 0x61]),
    Buffer.concat([der(0x0c, Buffer.from('alice')), Buffer.from([0])]),
    der(0x04, Buffer.from('alice')),
    der(0x0c, Buffer.from([0xff, 0xfe])),
  ]) {
    const read = readSessionRecord(Buffer.concat([session, tail]));
    assert.deepEqual(read, { session, identity: undefined }, tail.toString('hex'));
  }
  // Cut short, the record is no session OpenSSL could load either: handed over as it is.
  const cut = alice.subarray(0, 50);
  assert.deepEqual(readSessionRecord(cut), { session: cut, identity: undefined });
  const junk = Buffer.from('alice');
  assert.deepEqual(readSessionRecord(junk), { session: junk, identity: undefined });
});

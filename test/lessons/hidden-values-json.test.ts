// Lesson "secrets in logs": JSON is how loggers (pino) and the accounting store see a packet, so
// hidden values (User-Password, Tunnel-Password, MS-MPPE keys, any encrypt= attribute) are masked
// there as in console.log; showing them is an explicit opt-in (revealHidden).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  AccessRequest,
  decodeRequest,
  decodeResponse,
  HIDDEN_VALUE,
} from '../../src/index.js';

const SECRET = 'json-secret';
const PASSWORD = 'correct horse battery';
const TUNNEL = 'tunnel-s3cret';

describe('lesson: hidden values never leave through JSON', () => {
  test('a decoded Access-Request: JSON.stringify and toJSON mask User-Password', () => {
    const request = new AccessRequest(SECRET).addAttributes(
      ['User-Name', 'alice'],
      ['User-Password', PASSWORD],
    );
    const received = decodeRequest(SECRET, request.encode());
    assert.equal(received.get('User-Password'), PASSWORD);
    for (const text of [
      JSON.stringify(received),
      JSON.stringify(received.attributes),
      JSON.stringify({ req: received }),
    ]) {
      assert.ok(!text.includes(PASSWORD), text);
      assert.ok(text.includes(HIDDEN_VALUE), text);
      assert.ok(text.includes('alice'), text);
    }
    assert.deepEqual(received.attributes.toJSON()['User-Password'], [HIDDEN_VALUE]);
  });

  test('deferred decoding (as the server decodes): masked the same way', () => {
    const request = new AccessRequest(SECRET).addAttributes(
      ['User-Name', 'alice'],
      ['User-Password', PASSWORD],
    );
    const received = decodeRequest(SECRET, request.encode(), { deferAttributes: true });
    assert.ok(!JSON.stringify(received).includes(PASSWORD));
  });

  test('a reply: Tunnel-Password and MS-MPPE keys masked; revealHidden shows them', () => {
    const request = new AccessRequest(SECRET).add('User-Name', 'alice');
    request.encode();
    const key = Buffer.alloc(32, 0xab);
    const reply = request.createReply(ACCESS_ACCEPT, [
      ['Tunnel-Password:1', TUNNEL],
      ['MS-MPPE-Send-Key', key],
      ['Reply-Message', 'hello'],
    ]);
    const decoded = decodeResponse(SECRET, reply.encode(), request);
    const text = JSON.stringify(decoded);
    assert.ok(!text.includes(TUNNEL), text);
    assert.ok(!text.includes(key.toString('hex')), text);
    assert.ok(text.includes('hello'));
    const revealed = decoded.toObject({ revealHidden: true });
    assert.deepEqual(revealed.attributes['Tunnel-Password:1'], [TUNNEL]);
    assert.deepEqual(revealed.attributes['MS-MPPE-Send-Key'], [`0x${key.toString('hex')}`]);
    assert.deepEqual(decoded.attributes.toObject({ revealHidden: true })['Tunnel-Password:1'], [TUNNEL]);
    assert.deepEqual(decoded.attributes.toObject()['Tunnel-Password:1'], [HIDDEN_VALUE]);
  });
});

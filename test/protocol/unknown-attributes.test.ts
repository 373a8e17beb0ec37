// Raw Attr-<oid> definitions are made by the dictionary on demand and cached up to a bound: a set
// must find its unknown attributes by name whatever the cache went through meanwhile.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { AccessRequest, decodeRequest } from '../../src/protocol/packet.js';

const SECRET = 'unknown-attributes';

describe('unknown attributes by name', () => {
  test('found by get, has, getAll and delete after thousands of other unknown attributes went by', () => {
    const dict = new Dictionary();
    // More unknown attributes than the dictionary caches, each met once: before the packet, and after.
    let next = 70000;
    const flood = () => {
      for (let i = 0; i < 5000; i++) assert.ok(dict.unknownByOid(`26.${next++}.1`));
    };
    flood();
    // First met with the cache full.
    const data = new AccessRequest(SECRET, { dictionary: dict, messageAuthenticator: false })
      .add('User-Name', 'alice')
      .add('Attr-26.60000.1', Buffer.from('kept'))
      .encode();
    for (const deferAttributes of [false, true]) {
      flood();
      const p = decodeRequest(SECRET, data, { dictionary: dict, deferAttributes });
      assert.deepEqual(p.attributes.keys(), ['User-Name', 'Attr-26.60000.1']);
      flood();
      assert.deepEqual(p.attributes.get('Attr-26.60000.1'), Buffer.from('kept'));
      assert.equal(p.attributes.has('Attr-26.60000.1'), true);
      assert.equal(p.attributes.getAll('Attr-26.60000.1').length, 1);
      assert.equal(p.attributes.delete('Attr-26.60000.1'), 1);
      assert.deepEqual(p.attributes.keys(), ['User-Name']);
    }
  });
});

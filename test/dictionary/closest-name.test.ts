// "Did you mean": the attribute a mistyped name most likely meant.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closestAttributeName } from '../../src/dictionary/closest-name.js';
import { defaultDictionary } from '../../src/dictionary/dictionary.js';

test('a name one or two edits from an attribute is taken for it; case is ignored', () => {
  assert.equal(closestAttributeName(defaultDictionary, 'User-Nme'), 'User-Name');
  assert.equal(closestAttributeName(defaultDictionary, 'user-nmae'), 'User-Name');
  assert.equal(closestAttributeName(defaultDictionary, 'Sesion-Timeout'), 'Session-Timeout');
  assert.equal(closestAttributeName(defaultDictionary, 'Framed-IP-Adress'), 'Framed-IP-Address');
});

test('nothing close, or a name too short to guess at: no suggestion', () => {
  assert.equal(closestAttributeName(defaultDictionary, 'Cisco-AVPair'), undefined);
  assert.equal(closestAttributeName(defaultDictionary, 'Frobnicate-Everything'), undefined);
  assert.equal(closestAttributeName(defaultDictionary, 'Ab'), undefined);
});

// NasDirectory's fallback by Acct-Session-Id (RFC 5176 §3: a CoA may name only the session): it
// remembers which NAS reported each session, bounded by maxSessions, the session reported least
// recently going first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttributesSet, NasDirectory } from '../../src/index.js';

const session = (id: string) => new AttributesSet(undefined, [['Acct-Session-Id', id]]);

/** A directory where every 10.0.0.x address is a NAS. */
function directory(maxSessions: number): NasDirectory {
  return new NasDirectory({
    byAddress: (a) => (a.startsWith('10.0.0.') ? { secret: 'nas-secret' } : undefined),
    maxSessions,
  });
}

test('a session is found at the NAS that reported it last; the least recently reported is forgotten first', () => {
  const nases = directory(3);
  nases.noteAccounting(session('a'), '10.0.0.1');
  nases.noteAccounting(session('b'), '10.0.0.2');
  nases.noteAccounting(session('c'), '10.0.0.3');
  // "a" moves to another NAS (a roaming session): now the most recently reported.
  nases.noteAccounting(session('a'), '10.0.0.4');
  // The same report again changes nothing.
  nases.noteAccounting(session('c'), '10.0.0.3');
  nases.noteAccounting(session('d'), '10.0.0.5');
  assert.equal(nases.find(session('b')), undefined, 'b was reported least recently');
  assert.equal(nases.find(session('a'))?.host, '10.0.0.4');
  assert.equal(nases.find(session('c'))?.host, '10.0.0.3');
  assert.equal(nases.find(session('d'))?.host, '10.0.0.5');
  nases.noteAccounting(session('e'), '10.0.0.6');
  assert.equal(nases.find(session('c')), undefined, 'then c');
  assert.equal(nases.find(session('a'))?.host, '10.0.0.4');
});

test('at its bound, 200,000 new sessions keep the newest 100,000 and forget the rest', () => {
  const nases = directory(100_000);
  for (let i = 0; i < 200_000; i++) nases.noteAccounting(session(`s${i}`), `10.0.0.${i % 250}`);
  assert.equal(nases.find(session('s99999')), undefined);
  assert.equal(nases.find(session('s100000'))?.host, '10.0.0.0');
  assert.equal(nases.find(session('s199999'))?.host, `10.0.0.${199_999 % 250}`);
});

test('maxSessions 0 remembers none', () => {
  const nases = directory(0);
  nases.noteAccounting(session('a'), '10.0.0.1');
  assert.equal(nases.find(session('a')), undefined);
});

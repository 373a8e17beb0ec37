// Realm matching: the User-Name forms NASes send, and the order exact → regex → DEFAULT.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, parseUserName, RealmTable } from '../../src/index.js';

describe('parseUserName', () => {
  const cases: Array<[string, string | undefined, string]> = [
    ['alice@example.com', 'example.com', 'alice'],
    // RFC 7542 §3: the realm follows the last '@'.
    ['a@b@example.com', 'example.com', 'a@b'],
    ['example.com/alice', 'example.com', 'alice'],
    ['CORP\\alice', 'CORP', 'alice'],
    ['alice', undefined, 'alice'],
  ];
  for (const [name, realm, user] of cases)
    test(name, () => {
      const p = parseUserName(name);
      assert.equal(p.realm, realm);
      assert.equal(p.user, user);
    });
});

describe('RealmTable', () => {
  const table = new RealmTable([
    { name: 'DEFAULT', pool: 'roaming' },
    { name: 'edu', regex: '\\.edu$', pool: 'edu', strip: false },
    { name: 'example.com', pool: 'ex' },
    { name: 'any.edu', pool: 'exact-edu' },
    { name: 'NULL', pool: 'LOCAL' },
    { name: 'here.net' },
  ]);

  test('an exact name wins over a regex that also matches', () => {
    assert.equal(table.match('bob@any.edu')?.pool, 'exact-edu');
    assert.equal(table.match('bob@EXAMPLE.com')?.pool, 'ex');
  });
  test('regexes before DEFAULT; strip false keeps the realm', () => {
    const m = table.match('bob@uni.edu');
    assert.equal(m?.pool, 'edu');
    assert.equal(m?.userName, 'bob@uni.edu');
  });
  test('strip by default, for every syntax', () => {
    assert.equal(table.match('alice@example.com')?.userName, 'alice');
    assert.equal(table.match('example.com/alice')?.userName, 'alice');
    assert.equal(table.match('example.com\\alice')?.userName, 'alice');
  });
  test('the realm alone (RFC 7542 §2.4 "@realm") is forwarded as it came: stripped, User-Name would be empty', () => {
    assert.equal(table.match('@example.com')?.userName, '@example.com');
    assert.equal(table.match('example.com/')?.userName, 'example.com/');
    assert.equal(table.match('@example.com')?.pool, 'ex');
  });
  test('DEFAULT catches other realms; NULL and LOCAL are handled here', () => {
    assert.equal(table.match('x@elsewhere.org')?.pool, 'roaming');
    const none = table.match('alice');
    assert.equal(none?.realm.name, 'NULL');
    assert.equal(none?.pool, undefined);
    assert.equal(table.match('x@here.net')?.pool, undefined);
  });
  test('without DEFAULT or NULL nothing matches', () => {
    const t = new RealmTable([{ name: 'example.com', pool: 'ex' }]);
    assert.equal(t.match('alice'), undefined);
    assert.equal(t.match('a@other.org'), undefined);
  });
  test('a bad regex and a duplicate realm are configuration errors', () => {
    assert.throws(() => new RealmTable([{ name: 'r', regex: '(' }]), ConfigError);
    assert.throws(() => new RealmTable([{ name: 'a' }, { name: 'A' }]), /duplicate realm/);
  });
});

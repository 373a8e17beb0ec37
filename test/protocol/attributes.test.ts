import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AccessRequest,
  type AttributeValue,
  AttributesSet,
  Dictionary,
  decodeRequest,
  defaultDictionary,
  InvalidValueError,
  UnknownAttributeError,
} from '../../src/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function entries(set: AttributesSet): [string, AttributeValue, number | undefined][] {
  return set.entries.map((e) => [e.def.name, e.value, e.tag]);
}

describe('AttributesSet', () => {
  test('starts empty or from pairs, on the default dictionary unless given one', () => {
    assert.equal(new AttributesSet().size, 0);
    assert.equal(new AttributesSet().dictionary, defaultDictionary);
    const set = new AttributesSet(defaultDictionary, [
      ['User-Name', 'bob'],
      ['NAS-Port', 3],
    ]);
    assert.equal(set.size, 2);
    assert.deepEqual(set.keys(), ['User-Name', 'NAS-Port']);
    const dict = new Dictionary();
    assert.equal(new AttributesSet(dict).dictionary, dict);
  });

  test('pairs alone, as a Map takes its entries: on the default dictionary', () => {
    const set = new AttributesSet([
      ['User-Name', 'q'],
      ['NAS-Port', 5],
    ]);
    assert.equal(set.dictionary, defaultDictionary);
    assert.deepEqual(
      [...set],
      [
        ['User-Name', 'q'],
        ['NAS-Port', 5],
      ],
    );
    set.add('Reply-Message', 'more');
    assert.equal(set.size, 3);
    // Any iterable of pairs, an empty one included.
    const fromMap = new AttributesSet(new Map([['Filter-Id', 'gold']]));
    assert.equal(fromMap.get('Filter-Id'), 'gold');
    assert.equal(new AttributesSet([]).size, 0);
  });

  test('a first argument that is neither a Dictionary nor pairs is an InvalidValueError', () => {
    // JavaScript callers (or a cast) can pass anything: none of these makes a set that fails later.
    const wrong: unknown[] = [
      42,
      'User-Name',
      null,
      {},
      { attribute: 1 },
      [['User-Name']],
      ['User-Name', 'q'],
      [[7, 'x']],
    ];
    for (const first of wrong) {
      assert.throws(
        () => new AttributesSet(first as Dictionary),
        InvalidValueError,
        `new AttributesSet(${JSON.stringify(first)})`,
      );
    }
    // Pairs first and then a dictionary: the dictionary goes first.
    assert.throws(
      () =>
        new (AttributesSet as new (...a: unknown[]) => AttributesSet)(
          [['User-Name', 'q']],
          defaultDictionary,
        ),
      InvalidValueError,
    );
  });

  test('add appends in order and returns the set; get gives the first, getAll every value', () => {
    const set = new AttributesSet();
    assert.equal(set.add('Reply-Message', 'one'), set);
    set.add('User-Name', 'bob').add('Reply-Message', 'two');
    assert.equal(set.get('Reply-Message'), 'one');
    assert.deepEqual(set.getAll('Reply-Message'), ['one', 'two']);
    assert.equal(set.get('State'), undefined);
    assert.deepEqual(set.getAll('State'), []);
    assert.deepEqual(set.keys(), ['Reply-Message', 'User-Name', 'Reply-Message']);
  });

  test('names are case-insensitive; the dictionary spelling is kept', () => {
    const set = new AttributesSet();
    set.add('user-name', 'a').add('USER-NAME', 'b').add('ms-chap-challenge', hex('01'));
    assert.deepEqual(set.getAll('User-Name'), ['a', 'b']);
    assert.deepEqual(set.getAll('uSeR-nAmE'), ['a', 'b']);
    assert.deepEqual(set.keys(), ['User-Name', 'User-Name', 'MS-CHAP-Challenge']);
    assert.equal(set.has('Ms-Chap-Challenge'), true);
  });

  test('unknown names: add and get throw UnknownAttributeError, has and delete do not', () => {
    const set = new AttributesSet();
    assert.throws(
      () => set.add('No-Such-Attribute', 'x'),
      (e: unknown) => e instanceof UnknownAttributeError && e.attribute === 'No-Such-Attribute',
    );
    assert.throws(() => set.get('No-Such-Attribute'), UnknownAttributeError);
    assert.throws(() => set.getAll('No-Such-Attribute'), UnknownAttributeError);
    assert.equal(set.has('No-Such-Attribute'), false);
    assert.equal(set.delete('No-Such-Attribute'), 0);
    assert.equal(set.size, 0);
  });

  test('Name:tag and the tag argument set the tag; Name:tag selects it', () => {
    const set = new AttributesSet();
    set.add('Tunnel-Type:1', 'L2TP').add('Tunnel-Type', 'PPTP', 2).add('Tunnel-Type', 'GRE');
    assert.deepEqual(entries(set), [
      ['Tunnel-Type', 'L2TP', 1],
      ['Tunnel-Type', 'PPTP', 2],
      ['Tunnel-Type', 'GRE', undefined],
    ]);
    assert.equal(set.get('Tunnel-Type'), 'L2TP');
    assert.equal(set.get('Tunnel-Type:2'), 'PPTP');
    assert.equal(set.get('tunnel-type:2'), 'PPTP');
    assert.deepEqual(set.getAll('Tunnel-Type:1'), ['L2TP']);
    assert.equal(set.get('Tunnel-Type:3'), undefined);
    assert.equal(set.has('Tunnel-Type:3'), false);
    assert.equal(set.has('Tunnel-Type:1'), true);
    assert.deepEqual(set.keys(), ['Tunnel-Type:1', 'Tunnel-Type:2', 'Tunnel-Type']);
    // The explicit argument wins over the name's tag.
    set.add('Tunnel-Medium-Type:1', 'IPv4', 4);
    assert.equal(set.entries[3].tag, 4);
  });

  test('tags outside 0..31 are an InvalidValueError, in add and in set', () => {
    const set = new AttributesSet();
    for (const bad of [32, -1, 1.5]) {
      assert.throws(() => set.add('Tunnel-Type', 'L2TP', bad), InvalidValueError);
      assert.throws(() => set.set('Tunnel-Type', 'L2TP', bad), InvalidValueError);
    }
    assert.throws(() => set.add('Tunnel-Type:32', 'L2TP'), InvalidValueError);
    assert.equal(set.size, 0);
  });

  test('addAttributes appends pairs; addPairs checks loose pairs', () => {
    const set = new AttributesSet();
    set.addAttributes(['User-Name', 'u'], ['Class', hex('0102')]);
    assert.deepEqual(set.keys(), ['User-Name', 'Class']);
    set.addPairs([['Reply-Message', 'hi']]);
    assert.equal(set.get('Reply-Message'), 'hi');
    const loose = [['Reply-Message'], ['Reply-Message', 'a', 'b'], [1, 'x'], ['Reply-Message', null]];
    for (const pair of loose)
      assert.throws(() => set.addPairs([pair as unknown as [string, string]]), InvalidValueError);
  });

  test('set replaces every value in place of the first one, or appends', () => {
    const set = new AttributesSet();
    set.addAttributes(['Reply-Message', 'a'], ['User-Name', 'u'], ['Reply-Message', 'b']);
    assert.equal(set.set('Reply-Message', 'c'), set);
    assert.deepEqual(entries(set), [
      ['Reply-Message', 'c', undefined],
      ['User-Name', 'u', undefined],
    ]);
    set.set('State', hex('ab'));
    assert.deepEqual(set.keys(), ['Reply-Message', 'User-Name', 'State']);
    set.set('User-Name', 'v');
    assert.deepEqual(set.keys(), ['Reply-Message', 'User-Name', 'State']);
    assert.equal(set.get('User-Name'), 'v');
  });

  test('set with Name:tag replaces only that tag, in its place', () => {
    const set = new AttributesSet();
    set
      .add('Tunnel-Type:1', 'L2TP')
      .add('User-Name', 'u')
      .add('Tunnel-Type:2', 'PPTP')
      .add('Tunnel-Type:2', 'GRE');
    set.set('Tunnel-Type:2', 'ESP');
    assert.deepEqual(entries(set), [
      ['Tunnel-Type', 'L2TP', 1],
      ['User-Name', 'u', undefined],
      ['Tunnel-Type', 'ESP', 2],
    ]);
    // Without a tag in the name, every Tunnel-Type goes; the tag argument tags the new one.
    set.set('Tunnel-Type', 'GRE', 3);
    assert.deepEqual(entries(set), [
      ['Tunnel-Type', 'GRE', 3],
      ['User-Name', 'u', undefined],
    ]);
  });

  test('delete removes every value (or every value of one tag) and counts them', () => {
    const set = new AttributesSet();
    set
      .add('Class', 'a')
      .add('Tunnel-Type:1', 1)
      .add('Class', 'b')
      .add('Tunnel-Type:2', 2)
      .add('Tunnel-Type:1', 3);
    assert.equal(set.delete('Tunnel-Type:1'), 2);
    assert.deepEqual(set.keys(), ['Class', 'Class', 'Tunnel-Type:2']);
    assert.equal(set.delete('class'), 2);
    assert.equal(set.delete('Class'), 0);
    assert.equal(set.has('Class'), false);
    assert.equal(set.size, 1);
  });

  test('iteration gives [name, value] pairs in order, tagged names as Name:tag', () => {
    const set = new AttributesSet();
    set.add('User-Name', 'u').add('Tunnel-Private-Group-ID:5', '10').add('NAS-Port', 1);
    assert.deepEqual(
      [...set],
      [
        ['User-Name', 'u'],
        ['Tunnel-Private-Group-ID:5', '10'],
        ['NAS-Port', 1],
      ],
    );
    const seen: string[] = [];
    for (const [name] of set) seen.push(name);
    assert.deepEqual(seen, set.keys());
  });

  test('toJSON: name → list, Buffers as 0x hex, bigints as strings, Dates as ISO text', () => {
    const dict = new Dictionary();
    dict.addAttribute({ name: 'Test-Counter', path: [200], type: 'integer64' });
    const set = new AttributesSet(dict);
    set
      .add('Class', hex('00ff'))
      .add('Test-Counter', 2n ** 63n)
      .add('Event-Timestamp', new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))
      .add('Class', new Uint8Array([1]))
      .add('Tunnel-Type:1', 'L2TP')
      .add('NAS-Port', 7);
    const json = set.toJSON();
    assert.deepEqual(json, {
      Class: ['0x00ff', '0x01'],
      'Test-Counter': ['9223372036854775808'],
      'Event-Timestamp': ['2024-01-02T03:04:05.000Z'],
      'Tunnel-Type:1': ['L2TP'],
      'NAS-Port': [7],
    });
    assert.equal(JSON.stringify(set), JSON.stringify(json));
  });

  test('Uint8Array values are stored as Buffers', () => {
    const set = new AttributesSet().add('Class', new Uint8Array([9, 8]));
    const v = set.get('Class');
    assert.ok(Buffer.isBuffer(v));
    assert.deepEqual(v, hex('0908'));
  });

  test('raw Attr-<oid> names resolve, and decoded raw attributes are found by name', () => {
    const set = new AttributesSet();
    set.add('Attr-26.9.1', 'x').add('Attr-200', hex('01'));
    assert.deepEqual(set.keys(), ['Attr-26.9.1', 'Attr-200']);
    assert.throws(() => set.add('Attr-300', 'x'), UnknownAttributeError);
    const p = new AccessRequest('s', { attributes: [['Attr-200', hex('0102')]] });
    const got = decodeRequest('s', p.encode());
    assert.deepEqual(got.attributes.get('Attr-200'), hex('0102'));
    assert.equal(got.attributes.has('attr-200'), true);
  });

  test('a packet exposes the same API and decoded packets keep wire order', () => {
    const p = new AccessRequest('s');
    p.addAttributes(['User-Name', 'bob'], ['Class', 'a'], ['NAS-Port', 1], ['Class', 'b']);
    p.add('Tunnel-Type', 'L2TP', 3);
    const got = decodeRequest('s', p.encode());
    assert.deepEqual(got.attributes.keys(), [
      'Message-Authenticator',
      'User-Name',
      'Class',
      'NAS-Port',
      'Class',
      'Tunnel-Type:3',
    ]);
    assert.deepEqual(got.getAll('Class'), [Buffer.from('a'), Buffer.from('b')]);
    assert.equal(got.get('Tunnel-Type:3'), 'L2TP');
    assert.deepEqual(got.toJSON().attributes['NAS-Port'], [1]);
  });
});

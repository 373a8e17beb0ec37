// biome-ignore-all lint/suspicious/noThenProperty: objects with a then member are what isThenable tells apart
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isThenable } from '../../src/pipeline/thenable.js';
import { thenable } from '../helpers/thenables.js';

describe('isThenable', () => {
  test('native promises and any object or function with a then method', () => {
    const fn = Object.assign(() => undefined, { then: () => undefined });
    const inherited = Object.create({ then() {} }) as object;
    for (const value of [Promise.resolve(1), thenable(() => {}), { then: () => undefined }, fn, inherited])
      assert.equal(isThenable(value), true, String(value));
  });

  test('plain values, including objects whose then is not a function', () => {
    const plain = [
      undefined,
      null,
      0,
      'secret',
      true,
      Buffer.from('secret'),
      [[], 2],
      { secret: 's' },
      { then: 1 },
      () => undefined,
    ];
    for (const value of plain) assert.equal(isThenable(value), false, String(value));
  });
});

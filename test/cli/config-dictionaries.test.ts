// serve loads FreeRADIUS's dictionaries when they are installed and the config names none; an
// explicit `dictionaries` list (even empty) is taken as it is.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { FREERADIUS_DICTIONARY, loadConfig } from '../../src/cli/config.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-dicts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(extra: string, reply = ''): string {
  const file = path.join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `clients:\n  - address: 127.0.0.1\n    secret: s\n${extra}users:\n  - name: a\n    password: p\n${reply}database: ./r.db\n`,
  );
  return file;
}

describe('serve dictionaries', {
  skip: existsSync(FREERADIUS_DICTIONARY) ? false : `no ${FREERADIUS_DICTIONARY}`,
}, () => {
  test('no dictionaries key: FreeRADIUS’s are loaded, so a vendor reply attribute is known', () => {
    const c = loadConfig(config('', '    reply:\n      Cisco-AVPair: shell:priv-lvl=15\n'));
    assert.deepEqual(c.dictionaries, [FREERADIUS_DICTIONARY]);
    assert.equal(c.dictionary.attribute('Cisco-AVPair')?.vendor?.id, 9);
  });

  test('dictionaries: [] loads none (the vendor attribute is then unknown, at start)', () => {
    assert.deepEqual(loadConfig(config('dictionaries: []\n')).dictionaries, []);
    assert.throws(
      () => loadConfig(config('dictionaries: []\n', '    reply:\n      Cisco-AVPair: x\n')),
      /unknown attribute "Cisco-AVPair"/,
    );
  });
});

describe('the example config', () => {
  test('has the user `aioradius bench` sends by default (bench / bench)', () => {
    const here = path.dirname(new URL(import.meta.url).pathname);
    const c = loadConfig(path.resolve(here, '../../../examples/aioradius.yaml'));
    const bench = c.users.find((u) => u.name === 'bench');
    assert.equal(bench?.password, 'bench');
  });
});

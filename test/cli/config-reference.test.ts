// The configuration reference is generated from the schema the loader validates with: the
// committed docs/configuration.md must be what the schema generates, and every key the loader
// takes must be documented (a key missing from the schema is refused as unknown).
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/cli/config.js';
import { CONFIG_KEYS, configReference, keysOf } from '../../src/cli/config-schema.js';
import { ConfigError } from '../../src/errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('configuration reference', () => {
  test('docs/configuration.md is what the schema generates (npm run docs:config)', () => {
    const committed = readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8');
    assert.equal(committed, configReference());
  });

  test('every key has a type and a meaning; sections list their keys', () => {
    for (const k of CONFIG_KEYS) {
      assert.ok(k.type.length > 0 && k.doc.length > 0, k.path);
      assert.ok(!(k.required && k.default !== undefined), `${k.path}: required with a default`);
    }
    assert.deepEqual(keysOf('listen.tcp'), ['port', 'idleTimeout', 'lifetime', 'maxConnectionsPerClient']);
    assert.ok(keysOf('clients[]').includes('psk'));
  });

  test('a key the schema does not list is refused with the keys it does', () => {
    const file = path.join(os.tmpdir(), `aioradius-ref-${process.pid}.yaml`);
    writeFileSync(file, 'clients:\n  - address: 127.0.0.1\n    secret: s\n    colour: blue\n');
    try {
      assert.throws(
        () => loadConfig(file),
        (err: unknown) =>
          err instanceof ConfigError &&
          /clients\[0\]\.colour: unknown key \(expected one of: address, secret, name, requireMessageAuthenticator/.test(
            err.message,
          ),
      );
    } finally {
      rmSync(file, { force: true });
    }
  });
});

// Secrets kept out of the config file: `secret: { env: NAME }` and `{ file: PATH }` for client
// secrets and PSK keys; a number where a secret belongs is refused with "quote it".
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../src/cli/config.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(secretYaml: string, extra = ''): string {
  const file = path.join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `listen:\n  host: 127.0.0.1\nclients:\n  - address: 127.0.0.1\n    secret: ${secretYaml}\n${extra}database: ./r.db\n`,
  );
  return file;
}

describe('secrets from the environment and from files', () => {
  test('{ env: NAME } and { file: PATH } (relative to the config, trailing newline dropped)', () => {
    process.env.AIORADIUS_TEST_SECRET = 'from-env';
    writeFileSync(path.join(dir, 'nas.secret'), 'from-file\n');
    assert.equal(loadConfig(config('{ env: AIORADIUS_TEST_SECRET }')).clients[0].secret, 'from-env');
    assert.equal(loadConfig(config('{ file: nas.secret }')).clients[0].secret, 'from-file');
    writeFileSync(path.join(dir, 'psk.hex'), `${'ab'.repeat(32)}\n`);
    const psk = loadConfig(
      config('s', '  - address: 10.0.0.0/8\n    psk:\n      identity: n1\n      key: { file: psk.hex }\n'),
    );
    assert.deepEqual(psk.clients[1].psk?.key, Buffer.alloc(32, 0xab));
  });

  test('a missing variable or file, a number, or both env and file: the field and the reason', () => {
    delete process.env.AIORADIUS_TEST_UNSET;
    const cases: Array<[string, RegExp]> = [
      [
        '{ env: AIORADIUS_TEST_UNSET }',
        /clients\[0\]\.secret\.env: the environment variable AIORADIUS_TEST_UNSET is not set/,
      ],
      ['{ file: missing.secret }', /clients\[0\]\.secret\.file: cannot read .*missing\.secret/],
      ['123456', /clients\[0\]\.secret: is a number in YAML: quote it \("123456"\)/],
      ['{ env: A, file: b }', /clients\[0\]\.secret: give one of env or file/],
    ];
    for (const [yaml, expected] of cases) {
      assert.throws(
        () => loadConfig(config(yaml)),
        (err: unknown) => err instanceof ConfigError && expected.test(err.message),
        yaml,
      );
    }
  });
});

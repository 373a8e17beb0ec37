// Secrets kept out of the config file: `secret: { env: NAME }` and `{ file: PATH }` for client
// secrets and PSK keys; a number where a secret or password belongs is refused with "quote it",
// without repeating the value (YAML's number is not what was written, and a secret stays off stderr).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig, parseConfig } from '../../src/cli/config.js';
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
      ['123456', /clients\[0\]\.secret: is a number in YAML: put it in quotes, exactly as written/],
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

describe('a number or boolean where a string belongs', () => {
  const base = 'listen: { host: 127.0.0.1 }\ndatabase: ./r.db\n';
  const client = (secret: string) => `clients:\n  - address: 127.0.0.1\n    secret: ${secret}\n`;
  const fails = (yaml: string) => {
    try {
      parseConfig(yaml, '/nowhere/x.yaml');
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err;
    }
    assert.fail(`accepted:\n${yaml}`);
  };

  // Each value YAML reads as a number (or boolean) other than as written: 0x1234abcd is 305441741.
  const written: Array<[string, string]> = [
    ['0x1234abcd', '305441741'],
    ['0012345', '12345'],
    ['1e3', '1000'],
    ['0o17', '15'],
    ['+42', '42'],
    ['12345.50', '12345.5'],
    ['true', 'true'],
  ];

  test('secrets and passwords: the field, the line and "put it in quotes", never the value', () => {
    const places: Array<[string, (v: string) => string]> = [
      ['clients[0].secret', (v) => client(v)],
      [
        'ldap.bindPassword',
        (v) =>
          `${client('s')}ldap:\n  url: ldap://127.0.0.1\n  baseDn: dc=example\n  bindDn: cn=a\n  bindPassword: ${v}\n`,
      ],
      [
        'http.headers.Authorization',
        (v) => `${client('s')}http:\n  url: http://127.0.0.1/u/{user}\n  headers:\n    Authorization: ${v}\n`,
      ],
      ['users[0].password', (v) => `${client('s')}users:\n  - name: alice\n    password: ${v}\n`],
      ['users[0].ntHash', (v) => `${client('s')}users:\n  - name: alice\n    ntHash: ${v}\n`],
      ['users[0].passwordHash', (v) => `${client('s')}users:\n  - name: alice\n    passwordHash: ${v}\n`],
      ['cluster.key', (v) => `${client('s')}cluster:\n  listen: 10.0.0.11:1815\n  key: ${v}\n`],
      [
        'proxy.homeServers[0].secret',
        (v) => `${client('s')}proxy:\n  homeServers:\n    - { name: h1, host: 127.0.0.1, secret: ${v} }\n`,
      ],
    ];
    for (const [field, yaml] of places) {
      for (const [value, parsed] of written) {
        const err = fails(base + yaml(value));
        const what = `${field}: ${value}: ${err.message}`;
        assert.equal(err.field, field, what);
        assert.match(
          err.reason,
          /^is a (number|boolean) in YAML: put it in quotes, exactly as written, to make it a string$/,
          what,
        );
        assert.ok(err.line !== undefined, what);
        for (const shown of [value, parsed])
          assert.ok(!err.message.includes(shown), `${what} shows ${shown}`);
      }
    }
  });

  test('other strings: quoted as written in the file, not as YAML parsed them', () => {
    for (const [value] of written) {
      const err = fails(`${base}clients:\n  - address: 127.0.0.1\n    secret: s\n    name: ${value}\n`);
      assert.equal(err.field, 'clients[0].name');
      assert.match(
        err.reason,
        new RegExp(`quote it \\(${JSON.stringify(value).replace(/[+.]/g, '\\$&')}\\)`),
      );
    }
  });
});

// better-sqlite3 (a native module) is needed by the embedded store only: the library loads and
// works without it, and `serve` without it says what to install instead of a stack trace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// Preloaded into a child node: makes better-sqlite3 impossible to load, as if it were not installed.
const HIDE = `const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'better-sqlite3') { const e = new Error("Cannot find module 'better-sqlite3'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
  return load.call(this, request, ...rest);
};`;

describe('better-sqlite3 is optional', () => {
  test('package.json: an optional peer dependency, not a dependency', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    assert.equal(pkg.dependencies?.['better-sqlite3'], undefined);
    assert.ok(pkg.peerDependencies?.['better-sqlite3']);
    assert.equal(pkg.peerDependenciesMeta?.['better-sqlite3']?.optional, true);
  });

  test('without it, the library works and serve names the package to install', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-nosqlite-'));
    try {
      const hook = path.join(dir, 'hide.cjs');
      writeFileSync(hook, HIDE);
      const lib = spawnSync(
        process.execPath,
        [
          '-r',
          hook,
          '--input-type=module',
          '-e',
          `import { AccessRequest, decodeRequest } from 'aioradius';
           const b = new AccessRequest('s').add('User-Name', 'x').add('User-Password', 'p').encode();
           console.log(decodeRequest('s', b).get('User-Password'));`,
        ],
        { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
      );
      assert.equal(lib.status, 0, lib.stderr);
      assert.equal(lib.stdout.trim(), 'p');
      const config = path.join(dir, 'c.yaml');
      writeFileSync(
        config,
        'listen:\n  host: 127.0.0.1\n  auth: 0\n  acct: 0\nclients:\n  - address: 127.0.0.1\n    secret: s\ndatabase: ./r.db\n',
      );
      const serve = spawnSync(
        process.execPath,
        ['-r', hook, path.join(ROOT, 'dist', 'cli', 'main.js'), 'serve', '--config', config],
        { encoding: 'utf8', timeout: 30_000 },
      );
      assert.notEqual(serve.status, 0);
      assert.match(serve.stderr, /needs the better-sqlite3 package \(npm install better-sqlite3\)/);
      assert.doesNotMatch(serve.stderr, /\n\s+at /, 'no stack trace');
      // --check says the file is valid, but not "OK": serve could not start here.
      const check = spawnSync(
        process.execPath,
        ['-r', hook, path.join(ROOT, 'dist', 'cli', 'main.js'), 'serve', '--config', config, '--check'],
        { encoding: 'utf8', timeout: 30_000 },
      );
      assert.equal(check.status, 1, check.stdout + check.stderr);
      assert.doesNotMatch(check.stdout, /OK/);
      assert.match(check.stderr, /is valid, but cannot start here: .*npm install better-sqlite3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The published package: `import` and `require()` both load it (Node 20.19+ can require an ESM
// package without top-level await), by its own name through the exports map, with types alongside.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// build/test/package/ → project root
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, Record<string, string>>;
};
const built = existsSync(join(root, 'dist', 'index.js')) ? false : 'dist/ is not built (npm run build)';

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 30_000 });
}

test('require() loads the package by name and sees the public API', { skip: built }, () => {
  const out = node([
    '-e',
    `const m = require('${pkg.name}'); console.log(typeof m.AbstractRadiusServer, typeof m.packet.AccessRequest, m.ACCESS_ACCEPT)`,
  ]);
  assert.equal(out.trim(), 'function function 2');
});

test('import loads the package by name', { skip: built }, () => {
  const out = node([
    '--input-type=module',
    '-e',
    `import { RadiusClient, decodeRequest, Dictionary } from '${pkg.name}'; console.log(typeof RadiusClient, typeof decodeRequest, typeof Dictionary)`,
  ]);
  assert.equal(out.trim(), 'function function function');
});

test('the exports map points at built files with their type declarations', { skip: built }, () => {
  const main = pkg.exports['.'];
  for (const key of ['types', 'import', 'require', 'default'])
    assert.ok(existsSync(join(root, main[key])), `${key}: ${main[key]}`);
  assert.match(readFileSync(join(root, main.types), 'utf8'), /AbstractRadiusServer/);
});

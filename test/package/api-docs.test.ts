// API documentation generated from the types: TypeDoc over src/index.ts with warnings treated as
// errors (a public type that refers to an undocumented one fails), the pages of the main classes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('API documentation (npm run docs)', () => {
  test('TypeDoc builds it without a warning; the public classes have pages', { timeout: 180_000 }, () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'aioradius-docs-'));
    try {
      const typedoc = path.join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
      const r = spawnSync(process.execPath, [typedoc, '--out', out], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      for (const page of ['AbstractRadiusServer', 'RadiusClient', 'DynamicAuthorizationServer', 'Packet'])
        assert.ok(existsSync(path.join(out, 'classes', `${page}.html`)), page);
      const client = readFileSync(path.join(out, 'classes', 'RadiusClient.html'), 'utf8');
      assert.match(client, /sendPacket/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

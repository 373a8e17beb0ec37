// Runs every compiled test file with node's test runner; a file list keeps Node 20 and 22 alike.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = collect('build/test', []).filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
files.sort();
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-timeout=180000', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);

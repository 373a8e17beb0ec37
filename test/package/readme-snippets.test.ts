// Documentation that compiles: every ```ts block of README.md is type-checked with `tsc --strict`
// as a module of its own that imports 'aioradius' by name (the built package, as a user's code
// would) and may import the examples (./examples/*.js).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The ```ts blocks of a Markdown text, with the line each starts on. */
export function tsBlocks(markdown: string): Array<{ line: number; code: string }> {
  const out: Array<{ line: number; code: string }> = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== '```') end++;
    out.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return out;
}

describe('README', () => {
  test('every TypeScript snippet compiles under --strict against the package', { timeout: 120_000 }, () => {
    const blocks = tsBlocks(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    assert.ok(blocks.length >= 10, `only ${blocks.length} snippets found`);
    // Inside the package directory, so that 'aioradius' resolves to the package itself.
    const dir = path.join(ROOT, 'build', 'readme-snippets');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.join(dir, 'examples'), { recursive: true });
    for (const f of readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.ts')))
      cpSync(path.join(ROOT, 'examples', f), path.join(dir, 'examples', f));
    const names: string[] = [];
    for (const b of blocks) {
      const name = `readme-line-${b.line}.ts`;
      // `export {}` makes a snippet without imports a module too (top-level await).
      writeFileSync(path.join(dir, name), `${b.code}\nexport {};\n`);
      names.push(name);
    }
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      // What a user's project would have: --strict, ES modules, Node's types.
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023'],
          types: ['node'],
          skipLibCheck: true,
          noEmit: true,
        },
        include: ['*.ts', 'examples/*.ts'],
      }),
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    // Errors name the README line: readme-line-N.ts(L,C) is README line N + L - 1.
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });
});

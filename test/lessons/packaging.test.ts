// Lesson "packaging": what `npm pack` would publish, installed into a throwaway consumer project
// outside this repository, loads with `require()` and `import`, and type-checks from its own
// declarations (NodeNext, ESM and CommonJS consumers) with only the package's dependencies installed
// (a declaration naming its optional peer better-sqlite3 failed to compile). test/package/exports.test.ts checks the
// same package from inside the repository.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
// build/test/lessons/ → project root
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const skip = existsSync(join(root, 'dist', 'index.js')) ? false : 'dist/ is not built (npm run build)';

/** Runs a command with a hard timeout; resolves with its output, or the output of its failure. */
async function output(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<{ ok: boolean; stdout: string; text: string }> {
  try {
    const r = await run(cmd, args, { cwd, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    return { ok: true, stdout: r.stdout, text: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return {
      ok: false,
      stdout: err.stdout ?? '',
      text: `${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`,
    };
  }
}

const USE_CJS = `const radius = require('aioradius');
const { RadiusClient, AccessRequest, decodeRequest } = radius;
const req = new AccessRequest('s').add('User-Name', 'cjs');
console.log(typeof RadiusClient, decodeRequest('s', req.encode()).get('User-Name'), radius.ACCESS_ACCEPT);
`;

const USE_ESM = `import { RadiusClient, AccessRequest, decodeRequest, ACCESS_ACCEPT } from 'aioradius';
const req = new AccessRequest('s').add('User-Name', 'esm');
console.log(typeof RadiusClient, decodeRequest('s', req.encode()).get('User-Name'), ACCESS_ACCEPT);
`;

// Type errors prove the declarations are real types, not `any`: each @ts-expect-error must be used.
const CHECK_MTS = `import { AccessRequest, RadiusClient, type RadiusClientOptions, type Packet, ACCESS_ACCEPT } from 'aioradius';
const options: RadiusClientOptions = { timeout: 1, retries: 0 };
const client: RadiusClient = new RadiusClient(options);
const request: Packet = new AccessRequest('s').add('User-Name', 'x');
const code: number = ACCESS_ACCEPT;
// @ts-expect-error timeout is a number of seconds
const wrong: RadiusClientOptions = { timeout: 'soon' };
// @ts-expect-error sendPacket takes a Packet
void client.sendPacket('not a packet');
void [request, code, wrong];
`;

const CHECK_CTS = `import radius = require('aioradius');
const client: radius.RadiusClient = new radius.RadiusClient({ timeout: 1 });
const code: number = radius.ACCESS_ACCEPT;
// @ts-expect-error retries is a number
new radius.RadiusClient({ retries: 'many' });
void [client, code];
export {};
`;

describe('lesson: packaging', { skip, timeout: 180_000 }, () => {
  let dir = '';
  let pkgDir = '';
  let packed: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aioradius-consumer-'));
    pkgDir = join(dir, 'node_modules', 'aioradius');
    const r = await output('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], root);
    assert.ok(r.ok, r.text);
    packed = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
    for (const file of packed) {
      await mkdir(dirname(join(pkgDir, file)), { recursive: true });
      await cp(join(root, file), join(pkgDir, file));
    }
    // As npm installs it: the package's dependencies beside it, and the consumer's @types/node; not
    // its optional peer (better-sqlite3) or anything else of this repository's node_modules.
    const own = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const name of [...Object.keys(own.dependencies ?? {}), '@types/node']) {
      const target = join(dir, 'node_modules', name);
      await mkdir(dirname(target), { recursive: true });
      await symlink(join(root, 'node_modules', name), target, 'dir');
    }
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    await writeFile(join(dir, 'use.cjs'), USE_CJS);
    await writeFile(join(dir, 'use.mjs'), USE_ESM);
    await writeFile(join(dir, 'check.mts'), CHECK_MTS);
    await writeFile(join(dir, 'check.cts'), CHECK_CTS);
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['check.mts', 'check.cts'],
      }),
    );
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the packed files are the built JavaScript with its declarations, and no sources or tests', () => {
    assert.ok(packed.includes('package.json'));
    assert.ok(packed.includes('dist/index.js'));
    assert.ok(packed.includes('dist/index.d.ts'));
    assert.deepEqual(
      packed.filter((f) => /^(src|test|bench|build)\//.test(f)),
      [],
    );
  });

  test('what README tells an operator to read or run ships in the package: the configuration reference, the example config, deploy/', () => {
    for (const file of [
      'docs/configuration.md',
      'examples/aioradius.yaml',
      'deploy/aioradius.yaml',
      'deploy/Dockerfile',
      'deploy/aioradius.service',
    ]) {
      assert.ok(packed.includes(file), `${file} is not packed`);
    }
    // Every file README links to outside the sources, tests and benchmarks (linked as the proof of a
    // claim), the examples included: they are read by someone who installed the package.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\(([^)#:\s]+)\)/g)].map((m) => m[1]);
    for (const file of linked.filter((f) => !/^(src|test|bench)/.test(f))) {
      if (file.endsWith('/')) {
        assert.ok(
          packed.some((p) => p.startsWith(file)),
          `README links to ${file}, which is not packed`,
        );
        continue;
      }
      assert.ok(packed.includes(file), `README links to ${file}, which is not packed`);
    }
  });

  test('require() from a CommonJS consumer loads the package by name', async () => {
    const r = await output(process.execPath, ['use.cjs'], dir);
    assert.ok(r.ok, r.text);
    assert.match(r.text, /^function cjs 2$/m);
  });

  test('import from an ESM consumer loads the package by name', async () => {
    const r = await output(process.execPath, ['use.mjs'], dir);
    assert.ok(r.ok, r.text);
    assert.match(r.text, /^function esm 2$/m);
  });

  test('types resolve from the package itself for ESM and CommonJS consumers, and are checked', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await output(process.execPath, [tsc, '-p', 'tsconfig.json', '--traceResolution'], dir);
    assert.ok(
      r.ok,
      r.text
        .split('\n')
        .filter((l) => /error TS/.test(l))
        .join('\n') || r.text.slice(-2000),
    );
    const resolved = [
      ...r.text.matchAll(/Module name 'aioradius' was successfully resolved to '([^']+)'/g),
    ].map((m) => m[1]);
    assert.ok(resolved.length >= 2, 'aioradius was not resolved for both consumers');
    for (const file of resolved) assert.equal(file, join(pkgDir, 'dist', 'index.d.ts'));
    const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { types?: string };
    assert.equal(pkg.types, './dist/index.d.ts');
  });
});

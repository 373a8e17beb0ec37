// Documentation that compiles: every ```ts block of README.md, and the specification's server,
// CoA/Disconnect and client code as users write it, is type-checked with `tsc --strict` as a module of its own that imports
// 'aioradius' by name (the built package, as a user's code would) and may import the examples
// (./examples/*.js).
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

/**
 * Type-checks `modules` (file name → code) with `tsc --strict` as a user's project would (ES modules,
 * Node's types), in build/<name>/ inside the package so that 'aioradius' resolves to the package
 * itself; the examples (./examples/*.js) are importable. Returns tsc's output when it fails.
 */
function typeCheck(
  name: string,
  modules: ReadonlyMap<string, string>,
): { status: number | null; output: string } {
  const dir = path.join(ROOT, 'build', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'examples'), { recursive: true });
  for (const f of readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.ts')))
    cpSync(path.join(ROOT, 'examples', f), path.join(dir, 'examples', f));
  // `export {}` makes a snippet without imports a module too (top-level await).
  for (const [file, code] of modules) writeFileSync(path.join(dir, file), `${code}\nexport {};\n`);
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
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('README', () => {
  test('every TypeScript snippet compiles under --strict against the package', { timeout: 120_000 }, () => {
    const blocks = tsBlocks(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    assert.ok(blocks.length >= 10, `only ${blocks.length} snippets found`);
    const r = typeCheck('readme-snippets', new Map(blocks.map((b) => [`readme-line-${b.line}.ts`, b.code])));
    // Errors name the README line: readme-line-N.ts(L,C) is README line N + L - 1.
    assert.equal(r.status, 0, r.output);
  });
});

// The specification's server, CoA/Disconnect and client code, as a user types it: no `as const`, no
// return types, no `override`. Only the parameters are annotated: --strict has no implicit any, and
// TypeScript does not type a method's parameters from the method it overrides.
const SPEC_SNIPPETS = new Map([
  [
    'server.ts',
    `import { AbstractRadiusServer, ACCESS_ACCEPT, periodicTask, type AttributesSet, type RemoteInfo } from 'aioradius';

class RealRadiusServer extends AbstractRadiusServer {
  validateNas(remote: RemoteInfo) { return 'testing123'; /* or throw RadiusResponseError */ }
  async handleAuthPacket(attributes: AttributesSet) { return [[['Reply-Message', 'hi']], ACCESS_ACCEPT]; }
  handleAccPacket(attributes: AttributesSet) { return [[], null]; }
  registerHandleException(error: unknown) { /* log it */ }
  @periodicTask({ delay: 5 }) async cleanup() { /* ... */ }
}
await new RealRadiusServer('localhost', { authPort: 1812, accPort: 1813 }).run();`,
  ],
  [
    'dynauth.ts',
    `import { DynamicAuthorizationServer, COA_ACK, DISCONNECT_NAK, ERROR_CAUSE, type AttributesSet, type Remote } from 'aioradius';

class Nas extends DynamicAuthorizationServer {
  validateNas(remote: Remote) { return 'testing123'; }
  handleCoaPacket(attributes: AttributesSet) { return [[], COA_ACK]; }
  handleDisconnectPacket(attributes: AttributesSet) {
    return [[['Error-Cause', ERROR_CAUSE.SESSION_CONTEXT_NOT_FOUND]], DISCONNECT_NAK];
  }
}
await new Nas('localhost').start();`,
  ],
  [
    'client.ts',
    `import { RadiusClient, packet } from 'aioradius';

const client = new RadiusClient({ defaultServer: 'localhost', defaultPort: 1812, clientIdentifier: 'blafoo' });
const request = new packet.AccessRequest('SHARED_SECRET');
request.addAttributes(['User-Name', 'username'], ['User-Password', 'password']);
const [response, responseTime] = await client.sendPacket(request, { remoteHost: 'server.radius', remotePort: 1812 });
const f = await client.sendPacket(request); const [resp, t] = await f;
console.log(response.code, responseTime, resp.code, t);
client.close();`,
  ],
]);

describe('the specification', () => {
  test('its server, CoA/Disconnect and client code compiles under --strict as written', {
    timeout: 120_000,
  }, () => {
    const r = typeCheck('spec-snippets', SPEC_SNIPPETS);
    assert.equal(r.status, 0, r.output);
  });
});

#!/usr/bin/env node
// The `aioradius` command: dispatches to one module per subcommand, loaded only when used, so a
// broken or missing module affects its own command alone.
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What every subcommand module exports. */
interface CommandModule {
  run(argv: string[]): Promise<number>;
}

/** Subcommands: module path (relative to this file) and a one-line summary. */
const COMMANDS: Record<string, { module: string; summary: string }> = {
  serve: { module: './serve.js', summary: 'run the RADIUS server from a YAML config' },
  user: { module: './user.js', summary: 'add, delete and list users of the server store' },
  acct: { module: './acct.js', summary: 'list, show and purge accounting sessions of the server store' },
  coa: { module: './coa.js', summary: 'send a CoA-Request to the NAS of a stored session' },
  disconnect: {
    module: './disconnect.js',
    summary: 'send a Disconnect-Request to the NAS of a stored session',
  },
  test: { module: './test.js', summary: 'send one Access-Request and print the reply (like radtest)' },
  send: { module: './send.js', summary: 'send packets read as "Attr = value" lines (like radclient)' },
  dict: { module: './dict.js', summary: "show an attribute's dictionary definition" },
  bench: { module: './bench.js', summary: 'load generator for auth and accounting' },
  certs: { module: './certs.js', summary: 'make a test CA, server and client certificate for 802.1X (EAP)' },
};

/** The top-level usage text. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: aioradius COMMAND [ARGS...]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run "aioradius COMMAND --help" for the options of a command.',
    'Options: --help, --version',
  ].join('\n');
}

/** The version in the package.json above this file (dist/cli or build/src/cli). */
export function version(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'aioradius' && pkg.version) return pkg.version;
    } catch {
      // not here: look one level up
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

/** Runs the command line `argv` (without node and script); returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(`${usage()}\n`);
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`aioradius ${version()}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!entry) {
    process.stderr.write(
      `aioradius: unknown command ${JSON.stringify(command)} (commands: ${Object.keys(COMMANDS).join(', ')})\nTry 'aioradius --help'.\n`,
    );
    return 2;
  }
  let mod: Partial<CommandModule>;
  try {
    // A computed specifier: the module is looked up only when its command runs.
    mod = (await import(entry.module)) as Partial<CommandModule>;
  } catch (err) {
    process.stderr.write(`aioradius ${command}: not available: ${(err as Error).message}\n`);
    return 2;
  }
  if (typeof mod.run !== 'function') {
    process.stderr.write(`aioradius ${command}: not available in this build\n`);
    return 2;
  }
  return mod.run(rest);
}

// Run only when executed (also through the npm bin symlink), not when imported by tests.
const invokedAs = process.argv[1] ? safeRealpath(process.argv[1]) : undefined;
if (invokedAs !== undefined && invokedAs === safeRealpath(fileURLToPath(import.meta.url))) {
  // A closed pipe (`aioradius dict ... | head`) is no error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`aioradius: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}

function safeRealpath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

// Subcommand modules that can also run on their own (`node dist/cli/serve.js --config ...`, as the
// serve benchmark and the durability test start them).
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Runs `run` with the process arguments when the module at `moduleUrl` is the script node started. */
export function runIfMain(moduleUrl: string, name: string, run: (argv: string[]) => Promise<number>): void {
  let main = false;
  try {
    main = process.argv[1] !== undefined && moduleUrl === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    main = false;
  }
  if (!main) return;
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`aioradius ${name}: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

// `aioradius disconnect SESSION`: a Disconnect-Request to the NAS of a stored session (see
// dynauth-command.ts).
import { runDynauth } from './dynauth-command.js';
import { runIfMain } from './run-main.js';

/** Entry point of `aioradius disconnect`: 0 ACKed, 1 NAK / no answer / no session, 2 usage. */
export function run(argv: string[]): Promise<number> {
  return runDynauth('disconnect', argv);
}

runIfMain(import.meta.url, 'disconnect', run);

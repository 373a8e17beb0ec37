// better-sqlite3 is a native module (built with a compiler where no prebuilt binary fits): only the
// embedded store needs it, so it is an optional peer dependency, loaded when a store opens, and a
// library user who never runs `serve` never installs or builds it.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { RadiusError } from '../errors.js';

let loaded: typeof BetterSqlite3 | undefined;

/** The better-sqlite3 Database class; throws RadiusError (ERR_RADIUS_DEPENDENCY) saying how to install it. */
export function sqliteDatabase(): typeof BetterSqlite3 {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    } catch (err) {
      throw new RadiusError(
        `the SQLite store needs the better-sqlite3 package (npm install better-sqlite3): ${(err as Error).message.split('\n')[0]}`,
        'ERR_RADIUS_DEPENDENCY',
      );
    }
  }
  return loaded;
}

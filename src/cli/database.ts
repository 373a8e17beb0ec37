// Opening the store's database for the commands that read or manage it (`user`, `acct`, `coa`,
// `disconnect`): the same checks, and the same one line when it cannot be used, in all of them.
import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { DatabaseError, StoreOpenError } from '../errors.js';
import { openDatabase } from '../store/accounting-tables.js';
import { PostgresStore } from '../store/postgres-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { ServeStore } from '../store/store.js';
import { databaseForLog, isPostgresUrl } from './config.js';

/** A database path that names no file: a typo must not become a new, empty database. */
export class MissingDatabaseError extends DatabaseError {
  constructor(file: string) {
    super(file, 'no such file');
  }
}

/**
 * Opens the accounting tables `serve` wrote (SQLite), read-only or, for purging, writable. Throws
 * MissingDatabaseError, or DatabaseError for a file that is not the store's.
 */
export function openAccountingDatabase(file: string, readonly: boolean): Database.Database {
  if (isPostgresUrl(file))
    throw new DatabaseError(databaseForLog(file), 'this command reads the SQLite store only');
  if (!existsSync(file)) throw new MissingDatabaseError(file);
  return openDatabase(file, readonly, true);
}

/**
 * Opens the users store, SQLite or PostgreSQL. An SQLite file must exist unless `create`. Throws
 * MissingDatabaseError, DatabaseError, or what the driver throws.
 */
export async function openUserStore(file: string, create: boolean): Promise<ServeStore> {
  if (isPostgresUrl(file)) return PostgresStore.open(file, { poolSize: 1 });
  if (!create && !existsSync(file)) throw new MissingDatabaseError(file);
  return new SqliteStore(file, { mustExist: !create });
}

/**
 * Prints why a command could not use its database, on one line (no stack trace), and returns the
 * exit status, 1: `no database at FILE` (with `hint`) or `cannot open database FILE: reason`.
 */
export function databaseFailed(command: string, file: string, err: unknown, hint = ''): number {
  const where = databaseForLog(file);
  if (err instanceof MissingDatabaseError) {
    process.stderr.write(`aioradius ${command}: no database at ${where}${hint ? ` (${hint})` : ''}\n`);
    return 1;
  }
  // A StoreOpenError's message already names the store and its URL (password masked).
  if (err instanceof StoreOpenError) {
    process.stderr.write(`aioradius ${command}: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
  const reason = err instanceof DatabaseError ? err.reason : err instanceof Error ? err.message : String(err);
  process.stderr.write(
    `aioradius ${command}: cannot open database ${where}: ${reason.replace(/\s*\n\s*/g, ' ')}\n`,
  );
  return 1;
}

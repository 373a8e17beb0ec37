// Opening the store for the commands that read or manage it (`user`, `acct`, `coa`, `disconnect`),
// SQLite or PostgreSQL alike: the same checks, and the same one line when it cannot be used.
import { existsSync } from 'node:fs';
import { DatabaseError, StoreOpenError } from '../errors.js';
import type { AccountingQueries } from '../store/accounting-queries.js';
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

/** The store as the commands use it: users, and the accounting queries of `acct`, `coa`, `disconnect`. */
export type CommandStore = ServeStore & AccountingQueries;

/** How a command opens the store. */
export interface OpenStoreOptions {
  /** Make a missing SQLite file (`user add --create`); otherwise it must exist. */
  create?: boolean;
  /** Open SQLite read-only: then it must hold the accounting tables. PostgreSQL ignores it. */
  readonly?: boolean;
}

/**
 * Opens the store `serve` uses, SQLite (a file) or PostgreSQL (a postgres:// URL, migrated as
 * `serve` would). Throws MissingDatabaseError, DatabaseError, StoreOpenError, or what the driver
 * throws.
 */
export async function openStore(file: string, options: OpenStoreOptions = {}): Promise<CommandStore> {
  if (isPostgresUrl(file)) return PostgresStore.open(file, { poolSize: 1 });
  if (!options.create && !existsSync(file)) throw new MissingDatabaseError(file);
  return new SqliteStore(file, { mustExist: !options.create, readonly: options.readonly ?? false });
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

/**
 * Prints why a query of a command failed once the store was open (a login that may not write, a
 * server that went away), on one line, and returns the exit status, 1.
 */
export function queryFailed(command: string, file: string, err: unknown): number {
  const reason = err instanceof DatabaseError ? err.reason : err instanceof Error ? err.message : String(err);
  process.stderr.write(
    `aioradius ${command}: database ${databaseForLog(file)}: ${reason.replace(/\s*\n\s*/g, ' ')}\n`,
  );
  return 1;
}

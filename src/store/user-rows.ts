// The users table as both stores keep it (the same columns in SQLite and PostgreSQL), and its
// rows read back into UserRecords.
import type { StoredValue, UserRecord } from './sqlite-store.js';

/** A row of the users table. */
export interface UserRow {
  name: string;
  password: string | null;
  nt_hash: string | null;
  password_hash: string | null;
  reply: string;
  check_items: string;
}

function parsePairs(json: string): Array<[string, StoredValue]> {
  const v: unknown = JSON.parse(json);
  if (!Array.isArray(v)) return [];
  return v.filter(
    (p): p is [string, StoredValue] =>
      Array.isArray(p) && typeof p[0] === 'string' && (typeof p[1] === 'string' || typeof p[1] === 'number'),
  );
}

/** A users-table row as a UserRecord (reply and check pairs from their JSON). */
export function toUser(row: UserRow): UserRecord {
  return {
    name: row.name,
    password: row.password ?? undefined,
    ntHash: row.nt_hash ? Buffer.from(row.nt_hash, 'hex') : undefined,
    passwordHash: row.password_hash ?? undefined,
    reply: parsePairs(row.reply),
    check: parsePairs(row.check_items),
  };
}

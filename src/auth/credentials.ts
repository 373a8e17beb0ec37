/**
 * A user's credentials as user code gives them (a lookup, a YAML file, a JSON service), read once
 * into the form every check uses: the NT hash as its 16 bytes.
 */

import { UnusableCredentialsError } from '../errors.js';
import { ntPasswordHash } from './nthash.js';
import { ntHashFromStored, parsePasswordHash } from './password-hash.js';

/**
 * What the server knows of a user: a cleartext password, a stored password hash and/or an NT hash.
 * PAP works with any of them; CHAP needs the cleartext; MS-CHAP the NT hash or the cleartext.
 */
export interface Credentials {
  password?: string;
  /**
   * MD4 of the UTF-16LE password (RFC 2759 §8.3): 16 bytes (e.g. from `ntPasswordHash`), or the same
   * as 32 hex digits in either case (as config files and JSON keep it).
   */
  ntHash?: Buffer | string;
  /** A stored hash in one of `parsePasswordHash`'s forms (`$6$...`, `{SSHA}...`, `$2b$...`, `{NT}...`). */
  passwordHash?: string;
  /**
   * A check of a plain-text password kept elsewhere (an LDAP bind as the user): resolves with why
   * it failed, or undefined when it matched. Serves PAP and the plain-text methods inside a TLS
   * tunnel (EAP-GTC, EAP-TTLS/PAP).
   */
  verifyPassword?(password: string): Promise<string | undefined>;
}

/** Credentials as the checks use them: read by {@link usableCredentials}, the NT hash as 16 bytes. */
export interface UsableCredentials {
  readonly password?: string;
  readonly ntHash?: Buffer;
  readonly passwordHash?: string;
  readonly verifyPassword?: (password: string) => Promise<string | undefined>;
}

const HEX_NT_HASH = /^[0-9a-f]{32}$/i;

/** An NT hash given as 16 bytes or 32 hex digits, as its 16 bytes; undefined when it is neither. */
export function ntHashBytes(value: unknown): Buffer | undefined {
  if (typeof value === 'string') return HEX_NT_HASH.test(value) ? Buffer.from(value, 'hex') : undefined;
  if (value instanceof Uint8Array && value.length === 16) {
    return Buffer.isBuffer(value) ? value : Buffer.from(value);
  }
  return undefined;
}

/**
 * Reads credentials given by user code, which a plain-JS caller may give in any shape: throws
 * UnusableCredentialsError naming the field (never its value) when no check could use them.
 * A field that is null counts as absent (a database row's empty column).
 */
export function usableCredentials(value: unknown): UsableCredentials {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UnusableCredentialsError(
      'credentials',
      'expected an object such as { password } or { ntHash }',
    );
  }
  const given = value as Record<string, unknown>;
  const text = (field: string): string | undefined => {
    const v = given[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new UnusableCredentialsError(field, 'expected a string');
    return v;
  };
  const usable: {
    password?: string;
    ntHash?: Buffer;
    passwordHash?: string;
    verifyPassword?: (password: string) => Promise<string | undefined>;
  } = {};
  const password = text('password');
  if (password !== undefined) usable.password = password;
  const passwordHash = text('passwordHash');
  if (passwordHash !== undefined) usable.passwordHash = passwordHash;
  if (given.ntHash !== undefined && given.ntHash !== null) {
    const ntHash = ntHashBytes(given.ntHash);
    if (!ntHash) throw new UnusableCredentialsError('ntHash', 'expected 16 bytes or 32 hex digits');
    usable.ntHash = ntHash;
  }
  const verify = given.verifyPassword;
  if (verify !== undefined && verify !== null) {
    if (typeof verify !== 'function')
      throw new UnusableCredentialsError('verifyPassword', 'expected a function');
    // Called on its object: a source's method may need `this`.
    usable.verifyPassword = (p) => verify.call(value, p);
  }
  return usable;
}

/** {@link usableCredentials}, with the error returned rather than thrown. */
export function tryUsableCredentials(value: unknown): UsableCredentials | UnusableCredentialsError {
  try {
    return usableCredentials(value);
  } catch (err) {
    if (err instanceof UnusableCredentialsError) return err;
    throw err;
  }
}

/** The NT hash MS-CHAP needs: the one given, the password's, or a stored `{NT}` form. */
export function credentialsNtHash(credentials: UsableCredentials): Buffer | undefined {
  if (credentials.ntHash) return credentials.ntHash;
  if (credentials.password !== undefined) return ntPasswordHash(credentials.password);
  return credentials.passwordHash === undefined ? undefined : ntHashFromStored(credentials.passwordHash);
}

/** The cleartext CHAP and EAP-MD5 need: the password, or a `{CLEARTEXT}` stored form. */
export function credentialsCleartext(credentials: UsableCredentials): string | undefined {
  if (credentials.password !== undefined) return credentials.password;
  if (credentials.passwordHash === undefined) return undefined;
  const p = parsePasswordHash(credentials.passwordHash);
  return p?.scheme === 'cleartext' ? p.value : undefined;
}

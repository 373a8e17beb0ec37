// The URL of a networked store (postgres://, redis://): its scheme checked when the store opens,
// and its password kept out of every message about it.
import { StoreOpenError } from '../errors.js';

/** A store URL for messages and logs: its password replaced by ***. */
export function urlForLog(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    // pg also takes the password (and the client key's passphrase) as query parameters.
    for (const name of [...u.searchParams.keys()]) {
      if (/pass|secret|token/i.test(name)) u.searchParams.set(name, '***');
    }
    return u.toString();
  } catch {
    // Unparsable: only the scheme, since anything after it may hold the password.
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0];
    return scheme ? `${scheme}//…` : '(not a URL)';
  }
}

/**
 * Checks that `url` is of one of `schemes` (e.g. ['redis', 'rediss']); throws StoreOpenError at once
 * otherwise, before a driver makes something else of it (pg takes `mysql://x` for a host named x).
 * Only the scheme: pg takes URLs that URL() does not (`postgres://user:pw@/db?host=/run/postgresql`).
 */
export function checkStoreUrl(store: string, url: string, schemes: readonly string[]): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1].toLowerCase();
  if (scheme === undefined || !schemes.includes(scheme)) {
    const wanted = schemes.map((s) => `${s}://`).join(' or ');
    throw new StoreOpenError(store, urlForLog(url), `not a ${wanted} URL`);
  }
}

/** The StoreOpenError for a driver's failure to open `url` (the driver's error as its cause). */
export function storeOpenFailed(store: string, url: string, err: unknown): StoreOpenError {
  // No cause for a URL that does not parse: Node's error carries the whole input, password included.
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'ERR_INVALID_URL')
    return new StoreOpenError(store, urlForLog(url), 'not a valid URL');
  return new StoreOpenError(store, urlForLog(url), reasonOf(err), { cause: err });
}

/** What went wrong, in a line: a refused connection to several addresses has no message of its own. */
function reasonOf(err: unknown): string {
  if (err instanceof AggregateError && !err.message)
    return [...new Set(err.errors.map((e: unknown) => reasonOf(e)))].join('; ');
  if (err instanceof Error) return err.message || String((err as NodeJS.ErrnoException).code ?? err.name);
  return String(err);
}

// Users in an LDAP directory (npm ldapts): found by a search, authenticated by binding as the
// user with the password of a PAP request, so the directory keeps the password (like FreeRADIUS's
// rlm_ldap with Auth-Type LDAP).
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client, InvalidCredentialsError } from 'ldapts';
import type { Packet } from '../protocol/packet.js';
import type { SourceUser, SourceValue, UserSource } from './user-source.js';
import { UserSourceError } from './user-source.js';

/** Options of the LDAP user source (the `ldap` section of a serve config). */
export interface LdapUsersOptions {
  /** `ldap://host:port` or `ldaps://host:port`. */
  url: string;
  /** Where users are searched. */
  baseDn: string;
  /** Search filter; `{user}` is replaced by the escaped User-Name (default `(uid={user})`). */
  filter?: string;
  /** The account that searches; anonymous when absent. */
  bindDn?: string;
  bindPassword?: string;
  /** Seconds for connecting and for each operation (default 5). */
  timeout?: number;
  /** Upgrade ldap:// with StartTLS (RFC 4511 §4.14). */
  startTls?: boolean;
  /** TLS options (ca...) for ldaps:// and StartTLS. */
  tls?: ConnectionOptions;
  /** LDAP attribute -> RADIUS reply attribute, e.g. `{ description: 'Reply-Message' }`. */
  reply?: Record<string, string>;
}

/** RFC 4515 §3: the characters a filter value must escape. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Users of an LDAP directory. */
export class LdapUsers implements UserSource {
  readonly kind = 'ldap';
  private readonly timeoutMs: number;
  private readonly filter: string;
  private searcher: Client | undefined;
  private searcherReady: Promise<Client> | undefined;

  constructor(private readonly options: LdapUsersOptions) {
    this.timeoutMs = (options.timeout ?? 5) * 1000;
    this.filter = options.filter ?? '(uid={user})';
  }

  private client(): Client {
    // ldapts goes TLS from the first byte whenever tlsOptions are given: only for ldaps://.
    const ldaps = this.options.url.toLowerCase().startsWith('ldaps:');
    return new Client({
      url: this.options.url,
      timeout: this.timeoutMs,
      connectTimeout: this.timeoutMs,
      tlsOptions: ldaps ? (this.options.tls ?? {}) : undefined,
    });
  }

  /** A connection, StartTLS'd when configured (the certificate checked against the URL's host). */
  private async open(): Promise<Client> {
    const c = this.client();
    if (this.options.startTls) {
      const host = new URL(this.options.url).hostname.replace(/^\[|\]$/g, '');
      try {
        await c.startTLS({ ...this.options.tls, host, servername: isIP(host) ? undefined : host });
      } catch (err) {
        await c.unbind().catch(() => {});
        throw err;
      }
    }
    return c;
  }

  /** The searching connection, bound once as bindDn and kept; rebuilt after a failure. */
  private searching(): Promise<Client> {
    this.searcherReady ??= (async () => {
      const c = await this.open();
      // Kept before the bind, so that a failed bind's connection is closed with the searcher.
      this.searcher = c;
      if (this.options.bindDn !== undefined) {
        try {
          await c.bind(this.options.bindDn, this.options.bindPassword ?? '');
        } catch (err) {
          // The service account's own bind: a wrong bindPassword is not a directory fault.
          const hint = err instanceof InvalidCredentialsError ? ' (check ldap.bindPassword)' : '';
          throw new UserSourceError(
            this.kind,
            `binding as ${this.options.bindDn} failed: ${ldapReason(err)}${hint}`,
          );
        }
      }
      return c;
    })();
    return this.searcherReady;
  }

  private async dropSearcher(): Promise<void> {
    const c = this.searcher;
    this.searcher = undefined;
    this.searcherReady = undefined;
    await c?.unbind().catch(() => {});
  }

  async find(name: string, _request: Packet): Promise<SourceUser | undefined> {
    const attributes = ['dn', ...Object.keys(this.options.reply ?? {})];
    const filter = this.filter.replaceAll('{user}', escapeFilterValue(name));
    let entries: Array<Record<string, unknown>>;
    try {
      const c = await this.searching();
      ({ searchEntries: entries } = await c.search(this.options.baseDn, {
        scope: 'sub',
        filter,
        attributes,
        sizeLimit: 2,
        timeLimit: Math.ceil(this.timeoutMs / 1000),
      }));
    } catch (err) {
      await this.dropSearcher();
      if (err instanceof UserSourceError) throw err;
      throw new UserSourceError(this.kind, `search failed: ${ldapReason(err)}`);
    }
    if (entries.length === 0) return undefined;
    if (entries.length > 1) throw new UserSourceError(this.kind, `${entries.length} entries match ${filter}`);
    const entry = entries[0];
    const dn = String(entry.dn);
    const reply: Array<[string, SourceValue]> = [];
    for (const [ldapName, radiusName] of Object.entries(this.options.reply ?? {})) {
      const v = entry[ldapName];
      for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
        reply.push([radiusName, Buffer.isBuffer(one) ? one.toString('utf8') : String(one)]);
      }
    }
    return { name, reply, check: [], verifyPassword: (password) => this.bindAs(dn, password) };
  }

  /** Binds as the user's DN with `password`: the directory decides. Undefined on success, else why not. */
  private async bindAs(dn: string, password: string): Promise<string | undefined> {
    // RFC 4513 §5.1.2: a bind with a DN and an empty password is an unauthenticated bind, which
    // servers may accept: never let it stand for a login.
    if (password === '') return 'empty password';
    let c: Client | undefined;
    try {
      c = await this.open();
      await c.bind(dn, password);
      return undefined;
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return 'wrong password';
      throw new UserSourceError(this.kind, `bind failed: ${ldapReason(err)}`);
    } finally {
      await c?.unbind().catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.dropSearcher();
  }
}

/**
 * What an LDAP failure was: ldapts says only " Code: 0x31" for a result code (RFC 4511 §4.1.9);
 * its error class names it (InvalidCredentialsError: "InvalidCredentials, LDAP result 49").
 */
function ldapReason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number' && err instanceof Error)
    return `${err.constructor.name.replace(/Error$/, '')}, LDAP result ${code}`;
  return (err as Error).message;
}

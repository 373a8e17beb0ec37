import { ConfigError } from '../errors.js';

/** Where a realm's requests go: a pool of home servers, or handled here. */
export interface RealmConfig {
  /**
   * The realm name matched exactly (case-insensitive) against the realm part of User-Name;
   * `DEFAULT` catches any realm not matched otherwise, `NULL` a User-Name without realm.
   */
  name: string;
  /** A regular expression tried on the realm part (or the whole User-Name with `matchUserName`). */
  regex?: string | RegExp;
  /** The pool requests for this realm go to; omitted or `LOCAL`: handled here. */
  pool?: string;
  /** Remove the realm from User-Name before forwarding; default true (FreeRADIUS's `nostrip` is false). */
  strip?: boolean;
}

/** How a realm is written in a User-Name. */
export type RealmSyntax = 'suffix' | 'prefix' | 'backslash';

/** The realm a User-Name belongs to and the name without it. */
export interface ParsedUserName {
  /** The realm, or undefined for a name without one. */
  realm: string | undefined;
  /** The name with the realm and its delimiter removed. */
  user: string;
  syntax: RealmSyntax | undefined;
}

/**
 * Splits a User-Name into user and realm (RFC 7542 §3: `user@realm`, the last `@`), or the
 * older prefix forms `realm/user` and `DOMAIN\user` that NASes still send.
 */
export function parseUserName(userName: string): ParsedUserName {
  const at = userName.lastIndexOf('@');
  if (at >= 0) return { realm: userName.slice(at + 1), user: userName.slice(0, at), syntax: 'suffix' };
  const slash = userName.indexOf('/');
  if (slash > 0)
    return { realm: userName.slice(0, slash), user: userName.slice(slash + 1), syntax: 'prefix' };
  const back = userName.indexOf('\\');
  if (back > 0)
    return { realm: userName.slice(0, back), user: userName.slice(back + 1), syntax: 'backslash' };
  return { realm: undefined, user: userName, syntax: undefined };
}

/** A realm chosen for one request. */
export interface RealmMatch {
  /** The configured realm that matched. */
  realm: Readonly<RealmConfig>;
  /** The realm as written in the User-Name (undefined for NULL). */
  written: string | undefined;
  /** The User-Name to forward: stripped or kept as the realm says. */
  userName: string;
  /** The pool to forward to, or undefined when the request is handled here (LOCAL). */
  pool: string | undefined;
}

interface CompiledRegex {
  realm: RealmConfig;
  regex: RegExp;
}

/**
 * The realm table: exact names first, then regular expressions in the order given, then
 * `DEFAULT`; `NULL` matches a User-Name without realm (as FreeRADIUS's realms module).
 */
export class RealmTable {
  private readonly exact = new Map<string, RealmConfig>();
  private readonly regexes: CompiledRegex[] = [];
  private readonly fallback: RealmConfig | undefined;
  private readonly nullRealm: RealmConfig | undefined;

  constructor(realms: readonly RealmConfig[], file = 'RadiusProxy options') {
    let fallback: RealmConfig | undefined;
    let nullRealm: RealmConfig | undefined;
    realms.forEach((r, i) => {
      if (typeof r?.name !== 'string' || r.name === '')
        throw new ConfigError(file, `realms[${i}].name`, 'a realm name is required');
      if (r.regex !== undefined) {
        let regex: RegExp;
        try {
          regex = typeof r.regex === 'string' ? new RegExp(r.regex, 'i') : r.regex;
        } catch (err) {
          throw new ConfigError(file, `realms[${i}].regex`, (err as Error).message);
        }
        this.regexes.push({ realm: r, regex });
        return;
      }
      const key = r.name.toLowerCase();
      if (r.name === 'DEFAULT') fallback = r;
      else if (r.name === 'NULL') nullRealm = r;
      else if (this.exact.has(key))
        throw new ConfigError(file, `realms[${i}].name`, `duplicate realm ${r.name}`);
      else this.exact.set(key, r);
    });
    this.fallback = fallback;
    this.nullRealm = nullRealm;
  }

  /** The realm of `userName`, or undefined when none matches (the request is not proxied). */
  match(userName: string): RealmMatch | undefined {
    const parsed = parseUserName(userName);
    let realm: RealmConfig | undefined;
    if (parsed.realm === undefined) realm = this.nullRealm;
    else {
      realm = this.exact.get(parsed.realm.toLowerCase());
      if (realm === undefined) {
        for (const r of this.regexes) {
          if (r.regex.test(parsed.realm)) {
            realm = r.realm;
            break;
          }
        }
      }
      realm ??= this.fallback;
    }
    if (realm === undefined) return undefined;
    const pool = realm.pool === undefined || realm.pool === 'LOCAL' ? undefined : realm.pool;
    // An NAI of the realm alone ("@example.com", RFC 7542 §2.4's anonymous form) stripped would
    // leave an empty User-Name, which RFC 2865 §5.1 does not allow: it goes as it came.
    const strip = (realm.strip ?? true) && parsed.user !== '';
    return {
      realm,
      written: parsed.realm,
      userName: strip ? parsed.user : userName,
      pool,
    };
  }
}

// Users from an HTTP service: one request per unknown user name (like FreeRADIUS's rlm_rest in
// authorize), answered with the user's credentials and reply attributes as JSON, with a timeout
// and a small cache of answers (found and not found).
import { passwordHashProblem } from '../auth/password-hash.js';
import type { Packet } from '../protocol/packet.js';
import type { SourceUser, SourceValue, UserSource } from './user-source.js';
import { UserSourceError } from './user-source.js';

/** Options of the HTTP user source (the `http` section of a serve config). */
export interface HttpUsersOptions {
  /** The URL; `{user}` is replaced by the URL-encoded User-Name (e.g. `https://idm/radius/{user}`). */
  url: string;
  /**
   * GET (default) asks for the URL; POST sends `{"user", "nas", "nasIdentifier", "callingStationId"}`
   * as JSON.
   */
  method?: 'GET' | 'POST';
  /** Headers sent with each request (e.g. Authorization); never logged. */
  headers?: Record<string, string>;
  /** Seconds before a request is abandoned (default 2). */
  timeout?: number;
  /** Seconds an answer is reused (default 30; 0 = no cache). */
  cacheSeconds?: number;
  /** Answers kept at most (default 1000); the oldest goes first. */
  cacheSize?: number;
  /** Checks a reply/check attribute; returns why it is unusable. */
  attributeProblem?: (name: string, value: SourceValue) => string | undefined;
}

interface CacheEntry {
  user: SourceUser | undefined;
  expires: number;
}

const USER_KEYS = new Set(['password', 'passwordHash', 'ntHash', 'reply', 'check']);

/** Users looked up over HTTP. Answer 200 with JSON for a user, 404 for none; anything else fails. */
export class HttpUsers implements UserSource {
  readonly kind = 'http';
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<SourceUser | undefined>>();
  /** Requests sent so far (for tests and metrics). */
  requests = 0;

  constructor(private readonly options: HttpUsersOptions) {}

  find(name: string, request: Packet): Promise<SourceUser | undefined> {
    const query = this.queryOf(name, request);
    // A POST body carries the NAS and the station, and the service may answer each differently:
    // an answer is reused only for the same body.
    const key = query.body ?? name;
    const hit = this.cache.get(key);
    if (hit && hit.expires > Date.now()) return Promise.resolve(hit.user);
    if (hit) this.cache.delete(key);
    // Concurrent requests for one user (an EAP exchange, retransmissions) share one lookup.
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.fetchUser(name, key, query).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** The URL and, for POST, the JSON body asking for `name`. */
  private queryOf(name: string, request: Packet): { url: string; body?: string } {
    const url = this.options.url.replaceAll('{user}', encodeURIComponent(name));
    if ((this.options.method ?? 'GET') !== 'POST') return { url };
    const text = (n: string) => {
      const v = request.get(n);
      return v === undefined ? undefined : String(v);
    };
    const body = JSON.stringify({
      user: name,
      nas: text('NAS-IP-Address'),
      nasIdentifier: text('NAS-Identifier'),
      callingStationId: text('Calling-Station-Id'),
    });
    return { url, body };
  }

  private async fetchUser(
    name: string,
    key: string,
    { url, body }: { url: string; body?: string },
  ): Promise<SourceUser | undefined> {
    const method = this.options.method ?? 'GET';
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    this.requests++;
    let res: Response;
    let payload: unknown;
    try {
      res = await fetch(url, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout((this.options.timeout ?? 2) * 1000),
      });
      if (res.status === 404) {
        await res.body?.cancel();
        this.remember(key, undefined);
        return undefined;
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status}`);
      }
      payload = await res.json();
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `no answer within ${this.options.timeout ?? 2} s` : e.message;
      throw new UserSourceError(this.kind, `${method} ${redact(url)}: ${why}`);
    }
    const user = this.parseUser(name, payload);
    this.remember(key, user);
    return user;
  }

  private remember(key: string, user: SourceUser | undefined): void {
    const seconds = this.options.cacheSeconds ?? 30;
    if (seconds <= 0) return;
    const size = this.options.cacheSize ?? 1000;
    while (this.cache.size >= size) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
    this.cache.set(key, { user, expires: Date.now() + seconds * 1000 });
  }

  /** Validates the service's JSON; a malformed answer fails (and is not cached). */
  private parseUser(name: string, v: unknown): SourceUser {
    const fail = (why: string): never => {
      throw new UserSourceError(this.kind, `answer for ${JSON.stringify(name)}: ${why}`);
    };
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('expected a JSON object');
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!USER_KEYS.has(k)) fail(`unknown key ${JSON.stringify(k)}`);
    const str = (k: string) => {
      if (o[k] === undefined || o[k] === null) return undefined;
      if (typeof o[k] !== 'string') fail(`${k} must be a string`);
      return o[k] as string;
    };
    const password = str('password');
    const passwordHash = str('passwordHash');
    const ntHash = str('ntHash');
    if (passwordHash !== undefined) {
      const problem = passwordHashProblem(passwordHash);
      if (problem) fail(`passwordHash: ${problem}`);
    }
    if (ntHash !== undefined && !/^[0-9a-f]{32}$/i.test(ntHash)) fail('ntHash must be 32 hex digits');
    if (password === undefined && passwordHash === undefined && ntHash === undefined) {
      fail('no password, passwordHash or ntHash');
    }
    return {
      name,
      credentials: {
        password,
        passwordHash,
        ntHash: ntHash === undefined ? undefined : Buffer.from(ntHash, 'hex'),
      },
      reply: this.attributes(o.reply, 'reply', fail),
      check: this.attributes(o.check, 'check', fail),
    };
  }

  private attributes(v: unknown, key: string, fail: (why: string) => never): Array<[string, SourceValue]> {
    if (v === undefined || v === null) return [];
    if (typeof v !== 'object' || Array.isArray(v)) fail(`${key} must be an object of attributes`);
    const out: Array<[string, SourceValue]> = [];
    for (const [attr, value] of Object.entries(v as Record<string, unknown>)) {
      for (const one of Array.isArray(value) ? value : [value]) {
        if (typeof one !== 'string' && typeof one !== 'number')
          fail(`${key}.${attr} must be a string or number`);
        const problem = this.options.attributeProblem?.(attr, one as SourceValue);
        if (problem) fail(`${key}.${attr}: ${problem}`);
        out.push([attr, one as SourceValue]);
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.cache.clear();
  }
}

/** A URL without credentials or query (either may hold a token), for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(bad URL)';
  }
}

// The YAML configuration of `aioradius serve`: schema, validation with file/field/line, and the
// client table (NAS address or CIDR → secret and BlastRADIUS options).
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import { closestAttributeName } from '../dictionary/closest-name.js';
import { Dictionary } from '../dictionary/dictionary.js';
import { ConfigError, RadiusError } from '../errors.js';
import { writeIPv6 } from '../protocol/address.js';
import { writeValue } from '../protocol/values.js';
import { passwordHashProblem } from '../auth/password-hash.js';
import { fallbackCycle } from '../proxy/home-pool.js';
import type { RadiusProxyOptions } from '../proxy/radius-proxy.js';
import type { HttpUsersOptions } from '../users/http-users.js';
import type { LdapUsersOptions } from '../users/ldap-users.js';
import type { RequireMessageAuthenticator } from '../server/abstract-server.js';
import type { RadiusVersion } from '../transport/radius-version.js';
import { pskKeyBytes } from '../transport/tls-psk.js';
import type { RadsecConnectionOptions } from '../client/stream-connection.js';
import { keysOf } from './config-schema.js';
import { EAP_METHOD_NAMES, type EapMethodName, eapMethodName } from '../eap/codes.js';
import { splitHostPort } from '../cluster/address-bytes.js';
import { urlForLog } from '../store/store-url.js';
import { FREERADIUS_DICTIONARY } from './format.js';
import { type TlsMaterial, tlsMaterialProblem } from './tls-material.js';

/** An attribute value as written in a config or given on the command line. */
export type ConfigValue = string | number;

/** Ordered `[name, value]` pairs (reply or check attributes). */
export type AttributeList = Array<[string, ConfigValue]>;

/** A RADIUS/TLS listener (RFC 6614): paths resolved against the config file, PEM contents read at load. */
export interface TlsListenConfig {
  port: number;
  /** PEM files; optional only when every TLS client authenticates with a PSK. */
  certificate?: string;
  privateKey?: string;
  ca?: string;
  crl?: string;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** RADIUS/1.1 (RFC 9765) by ALPN: '1.0,1.1' (default), '1.1' or '1.0'. */
  radiusVersion: RadiusVersion;
  /** Replies of one event-loop turn may share a TLS record (clients that read the stream). */
  shareRecords: boolean;
  /** Seconds a client has to complete its TLS handshake (default 10). */
  handshakeTimeout?: number;
  /** Connection limits, as for TCP. */
  limits: ConnectionLimits;
  pem: { cert?: Buffer; key?: Buffer; ca?: Buffer; crl?: Buffer };
}

/** Limits of a TCP or TLS listener's connections (StreamListenerOptions); absent: the defaults. */
export interface ConnectionLimits {
  idleTimeout?: number;
  lifetime?: number;
  maxConnectionsPerClient?: number;
}

/** Where the server listens. */
export interface ListenConfig {
  host: string;
  /** UDP authentication port; null: no UDP authentication listener. */
  auth: number | null;
  /** UDP accounting port; null: no UDP accounting listener. */
  acct: number | null;
  /** Dynamic Authorization (RFC 5176) port: CoA/Disconnect proxying, with a `proxy` section. */
  coa?: number;
  /** RADIUS over TCP (RFC 6613). */
  tcp?: { port: number; limits: ConnectionLimits };
  /** RADIUS over TLS (RFC 6614). */
  tls?: TlsListenConfig;
}

/** The transports a client entry may be limited to. */
export type ClientTransport = 'udp' | 'tcp' | 'tls';

/** One NAS (or a whole network of them) allowed to talk to the server. */
export interface ClientConfig {
  /** As written: an address or a CIDR. */
  address: string;
  /** Network bytes (4 or 16) and prefix length in bits. */
  network: Buffer;
  prefix: number;
  secret: string;
  name?: string;
  requireMessageAuthenticator?: RequireMessageAuthenticator;
  limitProxyState?: boolean;
  /** The NAS's Dynamic Authorization port (RFC 5176 §2.3); default 3799. */
  coaPort?: number;
  /** Only requests over this transport match the entry; undefined matches any. */
  transport?: ClientTransport;
  /** TLS-PSK: the client authenticates with this identity and key (its transport is 'tls'). */
  psk?: { identity: string; key: Buffer };
}

/** A user: credentials, reply attributes, and check attributes the request must carry. */
export interface UserConfig {
  name: string;
  password?: string;
  ntHash?: Buffer;
  /** A stored hash (`$6$...`, `{SSHA}...`, `$2b$...`, `{NT}...`): PAP checks it. */
  passwordHash?: string;
  reply: AttributeList;
  check: AttributeList;
}

/** The `eap` section: 802.1X methods, with PEM paths resolved against the config file. */
export interface EapConfig {
  certificate?: string;
  privateKey?: string;
  ca?: string;
  crl?: string;
  /** Methods offered, most preferred first (undefined: every method the certificates allow). */
  methods?: EapMethodName[];
  fragmentSize?: number;
  tls: {
    minVersion?: 'TLSv1.2' | 'TLSv1.3';
    /** EAP-TLS's highest version. */
    maxVersion?: 'TLSv1.2' | 'TLSv1.3';
    /** PEAP's and TTLS's highest version (EapTlsOptions.tunnelMaxVersion). */
    tunnelMaxVersion?: 'TLSv1.2' | 'TLSv1.3';
    /** Worker threads for TLS (EapTlsOptions.workers). */
    workers?: number | 'auto';
    /** Seconds a TLS session may be resumed, 0: never (EapTlsOptions.resumptionLifetime). */
    resumptionLifetime?: number;
    /** Where the TLS keys are appended for debugging (EapTlsOptions.keyLog), absolute. */
    keyLogFile?: string;
    /** Whether an EAP-TLS identity that names a user must be named by the certificate (default true). */
    checkIdentity: boolean;
  };
  pem: { cert?: Buffer; key?: Buffer; ca?: Buffer; crl?: Buffer };
}

/** pino's levels. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** A validated configuration, paths resolved against the config file's directory. */
export interface ServeConfig {
  file: string;
  listen: ListenConfig;
  clients: ClientConfig[];
  users: UserConfig[];
  dictionaries: string[];
  /** The built-in dictionary plus `dictionaries`. */
  dictionary: Dictionary;
  logLevel: LogLevel;
  metrics: { host: string; port: number } | undefined;
  /** The SQLite file (resolved against the config's directory), or a postgres:// URL. */
  database: string;
  /** State shared by several instances (redis:// URL): duplicate detection across instances. */
  sharedState?: string;
  /** The instances that forward EAP rounds to each other (the `cluster` section). */
  cluster?: ClusterConfig;
  /** Accounting options. */
  accounting: AccountingConfig;
  /** Users in an LDAP directory (checked by a bind as the user). */
  ldap?: LdapUsersOptions & { ca?: string };
  /** Users looked up over HTTP. */
  http?: HttpUsersOptions;
  /** EAP (802.1X); without it EAP requests are refused. */
  eap: EapConfig | undefined;
  /** Realms forwarded to home servers (the `proxy` section). */
  proxy?: ProxyConfig;
}

/** The `cluster` section. */
export interface ClusterConfig {
  /** This instance's cluster address ("host:port"). */
  listen: string;
  /** The cluster key (HMAC-SHA256 of every datagram between instances). */
  key: string;
  /** The other instances' addresses. */
  peers: string[];
}

/** The `accounting` section. */
export interface AccountingConfig {
  /** Seconds without an update after which an active session is marked stale; undefined: never. */
  staleAfter?: number;
  /**
   * Seconds within which a record with the same content from the same NAS is a retransmission
   * (stored once); undefined: the stores' default (300).
   */
  duplicateWindow?: number;
}

export { FREERADIUS_DICTIONARY };

export const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const TLS_VERSIONS: readonly string[] = ['TLSv1.2', 'TLSv1.3'];
const TRANSPORTS: readonly string[] = ['udp', 'tcp', 'tls'];
/** RFC 6614 §2.3: the shared secret of RADIUS/TLS when none is configured. */
export const RADSEC_SECRET = 'radsec';

type PathPart = string | number;

function fieldName(parts: readonly PathPart[]): string {
  let s = '';
  for (const p of parts) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '(top level)';
}

/** Walks YAML nodes with their dotted path, failing with file, field and line. */
class Walker {
  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
    private readonly text: string,
  ) {}

  lineOf(node: Node | null | undefined): number | undefined {
    const start = node?.range?.[0];
    return start === undefined ? undefined : this.lines.linePos(start).line;
  }

  fail(parts: readonly PathPart[], node: Node | null | undefined, reason: string): never {
    throw new ConfigError(this.file, fieldName(parts), reason, this.lineOf(node));
  }

  /** A mapping's entries by key (an absent or empty node is an empty mapping); unknown keys fail. */
  map(parts: readonly PathPart[], node: unknown, keys: readonly string[]): Map<string, Node | null> {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return new Map();
    if (!isMap(node)) this.fail(parts, node as Node, 'must be a mapping');
    const out = new Map<string, Node | null>();
    for (const pair of (node as YAMLMap).items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      if (key === undefined) this.fail(parts, keyNode ?? (node as Node), 'keys must be plain names');
      if (!keys.includes(key)) {
        this.fail([...parts, key], keyNode, `unknown key (expected one of: ${keys.join(', ')})`);
      }
      if (out.has(key)) this.fail([...parts, key], keyNode, 'given twice');
      out.set(key, pair.value as Node | null);
    }
    return out;
  }

  scalar(parts: readonly PathPart[], node: Node | null | undefined): unknown {
    if (node === null || node === undefined) return null;
    if (!isScalar(node)) this.fail(parts, node, 'must be a single value, not a list or mapping');
    return node.value;
  }

  /**
   * A string; `required` is the node to blame (the parent) when it is absent. A number or boolean
   * is refused with the hint to quote it as written (the parsed value may differ: 0x1f, 007, 1e3);
   * a `hidden` one (a password, a secret) is not repeated in the message.
   */
  string(
    parts: readonly PathPart[],
    node: Node | null | undefined,
    required: Node | boolean = false,
    hidden = false,
  ): string | undefined {
    const v = this.scalar(parts, node);
    if (v === null || v === undefined) {
      if (required)
        this.fail(parts, node ?? (typeof required === 'object' ? required : undefined), 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      const written = hidden ? undefined : this.sourceOf(node);
      this.fail(
        parts,
        node,
        written === undefined
          ? `is a ${typeof v} in YAML: put it in quotes, exactly as written, to make it a string`
          : `is a ${typeof v} in YAML: quote it (${JSON.stringify(written)}) to make it a string`,
      );
    }
    if (required && v === '') this.fail(parts, node, 'must not be empty');
    return v;
  }

  /** A scalar as written in the file (not as YAML parsed it), or undefined. */
  private sourceOf(node: Node | null | undefined): string | undefined {
    const range = node?.range;
    return range ? this.text.slice(range[0], range[1]).trim() || undefined : undefined;
  }

  /**
   * A secret: a string, or `{ env: NAME }` (an environment variable) or `{ file: PATH }` (a file,
   * relative to the config, its trailing newline dropped), so that the config itself holds none.
   * `required` as in `string`.
   */
  secret(
    parts: readonly PathPart[],
    node: Node | null | undefined,
    base: string,
    required: Node | boolean = false,
  ): string | undefined {
    if (isMap(node)) {
      const m = this.map(parts, node, ['env', 'file']);
      if (m.size !== 1) this.fail(parts, node, 'give one of env or file');
      if (m.has('env')) {
        const name = this.string([...parts, 'env'], m.get('env'), true) as string;
        const value = process.env[name];
        if (value === undefined || value === '')
          this.fail([...parts, 'env'], m.get('env'), `the environment variable ${name} is not set`);
        return value;
      }
      const rel = this.string([...parts, 'file'], m.get('file'), true) as string;
      const abs = path.resolve(base, rel);
      let text: string;
      try {
        text = readFileSync(abs, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        this.fail([...parts, 'file'], m.get('file'), `cannot read ${abs}: ${(err as Error).message}`);
      }
      if (text === '') this.fail([...parts, 'file'], m.get('file'), `${abs} is empty`);
      return text;
    }
    return this.string(parts, node, required, true);
  }

  port(parts: readonly PathPart[], node: Node | null | undefined, fallback?: number): number | undefined {
    const v = this.scalar(parts, node);
    if (v === null || v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) {
      this.fail(parts, node, `must be a port number 0..65535, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  /** A number of seconds (or similar) above 0 and at most `max`. */
  positive(parts: readonly PathPart[], node: Node | null | undefined, max: number): number | undefined {
    const v = this.scalar(parts, node);
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'number' || !(v > 0) || v > max) {
      this.fail(parts, node, `must be a number above 0 and at most ${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  /** An integer min..max, or undefined when absent. */
  count(
    parts: readonly PathPart[],
    node: Node | null | undefined,
    min: number,
    max: number,
  ): number | undefined {
    const v = this.scalar(parts, node);
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      this.fail(parts, node, `must be an integer ${min}..${max}`);
    return v;
  }

  boolean(parts: readonly PathPart[], node: Node | null | undefined): boolean | undefined {
    const v = this.scalar(parts, node);
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'boolean') this.fail(parts, node, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  seq(parts: readonly PathPart[], node: Node | null | undefined): Node[] {
    if (node === null || node === undefined) return [];
    if (!isSeq(node)) this.fail(parts, node, 'must be a list');
    return node.items as Node[];
  }
}

/** Parses `a.b.c.d` or an IPv6 address into bytes (IPv4-mapped IPv6 becomes IPv4). */
export function addressBytes(address: string): Buffer | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const a = mapped ? mapped[1] : address;
  const kind = isIP(a);
  if (kind === 4) return Buffer.from(a.split('.').map(Number));
  if (kind === 6) {
    const buf = Buffer.alloc(16);
    return writeIPv6(a, buf, 0) ? buf : undefined;
  }
  return undefined;
}

/** Parses an address or CIDR into network bytes and prefix; undefined when invalid. */
export function parseCidr(text: string): { network: Buffer; prefix: number } | undefined {
  const slash = text.indexOf('/');
  const bytes = addressBytes(slash < 0 ? text : text.slice(0, slash));
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { network: maskBytes(bytes, prefix), prefix };
}

function maskBytes(bytes: Buffer, prefix: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] &= bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

/** Longest-prefix lookup of clients by source address, with a bounded cache. */
export class ClientTable {
  private readonly sorted: ClientConfig[];
  private readonly cache = new Map<string, ClientConfig | null>();

  constructor(clients: readonly ClientConfig[]) {
    this.sorted = [...clients].sort((a, b) => b.prefix - a.prefix);
  }

  /** Every entry, most specific first. */
  get all(): readonly ClientConfig[] {
    return this.sorted;
  }

  /**
   * The most specific client covering `address` for `transport` (an entry limited to that
   * transport first, then one for any transport, at equal prefix length), or undefined.
   */
  match(address: string, transport: ClientTransport = 'udp', pskIdentity?: string): ClientConfig | undefined {
    const key =
      transport === 'udp'
        ? address
        : `${transport} ${address}${pskIdentity === undefined ? '' : ` ${pskIdentity}`}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const bytes = addressBytes(address);
    let found: ClientConfig | null = null;
    if (bytes) {
      for (const c of this.sorted) {
        if (c.transport !== undefined && c.transport !== transport) continue;
        // A PSK entry takes only connections that authenticated with its identity, and they only it.
        if (c.psk?.identity !== pskIdentity) continue;
        if (c.network.length !== bytes.length || !maskBytes(bytes, c.prefix).equals(c.network)) continue;
        if (found !== null && found.prefix > c.prefix) break;
        if (found === null || (found.transport === undefined && c.transport !== undefined)) found = c;
      }
    }
    if (this.cache.size >= 4096) this.cache.clear();
    this.cache.set(key, found);
    return found ?? undefined;
  }

  /** The key of a PSK identity, for the TLS listener. */
  pskKey(identity: string): Buffer | undefined {
    for (const c of this.sorted) if (c.psk?.identity === identity) return c.psk.key;
    return undefined;
  }
}

const scratch = Buffer.alloc(8192);

/**
 * Checks an attribute name and value against the dictionary by encoding it; returns the reason it
 * is unusable, or undefined. `Name:tag` is accepted for tagged attributes (RFC 2868).
 */
export function attributeProblem(
  dictionary: Dictionary,
  name: string,
  value: ConfigValue,
  options: { internal?: boolean } = {},
): string | undefined {
  const colon = name.lastIndexOf(':');
  const bare = colon > 0 && /^\d{1,2}$/.test(name.slice(colon + 1)) ? name.slice(0, colon) : name;
  const def = dictionary.attribute(bare);
  if (!def) {
    const near = closestAttributeName(dictionary, bare);
    return `unknown attribute ${JSON.stringify(bare)}${near ? ` (did you mean ${near}?)` : ''}`;
  }
  // FreeRADIUS's server-side attributes (numbers above 255) have no wire form: a reply never
  // carries one and a request never holds one. Written by hand, it is a mistake to say so.
  if (!options.internal && dictionary.internal.get(def.number) === def) {
    return `${def.name} is a server-side attribute (FreeRADIUS's internal number ${def.number}): it is never sent in a packet`;
  }
  try {
    writeValue(def, value, scratch, 0);
  } catch (err) {
    return err instanceof RadiusError ? err.message : String(err);
  }
  return undefined;
}

/** Parses `Attr=value` / `Attr = value` (quotes around the value are removed). */
export function parseAssignment(text: string): [string, string] | undefined {
  const eq = text.indexOf('=');
  if (eq <= 0) return undefined;
  const name = text.slice(0, eq).trim();
  let value = text.slice(eq + 1).trim();
  const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
  if (quoted) value = quoted[1];
  return name ? [name, value] : undefined;
}

function attributeList(
  w: Walker,
  parts: readonly PathPart[],
  node: Node | null | undefined,
  dictionary: Dictionary,
): AttributeList {
  const out: AttributeList = [];
  const add = (p: readonly PathPart[], n: Node | null | undefined, name: string, valueNode: unknown) => {
    const v = isScalar(valueNode) ? valueNode.value : valueNode;
    if (typeof v !== 'string' && typeof v !== 'number') {
      w.fail(p, n, 'a value must be a string or a number');
    }
    const problem = attributeProblem(dictionary, name, v);
    if (problem) w.fail(p, n, problem);
    out.push([name, v]);
  };
  if (node === null || node === undefined) return out;
  if (isMap(node)) {
    // A map: `Name: value`, or `Name: [v1, v2]` for a repeated attribute.
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const name = isScalar(keyNode) ? String(keyNode.value) : '';
      const p = [...parts, name];
      if (isSeq(pair.value)) {
        pair.value.items.forEach((item, i) => {
          add([...p, i], item as Node, name, item);
        });
      } else add(p, (pair.value as Node) ?? keyNode, name, pair.value);
    }
    return out;
  }
  if (isSeq(node)) {
    // A list: `- Name = value` strings or `- Name: value` one-entry maps.
    node.items.forEach((item, i) => {
      const p = [...parts, i];
      if (isScalar(item) && typeof item.value === 'string') {
        const a = parseAssignment(item.value);
        if (!a) w.fail(p, item as Node, 'must be "Attribute = value"');
        add(p, item as Node, a[0], a[1]);
      } else if (isMap(item) && item.items.length === 1) {
        const pair = item.items[0];
        const name = isScalar(pair.key) ? String(pair.key.value) : '';
        add(p, item as Node, name, pair.value);
      } else w.fail(p, item as Node, 'must be "Attribute = value" or a one-entry mapping');
    });
    return out;
  }
  w.fail(parts, node, 'must be a mapping of attributes or a list of "Attribute = value"');
}

/** A TLS-PSK identity and key (RFC 4279), of a client or of a home server. */
function parsePsk(
  w: Walker,
  pp: PathPart[],
  node: Node | null | undefined,
  base: string,
  schema: string,
): { identity: string; key: Buffer } {
  const pm = w.map(pp, node, keysOf(schema));
  const pskNode = node ?? undefined;
  const identity = w.string([...pp, 'identity'], pm.get('identity'), pskNode) as string;
  const keyText = w.secret([...pp, 'key'], pm.get('key'), base, pskNode) as string;
  try {
    return { identity, key: pskKeyBytes(keyText, 'config', 'psk.key') };
  } catch (err) {
    w.fail([...pp, 'key'], pm.get('key'), (err as ConfigError).reason ?? String(err));
  }
}

function parseClient(w: Walker, node: Node, i: number, base: string): ClientConfig {
  const parts = ['clients', i];
  const m = w.map(parts, node, keysOf('clients[]'));
  const address = w.string([...parts, 'address'], m.get('address'), node) as string;
  const cidr = parseCidr(address);
  if (!cidr) w.fail([...parts, 'address'], m.get('address'), `not an IP address or CIDR: ${address}`);
  const transport = w.string([...parts, 'transport'], m.get('transport'));
  if (transport !== undefined && !TRANSPORTS.includes(transport)) {
    w.fail([...parts, 'transport'], m.get('transport'), `must be one of ${TRANSPORTS.join(', ')}`);
  }
  let psk: ClientConfig['psk'];
  if (m.has('psk')) {
    psk = parsePsk(w, [...parts, 'psk'], m.get('psk'), base, 'clients[].psk');
    if (transport !== undefined && transport !== 'tls')
      w.fail([...parts, 'transport'], m.get('transport'), 'a client with a psk uses tls');
  }
  // RFC 6614 §2.3: over TLS the certificate authenticates and the secret defaults to "radsec".
  if (!m.has('secret') && transport !== 'tls' && psk === undefined) {
    w.fail([...parts, 'secret'], node, 'is required (the shared secret of this client)');
  }
  const secret = m.has('secret')
    ? (w.secret([...parts, 'secret'], m.get('secret'), base, node) as string)
    : RADSEC_SECRET;
  const ram = w.scalar([...parts, 'requireMessageAuthenticator'], m.get('requireMessageAuthenticator'));
  if (ram !== null && ram !== undefined && ram !== true && ram !== false && ram !== 'auto') {
    w.fail(
      [...parts, 'requireMessageAuthenticator'],
      m.get('requireMessageAuthenticator'),
      'must be true, false or auto',
    );
  }
  return {
    address,
    network: cidr.network,
    prefix: cidr.prefix,
    secret,
    name: w.string([...parts, 'name'], m.get('name')),
    requireMessageAuthenticator: (ram ?? undefined) as RequireMessageAuthenticator | undefined,
    limitProxyState: w.boolean([...parts, 'limitProxyState'], m.get('limitProxyState')),
    coaPort: w.port([...parts, 'coaPort'], m.get('coaPort')),
    transport: psk === undefined ? (transport as ClientTransport | undefined) : 'tls',
    psk,
  };
}

/** Reads a PEM file named in the config; an unreadable one fails with its field. */
function readPem(
  w: Walker,
  parts: readonly PathPart[],
  node: Node | null | undefined,
  base: string,
): [string, Buffer] {
  const rel = w.string(parts, node, true) as string;
  const abs = path.resolve(base, rel);
  try {
    return [abs, readFileSync(abs)];
  } catch (err) {
    w.fail(parts, node, `cannot read ${abs}: ${(err as Error).message}`);
  }
}

/**
 * Fails on the first PEM file of a TLS section that cannot make the TLS context the server will
 * build (see tlsMaterialProblem), and on a certificate without its key or a key without its
 * certificate.
 */
function checkTlsMaterial(
  w: Walker,
  parts: readonly PathPart[],
  node: Node | null | undefined,
  m: Map<string, Node | null>,
  material: TlsMaterial,
): void {
  if ((material.cert === undefined) !== (material.key === undefined)) {
    const missing = material.cert === undefined ? 'certificate' : 'privateKey';
    w.fail([...parts, missing], node, 'is required with the other (a certificate and its private key)');
  }
  const problem = tlsMaterialProblem(material);
  if (problem) w.fail([...parts, problem.field], m.get(problem.field) ?? node, problem.reason);
}

function parseTls(w: Walker, node: Node | null | undefined, base: string): TlsListenConfig {
  const parts = ['listen', 'tls'];
  const m = w.map(parts, node, keysOf('listen.tls'));
  // Whether certificate, privateKey and ca may be left out (PSK clients only) is known once the
  // clients are read: see pemRequired.
  const pem = (key: string) => (m.has(key) ? readPem(w, [...parts, key], m.get(key), base) : []);
  const [certificate, cert] = pem('certificate');
  const [privateKey, key] = pem('privateKey');
  const [ca, caPem] = pem('ca');
  const radiusVersion = w.string([...parts, 'radiusVersion'], m.get('radiusVersion'));
  if (
    radiusVersion !== undefined &&
    radiusVersion !== '1.0' &&
    radiusVersion !== '1.1' &&
    radiusVersion !== '1.0,1.1'
  )
    w.fail([...parts, 'radiusVersion'], m.get('radiusVersion'), "must be '1.0', '1.1' or '1.0,1.1'");
  const crlEntry = m.has('crl') ? readPem(w, [...parts, 'crl'], m.get('crl'), base) : undefined;
  const minVersion = w.string([...parts, 'minVersion'], m.get('minVersion'));
  if (minVersion !== undefined && minVersion !== 'TLSv1.2' && minVersion !== 'TLSv1.3') {
    w.fail([...parts, 'minVersion'], m.get('minVersion'), 'must be TLSv1.2 or TLSv1.3');
  }
  checkTlsMaterial(w, parts, node, m, {
    cert,
    key,
    ca: caPem,
    crl: crlEntry?.[1],
    files: { certificate, privateKey, ca, crl: crlEntry?.[0] },
  });
  return {
    port: w.port([...parts, 'port'], m.get('port'), 2083) as number,
    handshakeTimeout: w.positive([...parts, 'handshakeTimeout'], m.get('handshakeTimeout'), 600),
    limits: connectionLimits(w, parts, m),
    certificate,
    privateKey,
    ca,
    crl: crlEntry?.[0],
    minVersion: minVersion as TlsListenConfig['minVersion'],
    radiusVersion: (radiusVersion ?? '1.0,1.1') as RadiusVersion,
    shareRecords: w.boolean([...parts, 'shareRecords'], m.get('shareRecords')) ?? false,
    pem: { cert, key, ca: caPem, crl: crlEntry?.[1] },
  };
}

/** listen.tcp's and listen.tls's connection limits. */
function connectionLimits(
  w: Walker,
  parts: readonly PathPart[],
  m: Map<string, Node | null>,
): ConnectionLimits {
  const limits: ConnectionLimits = {};
  const idle = w.positive([...parts, 'idleTimeout'], m.get('idleTimeout'), 86_400);
  if (idle !== undefined) limits.idleTimeout = idle;
  const lifetime = w.positive([...parts, 'lifetime'], m.get('lifetime'), 7 * 86_400);
  if (lifetime !== undefined) limits.lifetime = lifetime;
  const max = w.count([...parts, 'maxConnectionsPerClient'], m.get('maxConnectionsPerClient'), 1, 65_535);
  if (max !== undefined) limits.maxConnectionsPerClient = max;
  return limits;
}

/** listen.tls needs its PEM files unless every TLS client authenticates with a PSK. */
function pemRequired(
  w: Walker,
  node: Node | null | undefined,
  tls: TlsListenConfig,
  clients: ClientConfig[],
): void {
  const pskOnly = clients.some((c) => c.psk) && !clients.some((c) => !c.psk && c.transport === 'tls');
  if (pskOnly) return;
  for (const key of ['certificate', 'privateKey', 'ca'] as const) {
    if (tls[key] === undefined)
      w.fail(['listen', 'tls', key], node, 'is required (a PEM file, relative to this config)');
  }
}

/** The `cluster` section: addresses as "host:port" (IPv6 in brackets), a key long enough to guess at no cost. */
function parseCluster(w: Walker, node: Node | null | undefined, base: string): ClusterConfig {
  const parts = ['cluster'];
  const m = w.map(parts, node, keysOf('cluster'));
  const address = (p: readonly PathPart[], n: Node | null | undefined, blame: Node | null | undefined) => {
    const text = w.string(p, n, blame ?? true) as string;
    let host: string;
    try {
      host = splitHostPort(text).host;
    } catch {
      return w.fail(p, n, 'must be an IP address and a port, e.g. 10.0.0.11:1815 or [fd00::11]:1815');
    }
    if (host === '0.0.0.0' || host === '::')
      w.fail(p, n, 'must be the address other instances reach this one at, not a wildcard');
    return text;
  };
  const listen = address([...parts, 'listen'], m.get('listen'), node);
  const key = w.secret([...parts, 'key'], m.get('key'), base, node ?? true) as string;
  if (key.length < 16) w.fail([...parts, 'key'], m.get('key'), 'must have 16 characters or more');
  const peers = m.has('peers')
    ? w.seq([...parts, 'peers'], m.get('peers')).map((n, i) => address([...parts, 'peers', i], n, undefined))
    : [];
  return { listen, key, peers };
}

function parseEap(w: Walker, node: Node | null | undefined, base: string): EapConfig {
  const parts = ['eap'];
  const m = w.map(parts, node, keysOf('eap'));
  const pem = (key: string) => (m.has(key) ? readPem(w, [...parts, key], m.get(key), base) : []);
  const [certificate, cert] = pem('certificate');
  const [privateKey, key] = pem('privateKey');
  const [ca, caPem] = pem('ca');
  const [crl, crlPem] = pem('crl');
  checkTlsMaterial(w, parts, node, m, {
    cert,
    key,
    ca: caPem,
    crl: crlPem,
    files: { certificate, privateKey, ca, crl },
  });
  let methods: EapMethodName[] | undefined;
  if (m.has('methods')) {
    const known = Object.keys(EAP_METHOD_NAMES);
    const node = m.get('methods');
    // One name alone (`methods: peap`) is a list of one.
    const one = isScalar(node) && typeof node.value === 'string';
    const nodes = one ? [node] : w.seq([...parts, 'methods'], node);
    if (nodes.length === 0) w.fail([...parts, 'methods'], node, 'must name at least one method');
    methods = nodes.map((n, i) => {
      const at = one ? [...parts, 'methods'] : [...parts, 'methods', i];
      const name = eapMethodName(w.string(at, n, true) as string);
      if (!name) w.fail(at, n, `must be one of ${known.join(', ')} (any case, EAP- prefix allowed)`);
      return name as EapMethodName;
    });
  }
  const wantsTls = (methods ?? ['peap']).some((x) => x === 'tls' || x === 'peap' || x === 'ttls');
  if (wantsTls && (certificate === undefined || privateKey === undefined)) {
    const missing = certificate === undefined ? 'certificate' : 'privateKey';
    w.fail(
      [...parts, missing],
      m.get(missing) ?? node,
      'is required for tls, peap and ttls (a PEM file, relative to this config); `aioradius certs DIR` makes test ones',
    );
  }
  if (methods?.includes('tls') && ca === undefined) {
    w.fail([...parts, 'ca'], node, 'is required for EAP-TLS (the CA that signs client certificates)');
  }
  let fragmentSize: number | undefined;
  if (m.has('fragmentSize')) {
    const v = w.scalar([...parts, 'fragmentSize'], m.get('fragmentSize'));
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 64 || v > 4000) {
      w.fail([...parts, 'fragmentSize'], m.get('fragmentSize'), 'must be an integer from 64 to 4000');
    }
    fragmentSize = v;
  }
  const tm = w.map([...parts, 'tls'], m.get('tls'), keysOf('eap.tls'));
  const version = (k: 'minVersion' | 'maxVersion' | 'tunnelMaxVersion') => {
    const v = w.string([...parts, 'tls', k], tm.get(k));
    if (v !== undefined && !TLS_VERSIONS.includes(v))
      w.fail([...parts, 'tls', k], tm.get(k), 'must be TLSv1.2 or TLSv1.3');
    return v as 'TLSv1.2' | 'TLSv1.3' | undefined;
  };
  const tls = {
    minVersion: version('minVersion'),
    maxVersion: version('maxVersion'),
    tunnelMaxVersion: version('tunnelMaxVersion'),
    workers: undefined as number | 'auto' | undefined,
    resumptionLifetime: undefined as number | undefined,
    keyLogFile: undefined as string | undefined,
    checkIdentity: w.boolean([...parts, 'tls', 'checkIdentity'], tm.get('checkIdentity')) ?? true,
  };
  const keyLogFile = w.string([...parts, 'tls', 'keyLogFile'], tm.get('keyLogFile'));
  if (keyLogFile === '') w.fail([...parts, 'tls', 'keyLogFile'], tm.get('keyLogFile'), 'must not be empty');
  if (keyLogFile !== undefined) {
    tls.keyLogFile = path.resolve(base, keyLogFile);
    // Opened at start; what can be known now fails here, with its line (--check included).
    const problem = keyLogProblem(tls.keyLogFile);
    if (problem) w.fail([...parts, 'tls', 'keyLogFile'], tm.get('keyLogFile'), problem);
  }
  if (tm.has('workers')) {
    const v = w.scalar([...parts, 'tls', 'workers'], tm.get('workers'));
    if (v !== 'auto' && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 64)) {
      w.fail([...parts, 'tls', 'workers'], tm.get('workers'), 'must be an integer from 0 to 64, or auto');
    }
    tls.workers = v as number | 'auto';
  }
  if (tm.has('resumptionLifetime')) {
    const v = w.scalar([...parts, 'tls', 'resumptionLifetime'], tm.get('resumptionLifetime'));
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 86400) {
      w.fail(
        [...parts, 'tls', 'resumptionLifetime'],
        tm.get('resumptionLifetime'),
        'must be a whole number of seconds from 0 (no resumption) to 86400',
      );
    }
    tls.resumptionLifetime = v as number;
  }
  for (const k of ['maxVersion', 'tunnelMaxVersion'] as const) {
    if (tls.minVersion === 'TLSv1.3' && tls[k] === 'TLSv1.2') {
      w.fail([...parts, 'tls', k], tm.get(k), 'is below minVersion');
    }
  }
  return {
    certificate,
    privateKey,
    ca,
    crl,
    methods,
    fragmentSize,
    tls,
    pem: { cert, key, ca: caPem, crl: crlPem },
  };
}

function parseUser(w: Walker, node: Node, i: number, dictionary: Dictionary): UserConfig {
  const parts = ['users', i];
  const m = w.map(parts, node, keysOf('users[]'));
  const name = w.string([...parts, 'name'], m.get('name'), node) as string;
  // Credentials: an error names the field and line, never the value.
  const password = w.string([...parts, 'password'], m.get('password'), false, true);
  const hashText = w.string([...parts, 'ntHash'], m.get('ntHash'), false, true);
  if (hashText !== undefined && !/^[0-9a-f]{32}$/i.test(hashText)) {
    w.fail([...parts, 'ntHash'], m.get('ntHash'), 'must be 32 hex digits (the MD4 of the UTF-16LE password)');
  }
  const passwordHash = w.string([...parts, 'passwordHash'], m.get('passwordHash'), false, true);
  if (passwordHash !== undefined) {
    const problem = passwordHashProblem(passwordHash);
    if (problem) w.fail([...parts, 'passwordHash'], m.get('passwordHash'), problem);
  }
  if (password === undefined && hashText === undefined && passwordHash === undefined) {
    w.fail([...parts, 'password'], node, 'is required (or passwordHash, or ntHash)');
  }
  return {
    name,
    password,
    passwordHash,
    ntHash: hashText === undefined ? undefined : Buffer.from(hashText, 'hex'),
    reply: attributeList(w, [...parts, 'reply'], m.get('reply'), dictionary),
    check: attributeList(w, [...parts, 'check'], m.get('check'), dictionary),
  };
}

/** The `ldap` section: where users are searched and how the server binds. */
function parseLdap(
  w: Walker,
  node: Node | null | undefined,
  base: string,
  dictionary: Dictionary,
): ServeConfig['ldap'] {
  const parts = ['ldap'];
  const m = w.map(parts, node, keysOf('ldap'));
  const url = w.string([...parts, 'url'], m.get('url'), node ?? true) as string;
  if (!/^ldaps?:\/\/[^/]+\/?$/i.test(url)) {
    w.fail([...parts, 'url'], m.get('url'), 'must be ldap://HOST[:PORT] or ldaps://HOST[:PORT]');
  }
  const baseDn = w.string([...parts, 'baseDn'], m.get('baseDn'), node ?? true) as string;
  const filter = w.string([...parts, 'filter'], m.get('filter'));
  if (
    filter !== undefined &&
    !(filter.startsWith('(') && filter.endsWith(')') && filter.includes('{user}'))
  ) {
    w.fail(
      [...parts, 'filter'],
      m.get('filter'),
      'must be a parenthesised LDAP filter containing {user}, e.g. (uid={user})',
    );
  }
  const bindDn = w.string([...parts, 'bindDn'], m.get('bindDn'));
  const bindPassword = w.secret([...parts, 'bindPassword'], m.get('bindPassword'), base);
  if (bindPassword !== undefined && bindDn === undefined) {
    w.fail([...parts, 'bindDn'], node, 'is required with bindPassword');
  }
  const startTls = w.boolean([...parts, 'startTls'], m.get('startTls'));
  if (startTls && url.toLowerCase().startsWith('ldaps:')) {
    w.fail([...parts, 'startTls'], m.get('startTls'), 'ldaps:// is TLS already: drop startTls');
  }
  let ca: string | undefined;
  let caPem: Buffer | undefined;
  if (m.has('ca')) [ca, caPem] = readPem(w, [...parts, 'ca'], m.get('ca'), base);
  checkTlsMaterial(w, parts, node, m, { ca: caPem, files: { ca } });
  const reply: Record<string, string> = {};
  const replyNode = m.get('reply');
  if (replyNode !== null && replyNode !== undefined) {
    if (!isMap(replyNode))
      w.fail([...parts, 'reply'], replyNode, 'must map LDAP attributes to RADIUS attributes');
    for (const pair of replyNode.items) {
      const ldapName = isScalar(pair.key) ? String(pair.key.value) : '';
      const radius = w.string([...parts, 'reply', ldapName], pair.value as Node, true) as string;
      if (!dictionary.attribute(radius)) {
        w.fail(
          [...parts, 'reply', ldapName],
          pair.value as Node,
          `unknown attribute ${JSON.stringify(radius)}`,
        );
      }
      reply[ldapName] = radius;
    }
  }
  return {
    url,
    baseDn,
    filter,
    bindDn,
    bindPassword,
    timeout: w.positive([...parts, 'timeout'], m.get('timeout'), 300),
    startTls,
    ca,
    tls: caPem ? { ca: caPem } : undefined,
    reply,
  };
}

/** The `http` section: the URL users are looked up at, timeout and cache. */
function parseHttp(
  w: Walker,
  node: Node | null | undefined,
  base: string,
  dictionary: Dictionary,
): HttpUsersOptions {
  const parts = ['http'];
  const m = w.map(parts, node, keysOf('http'));
  const url = w.string([...parts, 'url'], m.get('url'), node ?? true) as string;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url.replaceAll('{user}', 'x'));
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    w.fail([...parts, 'url'], m.get('url'), 'must be an http:// or https:// URL');
  }
  if (!url.includes('{user}') && w.string([...parts, 'method'], m.get('method')) !== 'POST') {
    w.fail(
      [...parts, 'url'],
      m.get('url'),
      'must contain {user} (or use method: POST, which sends it in the body)',
    );
  }
  const method = w.string([...parts, 'method'], m.get('method'));
  if (method !== undefined && method !== 'GET' && method !== 'POST') {
    w.fail([...parts, 'method'], m.get('method'), 'must be GET or POST');
  }
  const headers: Record<string, string> = {};
  const headersNode = m.get('headers');
  if (headersNode !== null && headersNode !== undefined) {
    if (!isMap(headersNode)) w.fail([...parts, 'headers'], headersNode, 'must map header names to values');
    for (const pair of headersNode.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name))
        w.fail([...parts, 'headers', name], pair.key as Node, 'not a header name');
      // A header may carry a token: like a client secret, it may come from the environment or a file.
      headers[name] = w.secret([...parts, 'headers', name], pair.value as Node, base, true) as string;
    }
  }
  const cacheSeconds = w.scalar([...parts, 'cacheSeconds'], m.get('cacheSeconds'));
  if (
    cacheSeconds !== null &&
    (typeof cacheSeconds !== 'number' || !(cacheSeconds >= 0) || cacheSeconds > 86400)
  ) {
    w.fail(
      [...parts, 'cacheSeconds'],
      m.get('cacheSeconds'),
      'must be a number of seconds from 0 (no cache) to 86400',
    );
  }
  const cacheSize = w.scalar([...parts, 'cacheSize'], m.get('cacheSize'));
  if (
    cacheSize !== null &&
    (typeof cacheSize !== 'number' || !Number.isInteger(cacheSize) || cacheSize < 1)
  ) {
    w.fail([...parts, 'cacheSize'], m.get('cacheSize'), 'must be a whole number of entries, at least 1');
  }
  return {
    url,
    method: (method ?? 'GET') as 'GET' | 'POST',
    headers,
    timeout: w.positive([...parts, 'timeout'], m.get('timeout'), 300),
    cacheSeconds: (cacheSeconds ?? undefined) as number | undefined,
    cacheSize: (cacheSize ?? undefined) as number | undefined,
    // A service may answer with server-side attributes too (as rlm_rest takes them): kept, not sent.
    attributeProblem: (name, value) => attributeProblem(dictionary, name, value, { internal: true }),
  };
}

/**
 * listen.auth or listen.acct: its default when absent, null when turned off (YAML null, `~`, an
 * empty value, or false), else a port.
 */
function udpListen(
  w: Walker,
  lm: Map<string, Node | null>,
  key: 'auth' | 'acct',
  fallback: number,
): number | null {
  if (!lm.has(key)) return fallback;
  const node = lm.get(key);
  const v = w.scalar(['listen', key], node);
  if (v === null || v === false) return null;
  return w.port(['listen', key], node) as number;
}

/** Parses and validates config text; throws ConfigError (file, dotted field, reason, line). */
/** How much of a config to read. */
export interface ParseOptions {
  /**
   * For the commands that read a config for its database and clients (user, acct, coa,
   * disconnect): the sections only the server uses (cluster, ldap, http, eap, proxy, listen.tls)
   * are left unread, so their secrets (an environment variable, a key file) need not be at hand.
   */
  command?: boolean;
}

export function parseConfig(text: string, file: string, options: ParseOptions = {}): ServeConfig {
  const serving = options.command !== true;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const w = new Walker(file, lines, text);
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = yamlError.linePos?.[0].line ?? lines.linePos(yamlError.pos[0]).line;
    throw new ConfigError(file, '(yaml)', yamlError.message.split('\n')[0], line);
  }
  const base = path.dirname(path.resolve(file));
  const top = w.map([], doc.contents ?? undefined, keysOf(''));

  const lm = w.map(['listen'], top.get('listen'), keysOf('listen'));
  const host = w.string(['listen', 'host'], lm.get('host')) ?? '127.0.0.1';
  if (!isIP(host) && !/^[a-z0-9.-]+$/i.test(host))
    w.fail(['listen', 'host'], lm.get('host'), 'not an address');
  const listen: ListenConfig = {
    host,
    auth: udpListen(w, lm, 'auth', 1812),
    acct: udpListen(w, lm, 'acct', 1813),
    coa: w.port(['listen', 'coa'], lm.get('coa')),
  };
  if (lm.has('tcp')) {
    const tm = w.map(['listen', 'tcp'], lm.get('tcp'), keysOf('listen.tcp'));
    if (!tm.has('port')) w.fail(['listen', 'tcp', 'port'], lm.get('tcp'), 'is required');
    listen.tcp = {
      port: w.port(['listen', 'tcp', 'port'], tm.get('port')) as number,
      limits: connectionLimits(w, ['listen', 'tcp'], tm),
    };
  }
  if (lm.has('tls') && serving) listen.tls = parseTls(w, lm.get('tls'), base);
  if (listen.auth !== null && listen.auth !== 0 && listen.auth === listen.acct) {
    w.fail(['listen', 'acct'], lm.get('acct'), 'must differ from listen.auth');
  }
  if (listen.auth === null && listen.acct === null && !listen.tcp && !lm.has('tls')) {
    w.fail(
      ['listen'],
      top.get('listen'),
      'no listener left: listen.auth and listen.acct are off, and neither listen.tcp nor listen.tls is given',
    );
  }

  const dictionary = new Dictionary();
  const dictionaries: string[] = [];
  w.seq(['dictionaries'], top.get('dictionaries')).forEach((n, i) => {
    const rel = w.string(['dictionaries', i], n, true) as string;
    const abs = path.resolve(base, rel);
    try {
      dictionary.load(abs);
    } catch (err) {
      w.fail(['dictionaries', i], n, err instanceof Error ? err.message : String(err));
    }
    dictionaries.push(abs);
  });
  // Without a `dictionaries` key, FreeRADIUS's dictionaries are loaded when installed (vendor
  // attributes then have names in replies, logs and configs); `dictionaries: []` loads none.
  if (!top.has('dictionaries') && existsSync(FREERADIUS_DICTIONARY)) {
    try {
      dictionary.load(FREERADIUS_DICTIONARY);
      dictionaries.push(FREERADIUS_DICTIONARY);
    } catch {
      // A damaged installation is not the config's fault: the built-in dictionary remains.
    }
  }

  const clientNodes = w.seq(['clients'], top.get('clients'));
  if (clientNodes.length === 0)
    w.fail(['clients'], top.get('clients') ?? doc.contents, 'at least one client is required');
  const clients: ClientConfig[] = [];
  const seen = new Map<string, number>();
  clientNodes.forEach((n, i) => {
    const c = parseClient(w, n, i, base);
    const key = `${c.network.toString('hex')}/${c.prefix} ${c.transport ?? 'any'}`;
    const first = seen.get(key);
    if (first !== undefined) {
      w.fail(
        ['clients', i, 'address'],
        n,
        `duplicate client: same network as clients[${first}] (${c.address})`,
      );
    }
    seen.set(key, i);
    const twin = c.psk && clients.find((o) => o.psk?.identity === c.psk?.identity);
    if (twin) w.fail(['clients', i, 'psk', 'identity'], n, `duplicate PSK identity (also ${twin.address})`);
    clients.push(c);
  });
  if (listen.tls) pemRequired(w, lm.get('tls'), listen.tls, clients);

  const users: UserConfig[] = [];
  const names = new Set<string>();
  w.seq(['users'], top.get('users')).forEach((n, i) => {
    const u = parseUser(w, n, i, dictionary);
    if (names.has(u.name)) w.fail(['users', i, 'name'], n, `duplicate user ${JSON.stringify(u.name)}`);
    names.add(u.name);
    users.push(u);
  });

  let logLevel: LogLevel = 'info';
  if (top.has('log')) {
    const m = w.map(['log'], top.get('log'), keysOf('log'));
    const level = w.string(['log', 'level'], m.get('level'));
    if (level !== undefined && !LOG_LEVELS.includes(level)) {
      w.fail(['log', 'level'], m.get('level'), `must be one of ${LOG_LEVELS.join(', ')}`);
    }
    logLevel = (level ?? 'info') as LogLevel;
  }

  let metrics: ServeConfig['metrics'];
  if (top.has('metrics')) {
    const m = w.map(['metrics'], top.get('metrics'), keysOf('metrics'));
    if (!m.has('port')) w.fail(['metrics', 'port'], top.get('metrics'), 'is required');
    metrics = {
      host: w.string(['metrics', 'host'], m.get('host')) ?? '127.0.0.1',
      port: w.port(['metrics', 'port'], m.get('port')) as number,
    };
  }

  const databaseText = w.string(['database'], top.get('database')) ?? 'aioradius.db';
  // A URL of another database (mysql://…) would otherwise become an SQLite file of that name.
  if (!isPostgresUrl(databaseText) && /^[a-z][a-z0-9+.-]+:\/\//i.test(databaseText))
    w.fail(['database'], top.get('database'), 'must be an SQLite file or a postgres:// URL');
  let database: string;
  if (isPostgresUrl(databaseText)) {
    try {
      new URL(databaseText);
    } catch {
      w.fail(['database'], top.get('database'), 'is not a valid postgres:// URL');
    }
    database = databaseText;
  } else {
    database = path.resolve(base, databaseText);
  }
  const sharedState = w.string(['sharedState'], top.get('sharedState'));
  if (sharedState !== undefined && !/^rediss?:\/\/\S+$/i.test(sharedState))
    w.fail(['sharedState'], top.get('sharedState'), 'must be a redis:// or rediss:// URL');
  if (sharedState !== undefined) {
    try {
      new URL(sharedState);
    } catch {
      w.fail(['sharedState'], top.get('sharedState'), 'is not a valid redis:// URL');
    }
  }
  const cluster = top.has('cluster') && serving ? parseCluster(w, top.get('cluster'), base) : undefined;
  const accounting: AccountingConfig = {};
  if (top.has('accounting')) {
    const m = w.map(['accounting'], top.get('accounting'), keysOf('accounting'));
    accounting.staleAfter = w.positive(['accounting', 'staleAfter'], m.get('staleAfter'), 365 * 86400);
    accounting.duplicateWindow = w.positive(
      ['accounting', 'duplicateWindow'],
      m.get('duplicateWindow'),
      86400,
    );
  }
  const ldap = top.has('ldap') && serving ? parseLdap(w, top.get('ldap'), base, dictionary) : undefined;
  const http = top.has('http') && serving ? parseHttp(w, top.get('http'), base, dictionary) : undefined;
  const eap = top.has('eap') && serving ? parseEap(w, top.get('eap'), base) : undefined;
  const proxy = top.has('proxy') && serving ? parseProxy(w, top.get('proxy'), base, dictionary) : undefined;
  if (proxy && proxy.storeAndForward !== false && isPostgresUrl(database)) {
    const pm = w.map(['proxy'], top.get('proxy'), keysOf('proxy'));
    w.fail(
      ['proxy', 'storeAndForward'],
      pm.get('storeAndForward') ?? top.get('proxy'),
      'queues proxied accounting in an SQLite database, and database is a postgres:// URL: set storeAndForward: false (proxied accounting is then forwarded as it arrives and acknowledged by the home server)',
    );
  }
  return {
    file,
    listen,
    clients,
    users,
    dictionaries,
    dictionary,
    logLevel,
    metrics,
    database,
    sharedState,
    cluster,
    accounting,
    ldap,
    http,
    eap,
    proxy,
  };
}

/**
 * How the proxy meets a TLS home server (RFC 6614 §2.3): our certificate and key, the CA its
 * certificate must chain to (the system's CAs without one), the name it must carry, or a PSK.
 */
function parseHomeTls(
  w: Walker,
  parts: PathPart[],
  node: Node | null | undefined,
  base: string,
): RadsecConnectionOptions {
  const m = w.map(parts, node, keysOf('proxy.homeServers[].tls'));
  const pem = (key: string) => (m.has(key) ? readPem(w, [...parts, key], m.get(key), base) : []);
  const [certFile, cert] = pem('certificate');
  const [keyFile, key] = pem('privateKey');
  const [caFile, ca] = pem('ca');
  checkTlsMaterial(w, parts, node, m, {
    cert,
    key,
    ca,
    files: { certificate: certFile, privateKey: keyFile, ca: caFile },
  });
  const minVersion = w.string([...parts, 'minVersion'], m.get('minVersion'));
  if (minVersion !== undefined && minVersion !== 'TLSv1.2' && minVersion !== 'TLSv1.3')
    w.fail([...parts, 'minVersion'], m.get('minVersion'), 'must be TLSv1.2 or TLSv1.3');
  const radiusVersion = w.string([...parts, 'radiusVersion'], m.get('radiusVersion'));
  if (radiusVersion !== undefined && !['1.0', '1.1', '1.0,1.1'].includes(radiusVersion))
    w.fail([...parts, 'radiusVersion'], m.get('radiusVersion'), "must be '1.0', '1.1' or '1.0,1.1'");
  const tls: RadsecConnectionOptions = {};
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  if (ca !== undefined) tls.ca = ca;
  const serverName = w.string([...parts, 'serverName'], m.get('serverName'));
  if (serverName !== undefined) tls.servername = serverName;
  if (minVersion !== undefined) tls.minVersion = minVersion as 'TLSv1.2' | 'TLSv1.3';
  if (radiusVersion !== undefined) tls.radiusVersion = radiusVersion as RadiusVersion;
  if (m.has('psk'))
    tls.psk = parsePsk(w, [...parts, 'psk'], m.get('psk'), base, 'proxy.homeServers[].tls.psk');
  return tls;
}

/** The `proxy` section: home servers, pools of them, and realms that choose a pool. */
export type ProxyConfig = Omit<RadiusProxyOptions, 'logger' | 'filterReply' | 'accounting'> & {
  /** Queue accounting for proxied realms in the database before acknowledging it; default true. */
  storeAndForward?: boolean;
  /** Seconds a queued accounting record is resent with the same bytes (the forwarder's duplicateWindow). */
  duplicateWindow?: number;
};

const BALANCES = ['failover', 'round-robin', 'keyed', 'client'];

function parseProxy(
  w: Walker,
  node: Node | null | undefined,
  base: string,
  dictionary: Dictionary,
): ProxyConfig {
  const parts = ['proxy'];
  const m = w.map(parts, node, keysOf('proxy'));
  const homeNames = new Set<string>();
  const homeServers = w.seq([...parts, 'homeServers'], m.get('homeServers')).map((n, i) => {
    const hp = [...parts, 'homeServers', i];
    const h = w.map(hp, n, keysOf('proxy.homeServers[]'));
    const name = w.string([...hp, 'name'], h.get('name'), n) as string;
    if (homeNames.has(name)) w.fail([...hp, 'name'], h.get('name'), `duplicate home server ${name}`);
    homeNames.add(name);
    const transport = w.string([...hp, 'transport'], h.get('transport'));
    if (transport !== undefined && !TRANSPORTS.includes(transport))
      w.fail([...hp, 'transport'], h.get('transport'), `must be one of ${TRANSPORTS.join(', ')}`);
    const secret =
      transport === 'tls' && !h.has('secret')
        ? RADSEC_SECRET
        : (w.secret([...hp, 'secret'], h.get('secret'), base, n) as string);
    if (h.has('tls') && transport !== 'tls')
      w.fail([...hp, 'tls'], h.get('tls'), 'is for a home server with transport tls');
    return {
      name,
      host: w.string([...hp, 'host'], h.get('host'), n) as string,
      auth: w.port([...hp, 'auth'], h.get('auth')),
      acct: w.port([...hp, 'acct'], h.get('acct')),
      coa: w.port([...hp, 'coa'], h.get('coa')),
      secret,
      transport: transport as ClientTransport | undefined,
      window: w.count([...hp, 'window'], h.get('window'), 1, 1_000_000),
      tls: h.has('tls') ? parseHomeTls(w, [...hp, 'tls'], h.get('tls'), base) : undefined,
    };
  });
  if (homeServers.length === 0)
    w.fail([...parts, 'homeServers'], m.get('homeServers') ?? node, 'at least one home server is required');
  const poolNodes = w.seq([...parts, 'pools'], m.get('pools'));
  const poolNames = new Set<string>();
  for (const [i, n] of poolNodes.entries()) {
    const name = w.string(
      [...parts, 'pools', i, 'name'],
      w.map([...parts, 'pools', i], n, keysOf('proxy.pools[]')).get('name'),
      n,
    );
    if (name !== undefined) poolNames.add(name);
  }
  const pools = poolNodes.map((n, i) => {
    const pp = [...parts, 'pools', i];
    const p = w.map(pp, n, keysOf('proxy.pools[]'));
    const servers = w.seq([...pp, 'servers'], p.get('servers')).map((s, j) => {
      const name = w.string([...pp, 'servers', j], s, true) as string;
      if (!homeNames.has(name)) w.fail([...pp, 'servers', j], s, `no home server named ${name}`);
      return name;
    });
    if (servers.length === 0)
      w.fail([...pp, 'servers'], p.get('servers') ?? n, 'at least one home server is required');
    const balance = w.string([...pp, 'balance'], p.get('balance'));
    if (balance !== undefined && !BALANCES.includes(balance))
      w.fail([...pp, 'balance'], p.get('balance'), `must be one of ${BALANCES.join(', ')}`);
    const fallback = w.string([...pp, 'fallback'], p.get('fallback'));
    if (fallback !== undefined && !poolNames.has(fallback))
      w.fail([...pp, 'fallback'], p.get('fallback'), `no pool named ${fallback}`);
    const key = w.string([...pp, 'key'], p.get('key'));
    if (key !== undefined && !dictionary.attribute(key))
      w.fail([...pp, 'key'], p.get('key'), `unknown attribute ${JSON.stringify(key)}`);
    return {
      name: w.string([...pp, 'name'], p.get('name'), n) as string,
      servers,
      balance: balance as ProxyConfig['pools'][number]['balance'],
      key,
      fallback,
    };
  });
  const cycle = fallbackCycle(pools);
  if (cycle) {
    const pp = [...parts, 'pools', cycle.index];
    const p = w.map(pp, poolNodes[cycle.index], keysOf('proxy.pools[]'));
    w.fail([...pp, 'fallback'], p.get('fallback'), `fallback cycle: ${cycle.chain.join(' → ')}`);
  }
  // Realm names are matched without case: two that differ only in case cannot both be meant.
  const realmNames = new Set<string>();
  const realms = w.seq([...parts, 'realms'], m.get('realms')).map((n, i) => {
    const rp = [...parts, 'realms', i];
    const r = w.map(rp, n, keysOf('proxy.realms[]'));
    const pool = w.string([...rp, 'pool'], r.get('pool'));
    if (pool !== undefined && pool !== 'LOCAL' && !poolNames.has(pool))
      w.fail([...rp, 'pool'], r.get('pool'), `no pool named ${pool}`);
    const regex = w.string([...rp, 'regex'], r.get('regex'));
    if (regex !== undefined) {
      try {
        new RegExp(regex);
      } catch (err) {
        w.fail([...rp, 'regex'], r.get('regex'), (err as Error).message);
      }
    }
    // YAML reads a bare NULL as null; as a realm name it is FreeRADIUS's NULL realm.
    const nameNode = r.get('name');
    const name =
      isScalar(nameNode) && nameNode.value === null && nameNode.source === 'NULL'
        ? 'NULL'
        : (w.string([...rp, 'name'], nameNode, n) as string);
    if (regex === undefined) {
      if (realmNames.has(name.toLowerCase()))
        w.fail([...rp, 'name'], nameNode, `duplicate realm ${name} (realm names are matched without case)`);
      realmNames.add(name.toLowerCase());
    }
    return {
      name,
      regex,
      pool,
      strip: w.boolean([...rp, 'strip'], r.get('strip')),
    };
  });
  const noResponse = w.string([...parts, 'noResponse'], m.get('noResponse'));
  if (noResponse !== undefined && noResponse !== 'reject' && noResponse !== 'drop')
    w.fail([...parts, 'noResponse'], m.get('noResponse'), 'must be reject or drop');
  const retries = w.scalar([...parts, 'retries'], m.get('retries'));
  if (
    retries !== null &&
    (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > 10)
  )
    w.fail([...parts, 'retries'], m.get('retries'), 'must be an integer 0..10');
  return {
    homeServers,
    pools,
    realms,
    timeout: w.positive([...parts, 'timeout'], m.get('timeout'), 60),
    retries: (retries ?? undefined) as number | undefined,
    noResponse: noResponse as 'reject' | 'drop' | undefined,
    probeInterval: w.positive([...parts, 'probeInterval'], m.get('probeInterval'), 3600),
    statusCheck: w.boolean([...parts, 'statusCheck'], m.get('statusCheck')),
    zombiePeriod: w.positive([...parts, 'zombiePeriod'], m.get('zombiePeriod'), 3600),
    reviveAnswers: w.count([...parts, 'reviveAnswers'], m.get('reviveAnswers'), 1, 100),
    reviveInterval: w.positive([...parts, 'reviveInterval'], m.get('reviveInterval'), 86400),
    storeAndForward: w.boolean([...parts, 'storeAndForward'], m.get('storeAndForward')),
    duplicateWindow: w.positive([...parts, 'duplicateWindow'], m.get('duplicateWindow'), 86400),
  };
}

/** True when `database` names a PostgreSQL server (postgres:// or postgresql://) rather than a SQLite file. */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

/** The database (or Redis) for logs: a URL without its password. */
export function databaseForLog(database: string): string {
  if (!isPostgresUrl(database) && !/^rediss?:\/\//i.test(database)) return database;
  return urlForLog(database);
}

/** A config file's text; a missing or unreadable file is a ConfigError. */
export function readConfigFile(file: string): string {
  let fd: number | undefined;
  try {
    // Read in chunks up to a bound: /dev/zero or a runaway pipe would otherwise fill the memory.
    fd = openSync(file, 'r');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_CONFIG_BYTES)
        throw new ConfigError(
          file,
          '(file)',
          `larger than ${MAX_CONFIG_BYTES >> 20} MiB: not a configuration file`,
        );
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(file, '(file)', (err as Error).message);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Most bytes a config file may hold (a few thousand users are well under 1 MiB). */
const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

/** Reads and validates a config file; a missing or unreadable file is a ConfigError too. */
export function loadConfig(file: string, options?: ParseOptions): ServeConfig {
  return parseConfig(readConfigFile(file), file, options);
}

/** Why a key log file could not be opened for appending, where that shows before opening it. */
function keyLogProblem(file: string): string | undefined {
  try {
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) return `${file} is a directory`;
    const dir = path.dirname(file);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
      return `cannot open ${file}: no directory ${dir}`;
    accessSync(dir, constants.W_OK);
  } catch (err) {
    return `cannot open ${file}: ${(err as Error).message}`;
  }
  return undefined;
}

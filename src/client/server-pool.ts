import { ConfigError } from '../errors.js';
import { Destination, type ServiceKind } from './destination.js';
import {
  type ClientTransport,
  type RadsecConnectionOptions,
  radsecConnectOptions,
} from './stream-connection.js';

/** RFC 6614 §2.1: the RADIUS/TLS port, for every packet type. */
export const RADSEC_PORT = 2083;
/** RFC 6614 §2.3: the shared secret of RADIUS/TLS when none is configured. */
export const RADSEC_SECRET = 'radsec';

/** One server of a RadiusClient's failover pool. */
export interface ServerConfig {
  /** For errors and `serverStatus()`; `host:authPort` when omitted. Selects the server in sendPacket. */
  name?: string;
  /** Host name or address; a name is looked up once (IPv4 or IPv6, as the resolver answers). */
  host: string;
  /**
   * This server's shared secret; when set, requests are signed with it instead of the packet's.
   * With transport 'tls', default 'radsec' (RFC 6614 §2.3).
   */
  secret?: string | Buffer;
  /**
   * 'udp' (default), 'tcp' (RFC 6613: length-framed stream, no retransmission on a live
   * connection) or 'tls' (RFC 6614). Over TCP and TLS, packet types on the same port share
   * connections.
   */
  transport?: ClientTransport;
  /**
   * `node:tls` connection options for transport 'tls': ca, cert, key, minVersion (default
   * TLSv1.2), maxVersion, ciphers, servername... The server certificate is verified
   * (rejectUnauthorized defaults to true) against the host name, or the address when `host` is one.
   * Besides: `radiusVersion` (RFC 9765 RADIUS/1.1 by ALPN, default '1.0,1.1') and `psk`
   * ({ identity, key }: TLS-PSK instead of certificates).
   */
  tls?: RadsecConnectionOptions;
  /**
   * Port of every packet type (below authPort/acctPort/coaPort). Default: 2083 with transport
   * 'tls'; else the client's port of each type.
   */
  port?: number;
  /** Port for Access-Request and Status-Server; default: the client's `defaultPort`. */
  authPort?: number;
  /**
   * Port for Accounting-Request; default: `authPort + 1` when `authPort` is given (1812/1813,
   * 1645/1646), else `port`, else the client's `defaultAcctPort`.
   */
  acctPort?: number;
  /** Port for CoA-Request and Disconnect-Request; default: the client's `defaultCoaPort`. */
  coaPort?: number;
}

/**
 * How a pool request picks its first server: `ordered` takes the first live server in the list
 * (a primary and its backups), `round-robin` starts from the next live server on each request.
 */
export type FailoverPolicy = 'ordered' | 'round-robin';

/** Default ports of each service. */
export type ServicePorts = Record<ServiceKind, number>;

/** A configured server and its three destinations. */
export class PoolServer {
  readonly name: string;
  readonly host: string;
  readonly destinations: Record<ServiceKind, Destination>;

  constructor(config: ServerConfig, defaults: ServicePorts, index: number) {
    if (typeof config?.host !== 'string' || config.host === '')
      throw new ConfigError(
        'RadiusClient options',
        `servers[${index}].host`,
        'a host name or address is required',
      );
    const transport = config.transport ?? 'udp';
    if (transport !== 'udp' && transport !== 'tcp' && transport !== 'tls')
      throw new ConfigError(
        'RadiusClient options',
        `servers[${index}].transport`,
        `${String(transport)} is not 'udp', 'tcp' or 'tls'`,
      );
    if (config.tls !== undefined && transport !== 'tls')
      throw new ConfigError(
        'RadiusClient options',
        `servers[${index}].tls`,
        `TLS options need transport 'tls', not '${transport}'`,
      );
    // Checked now: a bad radiusVersion or PSK is a configuration error, not a failed connection.
    if (transport === 'tls')
      radsecConnectOptions(config.tls, 'RadiusClient options', `servers[${index}].tls`);
    const port = config.port === undefined ? undefined : checkPort(config.port, `servers[${index}].port`);
    const all = port ?? (transport === 'tls' ? RADSEC_PORT : undefined);
    const auth = checkPort(config.authPort ?? all ?? defaults.auth, `servers[${index}].authPort`);
    const ports: ServicePorts = {
      auth,
      acct:
        config.acctPort !== undefined
          ? checkPort(config.acctPort, `servers[${index}].acctPort`)
          : (all ??
            // An authentication port alone: accounting takes the next one.
            (config.authPort !== undefined
              ? accountingPortAfter(auth, `servers[${index}].acctPort`)
              : defaults.acct)),
      coa: checkPort(config.coaPort ?? all ?? defaults.coa, `servers[${index}].coaPort`),
    };
    this.host = config.host;
    this.name = config.name ?? `${config.host}:${ports.auth}`;
    const given = config.secret ?? (transport === 'tls' ? RADSEC_SECRET : undefined);
    const secret =
      given === undefined ? undefined : typeof given === 'string' ? Buffer.from(given, 'utf8') : given;
    const stream = transport !== 'udp';
    // Over a stream, packet types sent to the same port share its connections (RFC 6614 §2.1).
    const byPort = new Map<number, Destination>();
    const make = (kind: ServiceKind): Destination => {
      const shared = stream ? byPort.get(ports[kind]) : undefined;
      if (shared !== undefined) return shared;
      const d = new Destination(config.host, ports[kind], kind, {
        label: stream
          ? `${this.name} (${transport} port ${ports[kind]})`
          : `${this.name} (${kind} port ${ports[kind]})`,
        server: this.name,
        secret,
        pooled: true,
        transport,
        tls: config.tls,
      });
      byPort.set(ports[kind], d);
      return d;
    };
    this.destinations = { auth: make('auth'), acct: make('acct'), coa: make('coa') };
  }
}

/**
 * The accounting port of a server whose authentication port alone is given: the next one, as 1812/1813
 * (RFC 2865 §3, RFC 2866 §3) and the old 1645/1646 pair go, and as FreeRADIUS's `auth+acct` home
 * servers take it. `field` names the option that needs setting when there is no next port.
 */
export function accountingPortAfter(authPort: number, field: string, file = 'RadiusClient options'): number {
  if (authPort >= 65535)
    throw new ConfigError(
      file,
      field,
      `no port after ${authPort} for accounting (the authentication port + 1): give it`,
    );
  return authPort + 1;
}

/** Validates a UDP port number. */
export function checkPort(port: unknown, field: string, file = 'RadiusClient options'): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new ConfigError(file, field, `${String(port)} is not a port number 1..65535`);
  return port;
}

/**
 * The failover pool. Health is kept per server and port (a server's accounting port may be down
 * while its authentication port answers). Rules:
 * - first server: `ordered` → the first live one; `round-robin` → the next live one in turn; when
 *   none is live, the one the policy would pick among all (a dead mark is a hint, not a verdict);
 * - after a request timed out on a server (all its attempts), that server is marked dead and the
 *   request moves to the next live server in list order (wrapping) that it has not tried yet,
 *   with a fresh set of attempts; when there is none, the request fails with RadiusTimeoutError.
 */
export class ServerPool {
  readonly servers: readonly PoolServer[];
  readonly policy: FailoverPolicy;
  private turn = 0;

  constructor(configs: readonly ServerConfig[], policy: FailoverPolicy, defaults: ServicePorts) {
    if (policy !== 'ordered' && policy !== 'round-robin')
      throw new ConfigError(
        'RadiusClient options',
        'failover',
        `${String(policy)} is not 'ordered' or 'round-robin'`,
      );
    this.policy = policy;
    this.servers = configs.map((c, i) => new PoolServer(c, defaults, i));
    const names = new Set<string>();
    for (const s of this.servers) {
      if (names.has(s.name))
        throw new ConfigError('RadiusClient options', 'servers', `duplicate name ${s.name}`);
      names.add(s.name);
    }
  }

  /** The server called `name`. */
  byName(name: string): PoolServer | undefined {
    for (const s of this.servers) if (s.name === name) return s;
    return undefined;
  }

  /** The destination a new request of `kind` goes to first. */
  pick(kind: ServiceKind): Destination {
    const list = this.servers;
    const n = list.length;
    let start = 0;
    if (this.policy === 'round-robin') {
      start = this.turn;
      this.turn = (this.turn + 1) % n;
    }
    for (let k = 0; k < n; k++) {
      const d = list[(start + k) % n].destinations[kind];
      if (d.alive) return d;
    }
    return list[start].destinations[kind];
  }

  /** The next live server after `current` that the request (of `kind`) has not tried, or undefined. */
  next(
    current: Destination,
    tried: readonly Destination[] | undefined,
    kind: ServiceKind = current.kind,
  ): Destination | undefined {
    const list = this.servers;
    const n = list.length;
    let at = 0;
    while (at < n && list[at].destinations[kind] !== current) at++;
    for (let k = 1; k < n; k++) {
      const d = list[(at + k) % n].destinations[kind];
      if (d.alive && d !== current && !tried?.includes(d)) return d;
    }
    return undefined;
  }

  /** Every destination of every server (once, when packet types share one). */
  *destinations(): IterableIterator<Destination> {
    for (const s of this.servers) {
      const { auth, acct, coa } = s.destinations;
      yield auth;
      if (acct !== auth) yield acct;
      if (coa !== auth && coa !== acct) yield coa;
    }
  }
}

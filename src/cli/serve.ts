// `aioradius serve --config FILE`: a ready RADIUS server from a YAML config, with users in the
// config and in SQLite, durable accounting, JSON logs and Prometheus metrics.
import { commandFailed, UsageError } from './args.js';
import { pino } from 'pino';
import { authenticate, type Credentials } from '../auth/authenticate.js';
import type { AttributeValue } from '../dictionary/types.js';
import { ConfigError, RadiusResponseError } from '../errors.js';
import type { AttributesSet } from '../protocol/attributes.js';
import { ACCESS_ACCEPT, ACCESS_CHALLENGE, ACCESS_REJECT } from '../protocol/codes.js';
import { writeValue } from '../protocol/values.js';
import {
  AbstractRadiusServer,
  type HandlerResult,
  type NasConfig,
  type RequestContext,
} from '../server/abstract-server.js';
import type { Logger } from '../server/logger.js';
import type { Remote } from '../transport/remote.js';
import { accountingRecord } from '../store/accounting.js';
import { EapServer } from '../eap/eap-server.js';
import type { EapMethodName } from '../eap/codes.js';
import { SqliteStore, type UserRecord } from '../store/sqlite-store.js';
import { type ClientConfig, ClientTable, type EapConfig, loadConfig, type ServeConfig } from './config.js';
import { ServeMetrics } from './metrics.js';
import { runIfMain } from './run-main.js';

const USAGE = `usage: aioradius serve --config FILE

Starts a RADIUS server (authentication, durable accounting) as described by the YAML file FILE.
SIGTERM/SIGINT stop it gracefully; SIGHUP reloads clients and users from FILE.`;

const scratchA = Buffer.alloc(8192);
const scratchB = Buffer.alloc(8192);

/** The server `serve` runs: clients and users from the config, users and accounting in SQLite. */
export class ConfiguredServer extends AbstractRadiusServer {
  private clients: ClientTable;
  private users = new Map<string, UserRecord>();
  private readonly store: SqliteStore;
  metrics: ServeMetrics | undefined;
  private readonly nasConfigs = new WeakMap<ClientConfig, NasConfig>();
  private readonly current: { table?: ClientTable };
  /** The EAP server of the config's `eap` section (undefined: EAP is refused). */
  private readonly eap: EapServer | undefined;

  constructor(config: ServeConfig, store: SqliteStore, logger: Logger) {
    const { tcp, tls } = config.listen;
    // The TLS listener looks PSK identities up in the current client table (SIGHUP replaces it).
    const current: { table?: ClientTable } = {};
    super(config.listen.host, {
      authPort: config.listen.auth,
      accPort: config.listen.acct,
      tcp: tcp ? { port: tcp.port } : undefined,
      // RFC 6614: a TLS client presents a certificate signed by `ca` (checked by the listener).
      tls: tls
        ? {
            port: tls.port,
            cert: tls.pem.cert,
            key: tls.pem.key,
            ca: tls.pem.ca,
            crl: tls.pem.crl,
            minVersion: tls.minVersion,
            radiusVersion: tls.radiusVersion,
            // PSK clients are looked up in the current table (a SIGHUP may change them).
            psk: (identity: string) => current.table?.pskKey(identity),
          }
        : undefined,
      dictionary: config.dictionary,
      logger,
    });
    this.store = store;
    this.clients = new ClientTable(config.clients);
    this.current = current;
    current.table = this.clients;
    this.setUsers(config);
    this.eap = config.eap ? this.eapServer(config.eap, logger) : undefined;
  }

  /** An EapServer whose inner methods check the users of the config and of the database. */
  private eapServer(eap: EapConfig, logger: Logger): EapServer {
    const tls =
      eap.pem.cert && eap.pem.key
        ? {
            cert: eap.pem.cert,
            key: eap.pem.key,
            ca: eap.pem.ca,
            crl: eap.pem.crl,
            minVersion: eap.tls.minVersion,
            maxVersion: eap.tls.maxVersion,
          }
        : undefined;
    // Without a CA no client certificate can be verified: EAP-TLS is then not offered.
    const defaults: EapMethodName[] = tls
      ? ['peap', 'ttls', ...(tls.ca ? (['tls'] as const) : []), 'mschapv2', 'gtc', 'md5']
      : ['mschapv2', 'gtc', 'md5'];
    return new EapServer({
      methods: eap.methods ?? defaults,
      tls,
      fragmentSize: eap.fragmentSize,
      logger,
      getCredentials: (identity) => {
        const user = this.users.get(identity) ?? this.store.getUser(identity);
        return user ? { password: user.password, ntHash: user.ntHash } : undefined;
      },
    });
  }

  /** Takes clients and config users from a newly loaded config (SIGHUP). */
  reload(config: ServeConfig): void {
    this.clients = new ClientTable(config.clients);
    this.current.table = this.clients;
    this.setUsers(config);
  }

  /** The configured name of the client covering `address`. */
  clientName(address: string): string | undefined {
    return this.clients.match(address)?.name;
  }

  private setUsers(config: ServeConfig): void {
    this.users = new Map(config.users.map((u) => [u.name, u]));
  }

  override validateNas(remote: Remote): NasConfig {
    const c = this.clients.match(remote.address, remote.transport, remote.pskIdentity);
    if (!c)
      throw new RadiusResponseError(`no client configured for ${remote.address} over ${remote.transport}`);
    // One NasConfig per configured client, not one per request.
    let nas = this.nasConfigs.get(c);
    if (nas === undefined) {
      nas = {
        secret: c.secret,
        name: c.name,
        requireMessageAuthenticator: c.requireMessageAuthenticator,
        limitProxyState: c.limitProxyState,
      };
      this.nasConfigs.set(c, nas);
    }
    return nas;
  }

  override handleAuthPacket(
    attributes: AttributesSet,
    context: RequestContext,
  ): HandlerResult<number> | Promise<HandlerResult<number>> {
    const t0 = performance.now();
    if (this.eap && attributes.has('EAP-Message')) {
      return this.decideEap(this.eap, attributes, context).finally(() =>
        this.metrics?.latency.record('auth', (performance.now() - t0) / 1000),
      );
    }
    try {
      return this.decide(attributes, context);
    } finally {
      this.metrics?.latency.record('auth', (performance.now() - t0) / 1000);
    }
  }

  /** One EAP round; on success the user's check attributes apply and its reply attributes are added. */
  private async decideEap(
    eap: EapServer,
    attributes: AttributesSet,
    context: RequestContext,
  ): Promise<HandlerResult<number>> {
    const nas = context.remote.address;
    const result = await eap.handle(context.packet);
    if (result[1] === ACCESS_CHALLENGE) return result;
    // The identity EAP authenticated (the inner one of a tunnel), never the outer User-Name.
    const named = [...result[0]].find((pair) => pair[0] === 'User-Name')?.[1];
    const name = typeof named === 'string' ? named : undefined;
    if (result[1] !== ACCESS_ACCEPT) {
      this.logger.info(
        { user: attributes.get('User-Name'), nas, method: 'eap', result: 'reject' },
        'Access-Reject',
      );
      return result;
    }
    // RFC 3579 §2.6.3: a Reject carries EAP-Failure, with the Identifier of the Success it replaces.
    const success = [...result[0]].find((pair) => pair[0] === 'EAP-Message')?.[1] as Buffer;
    const refuse = (reason: string): HandlerResult<number> => {
      this.logger.info({ user: name, nas, method: 'eap', result: 'reject', reason }, 'Access-Reject');
      return [[['EAP-Message', Buffer.from([4, success[1], 0, 4])]], ACCESS_REJECT];
    };
    if (name === undefined) return refuse('identity does not fit a User-Name');
    // EAP-TLS needs no user entry (the certificate authenticated); an entry adds checks and replies.
    const user = this.users.get(name) ?? this.store.getUser(name);
    const failedCheck = user?.check.find(([attr, want]) => !this.checkMatches(attributes, attr, want));
    if (failedCheck) return refuse(`check ${failedCheck[0]} does not match`);
    this.logger.info({ user: name, nas, method: 'eap', result: 'accept' }, 'Access-Accept');
    return [[...(user?.reply ?? []), ...result[0]], ACCESS_ACCEPT];
  }

  override async handleAccPacket(
    _attributes: AttributesSet,
    context: RequestContext,
  ): Promise<HandlerResult<null>> {
    const t0 = performance.now();
    try {
      const record = accountingRecord(context.packet, context.remote.address);
      // RFC 2866 §2: the Accounting-Response only once the record is safely stored.
      const stored = await this.store.recordAccounting(record);
      this.logger.debug(
        {
          nas: record.nas,
          session: record.sessionId,
          status: record.statusType,
          user: record.userName,
          retransmission: !stored,
        },
        'accounting stored',
      );
      return [[], null];
    } finally {
      this.metrics?.latency.record('acct', (performance.now() - t0) / 1000);
    }
  }

  override registerHandleException(error: unknown): void {
    if (error instanceof RadiusResponseError) return;
    this.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'request failed');
  }

  private decide(attributes: AttributesSet, context: RequestContext): HandlerResult<number> {
    const nas = context.remote.address;
    if (attributes.has('EAP-Message')) {
      this.logger.info(
        {
          user: attributes.get('User-Name'),
          nas,
          result: 'reject',
          reason:
            'EAP-Message present, but EAP is not configured on this server: add an eap section to the config',
        },
        'Access-Reject',
      );
      return [[], ACCESS_REJECT];
    }
    const rawName = attributes.get('User-Name');
    const name = typeof rawName === 'string' ? rawName : undefined;
    const user = name === undefined ? undefined : (this.users.get(name) ?? this.store.getUser(name));
    if (!user) {
      this.logger.info({ user: name, nas, result: 'reject', reason: 'unknown user' }, 'Access-Reject');
      return [[], ACCESS_REJECT];
    }
    const failedCheck = user.check.find(([attr, want]) => !this.checkMatches(attributes, attr, want));
    if (failedCheck) {
      this.logger.info(
        { user: name, nas, result: 'reject', reason: `check ${failedCheck[0]} does not match` },
        'Access-Reject',
      );
      return [[], ACCESS_REJECT];
    }
    const credentials: Credentials = { password: user.password, ntHash: user.ntHash };
    const result = authenticate(context.packet, credentials);
    if (!result.ok) {
      this.logger.info(
        { user: name, nas, method: result.method, result: 'reject', reason: result.reason },
        'Access-Reject',
      );
      return [result.attributes, ACCESS_REJECT];
    }
    this.logger.info({ user: name, nas, method: result.method, result: 'accept' }, 'Access-Accept');
    return [[...user.reply, ...result.attributes], ACCESS_ACCEPT];
  }

  /** A check attribute matches when one of the request's values has the same wire form. */
  private checkMatches(attributes: AttributesSet, attr: string, want: string | number): boolean {
    const colon = attr.lastIndexOf(':');
    const bare = colon > 0 && /^\d{1,2}$/.test(attr.slice(colon + 1)) ? attr.slice(0, colon) : attr;
    const def = this.dictionary.attribute(bare);
    if (!def) return false;
    let values: AttributeValue[];
    try {
      values = attributes.getAll(attr);
    } catch {
      return false;
    }
    if (values.length === 0) return false;
    let wantLen: number;
    try {
      wantLen = writeValue(def, want, scratchB, 0);
    } catch {
      return false;
    }
    return values.some((v) => {
      try {
        const n = writeValue(def, v, scratchA, 0);
        return n === wantLen && scratchA.compare(scratchB, 0, wantLen, 0, n) === 0;
      } catch {
        return false;
      }
    });
  }
}

function parseArgs(argv: string[]): { config?: string; help?: boolean; error?: string } {
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') return { help: true };
    if (a === '-c' || a === '--config') {
      config = argv[++i];
      if (config === undefined) return { error: `${a} needs a file` };
    } else if (a.startsWith('--config=')) config = a.slice('--config='.length);
    else return { error: `unknown argument ${JSON.stringify(a)}` };
  }
  if (config === undefined) return { error: '--config FILE is required' };
  return { config };
}

/** The eap section as loaded (PEM contents included), to tell whether a reload changed it. */
function eapSettings(config: ServeConfig): string {
  const eap = config.eap;
  if (!eap) return '';
  const pem = Object.values(eap.pem).map((b) => b?.toString('base64') ?? '');
  return JSON.stringify([eap.methods, eap.fragmentSize, eap.tls, pem]);
}

/** Entry point of `aioradius serve`: resolves with the exit code once the server has stopped. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.error || !args.config) {
    return commandFailed('serve', new UsageError(args.error ?? '--config FILE is required'));
  }
  const file = args.config;
  let config: ServeConfig;
  try {
    config = loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`aioradius serve: bad config: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel, base: { pid: process.pid }, name: 'aioradius' });
  let store: SqliteStore;
  try {
    store = new SqliteStore(config.database, { worker: true });
  } catch (err) {
    process.stderr.write(
      `aioradius serve: cannot open database ${config.database}: ${(err as Error).message}\n`,
    );
    return 1;
  }
  const server = new ConfiguredServer(config, store, logger);
  let metrics: ServeMetrics | undefined;
  let metricsPort: number | undefined;
  let ports: { authPort?: number; accPort?: number; tcpPort?: number; tlsPort?: number } = {};
  try {
    ports = await server.start();
    if (config.metrics) {
      metrics = new ServeMetrics(server, (a) => server.clientName(a));
      server.metrics = metrics;
      metricsPort = await metrics.listen(config.metrics.host, config.metrics.port);
    }
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'cannot start');
    process.stderr.write(`aioradius serve: cannot start: ${(err as Error).message}\n`);
    await server.close();
    await metrics?.close();
    await store.close();
    return 1;
  }
  if (config.listen.coa !== undefined) {
    logger.warn(
      { port: config.listen.coa },
      'listen.coa: Dynamic Authorization is not served by this version',
    );
  }
  const onHangup = () => {
    try {
      const next = loadConfig(file);
      if (next.dictionaries.join('\n') !== config.dictionaries.join('\n')) {
        throw new ConfigError(
          file,
          'dictionaries',
          'changed: dictionaries are only loaded at start, restart instead',
        );
      }
      // The EAP server (certificates, methods, TLS sessions) is made once: say so rather than ignore it.
      if (eapSettings(next) !== eapSettings(config)) {
        logger.warn(
          'eap: the section changed; its certificates and methods are only loaded at start, restart to apply',
        );
      }
      server.reload(next);
      config = next;
      logger.info({ clients: next.clients.length, users: next.users.length }, 'configuration reloaded');
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'reload failed: keeping the running configuration');
    }
  };
  process.on('SIGHUP', onHangup);
  logger.info(
    {
      auth: ports.authPort,
      acct: ports.accPort,
      tcp: ports.tcpPort,
      tls: ports.tlsPort,
      metrics: metricsPort,
      database: config.database,
      clients: config.clients.length,
      users: config.users.length,
    },
    'aioradius ready',
  );
  try {
    await server.run();
  } finally {
    process.off('SIGHUP', onHangup);
    await store.close();
    await metrics?.close();
    logger.info('aioradius stopped');
  }
  return 0;
}

runIfMain(import.meta.url, 'serve', run);

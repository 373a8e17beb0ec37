// `aioradius serve --config FILE`: a ready RADIUS server from a YAML config, with users in the
// config and in SQLite, durable accounting, JSON logs and Prometheus metrics.
import cluster from 'node:cluster';
// The global `performance` is a getter: the import is a plain binding on the hot path.
import { performance } from 'node:perf_hooks';
import { commandFailed, oneLine, parseCommandLine, stringOption, UsageError } from './args.js';
import { pino } from 'pino';
import {
  type AuthResult,
  authenticate,
  authenticateAsync,
  type Credentials,
  detectMethod,
} from '../auth/authenticate.js';
import { AccessRequest } from '../protocol/packet.js';
import type { AttributeValue } from '../dictionary/types.js';
import { ConfigError, RadiusResponseError, StoreOpenError } from '../errors.js';
import { type KeyLogFile, openKeyLogFile } from './key-log.js';
import type { AttributesSet } from '../protocol/attributes.js';
import { ACCESS_ACCEPT, ACCESS_CHALLENGE, ACCESS_REJECT } from '../protocol/codes.js';
import { writeValue } from '../protocol/values.js';
import {
  AbstractRadiusServer,
  type HandlerResult,
  type HandlerTuple,
  type NasConfig,
  type RequestContext,
} from '../server/abstract-server.js';
import type { Logger } from '../server/logger.js';
import { isThenable } from '../pipeline/thenable.js';
import type { Remote } from '../transport/remote.js';
import { accountingRecord } from '../store/accounting.js';
import type { EapMethodName } from '../eap/codes.js';
import { EapServer } from '../eap/eap-server.js';
import { certificateNamesIdentity } from '../eap/certificate-names.js';
import { EAP_FAILURE } from '../eap/codes.js';
import { encodeEapResult } from '../eap/packet.js';
import type { PeerCertificate } from 'node:tls';
import { sqliteDatabase } from '../store/sqlite-module.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { DynauthProxy, NasDirectory } from '../proxy/dynauth-proxy.js';
import { RadiusProxy } from '../proxy/radius-proxy.js';
import { PostgresStore } from '../store/postgres-store.js';
import { RedisSharedState } from '../store/redis-shared-state.js';
import { RedisBlastRadiusState } from '../store/redis-blastradius-state.js';
import type { BlastRadiusState, ServeStore, SharedDuplicateStore } from '../store/store.js';
import type { UserRecord } from '../store/sqlite-store.js';
import { HttpUsers } from '../users/http-users.js';
import { LdapUsers } from '../users/ldap-users.js';
import type { SourceUser, UserSource } from '../users/user-source.js';
import {
  type ClientConfig,
  ClientTable,
  type EapConfig,
  databaseForLog,
  isPostgresUrl,
  LOG_LEVELS,
  type LogLevel,
  loadConfig,
  parseConfig,
  readConfigFile,
  type ServeConfig,
} from './config.js';
import { type LogFormat, prettyDestination } from './log-format.js';
import { ServeMetrics } from './metrics.js';
import { runIfMain } from './run-main.js';
import {
  type ConfigTexts,
  configFromPrimary,
  defaultWorkers,
  isServeWorker,
  reportMetricsTo,
  runPrimary,
} from './serve-workers.js';
import { prepareWorkerCluster, ServeCluster } from './serve-cluster.js';
import { RedisSessionStore, RedisTlsSessions } from '../store/redis-eap-state.js';
import { availableParallelism } from 'node:os';

const USAGE = `Usage: aioradius serve --config FILE [options]

Starts a RADIUS server (authentication, durable accounting) as described by the YAML file FILE.
SIGTERM/SIGINT stop it gracefully; SIGHUP reloads clients, users and the log level from FILE.

Options:
  -c, --config FILE        the YAML configuration (required)
      --check              validate FILE, print a summary and exit (0: valid, 2: not)
      --log-level LEVEL    fatal, error, warn, info, debug, trace or silent (overrides log.level)
      --log-format FORMAT  json (one object per line) or pretty (for a terminal); default:
                           pretty when stdout is a terminal, json otherwise
      --workers N          N processes sharing the ports (node:cluster; "auto": one per core);
                           default: one per core with a PostgreSQL database, one process with
                           SQLite (one writer); metrics are served by the primary, summed
  -h, --help               this text`;

const scratchA = Buffer.alloc(8192);

/** bcrypt is the one stored form worth checking off the synchronous path (it costs milliseconds). */
function isBcrypt(stored: string | undefined): boolean {
  return stored !== undefined && (stored.startsWith('$2') || /^\{crypt\}\$2/i.test(stored));
}
const scratchB = Buffer.alloc(8192);

/** A database user as the decision code sees it. */
function storedUser(stored: UserRecord | undefined): [SourceUser, string] | undefined {
  if (!stored) return undefined;
  const { name, password, passwordHash, ntHash, reply, check } = stored;
  return [{ name, credentials: { password, passwordHash, ntHash }, reply, check }, 'database'];
}

/**
 * The server `serve` runs: clients and users from the config, users and accounting in a
 * {@link ServeStore} (SQLite by default, PostgreSQL for several instances).
 */
export class ConfiguredServer extends AbstractRadiusServer {
  private clients: ClientTable;
  private users = new Map<string, SourceUser>();
  private sources: UserSource[] = [];
  private readonly store: ServeStore;
  metrics: ServeMetrics | undefined;
  private readonly nasConfigs = new WeakMap<ClientConfig, NasConfig>();
  private readonly current: { table?: ClientTable };
  /** The EAP server of the config's `eap` section (undefined: EAP is refused). */
  readonly eap: EapServer | undefined;
  /** eap.tls.keyLogFile, open while the server runs. */
  private keyLog: KeyLogFile | undefined;
  /** Forwards the realms of the `proxy` section; undefined without one. */
  readonly proxy: RadiusProxy | undefined;
  private readonly proxyConfig: ServeConfig['proxy'];
  /** Forwards CoA/Disconnect-Requests from home servers to NASes (`listen.coa` with a proxy). */
  readonly dynauth: DynauthProxy | undefined;

  /** Hands rounds of EAP conversations other instances own to them (undefined: one instance). */
  private readonly cluster: ServeCluster | undefined;

  constructor(
    config: ServeConfig,
    store: ServeStore,
    logger: Logger,
    shared?: SharedDuplicateStore,
    blastRadiusState?: BlastRadiusState,
    cluster?: ServeCluster,
  ) {
    const { tcp, tls } = config.listen;
    // The TLS listener looks PSK identities up in the current client table (SIGHUP replaces it).
    const current: { table?: ClientTable } = {};
    super(config.listen.host, {
      authPort: config.listen.auth,
      accPort: config.listen.acct,
      tcp: tcp ? { port: tcp.port, ...tcp.limits } : undefined,
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
            shareRecords: tls.shareRecords,
            ...tls.limits,
            ...(tls.handshakeTimeout !== undefined ? { handshakeTimeout: tls.handshakeTimeout * 1000 } : {}),
            // PSK clients are looked up in the current table (a SIGHUP may change them).
            psk: (identity: string) => current.table?.pskKey(identity),
          }
        : undefined,
      dictionary: config.dictionary,
      logger,
      sharedDuplicates: shared,
      blastRadiusState,
    });
    this.store = store;
    this.clients = new ClientTable(config.clients);
    this.current = current;
    current.table = this.clients;
    this.setUsers(config);
    this.cluster = cluster;
    const redis = shared instanceof RedisSharedState ? shared : undefined;
    this.eap = config.eap ? this.eapServer(config.eap, config.file, logger, redis) : undefined;
    const proxy = config.proxy;
    this.proxyConfig = proxy;
    this.proxy = proxy
      ? new RadiusProxy({
          ...proxy,
          logger,
          // Accounting for proxied realms is queued in the server's own database.
          accounting:
            proxy.storeAndForward === false
              ? undefined
              : { file: config.database, duplicateWindow: proxy.duplicateWindow },
        })
      : undefined;
    this.dynauth =
      this.proxy && config.listen.coa !== undefined
        ? new DynauthProxy(
            this.proxy,
            config.listen.host,
            { port: config.listen.coa, dictionary: config.dictionary, logger, nases: this.nasDirectory() },
            proxy?.noResponse,
          )
        : undefined;
  }

  /** NASes for CoA proxying: the configured clients (read at each lookup: SIGHUP replaces them). */
  private nasDirectory(): NasDirectory {
    return new NasDirectory({
      byAddress: (address) => {
        const c = this.clients.match(address);
        return c && { secret: c.secret, coaPort: c.coaPort, name: c.name };
      },
      // A client named as the NAS calls itself, when the entry is one address (not a network).
      byIdentifier: (identifier) =>
        this.clients.all.find((c) => c.name === identifier && c.prefix === c.network.length * 8)?.address,
    });
  }

  /** An EapServer whose inner methods check the users of the config and of the database. */
  private eapServer(
    eap: EapConfig,
    configFile: string,
    logger: Logger,
    redis: RedisSharedState | undefined,
  ): EapServer {
    // Opened first: a file that cannot be opened stops the start (ConfigError).
    const keyLog = eap.tls.keyLogFile ? openKeyLogFile(configFile, eap.tls.keyLogFile) : undefined;
    if (keyLog) {
      this.keyLog = keyLog;
      logger.warn(
        { file: eap.tls.keyLogFile },
        'eap.tls.keyLogFile: the TLS keys of every EAP session are written there; whoever reads it can decrypt the tunnels (debugging only)',
      );
    }
    const tls =
      eap.pem.cert && eap.pem.key
        ? {
            cert: eap.pem.cert,
            key: eap.pem.key,
            ca: eap.pem.ca,
            crl: eap.pem.crl,
            minVersion: eap.tls.minVersion,
            maxVersion: eap.tls.maxVersion,
            tunnelMaxVersion: eap.tls.tunnelMaxVersion,
            workers: eap.tls.workers,
            resumptionLifetime: eap.tls.resumptionLifetime,
            keyLog: keyLog?.write,
            // A user's reply and check attributes follow the EAP identity: a certificate may claim
            // only a user it names (another identity is anyone the CA vouched for, with no entry).
            authorizeCertificate: eap.tls.checkIdentity
              ? async (certificate: PeerCertificate, identity: string) =>
                  (await this.localUser(identity)) === undefined ||
                  certificateNamesIdentity(certificate, identity)
              : undefined,
            // Resumption data in Redis: a peer resumes on any instance; else, with --workers, on
            // any worker (the primary keeps their sessions).
            sharedSessions: redis ? new RedisTlsSessions(redis) : this.cluster?.tlsSessions,
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
      // MD5, GTC and MSCHAPv2 conversations in Redis (any instance continues them); every State
      // names the instance that owns the conversation.
      sharedStore: redis ? new RedisSessionStore(redis) : undefined,
      statePrefix: this.cluster?.link.stateTag,
      getCredentials: (identity) => this.eapCredentials(identity),
    });
  }

  /**
   * What the EAP methods check `identity` against: a config or database user's password, hash or NT
   * hash, else the first back end that knows it (HTTP credentials, or LDAP's bind for the plain-text
   * methods in a tunnel). The back ends see a request with that User-Name only.
   */
  private async eapCredentials(identity: string): Promise<Credentials | undefined> {
    const local = (await this.localUser(identity))?.[0];
    const user = local ?? (await this.sourceUser(identity));
    if (!user) return undefined;
    const verify = user.verifyPassword?.bind(user);
    return { ...user.credentials, ...(verify ? { verifyPassword: verify } : {}) };
  }

  /** The first back end's user named `name` (undefined when none knows it or one fails). */
  private async sourceUser(name: string): Promise<SourceUser | undefined> {
    if (this.sources.length === 0) return undefined;
    const request = new AccessRequest('unused').add('User-Name', name);
    for (const source of this.sources) {
      try {
        const found = await source.find(name, request);
        if (found) return found;
      } catch (err) {
        this.logger.warn(
          { source: source.kind, user: name, err: (err as Error).message },
          'user lookup failed',
        );
        return undefined;
      }
    }
    return undefined;
  }

  /** Takes clients and config users from a newly loaded config (SIGHUP). */
  reload(config: ServeConfig): void {
    this.clients = new ClientTable(config.clients);
    this.current.table = this.clients;
    this.setUsers(config);
    // The proxy (its queue, its home servers' health) stays as started: a second forwarder on the
    // same queue would send requests twice.
    if (JSON.stringify(config.proxy) !== JSON.stringify(this.proxyConfig))
      this.logger.warn({ config: config.file }, 'proxy section changed: restart to apply it');
  }

  /** Closes the connections of the user back ends. */
  async closeSources(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.close()));
    await this.proxy?.close();
    // Its TLS worker threads and the conversations in progress.
    this.eap?.close();
    this.keyLog?.close();
  }

  /** The configured name of the client covering `address`. */
  clientName(address: string): string | undefined {
    return this.clients.match(address)?.name;
  }

  private setUsers(config: ServeConfig): void {
    this.users = new Map(
      config.users.map((u) => [
        u.name,
        {
          name: u.name,
          credentials: { password: u.password, passwordHash: u.passwordHash, ntHash: u.ntHash },
          reply: u.reply,
          check: u.check,
        },
      ]),
    );
    const old = this.sources;
    this.sources = [];
    if (config.http) this.sources.push(new HttpUsers(config.http));
    if (config.ldap) this.sources.push(new LdapUsers(config.ldap));
    for (const s of old) void s.close();
    // A config user wins over the database user of the same name: say so, or the operator edits
    // the database and wonders why nothing changes.
    const shadows = (u: { name: string }) =>
      this.logger.warn(
        { user: u.name, config: config.file, database: databaseForLog(config.database) },
        'config user shadows the database user of the same name',
      );
    for (const u of config.users) {
      const found = this.store.getUser(u.name);
      if (found instanceof Promise) {
        found.then(
          (f) => f && shadows(u),
          () => undefined,
        );
      } else if (found) shadows(u);
    }
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
  ): HandlerResult<number> | PromiseLike<HandlerResult<number>> {
    const metrics = this.metrics;
    // A proxied realm goes to its pool, EAP included; the rest is answered here.
    const decide = () =>
      this.proxy ? this.proxy.handleAuth(attributes, context, this.local) : this.local(attributes, context);
    if (metrics === undefined) return decide();
    const t0 = performance.now();
    const done = () => metrics.latency.record('auth', (performance.now() - t0) / 1000);
    let result: HandlerResult<number> | PromiseLike<HandlerResult<number>>;
    try {
      result = decide();
    } catch (err) {
      done();
      throw err;
    }
    // Config and database users with non-bcrypt credentials are decided synchronously: no
    // promise on the common path.
    if (isThenable(result)) return Promise.resolve(result).finally(done);
    done();
    return result;
  }

  /** Access-Requests answered by this server (not a proxied realm). */
  private readonly local = (
    attributes: AttributesSet,
    context: RequestContext,
  ): HandlerTuple<number> | Promise<HandlerTuple<number>> =>
    attributes.has('EAP-Message')
      ? this.eap
        ? this.decideEap(this.eap, attributes, context)
        : this.refuseEap(attributes, context)
      : this.decide(attributes, context);

  /**
   * EAP without an eap section: whoever the outer identity names (PEAP's is usually anonymous),
   * Access-Reject with EAP-Failure (RFC 3579 §2.6.3), and a log line that says why.
   */
  private refuseEap(attributes: AttributesSet, context: RequestContext): HandlerTuple<number> {
    const eap = attributes.get('EAP-Message');
    const identifier = Buffer.isBuffer(eap) && eap.length >= 2 ? eap[1] : 0;
    return this.reject(
      {
        user: attributes.get('User-Name'),
        nas: context.remote.address,
        reason: 'EAP-Message present, but EAP is not configured on this server (add an eap section)',
      },
      [['EAP-Message', encodeEapResult(EAP_FAILURE, identifier)]],
    );
  }

  /** One EAP round; on success the user's check attributes apply and its reply attributes are added. */
  private async decideEap(
    eap: EapServer,
    attributes: AttributesSet,
    context: RequestContext,
  ): Promise<HandlerTuple<number>> {
    const nas = context.remote.address;
    // A round of a conversation another instance owns is answered by it (its reply, relayed).
    const routed = await this.cluster?.route(eap, context);
    if (routed) return routed;
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
    const refuse = (reason: string): HandlerTuple<number> => {
      this.logger.info({ user: name, nas, method: 'eap', result: 'reject', reason }, 'Access-Reject');
      return [[['EAP-Message', Buffer.from([4, success[1], 0, 4])]], ACCESS_REJECT];
    };
    if (name === undefined) return refuse('identity does not fit a User-Name');
    // EAP-TLS needs no user entry (the certificate authenticated); an entry adds checks and replies.
    const user = (await this.localUser(name))?.[0];
    const failedCheck = user?.check.find(([attr, want]) => !this.checkMatches(attributes, attr, want));
    if (failedCheck) return refuse(`check ${failedCheck[0]} does not match`);
    this.logger.info({ user: name, nas, method: 'eap', result: 'accept' }, 'Access-Accept');
    return [[...(user?.reply ?? []), ...result[0]], ACCESS_ACCEPT];
  }

  override async handleAccPacket(
    attributes: AttributesSet,
    context: RequestContext,
  ): Promise<HandlerTuple<null>> {
    const t0 = performance.now();
    try {
      const proxy = this.proxy;
      if (proxy !== undefined && proxy.route(attributes)?.pool !== undefined) {
        // Which NAS holds a session: the fallback of CoA proxying when a DAS names none.
        this.dynauth?.nases.noteAccounting(attributes, context.remote.address);
        return (await proxy.forward(context)) as HandlerTuple<null>;
      }
      const record = accountingRecord(context.packet, context.remote.address);
      // Accounting-On and -Off name no session in practice, though RFC 2866 §5.5 asks for one.
      if (record.statusType === 0 || (record.sessionId === '' && record.statusType <= 3))
        this.warnIncomplete(record);
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

  /** When each NAS was last warned of an incomplete Accounting-Request (bounded: a few hundred NASes). */
  private readonly incompleteWarned = new Map<string, number>();

  /**
   * RFC 2866 §5.1 and §5.5: every Accounting-Request has Acct-Status-Type and (a session's: Start,
   * Stop, Interim-Update) Acct-Session-Id. One without is stored as sent (nothing is lost), and the
   * operator told, once a minute per NAS.
   */
  private warnIncomplete(record: { nas: string; statusType: number; sessionId: string }): void {
    const now = Date.now();
    if (now - (this.incompleteWarned.get(record.nas) ?? Number.NEGATIVE_INFINITY) < 60_000) return;
    if (this.incompleteWarned.size >= 1024) this.incompleteWarned.clear();
    this.incompleteWarned.set(record.nas, now);
    const missing = [
      ...(record.statusType === 0 ? ['Acct-Status-Type'] : []),
      ...(record.sessionId === '' && record.statusType <= 3 ? ['Acct-Session-Id'] : []),
    ];
    this.logger.warn(
      { nas: record.nas, missing, hint: 'RFC 2866 sections 5.1 and 5.5 require both: check the NAS' },
      `Accounting-Request without ${missing.join(' and ')}: stored as sent`,
    );
  }

  override registerHandleException(error: unknown): void {
    if (error instanceof RadiusResponseError) return;
    // A failed handler's request is already logged as a drop (a warning, with the error, at most
    // one a minute per NAS): a database outage would otherwise write a line per request.
    this.logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'request failed');
  }

  /** A user of the config, else of the database (synchronous with the embedded store). */
  private localUser(
    name: string,
  ): [SourceUser, string] | undefined | Promise<[SourceUser, string] | undefined> {
    const local = this.users.get(name);
    if (local) return [local, 'config'];
    const stored = this.store.getUser(name);
    return stored instanceof Promise ? stored.then(storedUser) : storedUser(stored);
  }

  private reject(
    fields: Record<string, unknown>,
    attributes: HandlerTuple<number>[0] = [],
  ): HandlerTuple<number> {
    this.logger.info({ ...fields, result: 'reject' }, 'Access-Reject');
    return [attributes, ACCESS_REJECT];
  }

  /** Config, then database, then the back ends (HTTP, LDAP) in that order; the first that knows the user decides. */
  private decide(
    attributes: AttributesSet,
    context: RequestContext,
  ): HandlerTuple<number> | Promise<HandlerTuple<number>> {
    const rawName = attributes.get('User-Name');
    const name = typeof rawName === 'string' ? rawName : undefined;
    if (name === undefined)
      return this.reject({ user: name, nas: context.remote.address, reason: 'unknown user' });
    const local = this.localUser(name);
    if (local instanceof Promise) {
      return local.then(
        (found) => this.decideLocal(found, name, attributes, context),
        (err: unknown) => {
          // The database cannot answer: refuse, and say so for the operator.
          const nas = context.remote.address;
          this.logger.warn({ user: name, nas, err: (err as Error).message }, 'user lookup failed');
          return this.reject({ user: name, nas, source: 'database', reason: 'database unavailable' });
        },
      );
    }
    return this.decideLocal(local, name, attributes, context);
  }

  private decideLocal(
    local: [SourceUser, string] | undefined,
    name: string,
    attributes: AttributesSet,
    context: RequestContext,
  ): HandlerTuple<number> | Promise<HandlerTuple<number>> {
    if (local) return this.decideFor(local[0], local[1], attributes, context);
    if (this.sources.length === 0) {
      return this.reject({ user: name, nas: context.remote.address, reason: 'unknown user' });
    }
    return this.decideRemote(name, attributes, context);
  }

  private async decideRemote(
    name: string,
    attributes: AttributesSet,
    context: RequestContext,
  ): Promise<HandlerTuple<number>> {
    const nas = context.remote.address;
    for (const source of this.sources) {
      let found: SourceUser | undefined;
      try {
        found = await source.find(name, context.packet);
      } catch (err) {
        // A back end that cannot answer: refuse, and say which one for the operator.
        this.logger.warn(
          { user: name, nas, source: source.kind, err: (err as Error).message },
          'user lookup failed',
        );
        return this.reject({ user: name, nas, source: source.kind, reason: 'user back end unavailable' });
      }
      if (found) return this.decideFor(found, source.kind, attributes, context);
    }
    return this.reject({ user: name, nas, reason: 'unknown user' });
  }

  private decideFor(
    user: SourceUser,
    source: string,
    attributes: AttributesSet,
    context: RequestContext,
  ): HandlerTuple<number> | Promise<HandlerTuple<number>> {
    const nas = context.remote.address;
    const name = user.name;
    const failedCheck = user.check.find(([attr, want]) => !this.checkMatches(attributes, attr, want));
    if (failedCheck)
      return this.reject({ user: name, nas, source, reason: `check ${failedCheck[0]} does not match` });
    const credentials = user.credentials ?? {};
    const pending = user.verifyPassword
      ? this.verifyWithSource(user.verifyPassword, context)
      : isBcrypt(credentials.passwordHash)
        ? authenticateAsync(context.packet, credentials)
        : undefined;
    if (pending === undefined)
      return this.conclude(user, source, nas, authenticate(context.packet, credentials));
    return pending.then(
      (result) => this.conclude(user, source, nas, result),
      (err: unknown) => {
        this.logger.warn({ user: name, nas, source, err: (err as Error).message }, 'user back end failed');
        return this.reject({ user: name, nas, source, reason: 'user back end unavailable' });
      },
    );
  }

  /** A source that checks passwords itself (LDAP) can only take a method that carries one: PAP. */
  private async verifyWithSource(
    verify: (password: string) => Promise<string | undefined>,
    context: RequestContext,
  ): Promise<AuthResult> {
    const method = detectMethod(context.packet.attributes);
    if (method !== 'pap') {
      return {
        ok: false,
        method,
        attributes: [],
        reason: 'this user back end checks the password itself: only PAP carries it',
      };
    }
    const got = context.packet.get('User-Password');
    const failure = await verify(Buffer.isBuffer(got) ? got.toString('utf8') : String(got ?? ''));
    return failure === undefined
      ? { ok: true, method, attributes: [] }
      : { ok: false, method, attributes: [], reason: failure };
  }

  private conclude(user: SourceUser, source: string, nas: string, result: AuthResult): HandlerTuple<number> {
    if (!result.ok) {
      return this.reject(
        { user: user.name, nas, source, method: result.method, reason: result.reason },
        result.attributes,
      );
    }
    this.logger.info(
      { user: user.name, nas, source, method: result.method, result: 'accept' },
      'Access-Accept',
    );
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

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  check: { type: 'boolean' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  workers: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface ServeArgs {
  config: string;
  check: boolean;
  /** From the command line: wins over the config's log.level, at start and on SIGHUP. */
  logLevel: LogLevel | undefined;
  logFormat: LogFormat;
  /** Worker processes (node:cluster); 1 = this process serves; undefined: see defaultWorkers. */
  workers: number | undefined;
}

/** The command line of `serve`; throws UsageError. */
function parseArgs(argv: string[]): ServeArgs {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const config = stringOption(values, 'config');
  if (config === undefined) throw new UsageError('--config FILE is required');
  const level = stringOption(values, 'log-level');
  if (level !== undefined && !LOG_LEVELS.includes(level))
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const format = stringOption(values, 'log-format') ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (format !== 'json' && format !== 'pretty') throw new UsageError('--log-format must be json or pretty');
  const workersText = stringOption(values, 'workers');
  const workers =
    workersText === undefined
      ? undefined
      : workersText === 'auto'
        ? availableParallelism()
        : Number(workersText);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 256))
    throw new UsageError('--workers must be a whole number from 1 to 256, or auto');
  return {
    config,
    check: values.check === true,
    logLevel: level as LogLevel | undefined,
    logFormat: format,
    workers,
  };
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
  const code = await serve(argv);
  // The IPC channel to the primary would keep a worker that could not start alive: nothing
  // listening, and the primary waiting for it (runPrimary then stops, with this failure).
  // Through the cluster's worker: a bare process.disconnect() makes node:cluster exit with 0.
  if (code !== 0 && isServeWorker()) {
    process.exitCode = code;
    cluster.worker?.disconnect();
  }
  return code;
}

async function serve(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let args: ServeArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    return commandFailed('serve', err);
  }
  const file = args.config;
  const worker = isServeWorker();
  // A worker of `--workers` starts from the text the server started with and reloads the last one
  // a SIGHUP found valid, as the primary keeps them: not from whatever the file holds now.
  const texts = worker ? await configFromPrimary() : undefined;
  let config: ServeConfig;
  let text: string;
  try {
    text = texts?.start ?? readConfigFile(file);
    config = parseConfig(text, file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`aioradius serve: bad config: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`aioradius serve: cannot ${args.check ? 'check' : 'start'}: ${oneLine(err)}\n`);
    return 1;
  }
  if (args.check) {
    // A valid file is not enough to start: the SQLite store needs its module installed here.
    if (!isPostgresUrl(config.database)) {
      try {
        sqliteDatabase();
      } catch (err) {
        process.stderr.write(`aioradius serve: ${file} is valid, but cannot start here: ${oneLine(err)}\n`);
        return 1;
      }
    }
    const l = config.listen;
    process.stdout.write(
      `${file}: OK (${config.clients.length} clients, ${config.users.length} users; auth ${l.auth ?? 'off'}, acct ${l.acct ?? 'off'}${l.tcp ? `, tcp ${l.tcp.port}` : ''}${l.tls ? `, tls ${l.tls.port}` : ''})\n`,
    );
    return 0;
  }
  const logger = pino(
    { level: args.logLevel ?? config.logLevel, base: { pid: process.pid }, name: 'aioradius' },
    args.logFormat === 'pretty' ? prettyDestination(process.stdout) : undefined,
  );
  const chosen = args.workers ?? defaultWorkers(config.database, availableParallelism()).workers;
  if (chosen > 1 && !worker) {
    if (!isPostgresUrl(config.database))
      logger.warn(
        { workers: chosen, database: databaseForLog(config.database) },
        'SQLite has one writer: the workers take turns on its lock (PostgreSQL scales with them)',
      );
    // A round of an EAP conversation that lands on another worker is handed to its owner.
    if (config.eap) prepareWorkerCluster();
    // Workers share the config but not a port: each binds one of its own (see ServeCluster.open).
    const listen = config.cluster?.listen;
    if (listen !== undefined && !/:0$/.test(listen))
      logger.warn(
        { listen },
        'cluster.listen: with --workers each worker binds a port of its own on that address; other machines find them through sharedState (Redis), not cluster.peers',
      );
    const running: ConfigTexts = { start: text, running: text };
    // The workers check the file again themselves (and log why it is refused): here only the
    // text a replacement is to reload is kept.
    const onHangup = () => {
      try {
        const next = readConfigFile(file);
        parseConfig(next, file);
        running.running = next;
      } catch {
        // Refused by the workers too; the running text stays.
      }
    };
    try {
      return await runPrimary(chosen, config.metrics, logger, { config: running, onHangup });
    } catch (err) {
      logger.error({ err: oneLine(err) }, 'cannot start');
      process.stderr.write(`aioradius serve: cannot start: ${oneLine(err)}\n`);
      return 1;
    }
  }
  // What has been opened, closed in reverse order when the start fails: anything left open (a
  // database pool, the cluster link's socket) would keep the process alive with nothing listening.
  const opened: Array<() => unknown> = [];
  const startFailed = async (line: string, code: number): Promise<number> => {
    process.stderr.write(`aioradius serve: ${line}\n`);
    for (const close of opened.reverse()) {
      try {
        await close();
      } catch {
        // Closing what did not start: its error adds nothing to the one reported.
      }
    }
    return code;
  };
  let store: ServeStore;
  try {
    store = isPostgresUrl(config.database)
      ? await PostgresStore.open(config.database, {
          duplicateWindow: config.accounting.duplicateWindow,
          onError: (err) => logger.error({ err: err.message }, 'database connection failed'),
        })
      : new SqliteStore(config.database, {
          worker: true,
          duplicateWindow: config.accounting.duplicateWindow,
        });
  } catch (err) {
    // The config is valid but the database cannot be used: file, field and reason, exit 1.
    const reason =
      err instanceof StoreOpenError
        ? err.message
        : `cannot open ${databaseForLog(config.database)}: ${oneLine(err)}`;
    return startFailed(`${config.file}: database: ${reason}`, 1);
  }
  opened.push(() => store.close());
  // Redis down at start is no reason not to start: the instance works alone meanwhile.
  let shared: RedisSharedState | undefined;
  try {
    shared = config.sharedState ? await RedisSharedState.open(config.sharedState, { logger }) : undefined;
  } catch (err) {
    return startFailed(`${config.file}: sharedState: ${oneLine(err)}`, 1);
  }
  opened.push(() => shared?.close());
  // Credentials Redis refuses are a setting to fix, not an outage to ride out: stop here.
  const refusal = await shared?.refusedWithin(3000);
  if (refusal) {
    return startFailed(
      `${config.file}: sharedState: Redis refused the credentials (${oneLine(refusal)}): check the user and password in the URL`,
      1,
    );
  }
  let cluster: ServeCluster | undefined;
  try {
    cluster = await ServeCluster.open(config, shared, logger);
  } catch (err) {
    return startFailed(`cannot open the cluster link: ${oneLine(err)}`, 1);
  }
  opened.push(() => cluster?.close());
  let server: ConfiguredServer;
  try {
    server = new ConfiguredServer(
      config,
      store,
      logger,
      shared,
      shared ? new RedisBlastRadiusState(shared) : undefined,
      cluster,
    );
  } catch (err) {
    // What only opening could tell (eap.tls.keyLogFile): as a bad config.
    if (err instanceof ConfigError) return startFailed(`bad config: ${err.message}`, 2);
    return startFailed(`cannot start: ${oneLine(err)}`, 1);
  }
  opened.push(() => server.closeSources());
  opened.push(() => server.close());
  cluster?.link.attach(server);
  let metrics: ServeMetrics | undefined;
  let metricsPort: number | undefined;
  let ports: { authPort?: number; accPort?: number; tcpPort?: number; tlsPort?: number } = {};
  let coaPort: number | undefined;
  try {
    ports = await server.start();
    if (config.metrics) {
      const queue = server.proxy?.queue;
      const proxy = server.proxy;
      const link = cluster?.link;
      metrics = new ServeMetrics(server, (a) => server.clientName(a), {
        queueDepth: queue ? () => queue.depth : undefined,
        homeServers: proxy ? () => proxy.status() : undefined,
        cluster: link ? () => link.counters : undefined,
      });
      const m = metrics;
      opened.push(() => m.close());
      server.metrics = metrics;
      // A worker's metrics are summed and served by the primary.
      if (worker) reportMetricsTo(metrics.registry);
      else metricsPort = await metrics.listen(config.metrics.host, config.metrics.port);
    }
    if (server.dynauth !== undefined) {
      const dynauth = server.dynauth;
      opened.push(() => dynauth.close());
      coaPort = (await dynauth.start()).port;
    } else if (config.listen.coa !== undefined) {
      logger.warn(
        { port: config.listen.coa },
        'listen.coa: Dynamic Authorization is only served as a proxy (a proxy section is needed)',
      );
    }
  } catch (err) {
    logger.error({ err: oneLine(err) }, 'cannot start');
    return startFailed(`cannot start: ${oneLine(err)}`, 1);
  }
  // SIGHUP: the file again; a worker that replaced another: the text the others reloaded.
  const reload = (load: () => ServeConfig) => {
    try {
      const next = load();
      if (next.dictionaries.join('\n') !== config.dictionaries.join('\n')) {
        throw new ConfigError(
          file,
          'dictionaries',
          'changed: dictionaries are only loaded at start, restart instead',
        );
      }
      // The EAP server (certificates, methods, TLS sessions) is made once: say so rather than ignore it.
      if (JSON.stringify(next.cluster) !== JSON.stringify(config.cluster)) {
        logger.warn(
          'cluster: the section changed; the cluster link is only opened at start, restart to apply',
        );
      }
      if (eapSettings(next) !== eapSettings(config)) {
        logger.warn(
          'eap: the section changed; its certificates and methods are only loaded at start, restart to apply',
        );
      }
      const startOnly = startOnlyChanges(config, next);
      if (startOnly.length > 0)
        logger.warn(
          { keys: startOnly },
          `${startOnly.join(', ')}: changed; only applied at start, restart to apply`,
        );
      server.reload(next);
      config = next;
      sweepStale();
      logger.info({ clients: next.clients.length, users: next.users.length }, 'configuration reloaded');
      // The log level follows the config, unless --log-level fixed it.
      if (args.logLevel === undefined) logger.level = next.logLevel;
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'reload failed: keeping the running configuration');
    }
  };
  const onHangup = () => reload(() => loadConfig(file));
  // Sessions no NAS has updated for accounting.staleAfter seconds are marked stale: at start, on
  // each reload, and periodically.
  const sweepStale = () => {
    const after = config.accounting.staleAfter;
    if (after === undefined) return;
    const failed = (err: unknown) =>
      logger.error({ err: (err as Error).message }, 'marking stale sessions failed');
    const marked = (n: number) => {
      if (n > 0) logger.info({ sessions: n, staleAfter: after }, 'sessions marked stale');
    };
    try {
      const n = store.markStale(after * 1000);
      if (n instanceof Promise) n.then(marked, failed);
      else marked(n);
    } catch (err) {
      failed(err);
    }
  };
  sweepStale();
  const staleTimer = setInterval(
    sweepStale,
    Math.min(60, Math.max(1, (config.accounting.staleAfter ?? 60) / 2)) * 1000,
  );
  staleTimer.unref();
  process.on('SIGHUP', onHangup);
  // A replacement worker: what the running workers reloaded since the start, it reloads too.
  const reloaded = texts && texts.running !== texts.start ? texts.running : undefined;
  if (reloaded !== undefined) reload(() => parseConfig(reloaded, file));
  logger.info(
    {
      auth: ports.authPort,
      acct: ports.accPort,
      tcp: ports.tcpPort,
      tls: ports.tlsPort,
      coa: coaPort,
      metrics: metricsPort,
      database: databaseForLog(config.database),
      sharedState: config.sharedState ? databaseForLog(config.sharedState) : undefined,
      clients: config.clients.length,
      users: config.users.length,
      dictionaries: config.dictionaries,
      // With an eap section: its methods, and the threads its TLS runs in besides this one.
      eap: server.eap
        ? { methods: server.eap.methods.map((m) => m.name), tlsWorkers: server.eap.tlsWorkers }
        : undefined,
      // Only when there are any: the line stays as it was for a config without back ends.
      backends:
        config.http || config.ldap
          ? [config.http && 'http', config.ldap && 'ldap'].filter(Boolean)
          : undefined,
    },
    'aioradius ready',
  );
  try {
    await server.run();
  } finally {
    process.off('SIGHUP', onHangup);
    clearInterval(staleTimer);
    await server.dynauth?.close();
    await server.closeSources();
    await store.close();
    await cluster?.close();
    await shared?.close();
    await metrics?.close();
    logger.info('aioradius stopped');
    // The IPC channel to the primary (metrics requests) would keep a worker alive.
    if (worker) process.disconnect?.();
  }
  return 0;
}

runIfMain(import.meta.url, 'serve', run);

/**
 * Settings SIGHUP cannot apply (sockets, the store, the shared state are opened once), named when
 * a reload finds them changed: otherwise the log said only "configuration reloaded". The proxy, eap
 * and cluster sections say so themselves.
 */
const START_ONLY: ReadonlyArray<readonly [string, (c: ServeConfig) => unknown]> = [
  ['listen', (c) => c.listen],
  ['metrics', (c) => c.metrics],
  ['database', (c) => c.database],
  ['sharedState', (c) => c.sharedState],
  ['accounting.duplicateWindow', (c) => c.accounting.duplicateWindow],
];

function startOnlyChanges(running: ServeConfig, next: ServeConfig): string[] {
  return START_ONLY.filter(([, get]) => JSON.stringify(get(running)) !== JSON.stringify(get(next))).map(
    ([key]) => key,
  );
}

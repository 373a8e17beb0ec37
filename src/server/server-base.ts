import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { createServer as createNetServer, isIP, type Server as NetServer } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { RadiusClosedError, RadiusError } from '../errors.js';
import { clearHmacKeyCache } from '../protocol/md5.js';
import type { ListenerSpec, PipelineHost } from '../pipeline/request-pipeline.js';
import type { Remote, ReplyChannel } from '../transport/remote.js';
import {
  createRadsecServer,
  type StreamListenerOptions,
  StreamListener,
  type StreamRequestHandler,
  type TcpListenerOptions,
  type TlsListenerOptions,
} from '../transport/stream-listener.js';
import { DropLog } from '../pipeline/drop-log.js';
import { HandlerDeadlines } from './handler-deadlines.js';
import { type Logger, silentLogger } from './logger.js';
import {
  PeriodicRunner,
  type PeriodicTaskDef,
  type PeriodicTaskOptions,
  periodicTasksOf,
} from './periodic-task.js';

/** Something a server receives on and closes when it stops: a UDP socket now, a TCP or TLS listener later. */
export interface ServerEndpoint {
  /** Stops taking input, lets replies already handed over go out (bounded), then releases the port. */
  close(): Promise<void>;
}

/** Where a server is in its life. */
export type ServerState = 'new' | 'starting' | 'running' | 'closing' | 'closed';

/** The options the lifecycle reads, in seconds. */
export interface LifecycleOptions {
  /** How long a handler may take before its request is abandoned (no reply). */
  readonly handlerTimeout: number;
  /** How long `close()` waits for handlers in flight (and for periodic tasks). */
  readonly closeTimeout: number;
}

/** The events a server emits and their arguments: 'listening' with what was bound, then 'close'. */
export type RadiusServerEvents<Info> = {
  listening: [info: Info];
  close: [];
};

/**
 * What every server shares, whatever it speaks and over whatever transport: its endpoints, its
 * lifecycle (start, run, close, the `listening` promise and the 'listening' and 'close' events), the
 * requests in flight, the `@periodicTask` methods, error reporting and the handler time limit.
 * A subclass opens its endpoints in {@link openEndpoints} and decides what a request gets.
 */
export abstract class RadiusServerBase<Info extends object> extends EventEmitter<RadiusServerEvents<Info>> {
  readonly host: string;
  logger: Logger;
  /** A promise resolved with what was bound once listening (rejected if the server cannot start). */
  readonly listening: Promise<Info>;
  abstract readonly options: LifecycleOptions;

  /** Read on every datagram: anything but 'running' drops it. */
  protected state: ServerState = 'new';
  /** Requests whose handling waits for something; close() waits for them (bounded). */
  private working = 0;
  /** Resolves close()'s wait once `working` is back to 0. */
  private onIdle: (() => void) | undefined = undefined;
  // Bound once: a request's handling is tracked without a closure or a promise chain of its own.
  private readonly workDone = (): void => {
    if (--this.working === 0 && this.onIdle !== undefined) {
      const idle = this.onIdle;
      this.onIdle = undefined;
      idle();
    }
  };
  private readonly workFailed = (e: unknown): void => {
    try {
      this.reportError(e);
    } finally {
      this.workDone();
    }
  };
  /** Handler time limits: one timer for all (a timer per request costs more than a proxied request). */
  private readonly deadlines = new HandlerDeadlines(
    (what) =>
      new RadiusError(
        `${what} did not finish within ${this.options.handlerTimeout}s`,
        'ERR_RADIUS_HANDLER_TIMEOUT',
      ),
  );
  /** Dropped requests, logged at warn with a hint, rate-limited per NAS and reason. */
  protected readonly drops = new DropLog(() => this.logger);
  private lastSocketErrorLog = -Infinity;
  private socketErrorsUnlogged = 0;

  private readonly logLabel: string;
  private endpoints: ServerEndpoint[] = [];
  private periodic: PeriodicRunner | undefined;
  private readonly extraTasks: PeriodicTaskDef[] = [];
  private resolveListening!: (info: Info) => void;
  private rejectListening!: (err: unknown) => void;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  /** `label` names the server in its logs ('radius server'). */
  constructor(host: string, label: string, logger: Logger = silentLogger) {
    super();
    this.host = host;
    this.logLabel = label;
    this.logger = logger;
    this.listening = new Promise((resolve, reject) => {
      this.resolveListening = resolve;
      this.rejectListening = reject;
    });
    // Callers who only use start() must not get an unhandled rejection from this promise.
    this.listening.catch(() => {});
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /**
   * Binds the server's endpoints (registering each with {@link addEndpoint}) and returns what
   * `listening` resolves with. Whatever was registered is closed if this throws.
   */
  protected abstract openEndpoints(): Promise<Info>;

  /**
   * Runs `task` every `options.delay` seconds while the server runs, as a `@periodicTask` method
   * does: the form for plain JavaScript, where decorator syntax does not parse. Call it before
   * `start()`; `name` labels it in errors.
   */
  addPeriodicTask(task: () => unknown, options: PeriodicTaskOptions & { name?: string }): this {
    if (!(options.delay > 0))
      throw new RangeError('addPeriodicTask: delay must be a positive number of seconds');
    if (this.state !== 'new')
      throw new RadiusError('addPeriodicTask: the server has already started', 'ERR_RADIUS_STARTED');
    this.extraTasks.push({
      name: options.name ?? (task.name || 'task'),
      delayMs: options.delay * 1000,
      run: task,
    });
    return this;
  }

  /** Called with every error raised while handling a request (and by periodic tasks). */
  registerHandleException(error: unknown): void {
    void error;
  }

  /** Requests being handled right now. */
  get inFlightCount(): number {
    return this.working;
  }

  /** Binds the endpoints and starts periodic tasks; resolves with what was bound. */
  async start(): Promise<Info> {
    if (this.state === 'closing' || this.state === 'closed') {
      // A closed server does not start again (its ports are gone): a failed start keeps its error.
      return this.listening.then(() => {
        throw new RadiusClosedError('the server was closed: create a new one to start again');
      });
    }
    if (this.state !== 'new') return this.listening;
    this.state = 'starting';
    let info: Info;
    try {
      info = await this.openEndpoints();
    } catch (err) {
      await this.closeEndpoints();
      this.state = 'closed';
      this.rejectListening(err);
      this.resolveClosed();
      throw err;
    }
    this.periodic = new PeriodicRunner([...periodicTasksOf(this), ...this.extraTasks], (e) =>
      this.reportError(e),
    );
    this.periodic.start();
    this.state = 'running';
    this.logger.info(info, `${this.logLabel} listening`);
    this.resolveListening(info);
    this.emitSafely(() => this.emit('listening', info));
    return info;
  }

  /** Starts, then resolves after SIGINT/SIGTERM or `close()`. */
  async run(): Promise<void> {
    await this.start();
    const onSignal = () => void this.close();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await this.closedPromise;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }

  /** Stops taking requests, waits (bounded) for handlers in flight and sends their replies, then closes. */
  async close(): Promise<void> {
    // Closing while the endpoints are being bound: let that finish first, so that none stays open.
    if (this.state === 'starting') await this.listening.catch(() => {});
    if (this.state === 'closed' || this.state === 'closing') return this.closedPromise;
    if (this.state === 'new') {
      this.state = 'closed';
      this.rejectListening(new RadiusClosedError('closed before start'));
      this.resolveClosed();
      return;
    }
    this.state = 'closing';
    const waitMs = this.options.closeTimeout * 1000;
    await this.idleWithin(waitMs);
    await this.periodic?.stop(waitMs);
    // The endpoints go last: replies of the handlers that finished above are still sent.
    await this.closeEndpoints();
    this.onClosed();
    // The shared secrets this server used leave memory with it (RFC 2865 §3 secrets are keys).
    clearHmacKeyCache();
    this.state = 'closed';
    this.logger.info(`${this.logLabel} closed`);
    this.resolveClosed();
    this.emitSafely(() => this.emit('close'));
  }

  /** Emits an event; a listener that throws is reported, and does not stop start() or close(). */
  private emitSafely(emit: () => void): void {
    try {
      emit();
    } catch (err) {
      this.reportError(err);
    }
  }

  /** Registers an endpoint, closed by `close()` (or by a failed start); returns it. */
  protected addEndpoint<E extends ServerEndpoint>(endpoint: E): E {
    this.endpoints.push(endpoint);
    return endpoint;
  }

  /** The address to bind: the host when it is an IP literal, else what it resolves to. */
  protected async resolveAddress(): Promise<string> {
    return isIP(this.host) ? this.host : (await lookup(this.host)).address;
  }

  /** Called when closing, once the endpoints are closed: drops state kept for requests (duplicates). */
  protected onClosed(): void {}

  /** What a request pipeline uses of its server: drop logs, time limits, error reports. */
  protected pipelineHost(): PipelineHost {
    return {
      drops: this.drops,
      timeBox: (p, what) => this.timeBox(p, what),
      reportError: (e) => this.reportError(e),
    };
  }

  /**
   * Hands a request that a listener received to `pipeline` (while running). Requests whose lookup
   * and handler are synchronous are answered right there; only those that wait are tracked, so
   * that close() waits for them (a promise chain per request costs more than the decode).
   */
  protected deliver<K extends string>(
    pipeline: {
      receive(
        data: Buffer,
        remote: Remote,
        channel: ReplyChannel,
        listener: ListenerSpec<K>,
      ): Promise<void> | undefined;
    },
    data: Buffer,
    remote: Remote,
    channel: ReplyChannel,
    listener: ListenerSpec<K>,
  ): Promise<void> | undefined {
    if (this.state !== 'running') return undefined;
    let pending: Promise<void> | undefined;
    try {
      pending = pipeline.receive(data, remote, channel, listener);
    } catch (e) {
      this.reportError(e);
      return undefined;
    }
    if (pending === undefined) return undefined;
    this.working++;
    pending.then(this.workDone, this.workFailed);
    return pending;
  }

  /** Opens a RADIUS/TCP listener (RFC 6613) handing its requests to `deliver`; resolves with its port. */
  protected listenTcp(
    address: string,
    options: TcpListenerOptions,
    deliver: StreamRequestHandler,
  ): Promise<number> {
    return this.listenStream(createNetServer(), 'tcp', address, options.port, options, deliver);
  }

  /** Opens a RADIUS/TLS listener (RFC 6614, default port 2083); resolves with its port. */
  protected listenTls(
    address: string,
    options: TlsListenerOptions,
    deliver: StreamRequestHandler,
  ): Promise<number> {
    return this.listenStream(
      createRadsecServer(options),
      'tls',
      address,
      options.port ?? 2083,
      options,
      deliver,
    );
  }

  private listenStream(
    server: NetServer | TlsServer,
    transport: 'tcp' | 'tls',
    address: string,
    port: number,
    options: StreamListenerOptions,
    deliver: StreamRequestHandler,
  ): Promise<number> {
    const listener = this.addEndpoint(
      new StreamListener(
        server,
        transport,
        deliver,
        (err, remote) => {
          if (remote) this.countConnectionError();
          if (remote)
            this.drops.report(remote.address, 'connection_error', {
              transport,
              port: remote.port,
              error: err.message,
            });
          else this.socketError(err);
        },
        options,
      ),
    );
    return listener.listen(address, port);
  }

  /** Counts a socket error in the subclass's counters. */
  protected countSocketError(): void {}

  /** Counts a TCP/TLS connection refused or closed for an error, where the subclass counts them. */
  protected countConnectionError(): void {}

  /**
   * An error on a bound socket (a failed send, an ICMP error the kernel reported): counted, and
   * logged at warn at most once a minute with how many came meanwhile. The socket stays open.
   */
  protected socketError(err: Error): void {
    this.countSocketError();
    this.socketErrorsUnlogged++;
    const now = Date.now();
    if (now - this.lastSocketErrorLog < 60_000) return;
    this.logger.warn(
      { err: err.message, code: (err as NodeJS.ErrnoException).code, errors: this.socketErrorsUnlogged },
      `${this.logLabel}: socket error`,
    );
    this.lastSocketErrorLog = now;
    this.socketErrorsUnlogged = 0;
  }

  /** Passes an error to registerHandleException, which must not take the server down by throwing. */
  protected reportError(error: unknown): void {
    try {
      this.registerHandleException(error);
    } catch (e) {
      this.logger.error({ err: String(e) }, 'registerHandleException threw');
    }
  }

  /** Counts a request's handling in flight until it settles; its failure goes to reportError. */
  protected track(work: Promise<void>): void {
    this.working++;
    work.then(this.workDone, this.workFailed);
  }

  /** Waits until no request is being handled, or `ms` has passed. */
  private async idleWithin(ms: number): Promise<void> {
    if (this.working === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        this.onIdle = resolve;
      }),
      new Promise((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
    this.onIdle = undefined;
  }

  /**
   * `p`, or a rejection once `handlerTimeout` has passed (the request is then abandoned). `what`
   * names the waiting code in the error: 'handler', or 'validateNas' (a NAS lookup that hangs must
   * not hold a request forever either).
   */
  protected timeBox<T>(p: Promise<T>, what = 'handler'): Promise<T> {
    return this.deadlines.race(p, this.options.handlerTimeout * 1000, what);
  }

  /** `timeBox(p).then(onValue, onError)` with one promise less (the per-request path of handlers). */
  protected timeBoxThen<T, R>(
    p: Promise<T>,
    onValue: (value: T) => R,
    onError: (error: unknown) => R,
  ): Promise<R> {
    return this.deadlines.settle(p, this.options.handlerTimeout * 1000, 'handler', onValue, onError);
  }

  private async closeEndpoints(): Promise<void> {
    const endpoints = this.endpoints;
    this.endpoints = [];
    await Promise.allSettled(endpoints.map((ep) => ep.close()));
  }
}

import type { Logger } from '../server/logger.js';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { ServiceKind } from '../client/destination.js';
import { Fifo } from '../client/destination.js';
import type { RadiusClient, SendOptions, SendResult } from '../client/radius-client.js';
import type { ClientTransport } from '../client/stream-connection.js';
import { ConfigError, RadiusQueueFullError, RadiusTimeoutError } from '../errors.js';
import { type Packet, StatusServer } from '../protocol/packet.js';

/**
 * A home server's health on one port, as FreeRADIUS keeps it: `alive` takes new requests;
 * `zombie` stopped answering and takes none while another server is alive, and is probed;
 * `dead` stayed a zombie for the whole zombie period.
 */
export type HomeServerState = 'alive' | 'zombie' | 'dead';

/** Told of every change of a home server's state (the `state` event of HomeHealth). */
export interface HomeStateChange {
  server: string;
  kind: ServiceKind;
  from: HomeServerState;
  to: HomeServerState;
}

/** One home server port's health and its server's window, as `RadiusProxy.status()` shows it. */
export interface HomeServerStatus {
  name: string;
  host: string;
  kind: ServiceKind;
  port: number;
  state: HomeServerState;
  /** `state === 'alive'`. */
  alive: boolean;
  /** Requests forwarded to this server (all its ports) and not answered yet. */
  inFlight: number;
  /** Most requests in flight to this server. */
  window: number;
  /** Requests waiting for a place in the window. */
  waiting: number;
  /**
   * Replies from this port dropped because they failed verification (RFC 2865 §3, RFC 3579 §3.2):
   * most often a shared secret that is not the same on both sides.
   */
  invalidReplies: number;
}

/** How home servers' health is kept (the RadiusProxy options of the same names). */
export interface HomeHealthOptions {
  /** Seconds a zombie may go without reviving before it is dead (FreeRADIUS's zombie_period); default 40. */
  zombiePeriod?: number;
  /** Probe zombie and dead servers with Status-Server (RFC 5997); default true. */
  statusCheck?: boolean;
  /** Seconds between Status-Server probes; default 10. */
  probeInterval?: number;
  /** Answers in a row that bring a zombie or dead server back to alive (num_answers_to_alive); default 3. */
  reviveAnswers?: number;
  /** Without status checks: seconds after which a dead server is alive again (revive_interval); default 120. */
  reviveInterval?: number;
  /** Seconds a probe waits for its answer; default the smaller of 1 and `probeInterval`. */
  probeTimeout?: number;
  /** Told of home servers whose replies fail verification; default none. */
  logger?: Logger;
}

/** What the health keeper needs to know of a home server. */
export interface HealthServer {
  name: string;
  host: string;
  secret: string | Buffer;
  transport: ClientTransport;
  ports: Record<ServiceKind, number>;
  /** Most requests in flight (FreeRADIUS's max_outstanding). */
  window: number;
}

/** Default window of a home server, FreeRADIUS's max_outstanding. */
export const DEFAULT_HOME_WINDOW = 65536;
/** Requests that may wait for a place in one home server's window. */
const MAX_WAITING = 65536;

interface PortHealth {
  server: HealthServer;
  kind: ServiceKind;
  state: HomeServerState;
  /** Answers in a row since the port became a zombie. */
  answers: number;
  /** performance.now() of the last answer from this port. */
  lastAnswer: number;
  probing: boolean;
  probeTimer: NodeJS.Timeout | undefined;
  /** Zombie → dead at the end of the zombie period; dead → alive after revive_interval. */
  stateTimer: NodeJS.Timeout | undefined;
  /** Replies that failed verification. */
  invalidReplies: number;
}

interface ServerWindow {
  inFlight: number;
  readonly size: number;
  readonly waiting: Fifo<() => void>;
}

interface ServerEntry {
  server: HealthServer;
  /** What every request to it is sent with (one object, not one per request). */
  sendOptions: SendOptions;
  window: ServerWindow;
  ports: Record<ServiceKind, PortHealth>;
  /** performance.now() of the last warning about replies failing verification (-Infinity: none). */
  invalidWarnedAt: number;
  /** Replies failing verification since that warning, not logged. */
  invalidUnlogged: number;
}

/** One warning per home server per minute about replies that fail verification. */
const INVALID_WARN_MS = 60_000;

const KINDS: readonly ServiceKind[] = ['auth', 'acct', 'coa'];

function seconds(value: unknown, field: string, fallback: number, zero = false): number {
  if (value === undefined) return fallback * 1000;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !zero))
    throw new ConfigError(
      'RadiusProxy options',
      field,
      `${String(value)} is not a positive number of seconds`,
    );
  return value * 1000;
}

/**
 * Home servers' health and windows. A request that gets no answer while nothing at all came back
 * from its server since it was sent makes the server a zombie; a zombie is probed with
 * Status-Server (RFC 5997) and is alive again after `reviveAnswers` answers in a row, or dead once
 * the zombie period is over (still probed; without status checks revived blindly after
 * `reviveInterval`). Each server has a window of requests in flight: a request beyond it waits
 * for a place (pools try servers with room first). Emits `state` (HomeStateChange).
 */
export class HomeHealth extends EventEmitter<{ state: [HomeStateChange] }> {
  private readonly client: RadiusClient;
  private readonly entries = new Map<string, ServerEntry>();
  private readonly zombieMs: number;
  private readonly statusCheck: boolean;
  private readonly probeMs: number;
  private readonly probeTimeout: number;
  private readonly reviveAnswers: number;
  private readonly reviveMs: number;
  private readonly logger: Logger | undefined;
  private closed = false;

  constructor(client: RadiusClient, servers: readonly HealthServer[], options: HomeHealthOptions = {}) {
    super();
    this.client = client;
    this.zombieMs = seconds(options.zombiePeriod, 'zombiePeriod', 40, true);
    this.statusCheck = options.statusCheck ?? true;
    this.probeMs = seconds(options.probeInterval, 'probeInterval', 10);
    this.probeTimeout =
      seconds(options.probeTimeout, 'probeTimeout', Math.min(1, this.probeMs / 1000)) / 1000;
    this.reviveMs = seconds(options.reviveInterval, 'reviveInterval', 120);
    const n = options.reviveAnswers ?? 3;
    if (!Number.isInteger(n) || n < 1 || n > 100)
      throw new ConfigError('RadiusProxy options', 'reviveAnswers', `${String(n)} is not an integer 1..100`);
    this.reviveAnswers = n;
    this.logger = options.logger;
    for (const [i, s] of servers.entries()) {
      if (!Number.isInteger(s.window) || s.window < 1)
        throw new ConfigError(
          'RadiusProxy options',
          `homeServers[${i}].window`,
          'must be an integer 1 or more',
        );
      const port = (kind: ServiceKind): PortHealth => ({
        server: s,
        kind,
        state: 'alive',
        answers: 0,
        lastAnswer: Number.NEGATIVE_INFINITY,
        probing: false,
        probeTimer: undefined,
        stateTimer: undefined,
        invalidReplies: 0,
      });
      this.entries.set(s.name, {
        server: s,
        sendOptions: { server: s.name },
        window: { inFlight: 0, size: s.window, waiting: new Fifo() },
        ports: { auth: port('auth'), acct: port('acct'), coa: port('coa') },
        invalidWarnedAt: Number.NEGATIVE_INFINITY,
        invalidUnlogged: 0,
      });
    }
  }

  /** The state of a server's port (`alive` for a name not configured). */
  state(server: string, kind: ServiceKind): HomeServerState {
    return this.entries.get(server)?.ports[kind].state ?? 'alive';
  }

  /** Whether the server's port takes new requests. */
  alive(server: string, kind: ServiceKind): boolean {
    const e = this.entries.get(server);
    return e === undefined || e.ports[kind].state === 'alive';
  }

  /** Whether a request to `server` would go out at once (its window is not full). */
  hasRoom(server: string): boolean {
    const w = this.entries.get(server)?.window;
    return w === undefined || w.inFlight < w.size;
  }

  /** Servers of `list` to try when none is alive: zombies first (slow rather than gone), then the dead. */
  lastResort(list: readonly string[], kind: ServiceKind): string[] {
    const zombies = list.filter((s) => this.state(s, kind) === 'zombie');
    return [...zombies, ...list.filter((s) => this.state(s, kind) === 'dead')];
  }

  /** Every configured port's state and every server's window. */
  status(): HomeServerStatus[] {
    const out: HomeServerStatus[] = [];
    for (const { server: s, window: w, ports } of this.entries.values()) {
      for (const kind of KINDS) {
        const state = ports[kind].state;
        out.push({
          name: s.name,
          host: s.host,
          kind,
          port: s.ports[kind],
          state,
          alive: state === 'alive',
          inFlight: w.inFlight,
          window: w.size,
          waiting: w.waiting.size,
          invalidReplies: ports[kind].invalidReplies,
        });
      }
    }
    return out;
  }

  /**
   * Sends `packet` to home server `server` through the client engine once its window has room,
   * and keeps its health from the outcome. Rejects as `RadiusClient.sendPacket` does, or with
   * RadiusQueueFullError when too many requests already wait for the server's window.
   */
  send(server: string, kind: ServiceKind, packet: Packet): Promise<SendResult> {
    return new Promise((resolve, reject) => this.sendWith(server, kind, packet, resolve, reject));
  }

  /**
   * `send` with callbacks (the proxy's per-request path: no promise per hop): exactly one of
   * `onReply` and `onError` is called, possibly before this call returns. They must not throw.
   */
  sendWith(
    server: string,
    kind: ServiceKind,
    packet: Packet,
    onReply: (result: SendResult) => void,
    onError: (error: unknown) => void,
  ): void {
    const e = this.entries.get(server);
    if (e === undefined) {
      this.client.sendPacketWith(packet, { server }, onReply, onError);
      return;
    }
    const w = e.window;
    if (w.inFlight < w.size) w.inFlight++;
    else {
      if (w.waiting.size >= MAX_WAITING) {
        onError(new RadiusQueueFullError(server, MAX_WAITING));
        return;
      }
      // The place is handed over by the request that frees it (release): inFlight stays as it is.
      w.waiting.push(() => this.dispatch(e, kind, packet, onReply, onError));
      return;
    }
    this.dispatch(e, kind, packet, onReply, onError);
  }

  private dispatch(
    e: ServerEntry,
    kind: ServiceKind,
    packet: Packet,
    onReply: (result: SendResult) => void,
    onError: (error: unknown) => void,
  ): void {
    const sentAt = performance.now();
    const port = e.ports[kind];
    this.client.sendPacketWith(
      packet,
      e.sendOptions,
      (result) => {
        this.recordPort(port, true, sentAt);
        this.release(e.window);
        onReply(result);
      },
      (err) => {
        // attempts 0: never sent (the client's own window was full), which says nothing of the server.
        if (err instanceof RadiusTimeoutError && err.attempts > 0) this.recordPort(port, false, sentAt);
        this.release(e.window);
        onError(err);
      },
    );
  }

  /** A request left the server's window: its place goes to the next waiting one, if any. */
  private release(w: ServerWindow): void {
    const next = w.waiting.shift();
    if (next !== undefined) next();
    else w.inFlight--;
  }

  /**
   * The outcome of a request sent at `sentAt` (performance.now()), by `send` or by a sender of its
   * own (the accounting forwarder): an answer counts towards revival, none may make a zombie.
   */
  record(server: string, kind: ServiceKind, answered: boolean, sentAt: number): void {
    const p = this.entries.get(server)?.ports[kind];
    if (p !== undefined) this.recordPort(p, answered, sentAt);
  }

  /**
   * A reply from `server`'s `kind` port was dropped: its Response Authenticator or
   * Message-Authenticator did not verify (RFC 2865 §3, RFC 3579 §3.2). Counted, and said at most
   * once a minute per server: to the operator it otherwise looks like a server that does not answer.
   */
  invalidReply(server: string, kind: ServiceKind): void {
    const e = this.entries.get(server);
    if (e === undefined) return;
    e.ports[kind].invalidReplies++;
    const now = performance.now();
    if (now - e.invalidWarnedAt < INVALID_WARN_MS) {
      e.invalidUnlogged++;
      return;
    }
    const suppressed = e.invalidUnlogged;
    e.invalidWarnedAt = now;
    e.invalidUnlogged = 0;
    this.logger?.warn(
      { server, kind, suppressed },
      `reply from home server ${server} failed verification (is the shared secret the same on both sides?)`,
    );
  }

  private recordPort(p: PortHealth, answered: boolean, sentAt: number): void {
    if (!answered) {
      this.unanswered(p, sentAt);
      return;
    }
    p.lastAnswer = performance.now();
    if (p.state !== 'alive') this.countAnswer(p);
  }

  /** Stops the probes and timers; requests waiting for a window go on (to a closed client: they fail). */
  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) {
      for (const kind of KINDS) this.stopTimers(e.ports[kind]);
      for (const next of e.window.waiting.drain()) next();
    }
  }

  /** A request sent at `sentAt` got no answer at all. */
  private unanswered(p: PortHealth, sentAt: number): void {
    if (this.closed) return;
    if (p.state !== 'alive') {
      p.answers = 0;
      return;
    }
    // Something came back from it meanwhile: it is busy or dropped one request, not gone.
    if (p.lastAnswer >= sentAt) return;
    this.become(p, 'zombie');
    if (this.statusCheck) this.startProbes(p);
    if (this.zombieMs === 0) {
      this.becomeDead(p);
      return;
    }
    p.stateTimer = setTimeout(() => {
      p.stateTimer = undefined;
      if (p.state === 'zombie') this.becomeDead(p);
    }, this.zombieMs);
    p.stateTimer.unref();
  }
  private becomeDead(p: PortHealth): void {
    this.become(p, 'dead');
    if (this.statusCheck) return; // The probes go on; enough answers revive it.
    p.stateTimer = setTimeout(() => {
      p.stateTimer = undefined;
      if (p.state === 'dead') this.revive(p);
    }, this.reviveMs);
    p.stateTimer.unref();
  }

  private countAnswer(p: PortHealth): void {
    // Without status checks one answer to a real request is proof enough (nothing else counts).
    if (++p.answers >= (this.statusCheck ? this.reviveAnswers : 1)) this.revive(p);
  }

  private revive(p: PortHealth): void {
    this.stopTimers(p);
    this.become(p, 'alive');
  }

  private become(p: PortHealth, to: HomeServerState): void {
    const from = p.state;
    if (from === to) return;
    p.state = to;
    p.answers = 0;
    this.emit('state', { server: p.server.name, kind: p.kind, from, to });
  }

  private stopTimers(p: PortHealth): void {
    if (p.probeTimer !== undefined) clearInterval(p.probeTimer);
    if (p.stateTimer !== undefined) clearTimeout(p.stateTimer);
    p.probeTimer = undefined;
    p.stateTimer = undefined;
  }

  private startProbes(p: PortHealth): void {
    if (p.probeTimer !== undefined) return;
    p.probeTimer = setInterval(() => this.probe(p), this.probeMs);
    p.probeTimer.unref();
    this.probe(p);
  }

  /** RFC 5997: Status-Server to the port that stopped answering, outside the server's window. */
  private probe(p: PortHealth): void {
    if (this.closed || p.probing || p.state === 'alive') return;
    const s = p.server;
    const packet = new StatusServer(s.secret);
    // Over a stream every type shares the connection; a UDP server's other ports are reached directly.
    const viaPool = p.kind === 'auth' || s.transport !== 'udp';
    const options = viaPool
      ? { server: s.name, retries: 0, timeout: this.probeTimeout, maxDuration: this.probeTimeout }
      : {
          remoteHost: s.host,
          remotePort: s.ports[p.kind],
          retries: 0,
          timeout: this.probeTimeout,
          maxDuration: this.probeTimeout,
        };
    p.probing = true;
    this.client.sendPacket(packet, options).then(
      () => {
        p.probing = false;
        p.lastAnswer = performance.now();
        if (p.state !== 'alive' && !this.closed) this.countAnswer(p);
      },
      () => {
        p.probing = false;
        p.answers = 0;
      },
    );
  }
}

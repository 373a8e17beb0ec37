import { type Server as NetServer, Socket } from 'node:net';
import {
  createServer as createTlsServer,
  type Server as TlsServer,
  type TlsOptions,
  TLSSocket,
} from 'node:tls';
import { ConfigError, RadiusBindError } from '../errors.js';
import { checkRadiusVersion, negotiatedVersion, type RadiusVersion, serverAlpn } from './radius-version.js';
import { type Remote, type ReplyChannel, type Transport, unmappedIPv4 } from './remote.js';
import { type PskKeys, pskIdentityOf, serverPskCallback, withPskSuites } from './tls-psk.js';

/** RFC 6613 §2.6.4 / RFC 2865 §3: a packet's Length field is 20..4096. */
const MIN_LENGTH = 20;
const MAX_LENGTH = 4096;

/**
 * Splits a byte stream into RADIUS packets by their own Length field (RFC 6613 §2.6.4: RADIUS over
 * TCP has no other framing). Each packet is copied into a buffer of its own, which the pipeline may
 * read later (deferred attribute decoding).
 */
export class PacketFramer {
  private pending: Buffer | undefined;

  /**
   * Adds bytes and returns the whole packets they complete. Throws RangeError on a Length outside
   * 20..4096: the stream cannot be resynchronised, and the connection must be closed.
   */
  push(chunk: Buffer): Buffer[] {
    let buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    while (buf.length >= 4) {
      const length = buf.readUInt16BE(2);
      if (length < MIN_LENGTH || length > MAX_LENGTH) throw new RangeError(`invalid packet length ${length}`);
      if (buf.length < length) break;
      out.push(Buffer.from(buf.subarray(0, length)));
      buf = buf.subarray(length);
    }
    this.pending = buf.length > 0 ? buf : undefined;
    return out;
  }
}

/**
 * Makes every write on a TLS socket a TLS record of its own. FreeRADIUS 3.2 reads one RADIUS packet
 * per record, as a RadSec listener and as a proxy reading its home server's replies, and leaves the
 * rest of a record unread until more bytes come: packets written together (one writev, one record)
 * would wait, and time out at the end of a burst. Without _writev, the stream writes them one by one.
 */
export function onePacketPerRecord(socket: Socket): void {
  (socket as unknown as { _writev: unknown })._writev = null;
}

/** Milliseconds a TLS client has to complete its handshake (`handshakeTimeout` overrides). */
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * Milliseconds a connection the server ended (idle, lifetime) may take to close: a peer that never
 * closes its side would otherwise hold it, and its place under maxConnectionsPerClient, for ever.
 */
const CLOSE_GRACE_MS = 10_000;

/** How a stream listener treats its connections. */
export interface StreamListenerOptions {
  /**
   * Seconds a connection may stay without a request (a whole packet; bytes trickling in do not
   * count) before it is closed; default 120.
   */
  idleTimeout?: number;
  /**
   * Connections open at once from one address, counted from the TCP connection (before the TLS
   * handshake); more are refused; default 64.
   */
  maxConnectionsPerClient?: number;
  /**
   * Seconds a connection may live, busy or not; then it is ended (replies already written still go
   * out, and the client opens a new one). 0 (default): no limit.
   */
  lifetime?: number;
}

/** A RADIUS/TCP listener (RFC 6613): one port for every request the server handles. */
export interface TcpListenerOptions extends StreamListenerOptions {
  port: number;
}

/**
 * A RADIUS/TLS listener (RFC 6614): every request the server handles on one port (default 2083),
 * the client certificate verified against `ca` (mutual authentication is required), or a client
 * authenticated by a pre-shared key (`psk`). Takes the `node:tls` server options by their names
 * (cert, key, ca, crl, minVersion, ciphers...).
 */
export interface TlsListenerOptions extends TlsOptions, StreamListenerOptions {
  port?: number;
  /**
   * RADIUS/1.1 (RFC 9765) by ALPN: '1.0,1.1' (default) speaks it with clients that offer it and
   * historic RADIUS/TLS with the others; '1.1' refuses clients without it; '1.0' never speaks it.
   */
  radiusVersion?: RadiusVersion;
  /** TLS-PSK: identity → key (Buffer or hex), or a lookup function; the identity reaches `validateNas`. */
  psk?: PskKeys;
  /**
   * Lets the replies of one event-loop turn share a TLS record (default false: one record per reply).
   * RFC 6614 §2.5 makes RADIUS/TLS a byte stream; clients that read it as one (our RadiusClient,
   * radsecproxy) then cost the server less CPU per request. FreeRADIUS 3.2 reads one packet per
   * record and stalls on shared ones, so it is opt-in.
   */
  shareRecords?: boolean;
}

/** Session tickets off (OpenSSL's SSL_OP_NO_TICKET): see createRadsecServer. */
const SSL_OP_NO_TICKET = 0x4000;

/** The `tls.Server` of a RADIUS/TLS listener: TLS 1.2 at least, client certificates required. */
export function createRadsecServer(options: TlsListenerOptions): TlsServer {
  const { radiusVersion, psk, shareRecords: _share, port: _port, ...tlsOptions } = options;
  const version = checkRadiusVersion(radiusVersion, 'tls options', 'radiusVersion');
  const extra: TlsOptions = {};
  if (options.ALPNProtocols === undefined && options.ALPNCallback === undefined) {
    // A client offering no RADIUS name we speak is refused with no_application_protocol (RFC 7301 §3.2).
    // Node calls it on the socket, whose TLS version is already chosen.
    extra.ALPNCallback = function (this: TLSSocket | undefined, { protocols }) {
      return serverAlpn(version, protocols, this?.getProtocol?.());
    };
  }
  if (version !== '1.0') {
    // RFC 9765 §3.5: a session that negotiated radius/1.1 must not resume without it. Without
    // tickets (and with no session cache listeners) nothing resumes: every connection negotiates.
    extra.secureOptions = (options.secureOptions ?? 0) | SSL_OP_NO_TICKET;
  }
  if (psk !== undefined && options.pskCallback === undefined) {
    extra.pskCallback = serverPskCallback(psk, 'tls options');
    // TLS 1.2 has no PSK suite in Node's default list: without them a PSK client is refused
    // (handshake_failure) unless it speaks TLS 1.3. Ciphers given by the caller stay as given.
    if (options.ciphers === undefined) extra.ciphers = withPskSuites();
  }
  const certificates = options.rejectUnauthorized !== false && options.secureContext === undefined;
  if (certificates && options.ca === undefined) {
    // Without a CA, Node verifies client certificates against the system's public CAs: any
    // certificate one of them signed would be a NAS.
    if (psk === undefined && options.pskCallback === undefined)
      throw new ConfigError(
        'tls options',
        'ca',
        'is required: client certificates are verified against it (RFC 6614 §2.3), not against public CAs',
      );
    // PSK clients only: a certificate is verified against no CA at all.
    extra.ca = [];
  }
  return createTlsServer({
    minVersion: 'TLSv1.2',
    // Node's default is 120 s: a host opening connections and sending no ClientHello held each that long.
    handshakeTimeout: DEFAULT_HANDSHAKE_TIMEOUT_MS,
    ...tlsOptions,
    ...extra,
    // RFC 6614 §2.3: both sides authenticate, with certificates (or a pre-shared key).
    requestCert: true,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
  });
}

/** What a stream listener hands on: one packet, where it came from, and where its reply goes. */
/** Hands on one request; returns a promise when its answer is still to come (none: answered). */
export type StreamRequestHandler = (
  data: Buffer,
  remote: Remote,
  channel: ReplyChannel,
) => Promise<void> | undefined;

/**
 * A TCP (RFC 6613) or TLS (RFC 6614) listener: accepts connections on a `net.Server` or
 * `tls.Server`, frames each connection's packets and hands them on with a reply channel writing to
 * that connection. Over TLS the server verifies the client certificate itself (the socket comes
 * from a `tls.Server`, so `requestCert`/`rejectUnauthorized` really apply) and the verified
 * certificate travels with each request.
 */
export class StreamListener {
  private readonly sockets = new Set<Socket>();
  /** Every TCP connection open, handshake done or not (TLS sockets wrap theirs). */
  private readonly connections = new Set<Socket>();
  private readonly perClient = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly server: NetServer | TlsServer,
    private readonly transport: Exclude<Transport, 'udp'>,
    private readonly onRequest: StreamRequestHandler,
    private readonly onError: (err: Error, remote?: Remote) => void,
    private readonly options: StreamListenerOptions & {
      radiusVersion?: RadiusVersion;
      shareRecords?: boolean;
    } = {},
  ) {
    // Each connection counts against its address's limit from the moment it is accepted: over
    // TLS, a handshake that never ends would otherwise hold a socket uncounted.
    const peers = new WeakMap<Socket, Remote>();
    server.on('connection', (raw: Socket) => {
      const remote = remoteOf(raw, transport);
      peers.set(raw, remote);
      this.count(raw, remote);
      if (transport === 'tcp' && !raw.destroyed) this.accept(raw, remote);
    });
    if (transport === 'tls') {
      server.on('secureConnection', (socket: TLSSocket) => this.accept(socket, remoteOf(socket, transport)));
      // A handshake that fails (a certificate from a foreign CA, no certificate, a timeout): reported,
      // not thrown, with the peer's address and port (issue 12: a drop names its NAS); the peer's
      // socket is noted when it comes in, as one refused for its certificate no longer knows its
      // peer. Node leaves a timed-out socket open: closed here.
      server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
        this.onError(handshakeError(err, socket), peerOf(socket, peers));
        socket.destroy();
      });
    }
    server.on('error', (err: Error) => this.onError(err));
  }

  /**
   * Listens on `host:port` (0 picks a free one); resolves with the bound port, or rejects with
   * RadiusBindError naming the address and port.
   */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new RadiusBindError(host, port, this.transport, { cause: err }));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /** Counts a new connection against its address; refuses it past maxConnectionsPerClient. */
  private count(raw: Socket, remote: Remote): void {
    if (this.closed) {
      raw.destroy();
      return;
    }
    const count = this.perClient.get(remote.address) ?? 0;
    if (count >= (this.options.maxConnectionsPerClient ?? 64)) {
      this.onError(new Error(`too many connections from ${remote.address}`), remote);
      raw.destroy();
      return;
    }
    this.perClient.set(remote.address, count + 1);
    this.connections.add(raw);
    raw.once('close', () => {
      this.connections.delete(raw);
      const n = (this.perClient.get(remote.address) ?? 1) - 1;
      if (n > 0) this.perClient.set(remote.address, n);
      else this.perClient.delete(remote.address);
    });
  }

  private accept(socket: Socket, remote: Remote): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    if (socket instanceof TLSSocket) {
      const v = negotiatedVersion(
        this.options.radiusVersion ?? '1.0,1.1',
        socket.alpnProtocol,
        socket.getProtocol(),
      );
      if (typeof v !== 'string') {
        this.onError(new Error(v.refused), remote);
        socket.destroy();
        return;
      }
      remote.radiusVersion = v;
    }
    this.sockets.add(socket);
    const share = this.transport === 'tcp' || this.options.shareRecords === true;
    if (!share) onePacketPerRecord(socket);
    socket.setNoDelay(true);
    // Requests of this connection still being answered: ending it (idle, lifetime) waits for them,
    // reading nothing more meanwhile; the client sends what else it had on a new connection.
    let answering = 0;
    let ending = false;
    // One timer at a time: the idle watch, then (once ending) the grace before destroy; the
    // lifetime's beside it.
    let timer: NodeJS.Timeout | undefined;
    let lifeTimer: NodeJS.Timeout | undefined;
    const later = (fn: () => void, ms: number): NodeJS.Timeout => setTimeout(fn, ms).unref();
    socket.once('close', () => {
      clearTimeout(timer);
      clearTimeout(lifeTimer);
    });
    const finish = (): void => {
      socket.end();
      clearTimeout(timer);
      timer = later(() => socket.destroy(), CLOSE_GRACE_MS);
    };
    const end = (): void => {
      if (ending) return;
      ending = true;
      socket.pause();
      if (answering === 0) finish();
    };
    const answered = (): void => {
      if (--answering === 0 && ending) finish();
    };
    // Idle is measured from the last whole request: a peer trickling a byte at a time is idle.
    const idleMs = (this.options.idleTimeout ?? 120) * 1000;
    let lastRequest = performance.now();
    const watchIdle = (): void => {
      const quiet = performance.now() - lastRequest;
      if (quiet >= idleMs) end();
      else timer = later(watchIdle, idleMs - quiet);
    };
    timer = later(watchIdle, idleMs);
    const lifetime = this.options.lifetime ?? 0;
    if (lifetime > 0) lifeTimer = later(end, lifetime * 1000);
    const framer = new PacketFramer();
    // Where replies may share a segment (TCP) or a record (TLS, opt-in), those of one event-loop
    // turn leave together: the socket is corked at the first and uncorked on the next tick.
    let corked = false;
    const uncork = (): void => {
      corked = false;
      socket.uncork();
    };
    const channel: ReplyChannel = {
      send(data: Buffer): void {
        if (socket.destroyed || !socket.writable) return;
        if (share && !corked) {
          corked = true;
          socket.cork();
          process.nextTick(uncork);
        }
        socket.write(data);
      },
      abandon(): void {
        socket.destroy();
      },
    };
    socket.on('data', (chunk: Buffer) => {
      let packets: Buffer[];
      try {
        packets = framer.push(chunk);
      } catch (err) {
        // RFC 6613 §2.6.4: a stream with a bad Length cannot be read further.
        this.onError(err as Error, remote);
        socket.destroy();
        return;
      }
      if (packets.length > 0) lastRequest = performance.now();
      for (const p of packets) {
        if (ending) return;
        const pending = this.onRequest(p, remote, channel);
        if (pending !== undefined) {
          answering++;
          pending.then(answered, answered);
        }
      }
    });
    socket.on('error', (err) => this.onError(err, remote));
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Stops accepting, ends every connection (replies already written still go out), and closes. */
  async close(waitMs = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.end();
    const deadline = Date.now() + waitMs;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const s of this.sockets) s.destroy();
    // Those still in their TLS handshake.
    for (const raw of this.connections) raw.destroy();
    await stopped;
  }
}

/**
 * The peer of a TLS socket whose handshake failed: its own address while it has one, else the one
 * noted for the TCP connection it wraps (Node keeps that socket as `_parent`, not a public name).
 */
function peerOf(socket: TLSSocket, peers: WeakMap<Socket, Remote>): Remote {
  const remote = remoteOf(socket, 'tls');
  if (remote.address !== '') return remote;
  const raw = (socket as unknown as { _parent?: unknown })._parent;
  return (raw instanceof Socket ? peers.get(raw) : undefined) ?? remote;
}

/**
 * A refused client certificate reaches 'tlsClientError' as "socket hang up" (Node destroys the
 * socket without an alert): name OpenSSL's verification result instead, e.g. a foreign CA.
 */
function handshakeError(err: Error, socket: TLSSocket): Error {
  const reason = socket.authorizationError;
  if (reason === undefined || reason === null) return err;
  return new Error(`client certificate refused: ${String(reason)}`, { cause: err });
}

/** The remote of a connection; over TLS with the client certificate the server verified. */
function remoteOf(socket: Socket, transport: Exclude<Transport, 'udp'>): Remote {
  // A listener on `::` hears IPv4 clients too (Node's default), as v4-mapped addresses.
  const address = socket.remoteAddress ?? '';
  const v4 = unmappedIPv4(address);
  const remote: Remote = {
    address: v4 ?? address,
    port: socket.remotePort ?? 0,
    family: v4 === undefined && socket.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4',
    transport,
  };
  if (socket instanceof TLSSocket && socket.authorized) {
    const identity = pskIdentityOf(socket);
    if (identity !== undefined) remote.pskIdentity = identity;
    else {
      const cert = socket.getPeerCertificate();
      if (cert && Object.keys(cert).length > 0) remote.peerCertificate = cert;
    }
  }
  return remote;
}

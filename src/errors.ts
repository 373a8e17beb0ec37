/**
 * Every error aioradius throws on purpose. Each class has a stable `code` so callers can branch
 * without string matching on messages.
 */

/** Base class of all aioradius errors. */
export class RadiusError extends Error {
  /** Stable machine-readable code, e.g. `ERR_RADIUS_MALFORMED_PACKET`. */
  readonly code: string;
  constructor(message: string, code = 'ERR_RADIUS', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bytes that are not a valid RADIUS packet (bad lengths, truncated attributes, bad header). */
export class MalformedPacketError extends RadiusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_RADIUS_MALFORMED_PACKET', options);
  }
}

/** An attribute name or number the dictionary does not know. */
export class UnknownAttributeError extends RadiusError {
  readonly attribute: string;
  constructor(attribute: string) {
    super(`unknown attribute: ${attribute}`, 'ERR_RADIUS_UNKNOWN_ATTRIBUTE');
    this.attribute = attribute;
  }
}

/** An enumerated value name that the attribute does not define. */
export class UnknownValueError extends RadiusError {
  readonly attribute: string;
  readonly value: string;
  constructor(attribute: string, value: string) {
    super(`unknown value ${JSON.stringify(value)} for attribute ${attribute}`, 'ERR_RADIUS_UNKNOWN_VALUE');
    this.attribute = attribute;
    this.value = value;
  }
}

/** A value that does not fit its attribute's data type (wrong JS type, out of range, too long). */
export class InvalidValueError extends RadiusError {
  readonly attribute: string;
  constructor(attribute: string, reason: string) {
    super(`invalid value for ${attribute}: ${reason}`, 'ERR_RADIUS_INVALID_VALUE');
    this.attribute = attribute;
  }
}

/** A dictionary file that cannot be loaded; names the file and line. */
export class DictionaryError extends RadiusError {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`, 'ERR_RADIUS_DICTIONARY');
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** A Request/Response Authenticator or Message-Authenticator that does not verify. */
export class AuthenticatorError extends RadiusError {
  constructor(message: string) {
    super(message, 'ERR_RADIUS_AUTHENTICATOR');
  }
}

/**
 * Thrown by user code (validateNas, handlers) to refuse a request: the server sends no reply.
 * Name kept from the original specification.
 */
export class RadiusResponseError extends RadiusError {
  constructor(message = 'request refused', options?: { cause?: unknown }) {
    super(message, 'ERR_RADIUS_RESPONSE', options);
  }
}

/**
 * A request that got no valid answer after all attempts. 0 attempts: it was never sent, having
 * waited for a place in the server's window until its time limit, or until a request sent before
 * it got no answer at all while the server answered nothing else either (`silentSeconds`).
 */
export class RadiusTimeoutError extends RadiusError {
  readonly server: string;
  readonly attempts: number;
  /** Not sent: the server had answered nothing for this many seconds (-1 when not so). */
  readonly silentSeconds: number;
  constructor(server: string, attempts: number, silentSeconds = -1) {
    const silent = attempts === 0 && silentSeconds >= 0;
    super(
      attempts !== 0
        ? `no response from ${server} after ${attempts} attempt${attempts === 1 ? '' : 's'}`
        : silent
          ? `no response from ${server}: not sent, the server answered none of the requests before it (nothing for ${silentSeconds.toFixed(1)} s)`
          : `no response from ${server}: not sent within the time limit (requests before it filled the server's window)`,
      'ERR_RADIUS_TIMEOUT',
    );
    this.server = server;
    this.attempts = attempts;
    this.silentSeconds = silent ? silentSeconds : -1;
  }
}

/**
 * A request the client refused because `maxQueued` requests already wait for the same server:
 * backpressure the caller sees at once, instead of a queue that grows without bound.
 */
export class RadiusQueueFullError extends RadiusError {
  readonly server: string;
  readonly maxQueued: number;
  constructor(server: string, maxQueued: number) {
    super(
      maxQueued === 0
        ? `no request may wait for ${server} (maxQueued 0) and this one cannot go now`
        : `${maxQueued} request${maxQueued === 1 ? ' already waits' : 's already wait'} for ${server}`,
      'ERR_RADIUS_QUEUE_FULL',
    );
    this.server = server;
    this.maxQueued = maxQueued;
  }
}

/**
 * A client socket that cannot be used, e.g. one that cannot be bound to its local address. The
 * requests it carried fail at once with this error; `cause` is the system error.
 */
export class RadiusSocketError extends RadiusError {
  readonly server: string;
  constructor(server: string, options: { cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`socket to ${server} failed: ${reason}`, 'ERR_RADIUS_SOCKET', options);
    this.server = server;
  }
}

/** OpenSSL's text of an alert received: `...:tlsv13 alert certificate required:...:SSL alert number 116`. */
const TLS_ALERT = /(?:sslv3|tlsv1|tlsv13) alert ([a-z0-9 _]+):.*SSL alert number (\d+)/s;

/**
 * A TCP or TLS connection to a server that could not be made: refused, unreachable, a TLS
 * handshake that failed (a server certificate the client's CA did not sign, no common protocol
 * version), or the server refusing this client. The requests it carried fail at once with this
 * error; `cause` is the system or TLS error (its `code`, e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE,
 * says which), or what the server did.
 */
export class RadiusConnectionError extends RadiusError {
  readonly server: string;
  readonly transport: 'tcp' | 'tls';
  /**
   * The server ended the TLS connection during or right after the handshake, before any reply (an
   * alert, a reset or a close): it refused this client, most often its certificate (another CA,
   * expired, none) or past a limit of connections. The shared secret plays no part in it.
   */
  readonly refusedByServer: boolean;
  constructor(
    server: string,
    transport: 'tcp' | 'tls',
    options: { cause: unknown; refusedByServer?: boolean },
  ) {
    const text = options.cause instanceof Error ? options.cause.message : String(options.cause);
    const alert = TLS_ALERT.exec(text);
    const reason = alert === null ? text.trim() : `TLS alert "${alert[1]}" (${alert[2]})`;
    const refused = options.refusedByServer === true;
    super(
      `${transport.toUpperCase()} connection to ${server} ${refused ? 'refused by the server' : 'failed'}: ${reason}`,
      'ERR_RADIUS_CONNECTION',
      { cause: options.cause },
    );
    this.server = server;
    this.transport = transport;
    this.refusedByServer = refused;
  }
}

/** What the usual bind failures mean, for an operator reading the message. */
const BIND_REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is in use by another socket (EADDRINUSE)',
  EACCES: 'permission denied (EACCES; ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'this host has no such address (EADDRNOTAVAIL)',
};

/** What a failed bind means, for an operator: the usual codes in words, else the error's message. */
export function bindFailureReason(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return (
    (typeof code === 'string' ? BIND_REASONS[code] : undefined) ??
    (cause instanceof Error ? cause.message : String(cause))
  );
}

/**
 * A server listener (UDP, TCP or TLS) that could not take its address and port: in use by another
 * process (EADDRINUSE), a privileged port (EACCES), an address this host does not have
 * (EADDRNOTAVAIL). `start()` rejects with it; `cause` is the system error.
 */
export class RadiusBindError extends RadiusError {
  readonly address: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp' | 'tls';
  /** The system error's code (EADDRINUSE...), when it has one. */
  readonly systemCode: string | undefined;
  constructor(address: string, port: number, transport: 'udp' | 'tcp' | 'tls', options: { cause: unknown }) {
    const cause = options.cause as NodeJS.ErrnoException | undefined;
    const systemCode = typeof cause?.code === 'string' ? cause.code : undefined;
    const where = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    super(
      `cannot listen on ${transport.toUpperCase()} ${where}: ${bindFailureReason(options.cause)}`,
      'ERR_RADIUS_BIND',
      options,
    );
    this.address = address;
    this.port = port;
    this.transport = transport;
    this.systemCode = systemCode;
  }
}

/** A client or server that was closed while a request was pending. */
export class RadiusClosedError extends RadiusError {
  constructor(message = 'closed') {
    super(message, 'ERR_RADIUS_CLOSED');
  }
}

/** An aborted request (AbortSignal). */
export class RadiusAbortError extends RadiusError {
  constructor(options?: { cause?: unknown }) {
    super('request aborted', 'ERR_RADIUS_ABORTED', options);
  }
}

/** Bad configuration: names the file, the field and the reason. */
export class ConfigError extends RadiusError {
  readonly file: string;
  readonly field: string;
  readonly reason: string;
  readonly line: number | undefined;
  constructor(file: string, field: string, reason: string, line?: number) {
    super(`${file}${line ? `:${line}` : ''}: ${field}: ${reason}`, 'ERR_RADIUS_CONFIG');
    this.file = file;
    this.field = field;
    this.reason = reason;
    this.line = line;
  }
}

/**
 * A store (PostgreSQL, Redis) that cannot be opened: a URL of another scheme, a server that cannot
 * be reached, a database that does not exist or refuses the login. The message and `url` show
 * the URL with its password masked; `cause` is the driver's error, when there is one.
 */
export class StoreOpenError extends RadiusError {
  /** Which store: "PostgreSQL", "Redis". */
  readonly store: string;
  /** The URL, its password replaced by ***. */
  readonly url: string;
  readonly reason: string;
  constructor(store: string, url: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot open the ${store} store at ${url}: ${reason}`, 'ERR_RADIUS_STORE_OPEN', options);
    this.store = store;
    this.url = url;
    this.reason = reason;
  }
}

/**
 * A database file the store will not use: not SQLite, or another program's (none of the store's
 * tables), when the store is asked to open an existing database rather than make one.
 */
export class DatabaseError extends RadiusError {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(`${file}: ${reason}`, 'ERR_RADIUS_DATABASE', options);
    this.file = file;
    this.reason = reason;
  }
}

/**
 * `validateNas` (a secret lookup) returned something that holds no secret: undefined (a forgotten
 * return), a number, an empty string or Buffer. The server's own mistake, not the NAS's.
 */
export class NasSecretError extends RadiusError {
  /** The address the lookup was for. */
  readonly address: string;
  constructor(address: string, returned: unknown) {
    super(
      `validateNas returned no secret for ${address} (got ${describe(returned)}): return a non-empty string or Buffer, or an object with one as secret`,
      'ERR_RADIUS_NO_SECRET',
    );
    this.address = address;
  }
}

/** A short description of a value that should have been a secret (never the value of one). */
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return 'an empty string';
  if (Buffer.isBuffer(value)) return 'an empty Buffer';
  if (typeof value === 'object') return 'an object without a secret';
  return `a ${typeof value}`;
}

/**
 * Credentials user code gave that no check can use (an NT hash that is neither 16 bytes nor 32 hex
 * digits, a password that is not a string): the login fails with this reason, the server goes on.
 * Names the field, never its value.
 */
export class UnusableCredentialsError extends RadiusError {
  readonly field: string;
  constructor(field: string, reason: string) {
    super(`unusable credentials: ${field}: ${reason}`, 'ERR_RADIUS_UNUSABLE_CREDENTIALS');
    this.field = field;
  }
}

/** A packet that would exceed 4096 bytes (RFC 2865 §3) or an attribute past its length limit. */
export class PacketTooLargeError extends RadiusError {
  constructor(message: string) {
    super(message, 'ERR_RADIUS_PACKET_TOO_LARGE');
  }
}

/** An EAP Response the server drops unanswered (RFC 3748 §4.1: wrong Identifier, wrong type). */
export class EapDiscardError extends RadiusResponseError {
  /** Whether the EAP packet itself is malformed (RFC 3748 §4), rather than out of turn. */
  readonly malformed: boolean;
  constructor(reason: string, options: { malformed?: boolean } = {}) {
    super(`EAP response discarded: ${reason}`);
    this.malformed = options.malformed === true;
  }
}

/**
 * A round handed to the instance that owns its conversation got no answer in time (that instance
 * is gone or slow): the request goes unanswered, and the NAS's retransmission tries again.
 */
export class ClusterForwardError extends RadiusResponseError {
  /** The owner's cluster address. */
  readonly owner: string;
  constructor(owner: string) {
    super(`the instance owning this conversation (${owner}) did not answer`);
    this.owner = owner;
  }
}

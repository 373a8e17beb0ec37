import type { AttributesSet } from '../protocol/attributes.js';
import type { Remote } from '../transport/remote.js';
import {
  AbstractRadiusServer,
  type HandlerResult,
  type NasConfig,
  type RequestContext,
  type ServerOptions,
} from './abstract-server.js';

/** The secret source of a server made by {@link createRadiusServer}; a function may return a promise (any PromiseLike). */
export type SecretSource =
  | string
  | Buffer
  | ((remote: Remote) => string | Buffer | NasConfig | PromiseLike<string | Buffer | NasConfig>);

/**
 * A handler of one request kind: it gets the attributes and the request context, returns the
 * answer or a promise of it (any PromiseLike).
 */
export type RequestHandler<C extends number | null> = (
  attributes: AttributesSet,
  context: RequestContext,
) => HandlerResult<C> | PromiseLike<HandlerResult<C>>;

/** What a server made by {@link createRadiusServer} does: a secret source and a handler per port. */
export interface RadiusServerHandlers {
  /** The NAS's shared secret, or a function returning it (throw RadiusResponseError to ignore a NAS). */
  secret: SecretSource;
  /** Access-Requests (the authentication port is opened only with it). */
  auth?: RequestHandler<number>;
  /** Accounting-Requests (the accounting port is opened only with it). */
  acct?: RequestHandler<null>;
  /** Errors raised while handling requests. */
  onError?: (error: unknown) => void;
}

/**
 * The composable form of the server, for code that would rather not subclass: a secret source and
 * handler functions (as layeh/radius's Handler and SecretSource). The same pipeline as any
 * AbstractRadiusServer; `start()`, `run()`, `close()` and the counters work the same.
 */
export function createRadiusServer(
  host: string,
  handlers: RadiusServerHandlers,
  options?: ServerOptions,
): AbstractRadiusServer {
  return new FunctionServer(host, handlers, options);
}

class FunctionServer extends AbstractRadiusServer {
  private readonly secretOf: (
    remote: Remote,
  ) => string | Buffer | NasConfig | PromiseLike<string | Buffer | NasConfig>;
  private readonly onError: ((error: unknown) => void) | undefined;

  constructor(host: string, handlers: RadiusServerHandlers, options?: ServerOptions) {
    super(host, options);
    const { secret, auth, acct } = handlers;
    this.secretOf = typeof secret === 'function' ? secret : () => secret;
    this.onError = handlers.onError;
    // An own property shadows the base method: the server opens the ports of the handlers given.
    if (auth) this.handleAuthPacket = (attributes, context) => auth(attributes, context as RequestContext);
    if (acct) this.handleAccPacket = (attributes, context) => acct(attributes, context as RequestContext);
  }

  validateNas(remote: Remote): string | Buffer | NasConfig | PromiseLike<string | Buffer | NasConfig> {
    return this.secretOf(remote);
  }

  override registerHandleException(error: unknown): void {
    this.onError?.(error);
  }
}

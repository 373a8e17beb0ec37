import { lookup } from 'node:dns/promises';
import { RADSEC_SECRET } from '../client/server-pool.js';
import { isIP } from 'node:net';
import {
  type DacConfig,
  type DynamicAuthorizationServerOptions,
  type DynauthHandlerTuple,
  DynamicAuthorizationServer,
  type DynauthRequestContext,
} from '../dynauth/dynamic-authorization-server.js';
import { ERROR_CAUSE } from '../dynauth/error-cause.js';
import { dropForbiddenReplyAttributes } from '../dynauth/session-rules.js';
import { RadiusResponseError, RadiusTimeoutError } from '../errors.js';
import { AttributesSet, type ReplyAttributes } from '../protocol/attributes.js';
import { COA_NAK, COA_REQUEST, codeName, DISCONNECT_NAK } from '../protocol/codes.js';
import { RecencyMap } from '../store/recency-map.js';
import type { Remote } from '../transport/remote.js';
import type { NasTarget, RadiusProxy } from './radius-proxy.js';

/** What a NAS directory knows of the NAS at one address. */
export interface NasInfo {
  /** The secret shared with the NAS. */
  secret: string | Buffer;
  /** Its Dynamic Authorization port; default 3799 (RFC 5176 §2.3). */
  coaPort?: number;
  name?: string;
}

/** How a NasDirectory looks NASes up. */
export interface NasDirectoryOptions {
  /** The NAS at an address (a configured client covering it), or undefined. */
  byAddress(address: string): NasInfo | undefined;
  /** The address of the NAS that calls itself `identifier` (NAS-Identifier), or undefined. */
  byIdentifier?(identifier: string): string | undefined;
  /** Accounting sessions remembered for the fallback lookup by Acct-Session-Id; default 100000, 0: none. */
  maxSessions?: number;
}

/**
 * Finds the NAS that holds the session of a CoA-Request or Disconnect-Request (RFC 5176 §3): by
 * NAS-IPv6-Address or NAS-IP-Address among the configured clients, else by NAS-Identifier, else
 * by the Acct-Session-Id of a session seen in accounting (`noteAccounting`).
 */
export class NasDirectory {
  private readonly options: NasDirectoryOptions;
  /** NAS address by Acct-Session-Id, the least recently reported first (evicted from there in O(1)). */
  private readonly sessions = new RecencyMap<string>();
  private readonly maxSessions: number;

  constructor(options: NasDirectoryOptions) {
    this.options = options;
    this.maxSessions = options.maxSessions ?? 100_000;
  }

  /** Remembers which NAS (source address) reported an accounting session. */
  noteAccounting(attributes: AttributesSet, nasAddress: string): void {
    if (this.maxSessions === 0) return;
    const id = attributes.get('Acct-Session-Id');
    if (typeof id !== 'string') return;
    const known = this.sessions.peek(id);
    if (known === nasAddress) return;
    // Bounded: the session reported least recently goes first.
    if (known === undefined && this.sessions.size >= this.maxSessions) this.sessions.shift();
    this.sessions.set(id, nasAddress);
  }

  /** The NAS to forward a request to, or undefined when none is known. */
  find(attributes: AttributesSet): NasTarget | undefined {
    for (const name of ['NAS-IPv6-Address', 'NAS-IP-Address']) {
      const v = attributes.get(name);
      if (typeof v === 'string') {
        const target = this.at(v);
        if (target !== undefined) return target;
      }
    }
    const identifier = attributes.get('NAS-Identifier');
    if (typeof identifier === 'string') {
      const address = this.options.byIdentifier?.(identifier);
      const target = address === undefined ? undefined : this.at(address);
      if (target !== undefined) return target;
    }
    const session = attributes.get('Acct-Session-Id');
    if (typeof session === 'string') {
      const address = this.sessions.peek(session);
      if (address !== undefined) return this.at(address);
    }
    return undefined;
  }

  private at(address: string): NasTarget | undefined {
    const nas = this.options.byAddress(address);
    if (nas === undefined) return undefined;
    return { host: address, port: nas.coaPort ?? 3799, secret: nas.secret, name: nas.name };
  }
}

/** Options of a DynauthProxy. */
export interface DynauthProxyOptions extends DynamicAuthorizationServerOptions {
  /** Where the sessions' NASes are. */
  nases: NasDirectory;
  /**
   * The secret of the DAS at `remote` (or a promise of it, any PromiseLike), or throw
   * RadiusResponseError to ignore it. Default: the proxy's home server at that address (the first
   * one, when several share it).
   */
  validateDas?(remote: Remote): string | Buffer | DacConfig | PromiseLike<string | Buffer | DacConfig>;
}

/**
 * CoA and Disconnect proxying (RFC 5176 §3.1): takes CoA-Request and Disconnect-Request from home
 * servers acting as DAS, forwards each to the NAS that holds the session (found by a
 * NasDirectory), and relays the NAS's ACK or NAK. A request whose NAS is unknown gets a NAK with
 * Error-Cause 502 (Request Not Routable, §3.6); one the NAS never answers a NAK with 505 (Other
 * Proxy Processing Error), or nothing with the proxy's `noResponse: 'drop'`.
 */
export class DynauthProxy extends DynamicAuthorizationServer {
  readonly proxy: RadiusProxy;
  readonly nases: NasDirectory;
  private readonly dasOptions: DynauthProxyOptions;
  private readonly drop: boolean;
  private homes: Promise<Map<string, string | Buffer>> | undefined;
  /** NASes already warned about replies carrying attributes §3.6 forbids (one warning each). */
  private readonly warnedNases = new Set<string>();

  constructor(
    proxy: RadiusProxy,
    host: string,
    options: DynauthProxyOptions,
    noResponse?: 'reject' | 'drop',
  ) {
    // The NAS, not the proxy, says why it refuses: its NAK goes back without an Error-Cause added.
    super(host, { defaultErrorCause: null, ...options });
    this.proxy = proxy;
    this.nases = options.nases;
    this.dasOptions = options;
    this.drop = noResponse === 'drop';
  }

  override validateNas(
    remote: Remote,
  ): string | Buffer | DacConfig | PromiseLike<string | Buffer | DacConfig> {
    if (this.dasOptions.validateDas) return this.dasOptions.validateDas(remote);
    return this.homeSecret(remote.address);
  }

  override handleCoaPacket(
    _attributes: AttributesSet,
    context: DynauthRequestContext,
  ): Promise<DynauthHandlerTuple> {
    return this.relay(context);
  }

  override handleDisconnectPacket(
    _attributes: AttributesSet,
    context: DynauthRequestContext,
  ): Promise<DynauthHandlerTuple> {
    return this.relay(context);
  }

  private async relay(context: DynauthRequestContext): Promise<DynauthHandlerTuple> {
    const request = context.packet;
    const nak = request.code === COA_REQUEST ? COA_NAK : DISCONNECT_NAK;
    const nas = this.nases.find(request.attributes);
    if (nas === undefined) {
      this.logger.info({ das: context.remote.address, kind: context.kind }, 'no NAS for this request');
      return [[['Error-Cause', ERROR_CAUSE.REQUEST_NOT_ROUTABLE]], nak];
    }
    try {
      const [attributes, code] = await this.proxy.forwardToNas(request, nas);
      return this.verdict(attributes, code, nas);
    } catch (err) {
      if (!(err instanceof RadiusTimeoutError) || this.drop) throw err;
      this.logger.warn({ nas: nas.name ?? nas.host, kind: context.kind }, 'NAS did not answer');
      return [[['Error-Cause', ERROR_CAUSE.OTHER_PROXY_PROCESSING_ERROR]], nak];
    }
  }

  /**
   * The NAS's reply as the DAS may hear it. The NAS acted on the request, so its ACK or NAK is
   * relayed even when it carries what RFC 5176 §3.6 forbids there (Reply-Message in a CoA-ACK):
   * those attributes are dropped, and said so once per NAS.
   */
  private verdict(attributes: ReplyAttributes, code: number, nas: NasTarget): DynauthHandlerTuple {
    const set = new AttributesSet(this.dictionary);
    set.addPairs(attributes);
    const dropped = dropForbiddenReplyAttributes(code, set);
    if (dropped.length === 0) return [attributes, code];
    const name = nas.name ?? nas.host;
    if (!this.warnedNases.has(name)) {
      this.warnedNases.add(name);
      this.logger.warn(
        { nas: name, code: codeName(code), dropped },
        `NAS reply carried attributes RFC 5176 §3.6 does not allow in a ${codeName(code)}: dropped, the reply relayed without them (said once per NAS)`,
      );
    }
    return [set, code];
  }

  /** The secret of the home server at `address` (host names looked up once). */
  private async homeSecret(address: string): Promise<string | Buffer> {
    this.homes ??= this.lookupHomes();
    const secret = (await this.homes).get(address);
    if (secret === undefined) throw new RadiusResponseError(`${address} is not a home server`);
    return secret;
  }

  private async lookupHomes(): Promise<Map<string, string | Buffer>> {
    const out = new Map<string, string | Buffer>();
    for (const h of this.proxy.homeServers) {
      let addresses: string[] = [h.host];
      if (isIP(h.host) === 0) {
        try {
          addresses = (await lookup(h.host, { all: true })).map((a) => a.address);
        } catch {
          addresses = [];
        }
      }
      for (const a of addresses) if (!out.has(a)) out.set(a, h.secret ?? RADSEC_SECRET);
    }
    return out;
  }
}

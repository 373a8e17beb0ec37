/**
 * The method table's shape (after hostapd's eap_server methods): a method is a factory of small
 * per-conversation state machines that build Requests and process Responses.
 */

import type { Credentials, UsableCredentials } from '../auth/credentials.js';
import type { SessionData } from '../store/store.js';
import type { TlsEngineConfig } from './tls-config.js';

/** Keys a method derived (RFC 3748 §7.10): the MSK, or the MPPE keys a NAS gets directly. */
export interface MethodKeys {
  /** MS-MPPE-Recv-Key value (RFC 2548 §2.4.3). */
  recvKey: Buffer;
  /** MS-MPPE-Send-Key value (RFC 2548 §2.4.2). */
  sendKey: Buffer;
}

/** What a method's next move is: another Request, or the end. */
export type MethodStep =
  | { readonly kind: 'request'; readonly data: Buffer }
  | { readonly kind: 'success'; readonly keys?: MethodKeys; readonly identity?: string }
  | { readonly kind: 'failure'; readonly reason: string }
  /** Drop the Response as if it never came (RFC 3748 §4.1: silently discard). */
  | { readonly kind: 'discard'; readonly reason: string };

/**
 * Looks up a user's credentials (what `authenticate` takes), or nothing for an unknown user; may
 * return a promise (any PromiseLike).
 */
export type CredentialsLookup = (
  identity: string,
) => Credentials | undefined | null | PromiseLike<Credentials | undefined | null>;

/** What a method instance gets to work with. */
export interface MethodContext {
  /** The identity the peer announced (RFC 3748 §5.1); for tunnels, the outer one. */
  readonly identity: string;
  /**
   * A user's credentials as the checks use them (the NT hash as 16 bytes), or undefined for an
   * unknown user; rejects with UnusableCredentialsError for ones no method can use (the login fails).
   */
  readonly getCredentials: (identity: string) => Promise<UsableCredentials | undefined>;
  /** The server's name in MS-CHAPv2 challenges. */
  readonly serverName: string;
  /** TLS settings for TLS-based methods. */
  readonly tls: TlsEngineConfig | undefined;
  /** Largest TLS payload per EAP-Request (RFC 5216 §2.1.5). */
  readonly fragmentSize: number;
  /** Methods a tunnel may run inside (PEAP, TTLS's EAP). */
  readonly innerMethods: readonly EapMethod[];
  /** Logs a line about this conversation. */
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
}

/** One conversation of one method. */
export interface MethodInstance {
  /** The Type-Data of the first Request (`identifier` is the Request's). */
  start(identifier: number): MethodStep | Promise<MethodStep>;
  /** Processes the Type-Data of a Response with `identifier` (the Request's). */
  process(data: Buffer, identifier: number): MethodStep | Promise<MethodStep>;
  /** Frees what the conversation holds. */
  dispose(): void;
  /** The identity the peer gave inside a tunnel, once it has (logs name it beside the outer one). */
  readonly innerIdentity?: string;
  /**
   * The conversation as plain data, for a store other instances read (absent: it lives in this
   * process only, as a TLS session does).
   */
  save?(): SessionData;
}

/** An EAP method: its type and a factory of conversations. */
export interface EapMethod {
  readonly type: number;
  readonly name: string;
  create(context: MethodContext): MethodInstance;
  /** A conversation again from what its `save()` returned (methods whose instances save). */
  restore?(context: MethodContext, data: SessionData): MethodInstance;
}

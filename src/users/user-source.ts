// A place `serve` finds users in besides its config and its database: the LDAP directory and an
// HTTP service. A source answers "who is this user" and, when it keeps the password itself (LDAP),
// also "is this the password".
import type { Credentials } from '../auth/authenticate.js';
import { RadiusError } from '../errors.js';
import type { Packet } from '../protocol/packet.js';

/** An attribute value as a user source gives it. */
export type SourceValue = string | number;

/** A user found in a source. */
export interface SourceUser {
  name: string;
  /** What the password is checked against (HTTP); absent when the source checks it (LDAP). */
  credentials?: Credentials;
  /**
   * The source's own check of a plain-text password (LDAP: a bind as the user), for the methods
   * that carry one: PAP here, and the plain-text methods inside a TLS tunnel (EAP-TTLS/PAP,
   * EAP-GTC) where a server speaks them. Resolves with why it failed, or undefined on success.
   */
  verifyPassword?(password: string): Promise<string | undefined>;
  reply: Array<[string, SourceValue]>;
  check: Array<[string, SourceValue]>;
}

/** A back end of users (LDAP, HTTP). */
export interface UserSource {
  /** For logs: "ldap", "http". */
  readonly kind: string;
  /** The user named `name`, or undefined when the source has none; rejects when it cannot tell. */
  find(name: string, request: Packet): Promise<SourceUser | undefined>;
  /** Closes connections. */
  close(): Promise<void>;
}

/** Thrown by a source that cannot answer (down, timed out, a malformed answer); code ERR_RADIUS_USER_SOURCE. */
export class UserSourceError extends RadiusError {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message, 'ERR_RADIUS_USER_SOURCE');
  }
}

// A place `serve` finds users in besides its config and its database: the LDAP directory and an
// HTTP service. A source answers "who is this user" and, when it keeps the password itself (LDAP),
// also "is this the password".
import type { AuthResult, Credentials } from '../auth/authenticate.js';
import type { Packet } from '../protocol/packet.js';

/** An attribute value as a user source gives it. */
export type SourceValue = string | number;

/** A user found in a source. */
export interface SourceUser {
  name: string;
  /** What the password is checked against (HTTP); absent when the source checks it (LDAP). */
  credentials?: Credentials;
  /** The source's own check of the request (LDAP: a bind as the user). */
  authenticate?(request: Packet): Promise<AuthResult>;
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

/** Thrown by a source that cannot answer (down, timed out, a malformed answer). */
export class UserSourceError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = 'UserSourceError';
  }
}

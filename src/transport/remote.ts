import type { PeerCertificate } from 'node:tls';

/** How a request reached the server (RFC 6613 TCP, RFC 6614 TLS). */
export type Transport = 'udp' | 'tcp' | 'tls';

/** Where a request came from (or where a reply goes to). */
export interface Remote {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
  /** 'udp' for datagrams; 'tcp' and 'tls' for streams. */
  transport: Transport;
  /**
   * Over TLS, the client certificate the server verified against its CA (so `validateNas` can
   * authorise a client by its certificate); undefined otherwise.
   */
  peerCertificate?: PeerCertificate;
  /** Over TLS-PSK, the identity the client authenticated with (its key was found for it). */
  pskIdentity?: string;
  /**
   * Over TLS, what the connection carries: '1.0' historic RADIUS/TLS, '1.1' RADIUS/1.1 (RFC 9765:
   * Token instead of authenticators, nothing hidden, no Message-Authenticator).
   */
  radiusVersion?: '1.0' | '1.1';
  /**
   * Set when another instance of a cluster received the request from the NAS and handed it here
   * (its cluster address): that instance holds the request's shared duplicate entry and relays the reply.
   */
  forwardedBy?: string;
}

/**
 * An IPv4 peer heard on a dual-stack socket (bound to `::`) shows as `::ffff:a.b.c.d` (RFC 4291
 * §2.5.5.2): it is the IPv4 NAS `a.b.c.d`, and clients, logs and counters know it so. Undefined for
 * any other address.
 */
export function unmappedIPv4(address: string): string | undefined {
  return address.length > 7 && address.startsWith('::ffff:') && address.includes('.', 7)
    ? address.slice(7)
    : undefined;
}

/** `validateNas(remote: RemoteInfo)`, as the specification names it: the same type as {@link Remote}. */
export type RemoteInfo = Remote;

/** Something that can send reply bytes back to a remote peer: a UDP socket, a TCP or TLS connection. */
export interface ReplyChannel {
  send(data: Buffer, remote: Remote): void;
  /**
   * Ends the connection a request that must not be answered came on (RFC 6613 §2.6.4: over a
   * stream, "silently discard" means discard and close); datagrams have none.
   */
  abandon?(): void;
}

// RADIUS/1.1 (RFC 9765): negotiated by ALPN on a RADIUS/TLS connection. Both ends offer what
// their setting allows; 'radius/1.1' wins when both offer it, and otherwise the connection carries
// historic RADIUS/TLS (RFC 6614). Shared by the server's listener and the client's connections.
import { ConfigError } from '../errors.js';

/**
 * Which RADIUS a TLS end speaks (RFC 9765 §3.2, its "Version" setting): '1.0' historic RADIUS/TLS
 * only, '1.1' RADIUS/1.1 only (a peer without it is refused), '1.0,1.1' either, RADIUS/1.1 when
 * the peer offers it (the default, as §3.2 asks).
 */
export type RadiusVersion = '1.0' | '1.1' | '1.0,1.1';

/** The ALPN names IANA registered for RFC 9765. */
export const ALPN_RADIUS_10 = 'radius/1.0';
export const ALPN_RADIUS_11 = 'radius/1.1';

/** What a connection carries once its handshake is done. */
export type NegotiatedVersion = '1.0' | '1.1';

/** Checks a setting from configuration (default '1.0,1.1'); throws ConfigError naming the allowed values. */
export function checkRadiusVersion(value: unknown, file: string, field: string): RadiusVersion {
  if (value === undefined) return '1.0,1.1';
  if (value === '1.0' || value === '1.1' || value === '1.0,1.1') return value;
  throw new ConfigError(file, field, `${JSON.stringify(value)} is not '1.0', '1.1' or '1.0,1.1'`);
}

/** The ALPN names a client offers, preferred first. */
export function clientAlpn(version: RadiusVersion): string[] {
  if (version === '1.0') return [ALPN_RADIUS_10];
  if (version === '1.1') return [ALPN_RADIUS_11];
  return [ALPN_RADIUS_11, ALPN_RADIUS_10];
}

/**
 * The name a server picks from what a client offered, or undefined to refuse the connection (TLS
 * alert no_application_protocol, RFC 7301 §3.2): the client offered no RADIUS this server speaks.
 * A client that offers no ALPN at all is not asked here: it speaks historic RADIUS/TLS.
 */
export function serverAlpn(version: RadiusVersion, offered: readonly string[]): string | undefined {
  if (version !== '1.0' && offered.includes(ALPN_RADIUS_11)) return ALPN_RADIUS_11;
  if (version !== '1.1' && offered.includes(ALPN_RADIUS_10)) return ALPN_RADIUS_10;
  return undefined;
}

/**
 * What a finished handshake carries, or why the connection must close: RADIUS/1.1 needs TLS 1.3
 * (RFC 9765 §3.4), and an end set to '1.1' refuses a peer that did not agree to it.
 */
export function negotiatedVersion(
  version: RadiusVersion,
  alpn: string | false | null | undefined,
  tlsProtocol: string | null | undefined,
): NegotiatedVersion | { refused: string } {
  if (alpn === ALPN_RADIUS_11) {
    if (tlsProtocol !== 'TLSv1.3')
      return { refused: `RADIUS/1.1 was negotiated over ${tlsProtocol ?? 'TLS'}, and it needs TLS 1.3` };
    return '1.1';
  }
  if (version === '1.1') return { refused: 'the peer does not speak RADIUS/1.1 (no radius/1.1 by ALPN)' };
  return '1.0';
}

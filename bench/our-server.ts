/**
 * The minimal PAP server of this library: AbstractRadiusServer with one NAS secret and one user.
 * Everything the server does per request is in the measurement: framing scan, duplicate cache,
 * Message-Authenticator check, full decode with User-Password revealed, reply encode (with its own
 * Message-Authenticator, BlastRADIUS), counters. With `tls`, also a RADIUS/TLS listener.
 */
import { readFileSync } from 'node:fs';
import { ACCESS_ACCEPT, ACCESS_REJECT } from '../src/protocol/codes.js';
import type { AttributesSet } from '../src/protocol/attributes.js';
import { AbstractRadiusServer } from '../src/server/abstract-server.js';
import { type BenchServer, type BenchServerOptions, isMain, serveAsChild } from './server-process.js';

/** One user, one secret, PAP. */
class PapServer extends AbstractRadiusServer {
  constructor(private readonly o: BenchServerOptions) {
    const t = o.tls;
    super('127.0.0.1', {
      authPort: 0,
      tls: t && {
        port: 0,
        cert: readFileSync(t.certFile),
        key: readFileSync(t.keyFile),
        ca: readFileSync(t.caFile),
        shareRecords: t.shareRecords,
      },
    });
  }

  validateNas(): string {
    return this.o.secret;
  }

  override handleAuthPacket(attributes: AttributesSet) {
    const ok =
      attributes.get('User-Name') === this.o.user && attributes.get('User-Password') === this.o.password;
    return [[], ok ? ACCESS_ACCEPT : ACCESS_REJECT] as const;
  }
}

/** Starts the server on 127.0.0.1 (free ports); reports the TLS port when `o.tls` is given. */
export async function startOurServer(o: BenchServerOptions): Promise<BenchServer> {
  const server = new PapServer(o);
  const info = await server.start();
  const port = o.tls ? info.tlsPort : info.authPort;
  return { port: port as number, close: () => server.close() };
}

if (isMain(import.meta.url)) serveAsChild(startOurServer);

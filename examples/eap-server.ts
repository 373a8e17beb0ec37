// An 802.1X (EAP) server from the library: EapServer answers every Access-Request that carries
// EAP-Message; anything else goes through authenticate() (PAP, CHAP, MS-CHAP).
// Run: npm run build:test && node build/examples/eap-server.js CERT.pem KEY.pem CA.pem
// Then: eapol_test -c peap.conf -a 127.0.0.1 -s testing123 (see README, "802.1X").
import { readFileSync } from 'node:fs';
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  AbstractRadiusServer,
  type AttributesSet,
  authenticate,
  type Credentials,
  EapServer,
  type EapServerOptions,
  RadiusResponseError,
  type Remote,
  type RequestContext,
  type ServerOptions,
} from 'aioradius';
import { DEMO_USERS } from './auth-methods-server.js';

/** A RADIUS server whose Access-Requests with EAP go to an EapServer; only loopback NASes. */
export class EapExampleServer extends AbstractRadiusServer {
  readonly eap: EapServer;

  constructor(
    host: string,
    private readonly users: ReadonlyMap<string, Credentials>,
    private readonly secret: string,
    eap: Omit<EapServerOptions, 'getCredentials'>,
    options: ServerOptions = {},
  ) {
    super(host, options);
    this.eap = new EapServer({ ...eap, getCredentials: (identity) => this.users.get(identity) });
  }

  validateNas(remote: Remote): string {
    if (!remote.address.startsWith('127.') && remote.address !== '::1') {
      throw new RadiusResponseError(`unknown NAS ${remote.address}`);
    }
    return this.secret;
  }

  override handleAuthPacket(attributes: AttributesSet, context?: RequestContext) {
    if (!context) throw new RadiusResponseError('no request context');
    // These lines are all EAP takes: the EapServer returns [attributes, code] like a handler.
    if (attributes.has('EAP-Message')) return this.eap.handle(context.packet);
    const result = authenticate(
      context.packet,
      this.users.get(String(attributes.get('User-Name') ?? '')) ?? {},
    );
    return [result.attributes, result.ok ? ACCESS_ACCEPT : ACCESS_REJECT] as const;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [cert, key, ca] = process.argv.slice(2);
  const tls =
    cert && key
      ? {
          cert: readFileSync(cert),
          key: readFileSync(key),
          ca: ca ? readFileSync(ca) : undefined,
          // TLS_WORKERS=2: handshakes in two worker threads (tls.workers).
          workers: Number(process.env.TLS_WORKERS ?? 0),
          // RESUMPTION_LIFETIME=0: no TLS session resumption (the default keeps sessions an hour).
          resumptionLifetime: Number(process.env.RESUMPTION_LIFETIME ?? 3600),
        }
      : undefined;
  const server = new EapExampleServer(
    '127.0.0.1',
    DEMO_USERS,
    'testing123',
    { tls },
    {
      authPort: Number(process.env.AUTH_PORT ?? 1812),
    },
  );
  server.on('listening', (info) => console.log(`listening on ${info.address}: auth ${info.authPort}`));
  await server.run();
  // The TLS worker threads and the conversations in progress go with the server.
  server.eap.close();
}

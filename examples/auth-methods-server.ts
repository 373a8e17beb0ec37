// A server that accepts PAP, CHAP, MS-CHAPv1 and MS-CHAPv2 from one small in-memory user table.
// Run: npm run build && npm run build:test && node build/examples/auth-methods-server.js
// Then, from another shell: radtest -t mschap alice alicepw 127.0.0.1 0 testing123
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  AbstractRadiusServer,
  type AttributesSet,
  authenticate,
  type Credentials,
  ntPasswordHash,
  RadiusResponseError,
  type Remote,
  type RequestContext,
  type ServerOptions,
} from 'aioradius';

/** The demo's users: alice has a cleartext password (every method), carol only an NT hash (MS-CHAP only). */
export const DEMO_USERS: ReadonlyMap<string, Credentials> = new Map([
  ['alice', { password: 'alicepw' }],
  // What a store that never kept the cleartext holds: MD4 of the UTF-16LE password.
  ['carol', { ntHash: ntPasswordHash('carolpw') }],
]);

/** Authenticates every method `authenticate` knows against a user table; only loopback NASes. */
export class AuthMethodsServer extends AbstractRadiusServer {
  constructor(
    host: string,
    private readonly users: ReadonlyMap<string, Credentials>,
    private readonly secret: string,
    options: ServerOptions = {},
  ) {
    super(host, options);
  }

  validateNas(remote: Remote): string {
    if (!remote.address.startsWith('127.') && remote.address !== '::1') {
      throw new RadiusResponseError(`unknown NAS ${remote.address}`);
    }
    return this.secret;
  }

  override handleAuthPacket(attributes: AttributesSet, context?: RequestContext) {
    if (!context) throw new RadiusResponseError('no request context');
    // An unknown user is checked against no credentials: the same Reject (and MS-CHAP-Error) as a
    // wrong password, so replies do not tell which user names exist.
    const credentials = this.users.get(String(attributes.get('User-Name') ?? '')) ?? {};
    const result = authenticate(context.packet, credentials);
    if (!result.ok) this.logger.info({ method: result.method, reason: result.reason }, 'access rejected');
    return [result.attributes, result.ok ? ACCESS_ACCEPT : ACCESS_REJECT] as const;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = new AuthMethodsServer('127.0.0.1', DEMO_USERS, 'testing123', {
    authPort: Number(process.env.AUTH_PORT ?? 1812),
  });
  server.on('listening', (info) => console.log(`listening on ${info.address}: auth ${info.authPort}`));
  await server.run();
}

// The specification's first example: a server that only answers Access-Requests (PAP).
// Run: npm run build && npm run build:test && node build/examples/auth-only-server.js
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  AbstractRadiusServer,
  type AttributesSet,
  type Remote,
  RadiusResponseError,
} from 'aioradius';

const USERS = new Map([['alice', 'alicepw']]);

export class AuthOnlyRadiusServer extends AbstractRadiusServer {
  validateNas(remote: Remote): string {
    // Only NASes on loopback, all sharing one secret.
    if (!remote.address.startsWith('127.') && remote.address !== '::1')
      throw new RadiusResponseError(`unknown NAS ${remote.address}`);
    return 'testing123';
  }

  override async handleAuthPacket(attributes: AttributesSet) {
    const user = String(attributes.get('User-Name') ?? '');
    const ok = USERS.get(user) === attributes.get('User-Password');
    return ok ? [[['Reply-Message', `Hello ${user}`]], ACCESS_ACCEPT] : [[], ACCESS_REJECT];
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = new AuthOnlyRadiusServer('127.0.0.1', { authPort: Number(process.env.AUTH_PORT ?? 1812) });
  server.on('listening', (info) => console.log(`listening on ${info.address}: auth ${info.authPort}`));
  await server.run();
}

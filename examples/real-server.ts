// The specification's second example: authentication, accounting and a periodic task.
// Run: npm run build && npm run build:test && node build/examples/real-server.js
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  AbstractRadiusServer,
  type AttributesSet,
  periodicTask,
  type Remote,
  type RequestContext,
} from 'aioradius';

export class RealRadiusServer extends AbstractRadiusServer {
  readonly sessions = new Map<string, { user: string; started: number }>();
  readonly users = new Map([['alice', 'alicepw']]);

  validateNas(remote: Remote) {
    void remote;
    return { secret: 'testing123', requireMessageAuthenticator: 'auto' as const };
  }

  override async handleAuthPacket(attributes: AttributesSet, context?: RequestContext) {
    const user = String(attributes.get('User-Name') ?? '');
    if (this.users.get(user) !== attributes.get('User-Password'))
      return [[['Reply-Message', 'Access denied']], ACCESS_REJECT];
    return [
      [
        ['Reply-Message', `Hello ${user} from ${context?.remote.address}`],
        ['Session-Timeout', 3600],
      ],
      ACCESS_ACCEPT,
    ];
  }

  override handleAccPacket(attributes: AttributesSet) {
    const id = String(attributes.get('Acct-Session-Id') ?? '');
    const status = attributes.get('Acct-Status-Type');
    if (status === 'Start')
      this.sessions.set(id, { user: String(attributes.get('User-Name')), started: Date.now() });
    if (status === 'Stop') this.sessions.delete(id);
    return [[], null];
  }

  override registerHandleException(error: unknown) {
    console.error('handler error:', error instanceof Error ? error.message : error);
  }

  // Every 5 seconds: report the open sessions (runs never overlap).
  @periodicTask({ delay: 5 })
  async reportSessions() {
    console.log(`${this.sessions.size} open session(s)`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = new RealRadiusServer('127.0.0.1', {
    authPort: Number(process.env.AUTH_PORT ?? 1812),
    accPort: Number(process.env.ACCT_PORT ?? 1813),
  });
  server.on('listening', (info) =>
    console.log(`listening on ${info.address}: auth ${info.authPort}, acct ${info.accPort}`),
  );
  await server.run();
}

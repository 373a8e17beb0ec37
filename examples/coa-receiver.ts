// A NAS-side receiver of CoA-Request and Disconnect-Request (RFC 5176) with an in-memory session table.
// Run: npm run build && npm run build:test && node build/examples/coa-receiver.js
// Try: echo 'User-Name = "alice", Acct-Session-Id = "s1"' | radclient -x 127.0.0.1:3799 disconnect testing123
import {
  type AttributesSet,
  COA_ACK,
  COA_NAK,
  DISCONNECT_ACK,
  DISCONNECT_NAK,
  DynamicAuthorizationServer,
  type DynauthRequestContext,
  ERROR_CAUSE,
  type Remote,
  RadiusResponseError,
} from 'aioradius';

interface Session {
  user: string;
  filter: string | undefined;
}

export class CoaReceiver extends DynamicAuthorizationServer {
  readonly sessions = new Map<string, Session>([
    ['s1', { user: 'alice', filter: undefined }],
    ['s2', { user: 'bob', filter: 'basic' }],
  ]);

  // Only the RADIUS server on this host may change sessions (RFC 5176 §6.1).
  validateNas(remote: Remote) {
    if (remote.address !== '127.0.0.1' && remote.address !== '::1')
      throw new RadiusResponseError('not our DAC');
    return 'testing123';
  }

  /** Sessions matching the request's Acct-Session-Id and User-Name (this NAS knows no other identification). */
  private matching(attributes: AttributesSet): Array<[string, Session]> {
    const id = attributes.get('Acct-Session-Id');
    const user = attributes.get('User-Name');
    if (id === undefined && user === undefined) return [];
    return [...this.sessions].filter(
      ([sid, s]) => (id === undefined || id === sid) && (user === undefined || user === s.user),
    );
  }

  override handleCoaPacket(attributes: AttributesSet, context: DynauthRequestContext) {
    const found = this.matching(attributes);
    if (found.length === 0)
      return [[['Error-Cause', ERROR_CAUSE.SESSION_CONTEXT_NOT_FOUND]], COA_NAK] as const;
    // This NAS applies filters only; anything else it cannot carry out (RFC 5176 §2.3: all or nothing).
    for (const [name] of attributes) {
      if (
        ![
          'User-Name',
          'Acct-Session-Id',
          'Filter-Id',
          'NAS-IP-Address',
          'NAS-Identifier',
          'Event-Timestamp',
          'Proxy-State',
          'Message-Authenticator',
        ].includes(name)
      )
        return [[['Error-Cause', ERROR_CAUSE.UNSUPPORTED_ATTRIBUTE]], COA_NAK] as const;
    }
    const filter = attributes.get('Filter-Id');
    for (const [, s] of found) s.filter = filter === undefined ? s.filter : String(filter);
    console.log(
      `CoA from ${context.remote.address}: ${found.length} session(s) now use filter ${String(filter)}`,
    );
    return [[], COA_ACK] as const;
  }

  override handleDisconnectPacket(attributes: AttributesSet) {
    const found = this.matching(attributes);
    if (found.length === 0)
      return [[['Error-Cause', ERROR_CAUSE.SESSION_CONTEXT_NOT_FOUND]], DISCONNECT_NAK] as const;
    for (const [sid] of found) this.sessions.delete(sid);
    console.log(`disconnected ${found.map(([sid]) => sid).join(', ')}`);
    return [[['Acct-Terminate-Cause', 'Admin-Reset']], DISCONNECT_ACK] as const;
  }

  override registerHandleException(error: unknown) {
    console.error('CoA/Disconnect error:', error instanceof Error ? error.message : error);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = new CoaReceiver('127.0.0.1', {
    port: Number(process.env.COA_PORT ?? 3799),
    eventTimestampWindow: 300,
    nasIdentification: { nasIpAddress: '127.0.0.1', nasIdentifier: 'example-nas' },
  });
  server.on('listening', (info) => console.log(`CoA/Disconnect receiver on ${info.address}:${info.port}`));
  await server.run();
}

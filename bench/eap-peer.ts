/**
 * An EAP-TLS peer for benchmarks: node:tls over an in-memory stream, EAP over RADIUS with
 * RadiusClient. It logs in back to back, without the process start of one eapol_test per login,
 * so the server's cost per login is measured under steady load. Not a supplicant: no checks beyond
 * what the TLS handshake itself does, and it NAKs to EAP-TLS when offered anything else.
 */
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { RadiusClient } from '../src/client/radius-client.js';
import { BytePipe } from '../src/eap/byte-pipe.js';
import { EAP_TYPE } from '../src/eap/codes.js';
import { decodeEap, type EapPacket, encodeEap } from '../src/eap/packet.js';
import { ACCESS_ACCEPT, ACCESS_CHALLENGE } from '../src/protocol/codes.js';
import { AccessRequest } from '../src/protocol/packet.js';

/** Where to log in and with what. */
export interface EapTlsPeerOptions {
  port: number;
  secret: string;
  identity: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  maxVersion: tls.SecureVersion;
  /** Log in again with the session of the previous login (TLS session resumption). */
  resume?: boolean;
  /**
   * The CA, certificate and key parsed once (peerContext()) for every login of a run: made per
   * login they cost the peer more than its TLS handshake does, and the peer bounds the rate.
   */
  context?: tls.SecureContext;
}

/**
 * The TLS context of `o`, made once per run. The highest version belongs to the context: given
 * to tls.connect beside a ready context, it would be ignored.
 */
export function peerContext(o: {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
  maxVersion: tls.SecureVersion;
}): tls.SecureContext {
  return tls.createSecureContext({ ca: o.ca, cert: o.cert, key: o.key, maxVersion: o.maxVersion });
}

/** How a login went, and the session to resume next time. */
export interface LoginResult {
  accepted: boolean;
  resumed: boolean;
  /** The TLS version the login used ("TLSv1.2", "TLSv1.3"). */
  protocol: string | null;
  session: Buffer | undefined;
}

const L = 0x80;
const M = 0x40;

/**
 * Keeps one fragment of a TLS message from the server (EAP-TLS framing, RFC 5216 §2.1.5, which
 * PEAP shares): undefined while more follow (M set: the peer ACKs), else the whole message (empty
 * for a Start), `inbound` emptied.
 */
export function collectFragment(data: Buffer, inbound: Buffer[]): Buffer | undefined {
  const flags = data[0];
  const payload = flags & L ? data.subarray(5) : data.subarray(1);
  if (payload.length > 0) inbound.push(payload);
  if (flags & M) return undefined;
  return Buffer.concat(inbound.splice(0));
}
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One EAP-TLS login, resuming `session` when given. */
export async function eapTlsLogin(
  client: RadiusClient,
  o: EapTlsPeerOptions,
  session?: Buffer,
): Promise<LoginResult> {
  const out: Buffer[] = [];
  const stream = new BytePipe((chunk) => out.push(chunk));
  const socket = tls.connect({
    // Typed as a Duplex; node:tls uses only the calls BytePipe has (see src/eap/byte-pipe.ts).
    socket: stream as unknown as Duplex,
    secureContext: o.context ?? peerContext(o),
    checkServerIdentity: () => undefined,
    session,
  });
  socket.on('error', () => {});
  let next: Buffer | undefined;
  // The newest session wins, as in an OpenSSL client (wpa_supplicant): under TLS 1.3 each
  // NewSessionTicket replaces the last, so a peer resumes with the ticket it received last.
  socket.on('session', (s: Buffer) => {
    next = s;
  });
  let state: Buffer | undefined;
  let identifier = 0;
  let code = 0;
  const send = async (type: number, data: Buffer): Promise<EapPacket | undefined> => {
    const attributes: Array<[string, string | Buffer]> = [
      ['User-Name', o.identity],
      ['EAP-Message', encodeEap(2, identifier, type, data)],
    ];
    if (state) attributes.push(['State', state]);
    const [reply] = await client.sendPacket(new AccessRequest(o.secret, { attributes }), {
      remoteHost: '127.0.0.1',
      remotePort: o.port,
    });
    code = reply.code;
    if (code !== ACCESS_CHALLENGE) return undefined;
    state = reply.get('State') as Buffer;
    const packet = decodeEap(reply.get('EAP-Message') as Buffer);
    identifier = packet.identifier;
    return packet;
  };
  try {
    let request = await send(EAP_TYPE.IDENTITY, Buffer.from(o.identity));
    const inbound: Buffer[] = [];
    while (request) {
      if (request.type !== EAP_TYPE.TLS) {
        request = await send(EAP_TYPE.NAK, Buffer.from([EAP_TYPE.TLS]));
        continue;
      }
      const message = collectFragment(request.data, inbound);
      if (message === undefined) {
        request = await send(EAP_TYPE.TLS, Buffer.from([0]));
        continue;
      }
      if (message.length > 0) stream.push(message);
      await tick();
      await tick();
      const flight = Buffer.concat(out.splice(0));
      request = await sendFlight(flight, send);
    }
    return {
      accepted: code === ACCESS_ACCEPT,
      resumed: socket.isSessionReused(),
      protocol: socket.getProtocol(),
      session: next,
    };
  } finally {
    socket.destroy();
  }
}

/** A TLS flight in 1,000-byte fragments (L on the first), each after the server's ACK. */
export async function sendFlight(
  flight: Buffer,
  send: (type: number, data: Buffer) => Promise<EapPacket | undefined>,
): Promise<EapPacket | undefined> {
  const size = 1000;
  if (flight.length <= size) return send(EAP_TYPE.TLS, Buffer.concat([Buffer.from([0]), flight]));
  const head = Buffer.alloc(5);
  head[0] = L | M;
  head.writeUInt32BE(flight.length, 1);
  let request = await send(EAP_TYPE.TLS, Buffer.concat([head, flight.subarray(0, size)]));
  for (let at = size; at < flight.length && request; at += size) {
    const more = at + size < flight.length;
    request = await send(
      EAP_TYPE.TLS,
      Buffer.concat([Buffer.from([more ? M : 0]), flight.subarray(at, at + size)]),
    );
  }
  return request;
}

/** Logins that succeeded, and how many of them resumed a session. */
export interface DriveResult {
  logins: number;
  resumed: number;
  /** Logins that ended without an Access-Accept (refused, timed out, broken): each costs its peer. */
  failed: number;
}

/**
 * `loops` peers logging in back to back for `seconds`. With `resume` each peer offers the session
 * of its previous login; a server may still answer with a full handshake (FreeRADIUS 3.2 does for
 * a TLS 1.3 ticket issued on a resumed login), so `resumed` says how many did resume.
 */
export async function driveEapTls(
  o: EapTlsPeerOptions,
  seconds: number,
  loops: number,
): Promise<DriveResult> {
  const client = new RadiusClient({ timeout: 5, retries: 1 });
  const until = Date.now() + seconds * 1000;
  const result: DriveResult = { logins: 0, resumed: 0, failed: 0 };
  const shared = { ...o, context: o.context ?? peerContext(o) };
  try {
    await Promise.all(
      Array.from({ length: loops }, async () => {
        let session: Buffer | undefined;
        while (Date.now() < until) {
          const r = await eapTlsLogin(client, shared, o.resume ? session : undefined).catch(() => undefined);
          if (r?.accepted) {
            result.logins++;
            if (r.resumed) result.resumed++;
          } else result.failed++;
          // A TLS 1.3 ticket is new at each login; a TLS 1.2 session ID stays.
          session = r?.session ?? session;
        }
      }),
    );
  } finally {
    client.close();
  }
  return result;
}

/**
 * A PEAPv0/EAP-MSCHAPv2 peer for benchmarks, beside the EAP-TLS one of bench/eap-peer.ts: node:tls
 * over an in-memory stream (server certificate checked against the CA, TLS 1.2 at most), EAP over
 * RADIUS with RadiusClient, logging in back to back without one eapol_test process per login.
 * Not a supplicant: one inner method, no crypto binding, no resumption.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { checkAuthenticatorResponse, generateNtResponse } from '../src/auth/mschapv2.js';
import { RadiusClient } from '../src/client/radius-client.js';
import { BytePipe } from '../src/eap/byte-pipe.js';
import { EAP_REQUEST, EAP_RESPONSE, EAP_TYPE } from '../src/eap/codes.js';
import { decodeEap, type EapPacket, encodeEap } from '../src/eap/packet.js';
import { ACCESS_ACCEPT, ACCESS_CHALLENGE } from '../src/protocol/codes.js';
import { AccessRequest, type Packet } from '../src/protocol/packet.js';
import { collectFragment, type DriveResult, peerContext, sendFlight } from './eap-peer.js';

/** Where to log in and with what. */
export interface PeapPeerOptions {
  port: number;
  secret: string;
  /** The outer identity (EAP-Identity and User-Name), e.g. "anonymous". */
  outerIdentity: string;
  /** The inner identity and its password, for MS-CHAPv2. */
  identity: string;
  password: string;
  /** The CA the server's certificate must chain to. */
  ca: Buffer;
  /** The CA parsed once for every login of a run (peerContext() of bench/eap-peer.ts). */
  context?: tls.SecureContext;
}

/** How a login went. */
export interface PeapLoginResult {
  /** The RADIUS code that ended the login (Access-Accept, Access-Reject), 0 if the peer gave up. */
  code: number;
  /** The Accept's MS-MPPE keys are the MSK this peer derived from its own TLS session. */
  keysMatch: boolean;
}

// draft-kamath-pppext-eap-mschapv2 §2: OpCodes.
const CHALLENGE = 1;
const RESPONSE = 2;
const SUCCESS = 3;
const FAILURE = 4;

// draft-josefsson-pppext-eap-tls-eap-10 §4.2: the Result TLV (type 3) and its status values.
const RESULT_TLV = 3;
const RESULT_SUCCESS = 1;
const RESULT_FAILURE = 2;

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The peer's side of PEAPv0 phase 2 with EAP-MSCHAPv2. In PEAPv0 inner packets travel without
 * their 4-byte EAP header (draft-kamath-pppext-peapv0 §1.1), except EAP-TLV (Extensions) ones; some
 * servers (FreeRADIUS) send the inner Identity Request whole too, so both forms are read. Answers
 * go without the header, except the Extensions Response.
 */
class InnerPeer {
  private authChallenge: Buffer = Buffer.alloc(0);
  private readonly peerChallenge = randomBytes(16);
  private ntResponse: Buffer = Buffer.alloc(0);
  /** The server proved it knows the password (RFC 2759 §8.8). */
  private serverProven = false;

  constructor(
    private readonly identity: string,
    private readonly password: string,
  ) {}

  /** The answer to one decrypted inner Request, or undefined to give up. */
  answer(packet: Buffer, outerIdentifier: number): Buffer | undefined {
    const whole = packet.length >= 5 && packet[0] === EAP_REQUEST && packet.readUInt16BE(2) === packet.length;
    const type = whole ? packet[4] : packet[0];
    const body = whole ? packet.subarray(5) : packet.subarray(1);
    switch (type) {
      case EAP_TYPE.IDENTITY:
        return Buffer.concat([Buffer.from([EAP_TYPE.IDENTITY]), Buffer.from(this.identity, 'utf8')]);
      case EAP_TYPE.MSCHAPV2:
        return this.msChapV2(body);
      case EAP_TYPE.EXTENSIONS:
        return this.result(body, whole ? packet[1] : outerIdentifier);
      default:
        // RFC 3748 §5.3.1: a Nak naming the one method this peer has.
        return Buffer.from([EAP_TYPE.NAK, EAP_TYPE.MSCHAPV2]);
    }
  }

  private msChapV2(body: Buffer): Buffer | undefined {
    const opCode = body[0];
    if (opCode === CHALLENGE) {
      // OpCode, MS-CHAPv2-ID, MS-Length, Value-Size (16), Challenge, Name.
      if (body.length < 5 + 16 || body[4] !== 16) return undefined;
      this.authChallenge = Buffer.from(body.subarray(5, 21));
      this.ntResponse = generateNtResponse(
        this.authChallenge,
        this.peerChallenge,
        this.identity,
        this.password,
      );
      const name = Buffer.from(this.identity, 'utf8');
      // The Response value (RFC 2759 §4): Peer-Challenge, 8 reserved zeros, NT-Response, Flags.
      const out = Buffer.alloc(1 + 4 + 1 + 49 + name.length);
      out[0] = EAP_TYPE.MSCHAPV2;
      out[1] = RESPONSE;
      out[2] = body[1];
      out.writeUInt16BE(out.length - 1, 3);
      out[5] = 49;
      this.peerChallenge.copy(out, 6);
      this.ntResponse.copy(out, 6 + 24);
      name.copy(out, 6 + 49);
      return out;
    }
    if (opCode === SUCCESS && this.ntResponse.length > 0) {
      // The message starts "S=<40 hex digits>": the authenticator response to check.
      const message = body.subarray(4).toString('latin1');
      this.serverProven = checkAuthenticatorResponse(
        this.password,
        this.ntResponse,
        this.peerChallenge,
        this.authChallenge,
        this.identity,
        message.slice(0, 42),
      );
      // A server that cannot prove the password gets no acknowledgement.
      return this.serverProven ? Buffer.from([EAP_TYPE.MSCHAPV2, SUCCESS]) : undefined;
    }
    // A Failure Request is acknowledged with a Failure Response (draft-kamath §2.5).
    if (opCode === FAILURE) return Buffer.from([EAP_TYPE.MSCHAPV2, FAILURE]);
    return undefined;
  }

  /** The Extensions Response to a Result TLV: success only after a proven inner success. */
  private result(body: Buffer, identifier: number): Buffer {
    let status = RESULT_FAILURE;
    for (let p = 0; p + 4 <= body.length; p += 4 + body.readUInt16BE(p + 2)) {
      // The mandatory bit (0x8000) aside, type 3 is the Result TLV.
      if ((body.readUInt16BE(p) & 0x3fff) === RESULT_TLV && p + 6 <= body.length) {
        status = body.readUInt16BE(p + 4);
      }
    }
    const ok = status === RESULT_SUCCESS && this.serverProven;
    const tlv = Buffer.from([0x80, RESULT_TLV, 0, 2, 0, ok ? RESULT_SUCCESS : RESULT_FAILURE]);
    return encodeEap(EAP_RESPONSE, identifier, EAP_TYPE.EXTENSIONS, tlv);
  }
}

/** Do the Accept's MPPE keys carry the MSK of this TLS session (RFC 5216 §2.3, PEAPv0's label)? */
function keysMatch(reply: Packet, socket: tls.TLSSocket): boolean {
  const recv = reply.get('MS-MPPE-Recv-Key');
  const send = reply.get('MS-MPPE-Send-Key');
  if (!Buffer.isBuffer(recv) || !Buffer.isBuffer(send) || recv.length < 32 || send.length < 32) return false;
  // Node's types want a context; called without one it exports the no-context form (RFC 5705 §4).
  const exporter = socket.exportKeyingMaterial as (length: number, label: string) => Buffer;
  const msk = exporter.call(socket, 64, 'client EAP encryption');
  return (
    timingSafeEqual(recv.subarray(0, 32), msk.subarray(0, 32)) &&
    timingSafeEqual(send.subarray(0, 32), msk.subarray(32, 64))
  );
}

/** The peer's TLS context: PEAP's default in both servers is TLS 1.2 at most (1.3 is another key schedule). */
const peapContext = (o: PeapPeerOptions): tls.SecureContext =>
  o.context ?? peerContext({ ca: o.ca, maxVersion: 'TLSv1.2' });

/** One PEAPv0/EAP-MSCHAPv2 login. */
export async function peapLogin(client: RadiusClient, o: PeapPeerOptions): Promise<PeapLoginResult> {
  const out: Buffer[] = [];
  const stream = new BytePipe((chunk) => out.push(chunk));
  const socket = tls.connect({
    // Typed as a Duplex; node:tls uses only the calls BytePipe has (see src/eap/byte-pipe.ts).
    socket: stream as unknown as Duplex,
    secureContext: peapContext(o),
    // The chain is checked against the CA; the certificate's name is not (no name to expect).
    checkServerIdentity: () => undefined,
  });
  socket.on('error', () => {});
  const tunnel: Buffer[] = [];
  socket.on('data', (d: Buffer) => tunnel.push(d));
  const inner = new InnerPeer(o.identity, o.password);
  let state: Buffer | undefined;
  let identifier = 0;
  let last: Packet | undefined;
  const send = async (type: number, data: Buffer): Promise<EapPacket | undefined> => {
    const attributes: Array<[string, string | Buffer]> = [
      ['User-Name', o.outerIdentity],
      ['EAP-Message', encodeEap(EAP_RESPONSE, identifier, type, data)],
    ];
    if (state) attributes.push(['State', state]);
    const [reply] = await client.sendPacket(new AccessRequest(o.secret, { attributes }), {
      remoteHost: '127.0.0.1',
      remotePort: o.port,
    });
    last = reply;
    if (reply.code !== ACCESS_CHALLENGE) return undefined;
    state = reply.get('State') as Buffer;
    const packet = decodeEap(reply.get('EAP-Message') as Buffer);
    identifier = packet.identifier;
    return packet;
  };
  // sendFlight fragments as EAP-TLS does (RFC 5216 §3.2), which PEAP shares; only the type differs.
  const sendPeap = (_type: number, data: Buffer) => send(EAP_TYPE.PEAP, data);
  try {
    let request = await send(EAP_TYPE.IDENTITY, Buffer.from(o.outerIdentity, 'utf8'));
    const inbound: Buffer[] = [];
    while (request) {
      if (request.type !== EAP_TYPE.PEAP) {
        request = await send(EAP_TYPE.NAK, Buffer.from([EAP_TYPE.PEAP]));
        continue;
      }
      // A Start carries no data; its version bits offer the server's highest, 0 is always answered.
      const message = collectFragment(request.data, inbound);
      if (message === undefined) {
        request = await send(EAP_TYPE.PEAP, Buffer.from([0]));
        continue;
      }
      if (message.length > 0) stream.push(message);
      await tick();
      await tick();
      if (tunnel.length > 0) {
        const answer = inner.answer(Buffer.concat(tunnel.splice(0)), request.identifier);
        if (!answer) return { code: 0, keysMatch: false };
        socket.write(answer);
        for (let i = 0; i < 8 && out.length === 0; i++) await tick();
      }
      // Handshake records, an encrypted inner answer, or nothing: an ACK that asks for more.
      request = await sendFlight(Buffer.concat(out.splice(0)), sendPeap);
    }
    const code = last?.code ?? 0;
    return { code, keysMatch: last !== undefined && code === ACCESS_ACCEPT && keysMatch(last, socket) };
  } finally {
    socket.destroy();
  }
}

/** `loops` peers logging in back to back for `seconds`; returns the logins accepted with matching keys. */
export async function drivePeap(o: PeapPeerOptions, seconds: number, loops: number): Promise<DriveResult> {
  const client = new RadiusClient({ timeout: 5, retries: 1 });
  const until = Date.now() + seconds * 1000;
  const result: DriveResult = { logins: 0, resumed: 0, failed: 0 };
  const shared = { ...o, context: peapContext(o) };
  try {
    await Promise.all(
      Array.from({ length: loops }, async () => {
        while (Date.now() < until) {
          const r = await peapLogin(client, shared).catch(() => undefined);
          if (r?.code === ACCESS_ACCEPT && r.keysMatch) result.logins++;
          else result.failed++;
        }
      }),
    );
  } finally {
    client.close();
  }
  return result;
}

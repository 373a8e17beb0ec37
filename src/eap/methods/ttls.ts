/**
 * EAP-TTLS v0 (RFC 5281): the peer sends Diameter-style AVPs through the tunnel: PAP, CHAP,
 * MS-CHAP, MS-CHAPv2 (§11.2), or EAP packets in EAP-Message AVPs (§11.1).
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { checkPlainPassword } from '../../auth/authenticate.js';
import { verifyNtChallengeResponse } from '../../auth/mschap.js';
import { generateAuthenticatorResponse, verifyNtResponse } from '../../auth/mschapv2.js';
import { credentialsCleartext, credentialsNtHash } from '../../auth/credentials.js';
import { EAP_REQUEST, EAP_RESPONSE, EAP_TYPE } from '../codes.js';
import { InnerEap } from '../inner-eap.js';
import type { EapMethod, MethodContext, MethodStep } from '../method.js';
import { decodeEap, encodeEap } from '../packet.js';
import { TlsConversation, tlsMethodKeys } from './tls-conversation.js';

const MICROSOFT = 311;
// RFC 5281 §10.1: V (vendor id present) and M (mandatory) flags.
const AVP_V = 0x80;
const AVP_M = 0x40;

// The AVP codes of RFC 5281 §11.2 (RADIUS attribute numbers, RFC 2548 for Microsoft's).
const USER_NAME = 1;
const USER_PASSWORD = 2;
const CHAP_PASSWORD = 3;
const CHAP_CHALLENGE = 60;
const EAP_MESSAGE = 79;
const MS_CHAP_RESPONSE = 1;
const MS_CHAP_CHALLENGE = 11;
const MS_CHAP2_RESPONSE = 25;
const MS_CHAP2_SUCCESS = 26;

interface Avp {
  code: number;
  vendor: number;
  data: Buffer;
}

/** Decodes the AVPs of one tunnel message (RFC 5281 §10.1); undefined when malformed. */
export function decodeAvps(bytes: Buffer): Avp[] | undefined {
  const avps: Avp[] = [];
  let p = 0;
  while (p < bytes.length) {
    if (p + 8 > bytes.length) return undefined;
    const code = bytes.readUInt32BE(p);
    const flags = bytes[p + 4];
    const length = bytes.readUIntBE(p + 5, 3);
    const header = flags & AVP_V ? 12 : 8;
    if (length < header || p + length > bytes.length) return undefined;
    const vendor = flags & AVP_V ? bytes.readUInt32BE(p + 8) : 0;
    avps.push({ code, vendor, data: bytes.subarray(p + header, p + length) });
    // §10.2: each AVP is padded to a multiple of four octets.
    p += (length + 3) & ~3;
  }
  return avps;
}

/** Encodes one mandatory AVP, padded (RFC 5281 §10.1-10.2). */
export function encodeAvp(code: number, data: Buffer, vendor = 0): Buffer {
  const header = vendor ? 12 : 8;
  const length = header + data.length;
  const out = Buffer.alloc((length + 3) & ~3);
  out.writeUInt32BE(code, 0);
  out[4] = AVP_M | (vendor ? AVP_V : 0);
  out.writeUIntBE(length, 5, 3);
  if (vendor) out.writeUInt32BE(vendor, 8);
  data.copy(out, header);
  return out;
}

function find(avps: Avp[], code: number, vendor = 0): Buffer | undefined {
  return avps.find((a) => a.code === code && a.vendor === vendor)?.data;
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

type Phase = 'handshake' | 'avps' | 'eap' | 'mschapv2-success' | 'resumed';

class TtlsConversation extends TlsConversation {
  private phase: Phase = 'handshake';
  private identity: string | undefined;
  private inner: InnerEap | undefined;

  get innerIdentity(): string | undefined {
    return this.inner?.identity ?? this.identity;
  }

  constructor(ctx: MethodContext) {
    if (!ctx.tls) throw new Error('EAP-TTLS without TLS settings');
    super(ctx, 'tunnel', { type: EAP_TYPE.TTLS, tls12Label: 'ttls keying material' }, 0);
  }

  override async process(data: Buffer): Promise<MethodStep> {
    if (data.length > 0 && (data[0] & 0x07) !== 0) return { kind: 'failure', reason: 'TTLS version not 0' };
    return super.process(data);
  }

  // RFC 5281 §7.4: a peer that resumes a session skips the authentication inside the tunnel (as
  // wpa_supplicant does); so only a session over which someone was authenticated is resumed, and
  // it stands for that identity.
  protected override readonly resumesAuthenticatedOnly = true;

  protected async onEstablished(): Promise<MethodStep | undefined> {
    const facts = this.engine.facts;
    if (facts?.reused) {
      if (facts.resumedIdentity === undefined)
        return { kind: 'failure', reason: 'resumed a session nobody authenticated over' };
      this.identity = facts.resumedIdentity;
      this.phase = 'resumed';
      return undefined;
    }
    this.phase = 'avps';
    return undefined;
  }

  protected async onIdle(): Promise<MethodStep> {
    // Resumed: nothing to ask inside the tunnel (TLS 1.3 sent its tickets first, the peer ACKed).
    if (this.phase === 'mschapv2-success' || this.phase === 'resumed') return this.success();
    if (this.phase === 'avps') {
      // The peer acknowledged our Finished and sent nothing yet: wait for its AVPs.
      return { kind: 'request', data: Buffer.from([0]) };
    }
    return { kind: 'failure', reason: 'unexpected ACK in EAP-TTLS' };
  }

  private async success(): Promise<MethodStep> {
    if (!this.engine.established) return { kind: 'failure', reason: 'no TLS session' };
    if (this.identity !== undefined) this.engine.authenticated(this.identity);
    return {
      kind: 'success',
      keys: await tlsMethodKeys(this.engine),
      identity: this.identity,
    };
  }

  /** RFC 5281 §11.2.2: CHAP-style challenges come from the TLS keys, not from the peer. */
  private challenge(length: number): Promise<Buffer> {
    return this.engine.exportKeyingMaterial(length, 'ttls challenge');
  }

  protected async onApplicationData(data: Buffer): Promise<MethodStep | undefined> {
    const avps = decodeAvps(data);
    if (!avps) return { kind: 'failure', reason: 'malformed AVPs' };
    if (this.phase === 'eap') return this.innerEap(avps);
    if (this.phase !== 'avps') return { kind: 'failure', reason: 'unexpected tunnel data' };
    const eap = find(avps, EAP_MESSAGE);
    const userName = find(avps, USER_NAME);
    if (eap) {
      this.phase = 'eap';
      this.inner = new InnerEap(this.ctx, this.ctx.innerMethods);
      return this.innerEap(avps);
    }
    // The identity inside the tunnel is the one checked; the outer one may be anonymous.
    if (!userName || userName.length === 0) return { kind: 'failure', reason: 'no User-Name in the tunnel' };
    this.identity = userName.toString('utf8');
    const credentials = await this.ctx.getCredentials(this.identity);
    const password = credentials && credentialsCleartext(credentials);
    const ntHash = credentials && credentialsNtHash(credentials);
    // The peer learns nothing more than from a wrong password; the log says which it was.
    const lacking = (reason: string): MethodStep => ({
      kind: 'failure',
      reason: credentials ? reason : 'unknown user',
    });

    const userPassword = find(avps, USER_PASSWORD);
    if (userPassword) {
      if (!credentials) return { kind: 'failure', reason: 'unknown user' };
      // Peers pad the password with NULs (RFC 5281 §11.2.5 allows it): they are not part of it.
      let end = userPassword.length;
      while (end > 0 && userPassword[end - 1] === 0) end--;
      // The cleartext, a stored hash or the source's own check (an LDAP bind) all serve PAP.
      const reason = await checkPlainPassword(credentials, userPassword.toString('utf8', 0, end));
      return reason === undefined ? this.success() : { kind: 'failure', reason };
    }

    const chapPassword = find(avps, CHAP_PASSWORD);
    const chapChallenge = find(avps, CHAP_CHALLENGE);
    if (chapPassword && chapChallenge) {
      const expected = await this.challenge(17);
      if (
        !same(chapChallenge, expected.subarray(0, 16)) ||
        chapPassword.length !== 17 ||
        chapPassword[0] !== expected[16]
      ) {
        return { kind: 'failure', reason: 'CHAP challenge not from the tunnel' };
      }
      if (password === undefined) return lacking('CHAP needs a cleartext password');
      const digest = createHash('md5')
        .update(chapPassword.subarray(0, 1))
        .update(password, 'utf8')
        .update(chapChallenge)
        .digest();
      return same(digest, chapPassword.subarray(1))
        ? this.success()
        : { kind: 'failure', reason: 'wrong password' };
    }

    const msChallenge = find(avps, MS_CHAP_CHALLENGE, MICROSOFT);
    const msResponse = find(avps, MS_CHAP_RESPONSE, MICROSOFT);
    if (msChallenge && msResponse) {
      // §11.2.3: 8 challenge octets and the identifier, from the tunnel keys.
      const expected = await this.challenge(9);
      if (
        !same(msChallenge, expected.subarray(0, 8)) ||
        msResponse.length !== 50 ||
        msResponse[0] !== expected[8]
      ) {
        return { kind: 'failure', reason: 'MS-CHAP challenge not from the tunnel' };
      }
      if (!ntHash) return lacking('MS-CHAP needs the NT hash or the cleartext password');
      if ((msResponse[1] & 1) === 0) return { kind: 'failure', reason: 'no NT-Response (LM only)' };
      return verifyNtChallengeResponse(msChallenge, { ntHash }, msResponse.subarray(26, 50))
        ? this.success()
        : { kind: 'failure', reason: 'wrong password' };
    }

    const ms2Response = find(avps, MS_CHAP2_RESPONSE, MICROSOFT);
    if (msChallenge && ms2Response) {
      // §11.2.4: 16 challenge octets and the identifier.
      const expected = await this.challenge(17);
      if (
        !same(msChallenge, expected.subarray(0, 16)) ||
        ms2Response.length !== 50 ||
        ms2Response[0] !== expected[16]
      ) {
        return { kind: 'failure', reason: 'MS-CHAP-V2 challenge not from the tunnel' };
      }
      const peerChallenge = ms2Response.subarray(2, 18);
      const ntResponse = ms2Response.subarray(26, 50);
      const slash = this.identity.lastIndexOf('\\');
      const user = slash >= 0 ? this.identity.slice(slash + 1) : this.identity;
      if (!ntHash) return lacking('MS-CHAPv2 needs the NT hash or the cleartext password');
      if (!verifyNtResponse(msChallenge, peerChallenge, user, { ntHash }, ntResponse)) {
        return { kind: 'failure', reason: 'wrong password' };
      }
      const response = generateAuthenticatorResponse(
        { ntHash },
        ntResponse,
        peerChallenge,
        msChallenge,
        user,
      );
      this.phase = 'mschapv2-success';
      const success = Buffer.concat([ms2Response.subarray(0, 1), Buffer.from(response, 'latin1')]);
      await this.engine.write(encodeAvp(MS_CHAP2_SUCCESS, success, MICROSOFT));
      return this.flush() ?? { kind: 'failure', reason: 'TLS wrote nothing' };
    }
    return { kind: 'failure', reason: 'no authentication AVPs in the tunnel' };
  }

  private async innerEap(avps: Avp[]): Promise<MethodStep | undefined> {
    const inner = this.inner as InnerEap;
    const bytes = find(avps, EAP_MESSAGE);
    if (!bytes) return { kind: 'failure', reason: 'no EAP-Message AVP' };
    let packet: ReturnType<typeof decodeEap>;
    try {
      packet = decodeEap(bytes);
    } catch {
      return { kind: 'failure', reason: 'malformed inner EAP' };
    }
    if (packet.code !== EAP_RESPONSE || packet.type === undefined)
      return { kind: 'failure', reason: 'inner EAP not a Response' };
    const step = await inner.respond(packet.type, packet.data, packet.identifier);
    if (step.kind === 'failure') return step;
    if (step.kind === 'success') {
      this.identity = inner.identity;
      return this.success();
    }
    const request = encodeEap(EAP_REQUEST, (packet.identifier + 1) & 0xff, step.type, step.data);
    await this.engine.write(encodeAvp(EAP_MESSAGE, request));
    return this.flush() ?? { kind: 'failure', reason: 'TLS wrote nothing' };
  }

  override dispose(): void {
    this.inner?.dispose();
    super.dispose();
  }
}

/** EAP-TTLS version 0. */
export const ttlsMethod: EapMethod = {
  type: EAP_TYPE.TTLS,
  name: 'ttls',
  create: (ctx) => new TtlsConversation(ctx),
};

import { timingSafeEqual } from 'node:crypto';
import type { AttributeValue } from '../dictionary/types.js';
import type { AttributesSet } from '../protocol/attributes.js';
import type { Packet } from '../protocol/packet.js';
import { randomBytesPooled } from '../protocol/random.js';
import { verifyChapPassword } from './chap.js';
import {
  type Credentials,
  credentialsCleartext,
  credentialsNtHash,
  tryUsableCredentials,
  type UsableCredentials,
} from './credentials.js';
import { mppeKeysV2, msChapMppeKeys } from './mppe.js';
import { verifyNtChallengeResponse } from './mschap.js';
import { generateAuthenticatorResponse, verifyNtResponse } from './mschapv2.js';
import { ntPasswordHash } from './nthash.js';
import { verifyPasswordHash, verifyPasswordHashAsync } from './password-hash.js';

export type { Credentials } from './credentials.js';

/** The authentication methods a RADIUS Access-Request can carry without EAP. */
export type AuthMethod = 'pap' | 'chap' | 'mschap' | 'mschapv2';

/**
 * Checks a plain-text password (PAP, or one carried inside a TLS tunnel: EAP-GTC, EAP-TTLS/PAP)
 * against what the credentials hold: the cleartext (constant time), a stored hash, an NT hash, or
 * the source's own check. Resolves with undefined when it matches, else the reason (no password in it).
 */
export async function checkPlainPassword(
  given: Credentials | UsableCredentials,
  password: string,
): Promise<string | undefined> {
  const credentials = tryUsableCredentials(given);
  if (credentials instanceof Error) return credentials.message;
  if (credentials.password !== undefined) {
    const a = Buffer.from(password, 'utf8');
    const b = Buffer.from(credentials.password, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b) ? undefined : 'wrong password';
  }
  if (credentials.passwordHash !== undefined)
    return (await verifyPasswordHashAsync(password, credentials.passwordHash)) ? undefined : 'wrong password';
  if (credentials.ntHash !== undefined) {
    return timingSafeEqual(ntPasswordHash(password), credentials.ntHash) ? undefined : 'wrong password';
  }
  if (credentials.verifyPassword) return credentials.verifyPassword(password);
  return 'no password, hash or password check for this user';
}

/** Outcome of `authenticate`: whether it succeeded, the method, and the reply attributes to send. */
export interface AuthResult {
  ok: boolean;
  method: AuthMethod | undefined;
  /** Reply attributes: MS-CHAP2-Success and MPPE keys on success, MS-CHAP-Error on failure. */
  attributes: Array<[string, AttributeValue]>;
  /** Why it failed, for logs (never contains the password). */
  reason?: string;
}

/** RFC 2759 §6 failure codes carried in MS-CHAP-Error. */
export const MSCHAP_ERROR = {
  RESTRICTED_LOGON_HOURS: 646,
  ACCT_DISABLED: 647,
  PASSWD_EXPIRED: 648,
  NO_DIALIN_PERMISSION: 649,
  AUTHENTICATION_FAILURE: 691,
  CHANGING_PASSWORD: 709,
} as const;

/** Which method an Access-Request uses, judged from its attributes (undefined: none recognised). */
export function detectMethod(attributes: AttributesSet): AuthMethod | undefined {
  // The MS-CHAP responses are Microsoft VSAs: without any vendor attribute there is no need to
  // look (on a received request, looking up a VSA decodes every attribute).
  if (attributes.mayHoldVendorAttributes()) {
    if (attributes.has('MS-CHAP2-Response')) return 'mschapv2';
    if (attributes.has('MS-CHAP-Response')) return 'mschap';
  }
  if (attributes.has('CHAP-Password')) return 'chap';
  if (attributes.has('User-Password')) return 'pap';
  return undefined;
}

// RFC 2865 §5.2 passwords are at most 128 bytes: anything from PAP_WHOLE bytes on never matches.
const PAP_SCRATCH = 256;
const PAP_WHOLE = PAP_SCRATCH - 4;
const papGot = Buffer.alloc(PAP_SCRATCH);
const papWant = Buffer.alloc(PAP_SCRATCH);

/** Constant-time check of a PAP User-Password (RFC 2865 §5.2, already revealed by the codec). */
export function verifyPap(attributes: AttributesSet, password: string): boolean {
  const got = attributes.get('User-Password');
  if (got === undefined) return false;
  if (typeof got === 'string') {
    const same = sameText(got, password);
    if (same !== undefined) return same;
  }
  // Both sides as UTF-8 in scratch memory (no allocation per request), wiped after the compare.
  // write() stops before a character that does not fit: under PAP_WHOLE bytes, nothing was cut.
  const n = Buffer.isBuffer(got) ? got.copy(papGot) : papGot.write(String(got), 'utf8');
  const m = papWant.write(password, 'utf8');
  // Compare equal-length values only; the length itself is not secret enough to hide here.
  const ok = n < PAP_WHOLE && n === m && timingSafeEqual(papGot.subarray(0, n), papWant.subarray(0, m));
  papGot.fill(0, 0, n);
  papWant.fill(0, 0, m);
  return ok;
}

/**
 * Constant-time equality of two texts as UTF-8, read a UTF-16 unit at a time (no encoding, no
 * scratch to wipe). Without surrogates, equal units are equal bytes and a different length is a
 * different text; with one (a lone one is written as U+FFFD), undefined: compare the bytes.
 */
function sameText(got: string, want: string): boolean | undefined {
  if (got.length !== want.length) return surrogateIn(got) || surrogateIn(want) ? undefined : false;
  let diff = 0;
  let surrogate = 0;
  for (let i = 0; i < want.length; i++) {
    const a = got.charCodeAt(i);
    const b = want.charCodeAt(i);
    diff |= a ^ b;
    surrogate |= ((a & 0xf800) === 0xd800 ? 1 : 0) | ((b & 0xf800) === 0xd800 ? 1 : 0);
  }
  return surrogate === 0 ? diff === 0 : undefined;
}

function surrogateIn(text: string): boolean {
  for (let i = 0; i < text.length; i++) if ((text.charCodeAt(i) & 0xf800) === 0xd800) return true;
  return false;
}

/**
 * Checks CHAP-Password (RFC 2865 §5.3): against CHAP-Challenge when present, else the Request
 * Authenticator (which then must be the 16-byte challenge).
 */
export function verifyChap(request: Packet, password: string): boolean {
  const chap = request.get('CHAP-Password');
  if (!Buffer.isBuffer(chap) || chap.length !== 17) return false;
  const challenge = request.get('CHAP-Challenge');
  if (challenge === undefined) return verifyChapPassword(chap, password, request.authenticator);
  // A peer's empty or non-octets CHAP-Challenge is a failed check, not an exception (the server would drop it).
  if (!Buffer.isBuffer(challenge) || challenge.length === 0) return false;
  return verifyChapPassword(chap, password, challenge);
}

const NO_NT_HASH = 'MS-CHAP needs the NT hash or the cleartext password; the user has only a password hash';

/** The received PAP password as text (the codec reveals it as a string; raw bytes read as UTF-8). */
function papPassword(attributes: AttributesSet): string | undefined {
  const got = attributes.get('User-Password');
  if (got === undefined) return undefined;
  return Buffer.isBuffer(got) ? got.toString('utf8') : String(got);
}

/** PAP against a hash (stored hash or NT hash): the checks that cannot use verifyPap's cleartext path. */
function verifyPapHashed(
  attributes: AttributesSet,
  credentials: UsableCredentials,
  check: (password: string, stored: string) => boolean | Promise<boolean>,
): boolean | Promise<boolean> {
  const got = papPassword(attributes);
  if (got === undefined) return false;
  if (credentials.passwordHash !== undefined) return check(got, credentials.passwordHash);
  // RFC 2865 §5.2 PAP against an NT hash: hash what arrived and compare in constant time.
  return timingSafeEqual(ntPasswordHash(got), credentials.ntHash as Buffer);
}

function octets(v: AttributeValue | undefined): Buffer | undefined {
  return Buffer.isBuffer(v) ? v : undefined;
}

/** RFC 2759 §8.2: the user name in the challenge hash is without any `DOMAIN\` prefix. */
function bareUserName(attributes: AttributesSet): string {
  const name = String(attributes.get('User-Name') ?? '');
  const slash = name.lastIndexOf('\\');
  return slash >= 0 ? name.slice(slash + 1) : name;
}

function msChapError(ident: number, code: number, v2: boolean): [string, AttributeValue] {
  // RFC 2759 §6: E=code R=retry C=new challenge V=version (v2); RFC 2433: E=code R=retry.
  const text = v2
    ? `E=${code} R=0 C=${randomBytesPooled(16).toString('hex').toUpperCase()} V=3 M=Authentication failed`
    : `E=${code} R=0`;
  return ['MS-CHAP-Error', Buffer.concat([Buffer.from([ident]), Buffer.from(text, 'latin1')])];
}

/**
 * MS-CHAPv1 (RFC 2433, attributes of RFC 2548): checks the NT-Response against MS-CHAP-Challenge;
 * on success the reply carries MS-CHAP-MPPE-Keys and the MPPE policy.
 */
export function verifyMsChapV1(request: Packet, given: Credentials): AuthResult {
  const credentials = tryUsableCredentials(given);
  if (credentials instanceof Error) return unusable('mschap', credentials);
  const challenge = octets(request.get('MS-CHAP-Challenge'));
  const response = octets(request.get('MS-CHAP-Response'));
  const hash = credentialsNtHash(credentials);
  if (challenge?.length !== 8 || response?.length !== 50) {
    return { ok: false, method: 'mschap', attributes: [], reason: 'malformed MS-CHAP attributes' };
  }
  const ident = response[0];
  if (!hash)
    return {
      ok: false,
      method: 'mschap',
      attributes: [msChapError(ident, 691, false)],
      reason: NO_NT_HASH,
    };
  // Flags bit 0 set: use the NT-Response (bytes 26..50); LM-only responses are not accepted.
  if (
    (response[1] & 1) === 0 ||
    !verifyNtChallengeResponse(challenge, { ntHash: hash }, response.subarray(26, 50))
  ) {
    return {
      ok: false,
      method: 'mschap',
      attributes: [msChapError(ident, 691, false)],
      reason: 'wrong password',
    };
  }
  return {
    ok: true,
    method: 'mschap',
    attributes: [
      ['MS-CHAP-MPPE-Keys', msChapMppeKeys({ ntHash: hash })],
      ['MS-MPPE-Encryption-Policy', 1],
      ['MS-MPPE-Encryption-Types', 6],
    ],
  };
}

/**
 * MS-CHAPv2 (RFC 2759, attributes of RFC 2548): checks the NT-Response; on success the reply carries
 * MS-CHAP2-Success (mutual authentication) and MS-MPPE-Send/Recv-Key (RFC 3079), hidden by the codec
 * with the request's authenticator (RFC 2548 §2.4.2).
 */
export function verifyMsChapV2(request: Packet, given: Credentials): AuthResult {
  const credentials = tryUsableCredentials(given);
  if (credentials instanceof Error) return unusable('mschapv2', credentials);
  const authChallenge = octets(request.get('MS-CHAP-Challenge'));
  const response = octets(request.get('MS-CHAP2-Response'));
  const hash = credentialsNtHash(credentials);
  if (authChallenge?.length !== 16 || response?.length !== 50) {
    return { ok: false, method: 'mschapv2', attributes: [], reason: 'malformed MS-CHAP2 attributes' };
  }
  const ident = response[0];
  const peerChallenge = response.subarray(2, 18);
  const ntResponse = response.subarray(26, 50);
  const user = bareUserName(request.attributes);
  if (!hash)
    return { ok: false, method: 'mschapv2', attributes: [msChapError(ident, 691, true)], reason: NO_NT_HASH };
  if (!verifyNtResponse(authChallenge, peerChallenge, user, { ntHash: hash }, ntResponse)) {
    return {
      ok: false,
      method: 'mschapv2',
      attributes: [msChapError(ident, 691, true)],
      reason: 'wrong password',
    };
  }
  const success = generateAuthenticatorResponse(
    { ntHash: hash },
    ntResponse,
    peerChallenge,
    authChallenge,
    user,
  );
  const keys = mppeKeysV2({ ntHash: hash }, ntResponse);
  return {
    ok: true,
    method: 'mschapv2',
    attributes: [
      ['MS-CHAP2-Success', Buffer.concat([Buffer.from([ident]), Buffer.from(success, 'latin1')])],
      ['MS-MPPE-Send-Key', keys.sendKey],
      ['MS-MPPE-Recv-Key', keys.recvKey],
      ['MS-MPPE-Encryption-Policy', 1],
      ['MS-MPPE-Encryption-Types', 6],
    ],
  };
}

const PAP_NOTHING = 'the user has no password, password hash or NT hash';

/**
 * One entry point: detects the method of an Access-Request (PAP, CHAP, MS-CHAPv1, MS-CHAPv2) and
 * verifies it against the user's credentials. PAP works with a cleartext password, a stored hash
 * (`passwordHash`, see `parsePasswordHash`) or an NT hash; CHAP needs the cleartext; MS-CHAP the
 * NT hash or the cleartext. A bcrypt hash is checked synchronously here: servers use
 * `authenticateAsync`.
 */
export function authenticate(request: Packet, given: Credentials): AuthResult {
  const method = detectMethod(request.attributes);
  const credentials = tryUsableCredentials(given);
  if (credentials instanceof Error) return unusable(method, credentials);
  if (method === 'pap' && credentials.password === undefined) {
    if (credentials.passwordHash === undefined && credentials.ntHash === undefined)
      return { ok: false, method, attributes: [], reason: PAP_NOTHING };
    return papResult(verifyPapHashed(request.attributes, credentials, verifyPasswordHash) as boolean);
  }
  return authenticateCleartext(request, credentials, method);
}

/** `authenticate`, with a bcrypt hash computed without blocking the event loop. */
export async function authenticateAsync(request: Packet, given: Credentials): Promise<AuthResult> {
  const method = detectMethod(request.attributes);
  const credentials = tryUsableCredentials(given);
  if (credentials instanceof Error) return unusable(method, credentials);
  if (method === 'pap' && credentials.password === undefined) {
    if (credentials.passwordHash === undefined && credentials.ntHash === undefined)
      return { ok: false, method, attributes: [], reason: PAP_NOTHING };
    return papResult(await verifyPapHashed(request.attributes, credentials, verifyPasswordHashAsync));
  }
  return authenticateCleartext(request, credentials, method);
}

/** Credentials no check can use: the request fails with why (the field), never the server. */
function unusable(method: AuthMethod | undefined, err: Error): AuthResult {
  return { ok: false, method, attributes: [], reason: err.message };
}

function papResult(ok: boolean): AuthResult {
  return ok
    ? { ok: true, method: 'pap', attributes: [] }
    : { ok: false, method: 'pap', attributes: [], reason: 'wrong password' };
}

function authenticateCleartext(
  request: Packet,
  credentials: UsableCredentials,
  method: AuthMethod | undefined,
): AuthResult {
  switch (method) {
    case 'pap':
      return papResult(verifyPap(request.attributes, credentials.password as string));
    case 'chap': {
      const cleartext = credentialsCleartext(credentials);
      if (cleartext === undefined)
        return {
          ok: false,
          method,
          attributes: [],
          reason:
            credentials.passwordHash !== undefined || credentials.ntHash !== undefined
              ? 'CHAP needs the cleartext password; the user has only a hash'
              : 'CHAP needs a cleartext password',
        };
      return verifyChap(request, cleartext)
        ? { ok: true, method, attributes: [] }
        : { ok: false, method, attributes: [], reason: 'wrong password' };
    }
    case 'mschap':
      return verifyMsChapV1(request, credentials);
    case 'mschapv2':
      return verifyMsChapV2(request, credentials);
    default:
      return {
        ok: false,
        method: undefined,
        attributes: [],
        // EAP (RFC 3579) is not a method authenticate() speaks: say so, rather than "nothing found".
        reason: request.attributes.has('EAP-Message')
          ? 'EAP-Message present, but EAP is not configured on this server (authenticate() handles PAP, CHAP and MS-CHAP)'
          : hasUndecodedUserPassword(request.attributes)
            ? 'User-Password is malformed: it must be 16 to 128 octets, a multiple of 16 (RFC 2865 §5.2)'
            : 'no recognised authentication attributes',
      };
  }
}

/** User-Password sent but kept raw (Attr-2): its length cannot be a hidden password's. */
function hasUndecodedUserPassword(attributes: AttributesSet): boolean {
  for (const e of attributes.entries) {
    const def = e.def;
    if (def.number === 2 && def.vendor === undefined && def.parent === undefined && def.flags.encrypt !== 1) {
      return true;
    }
  }
  return false;
}

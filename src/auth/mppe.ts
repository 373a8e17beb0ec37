/**
 * MPPE key material for RADIUS: the RFC 3079 key derivations from MS-CHAP credentials, the RFC 2548
 * §2.4.1 MS-CHAP-MPPE-Keys value (MS-CHAP v1), and the salted encryption of MS-MPPE-Send-Key and
 * MS-MPPE-Recv-Key (RFC 2548 §2.4.2, §2.4.3).
 */

import { createHash, randomBytes } from 'node:crypto';
import { InvalidValueError, MalformedPacketError } from '../errors.js';
import { hashNtPasswordHash, type NtSecret, resolveNtHash } from './nthash.js';

// RFC 3079 §2.4 / §3.4: the two 40-byte pads of the SHA-1 key derivations.
const SHS_PAD1 = Buffer.alloc(40, 0x00);
const SHS_PAD2 = Buffer.alloc(40, 0xf2);

// RFC 3079 §3.4: Magic1, Magic2 and Magic3 are these ASCII sentences (27, 84 and 84 bytes).
const MASTER_KEY_MAGIC = Buffer.from('This is the MPPE Master Key', 'ascii');
const CLIENT_SEND_SERVER_RECEIVE_MAGIC = Buffer.from(
  'On the client side, this is the send key; on the server side, it is the receive key.',
  'ascii',
);
const CLIENT_RECEIVE_SERVER_SEND_MAGIC = Buffer.from(
  'On the client side, this is the receive key; on the server side, it is the send key.',
  'ascii',
);

function checkLength(value: unknown, length: number, name: string): asserts value is Buffer {
  if (!Buffer.isBuffer(value) || value.length !== length) {
    throw new InvalidValueError(name, `expected ${length} bytes`);
  }
}

// MPPE session keys are 8 bytes (40- and 56-bit keys) or 16 bytes (128-bit keys), RFC 3079 §3.
function checkKeyLength(keyLength: number): void {
  if (!Number.isInteger(keyLength) || keyLength < 8 || keyLength > 16) {
    throw new InvalidValueError('MPPE key length', 'expected an integer from 8 to 16');
  }
}

function sha1(...parts: Buffer[]): Buffer {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** GetMasterKey() (RFC 3079 §3.4): 16 bytes of SHA1(PasswordHashHash || NT-Response || Magic1). */
export function getMasterKey(passwordHashHash: Buffer, ntResponse: Buffer): Buffer {
  checkLength(passwordHashHash, 16, 'NT password hash hash');
  checkLength(ntResponse, 24, 'MS-CHAP2 NT-Response');
  return sha1(passwordHashHash, ntResponse, MASTER_KEY_MAGIC).subarray(0, 16);
}

/**
 * GetAsymmetricStartKey() (RFC 3079 §3.4): the master send or receive key of `keyLength` bytes, seen
 * from the server (`isServer`) or the client. The server's send key is the client's receive key.
 */
export function getAsymmetricStartKey(
  masterKey: Buffer,
  keyLength: number,
  isSend: boolean,
  isServer: boolean,
): Buffer {
  checkLength(masterKey, 16, 'MPPE master key');
  checkKeyLength(keyLength);
  const magic = isSend === isServer ? CLIENT_RECEIVE_SERVER_SEND_MAGIC : CLIENT_SEND_SERVER_RECEIVE_MAGIC;
  return sha1(masterKey, SHS_PAD1, magic, SHS_PAD2).subarray(0, keyLength);
}

/**
 * GetNewKeyFromSHA() (RFC 3078 §7.3), also written Get_Key() in RFC 3079 §2.4: the next session key
 * from the start key and the current session key. The NAS does this; it is here for completeness.
 */
export function getNewKeyFromSha(startKey: Buffer, sessionKey: Buffer, keyLength: number): Buffer {
  checkKeyLength(keyLength);
  if (!Buffer.isBuffer(startKey) || startKey.length < keyLength) {
    throw new InvalidValueError('MPPE start key', `expected at least ${keyLength} bytes`);
  }
  if (!Buffer.isBuffer(sessionKey) || sessionKey.length < keyLength) {
    throw new InvalidValueError('MPPE session key', `expected at least ${keyLength} bytes`);
  }
  return sha1(
    startKey.subarray(0, keyLength),
    SHS_PAD1,
    sessionKey.subarray(0, keyLength),
    SHS_PAD2,
  ).subarray(0, keyLength);
}

/**
 * Get_Start_Key() (RFC 3079 §2.4), MS-CHAP v1: the initial 128-bit session key,
 * SHA1(PasswordHashHash || PasswordHashHash || Challenge) cut to 16 bytes.
 */
export function getStartKeyV1(challenge: Buffer, passwordHashHash: Buffer): Buffer {
  checkLength(challenge, 8, 'MS-CHAP challenge');
  checkLength(passwordHashHash, 16, 'NT password hash hash');
  return sha1(passwordHashHash, passwordHashHash, challenge).subarray(0, 16);
}

/** Server-side MPPE keys after MS-CHAP v2, ready for MS-MPPE-Send-Key and MS-MPPE-Recv-Key. */
export interface MppeKeys {
  /** Key for traffic from the NAS to the peer (MS-MPPE-Send-Key). */
  readonly sendKey: Buffer;
  /** Key for traffic from the peer to the NAS (MS-MPPE-Recv-Key). */
  readonly recvKey: Buffer;
}

/**
 * The MS-MPPE-Send-Key / MS-MPPE-Recv-Key values for an MS-CHAP v2 success (RFC 3079 §3.3, server
 * side): master send and receive keys from the user's NT hash (or password) and the peer's NT-Response.
 */
export function mppeKeysV2(secret: NtSecret, ntResponse: Buffer, keyLength = 16): MppeKeys {
  const masterKey = getMasterKey(hashNtPasswordHash(resolveNtHash(secret)), ntResponse);
  return {
    sendKey: getAsymmetricStartKey(masterKey, keyLength, true, true),
    recvKey: getAsymmetricStartKey(masterKey, keyLength, false, true),
  };
}

/**
 * The 24-byte plaintext MS-CHAP-MPPE-Keys value for an MS-CHAP v1 success (RFC 2548 §2.4.1):
 * LM-Key (first 8 bytes of the LM hash, zeros when none is given) then NT-Key. NT-Key is
 * HashNtPasswordHash(), the input of RFC 3079 §2.3, not the NT hash RFC 2548's wording suggests:
 * that is what NASes expect. The attribute is then encrypted like User-Password (RFC 2865 §5.2), which
 * pads it to 32 bytes.
 */
export function msChapMppeKeys(secret: NtSecret, lmHash?: Buffer): Buffer {
  const lmKey = Buffer.alloc(8);
  if (lmHash !== undefined) {
    if (!Buffer.isBuffer(lmHash) || lmHash.length < 8) {
      throw new InvalidValueError('LM password hash', 'expected at least 8 bytes');
    }
    lmHash.copy(lmKey, 0, 0, 8);
  }
  return Buffer.concat([lmKey, hashNtPasswordHash(resolveNtHash(secret))]);
}

// RFC 2865 §5.26: a Vendor-Specific attribute carries at most 249 bytes after the Vendor-Id; minus the
// Microsoft sub-attribute header (2) and the salt (2) that leaves 245, so at most 15 blocks of
// ciphertext (240 bytes), one byte of which is the key length.
const MAX_MPPE_KEY_LENGTH = 239;

function secretBytes(secret: Buffer | string): Buffer {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) {
    throw new InvalidValueError('RADIUS shared secret', 'expected a non-empty string or Buffer');
  }
  return bytes;
}

/** b(i) of RFC 2548 §2.4.2: MD5(S + R + A) for the first block, MD5(S + c(i-1)) after. */
function keystreamBlock(secret: Buffer, previous: Buffer): Buffer {
  return createHash('md5').update(secret).update(previous).digest();
}

/** A random 2-byte salt with the most significant bit set, as RFC 2548 §2.4.2 requires. */
export function randomMppeSalt(): Buffer {
  const salt = randomBytes(2);
  salt[0] |= 0x80;
  return salt;
}

/**
 * Encrypt a key for MS-MPPE-Send-Key or MS-MPPE-Recv-Key (RFC 2548 §2.4.2): returns the attribute
 * value, Salt (2 bytes) followed by the encrypted String. The plaintext is the key length byte, the
 * key, and zero padding to a multiple of 16 bytes. `requestAuthenticator` is the Request Authenticator
 * of the Access-Request being answered. Without `salt`, a random one is used; the salts of all such
 * attributes in one packet must differ (see encryptMppeKeyPair).
 */
export function encryptMppeKey(
  key: Buffer,
  secret: Buffer | string,
  requestAuthenticator: Buffer,
  salt?: Buffer,
): Buffer {
  if (!Buffer.isBuffer(key) || key.length === 0 || key.length > MAX_MPPE_KEY_LENGTH) {
    throw new InvalidValueError('MPPE key', `expected 1 to ${MAX_MPPE_KEY_LENGTH} bytes`);
  }
  const sharedSecret = secretBytes(secret);
  checkLength(requestAuthenticator, 16, 'Request Authenticator');
  const theSalt = salt ?? randomMppeSalt();
  checkLength(theSalt, 2, 'MPPE salt');
  if ((theSalt[0] & 0x80) === 0) {
    throw new InvalidValueError('MPPE salt', 'the most significant bit must be set');
  }

  const plain = Buffer.alloc(Math.ceil((key.length + 1) / 16) * 16);
  plain[0] = key.length;
  key.copy(plain, 1);

  const out = Buffer.alloc(2 + plain.length);
  theSalt.copy(out, 0);
  let previous: Buffer = Buffer.concat([requestAuthenticator, theSalt]);
  for (let offset = 0; offset < plain.length; offset += 16) {
    const b = keystreamBlock(sharedSecret, previous);
    for (let i = 0; i < 16; i++) out[2 + offset + i] = plain[offset + i] ^ b[i];
    previous = out.subarray(2 + offset, 2 + offset + 16);
  }
  return out;
}

/**
 * Encrypt the send and receive keys together, with two distinct random salts as RFC 2548 §2.4.2
 * requires for attributes in the same packet. Returns the MS-MPPE-Send-Key and MS-MPPE-Recv-Key values.
 */
export function encryptMppeKeyPair(
  keys: MppeKeys,
  secret: Buffer | string,
  requestAuthenticator: Buffer,
): MppeKeys {
  const sendSalt = randomMppeSalt();
  const recvSalt = randomMppeSalt();
  // Two random 15-bit values collide once in 32768 tries; flipping the low bit makes them differ.
  if (recvSalt.equals(sendSalt)) recvSalt[1] ^= 0x01;
  return {
    sendKey: encryptMppeKey(keys.sendKey, secret, requestAuthenticator, sendSalt),
    recvKey: encryptMppeKey(keys.recvKey, secret, requestAuthenticator, recvSalt),
  };
}

/**
 * Decrypt an MS-MPPE-Send-Key or MS-MPPE-Recv-Key attribute value (Salt + encrypted String, RFC 2548
 * §2.4.2) and return the key. Throws MalformedPacketError when the value's length or the decrypted
 * key length is impossible (which is also what a wrong shared secret usually produces), and
 * InvalidValueError for a bad secret or Request Authenticator.
 */
export function decryptMppeKey(data: Buffer, secret: Buffer | string, requestAuthenticator: Buffer): Buffer {
  if (!Buffer.isBuffer(data)) {
    throw new InvalidValueError('MPPE key attribute', 'expected a Buffer');
  }
  const sharedSecret = secretBytes(secret);
  checkLength(requestAuthenticator, 16, 'Request Authenticator');
  if (data.length < 2 + 16 || (data.length - 2) % 16 !== 0) {
    throw new MalformedPacketError(
      `MPPE key attribute: expected a 2-byte salt and a multiple of 16 bytes, got ${data.length} bytes`,
    );
  }
  const salt = data.subarray(0, 2);
  const cipher = data.subarray(2);
  const plain = Buffer.alloc(cipher.length);
  let previous: Buffer = Buffer.concat([requestAuthenticator, salt]);
  for (let offset = 0; offset < cipher.length; offset += 16) {
    const b = keystreamBlock(sharedSecret, previous);
    for (let i = 0; i < 16; i++) plain[offset + i] = cipher[offset + i] ^ b[i];
    previous = cipher.subarray(offset, offset + 16);
  }
  const keyLength = plain[0];
  if (keyLength > plain.length - 1) {
    throw new MalformedPacketError(
      `MPPE key attribute: key length ${keyLength} exceeds the ${plain.length - 1} decrypted bytes`,
    );
  }
  return plain.subarray(1, 1 + keyLength);
}

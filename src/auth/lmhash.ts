/** The LAN Manager password hash (RFC 2433 §A.8), for NASes that want an LM-Key in MS-CHAPv1 MPPE keys. */

import { InvalidValueError } from '../errors.js';
import { desEncrypt } from './des.js';

// RFC 2433 §A.9: the constant text each half of the password encrypts.
const STD_TEXT = Buffer.from('KGS!@#$%', 'latin1');

/**
 * LmPasswordHash() (RFC 2433 §A.8): the password upper-cased and zero-padded to 14 bytes, each
 * 7-byte half used as a DES key over "KGS!@#$%". Bytes past the 14th are ignored and only ASCII
 * letters change case, as FreeRADIUS's smbencrypt computes it. The hash is weak and never used to
 * authenticate here: pass it to msChapMppeKeys() for a NAS that wants the LM-Key filled (FreeRADIUS
 * and this library leave it zero by default).
 */
export function lmPasswordHash(password: string): Buffer {
  if (typeof password !== 'string') throw new InvalidValueError('password', 'expected a string');
  const upper = Buffer.alloc(14);
  const bytes = Buffer.from(password, 'utf8');
  for (let i = 0; i < 14 && i < bytes.length; i++) {
    const b = bytes[i];
    upper[i] = b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
  }
  return Buffer.concat([
    desEncrypt(STD_TEXT, upper.subarray(0, 7)),
    desEncrypt(STD_TEXT, upper.subarray(7, 14)),
  ]);
}

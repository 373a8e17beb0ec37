/** EAP codes and method types (RFC 3748 §4, §5; IANA "EAP Method Types"). */

// RFC 3748 §4: the Code field.
export const EAP_REQUEST = 1;
export const EAP_RESPONSE = 2;
export const EAP_SUCCESS = 3;
export const EAP_FAILURE = 4;

/** EAP method types this server knows (RFC 3748 §5, RFC 5216, RFC 5281, draft-kamath-pppext-peapv0). */
export const EAP_TYPE = {
  IDENTITY: 1,
  NOTIFICATION: 2,
  NAK: 3,
  MD5: 4,
  GTC: 6,
  TLS: 13,
  TTLS: 21,
  PEAP: 25,
  MSCHAPV2: 26,
  /** PEAP's extensions (Result TLV), carried as a whole EAP packet inside the tunnel. */
  EXTENSIONS: 33,
} as const;

/** The method names the API and the YAML accept, with their EAP types. */
export const EAP_METHOD_NAMES = {
  md5: EAP_TYPE.MD5,
  gtc: EAP_TYPE.GTC,
  tls: EAP_TYPE.TLS,
  ttls: EAP_TYPE.TTLS,
  peap: EAP_TYPE.PEAP,
  mschapv2: EAP_TYPE.MSCHAPV2,
} as const;

/** An EAP method a server may offer. */
export type EapMethodName = keyof typeof EAP_METHOD_NAMES;

/** A method's name as people write it: any case, with or without `EAP-` ('PEAP', 'EAP-TLS', 'MSCHAPv2'). */
export type EapMethodSpelling = EapMethodName | (string & {});

/** The name of the method `spelling` names ('EAP-TLS' is tls), or undefined when it names none we know. */
export function eapMethodName(spelling: string): EapMethodName | undefined {
  const name = spelling.toLowerCase().replace(/^eap-/, '');
  return Object.hasOwn(EAP_METHOD_NAMES, name) ? (name as EapMethodName) : undefined;
}

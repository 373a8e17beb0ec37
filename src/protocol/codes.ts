/** Packet codes of RFC 2865, 2866, 5176 and 5997, named as in the specification. */
export const ACCESS_REQUEST = 1;
export const ACCESS_ACCEPT = 2;
export const ACCESS_REJECT = 3;
export const ACCOUNTING_REQUEST = 4;
export const ACCOUNTING_RESPONSE = 5;
export const ACCESS_CHALLENGE = 11;
export const STATUS_SERVER = 12;
export const STATUS_CLIENT = 13;
export const DISCONNECT_REQUEST = 40;
export const DISCONNECT_ACK = 41;
export const DISCONNECT_NAK = 42;
export const COA_REQUEST = 43;
export const COA_ACK = 44;
export const COA_NAK = 45;

/** A packet code number. */
export type PacketCode = number;

const NAMES: Record<number, string> = {
  [ACCESS_REQUEST]: 'Access-Request',
  [ACCESS_ACCEPT]: 'Access-Accept',
  [ACCESS_REJECT]: 'Access-Reject',
  [ACCOUNTING_REQUEST]: 'Accounting-Request',
  [ACCOUNTING_RESPONSE]: 'Accounting-Response',
  [ACCESS_CHALLENGE]: 'Access-Challenge',
  [STATUS_SERVER]: 'Status-Server',
  [STATUS_CLIENT]: 'Status-Client',
  [DISCONNECT_REQUEST]: 'Disconnect-Request',
  [DISCONNECT_ACK]: 'Disconnect-ACK',
  [DISCONNECT_NAK]: 'Disconnect-NAK',
  [COA_REQUEST]: 'CoA-Request',
  [COA_ACK]: 'CoA-ACK',
  [COA_NAK]: 'CoA-NAK',
};

/** The RFC name of a packet code, or `Code-N` for an unknown one. */
export function codeName(code: number): string {
  return NAMES[code] ?? `Code-${code}`;
}

/** The code for an RFC packet name (case-insensitive), or undefined. */
export function codeFromName(name: string): number | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(NAMES)) if (v.toLowerCase() === lower) return Number(k);
  return undefined;
}

/** True for codes that this library knows how to decode. */
export function isKnownCode(code: number): boolean {
  return NAMES[code] !== undefined;
}

/** Codes that are requests (sent by a client, answered by a server). */
export function isRequestCode(code: number): boolean {
  return (
    code === ACCESS_REQUEST ||
    code === ACCOUNTING_REQUEST ||
    code === STATUS_SERVER ||
    code === STATUS_CLIENT ||
    code === COA_REQUEST ||
    code === DISCONNECT_REQUEST
  );
}

/** Response codes allowed for each request code. */
export const REPLY_CODES: Readonly<Record<number, readonly number[]>> = {
  [ACCESS_REQUEST]: [ACCESS_ACCEPT, ACCESS_REJECT, ACCESS_CHALLENGE],
  [ACCOUNTING_REQUEST]: [ACCOUNTING_RESPONSE],
  [STATUS_SERVER]: [ACCESS_ACCEPT, ACCOUNTING_RESPONSE],
  [COA_REQUEST]: [COA_ACK, COA_NAK],
  [DISCONNECT_REQUEST]: [DISCONNECT_ACK, DISCONNECT_NAK],
};

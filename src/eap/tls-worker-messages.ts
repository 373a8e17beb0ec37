/** The messages between an EapServer's thread and its TLS worker threads. */

import type { TlsEndpointKind } from './tls-config.js';
import type { MethodKeying, TlsFacts } from './tls-engine.js';

/** To a worker. `seq` numbers the calls that get an answer. */
export type ToWorker =
  | {
      op: 'receive';
      id: number;
      seq: number;
      bytes: Uint8Array;
      finish?: Uint8Array;
      /** With a session's first message: the session to make (no message of its own, one crossing less). */
      open?: OpenSession;
    }
  | { op: 'write'; id: number; seq: number; data: Uint8Array }
  | { op: 'export'; id: number; seq: number; length: number; label: string; context?: Uint8Array }
  | { op: 'refuse'; id: number; seq: number; description: number }
  /** Sessions ended, gathered over a turn of the event loop. */
  | { op: 'close'; ids: number[] }
  | { op: 'found'; lookup: number; data?: Uint8Array };

/** A TLS session for a worker to make. */
export interface OpenSession {
  kind: TlsEndpointKind;
  resumable: boolean;
  keying?: MethodKeying;
  authenticatedOnly?: boolean;
}

/** A session a worker made: its ID and its record (tls-session-record.ts), for the EapServer's thread to keep. */
export interface MadeSession {
  kind: TlsEndpointKind;
  sid: Uint8Array;
  data: Uint8Array;
}

/** From a worker. */
export type FromWorker =
  | {
      op: 'state';
      seq: number;
      /** TLS bytes to send (absent: none). */
      output?: Uint8Array;
      /** Application data from the peer (absent: none). */
      appData?: Uint8Array;
      established: boolean;
      /** What the handshake settled: once, with the answer that first reports it established. */
      facts?: TlsFacts;
      /** The method's keying material, with those facts. */
      keying?: Uint8Array;
      /** The sessions this TLS session made since its last answer (they ride along, never on their own). */
      sessions?: MadeSession[];
      error?: string;
    }
  | { op: 'exported'; seq: number; material?: Uint8Array; error?: string }
  | { op: 'keylog'; line: Uint8Array }
  | { op: 'lookup'; lookup: number; ids: Uint8Array[] }
  /** Its endpoints are built. */
  | { op: 'ready' };

/** A Buffer over the bytes a message carried (structured clone delivers a Uint8Array). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The bytes of `b` alone, for a message: structured clone copies a view's whole ArrayBuffer, and a
 * small Buffer is a view into Node's shared 8 kB pool (a received datagram's attribute, into its
 * packet).
 */
export function exactBytes(b: Buffer): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b);
}

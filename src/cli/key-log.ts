/**
 * `eap.tls.keyLogFile`: the TLS keys of EAP sessions appended to a file in the NSS key log format
 * (SSLKEYLOGFILE), so that Wireshark or tshark can decrypt a tunnel while debugging. Opened at
 * start, readable by its owner only (it decrypts every tunnel it covers).
 */

import { closeSync, openSync, writeSync } from 'node:fs';
import { ConfigError } from '../errors.js';

export interface KeyLogFile {
  /** Appends one key log line (node:tls 'keylog' lines end with their newline). */
  readonly write: (line: Buffer) => void;
  readonly close: () => void;
}

/** Opens `file` for appending; a file that cannot be opened is a configuration error. */
export function openKeyLogFile(configFile: string, file: string): KeyLogFile {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'a', 0o600);
  } catch (err) {
    throw new ConfigError(configFile, 'eap.tls.keyLogFile', `cannot open ${file}: ${(err as Error).message}`);
  }
  return {
    // Synchronous: a handful of short lines per handshake, and only while debugging.
    write: (line) => {
      if (fd !== undefined) writeSync(fd, line);
    },
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

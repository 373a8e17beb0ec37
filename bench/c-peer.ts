/**
 * The benchmark's C EAP-TLS peer (bench/eap-tls-load.c): one process, one thread, OpenSSL over
 * memory BIOs, so that a login costs the peer a fraction of what a node:tls peer pays and the
 * servers, not the peers, bound the rate on a small machine. This module compiles it (once per
 * process, with the system's cc and OpenSSL headers) and runs it for a measured stretch.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary, runCommand } from '../test/helpers/peers.js';
import type { DriveResult } from './eap-peer.js';

/**
 * The C source in the repository: this module runs as build/bench/c-peer.js, the source stays in
 * bench/ at the root, two levels up.
 */
export const C_PEER_SOURCE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'bench',
  'eap-tls-load.c',
);
const OPENSSL_HEADER = '/usr/include/openssl/ssl.h';

/** Why buildCPeer() cannot build the peer here (no compiler, no OpenSSL headers), or undefined. */
export function cPeerUnavailable(): string | undefined {
  if (!findBinary('cc')) return 'no C compiler (cc) on PATH';
  if (!existsSync(OPENSSL_HEADER)) return `no OpenSSL headers (${OPENSSL_HEADER}: Debian libssl-dev)`;
  return undefined;
}

let built: string | undefined;

/**
 * The peer's binary, compiled on first use into a directory of its own (removed when the process
 * exits); undefined when cc or the OpenSSL headers are missing. A compile error is thrown.
 */
export function buildCPeer(): string | undefined {
  if (built) return built;
  if (cPeerUnavailable()) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-c-peer-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'eap-tls-load');
  execFileSync('cc', ['-O2', '-o', out, C_PEER_SOURCE, '-lssl', '-lcrypto'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
  });
  built = out;
  return built;
}

/** Where to log in and with what: the CA, certificate and key are PEM files. */
export interface CPeerOptions {
  port: number;
  secret: string;
  identity: string;
  /** The CA that must have signed the server's certificate. */
  ca: string;
  cert: string;
  key: string;
  /** The highest version the peer offers (the lowest is TLS 1.2). */
  tlsVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Each conversation offers the session of its previous login. */
  resume?: boolean;
}

/** DriveResult with what else the C peer counts. */
export interface CDriveResult extends DriveResult {
  /** Replies dropped: a wrong Identifier, Response Authenticator or Message-Authenticator. */
  bad: number;
  /** Access-Requests sent, resends included. */
  requests: number;
  /** The peer's own CPU (user+system) per accepted login, in milliseconds; NaN with none. */
  cpuMsPerLogin: number;
}

/** The peer's closing line (see bench/eap-tls-load.c). */
interface PeerReport {
  logins: number;
  accepted: number;
  resumed: number;
  failed: number;
  bad: number;
  requests: number;
  seconds: number;
  cpu_ms_per_login: number;
}

/**
 * `loops` conversations of `binary` logging in back to back for `seconds` against 127.0.0.1; the
 * logins in progress at the end are seen through (a request that goes unanswered gives up after
 * three sends 2 s apart).
 */
export async function driveC(
  binary: string,
  o: CPeerOptions,
  seconds: number,
  loops: number,
): Promise<CDriveResult> {
  const args = [
    '127.0.0.1',
    String(o.port),
    o.secret,
    o.identity,
    o.ca,
    o.cert,
    o.key,
    o.tlsVersion === 'TLSv1.3' ? '1.3' : '1.2',
    String(loops),
    String(seconds),
    o.resume ? '1' : '0',
  ];
  // Its own limit is SECONDS plus a minute for the logins in progress; a little more here.
  const r = await runCommand(binary, args, { timeoutMs: (seconds + 90) * 1000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !line.startsWith('{')) {
    throw new Error(`eap-tls-load exited ${r.code}: ${r.stderr.trim() || line}`);
  }
  const report = JSON.parse(line) as PeerReport;
  return {
    logins: report.logins,
    resumed: report.resumed,
    failed: report.failed,
    bad: report.bad,
    requests: report.requests,
    cpuMsPerLogin: report.logins > 0 ? report.cpu_ms_per_login : Number.NaN,
  };
}

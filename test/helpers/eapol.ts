// Runs eapol_test (wpa_supplicant's EAP test client, Debian eapoltest) against a RADIUS server on
// loopback: one private config file per run, a hard timeout, and the lines the tests check parsed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from './peers.js';

/** One network block of a wpa_supplicant configuration: `key=value`; strings are quoted here. */
export type EapolNetwork = Record<string, string | number>;

/** What eapol_test reported. */
export interface EapolResult {
  code: number;
  /** The last line was SUCCESS. */
  success: boolean;
  /** From `MPPE keys OK: N  mismatch: M` (undefined when absent). */
  mppeOk: number | undefined;
  mppeMismatch: number | undefined;
  stdout: string;
}

// Keys whose values wpa_supplicant takes unquoted.
const BARE = new Set(['key_mgmt', 'eap', 'fragment_size', 'eapol_flags']);

/** Runs eapol_test with `network` against 127.0.0.1:port. */
export async function eapolTest(
  network: EapolNetwork,
  port: number,
  secret: string,
  options: { keys?: boolean; reauths?: number; extraArgs?: string[]; timeoutSeconds?: number } = {},
): Promise<EapolResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-eapol-'));
  try {
    const lines = Object.entries({ key_mgmt: 'WPA-EAP', ...network }).map(([k, v]) =>
      BARE.has(k) || typeof v === 'number' ? `  ${k}=${v}` : `  ${k}="${v}"`,
    );
    const conf = path.join(dir, 'eapol.conf');
    writeFileSync(conf, `network={\n${lines.join('\n')}\n}\n`);
    const t = options.timeoutSeconds ?? 10;
    const args = ['-c', conf, '-a', '127.0.0.1', '-p', String(port), '-s', secret, '-t', String(t)];
    // EAP-MD5 and GTC derive no keys: -n tells eapol_test not to expect MPPE keys.
    if (options.keys === false) args.push('-n');
    if (options.reauths) args.push('-r', String(options.reauths));
    args.push(...(options.extraArgs ?? []));
    const r = await runCommand('eapol_test', args, {
      timeoutMs: (t + 5) * 1000 * (1 + (options.reauths ?? 0)),
    });
    const lines2 = r.stdout.trimEnd().split('\n');
    const mppe = r.stdout.match(/MPPE keys OK: (\d+)\s+mismatch: (\d+)/);
    return {
      code: r.code,
      success: lines2[lines2.length - 1] === 'SUCCESS',
      mppeOk: mppe ? Number(mppe[1]) : undefined,
      mppeMismatch: mppe ? Number(mppe[2]) : undefined,
      stdout: r.stdout,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The end of eapol_test's output, for assertion messages. */
export function tailOf(r: EapolResult, lines = 40): string {
  return r.stdout.split('\n').slice(-lines).join('\n');
}

/** The `key=value` lines of the network block in a wpa_supplicant file (`aioradius certs` writes some), unquoted. */
export function readEapolNetwork(file: string): EapolNetwork {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.includes('=') && !l.startsWith('network'))
      .map((l) => {
        const eq = l.indexOf('=');
        return [l.slice(0, eq), l.slice(eq + 1).replace(/^"(.*)"$/, '$1')];
      }),
  );
}

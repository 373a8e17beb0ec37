// Runs `aioradius serve` / `aioradius user` as child processes for the CLI tests.
import http from 'node:http';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, type RunResult } from '../helpers/peers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The compiled subcommand modules (they run standalone when executed directly). */
export const SERVE_JS = path.resolve(here, '../../src/cli/serve.js');
export const USER_JS = path.resolve(here, '../../src/cli/user.js');
export const ACCT_JS = path.resolve(here, '../../src/cli/acct.js');
export const COA_JS = path.resolve(here, '../../src/cli/coa.js');
export const DISCONNECT_JS = path.resolve(here, '../../src/cli/disconnect.js');

/** A temporary directory removed by the returned function. */
export async function tempDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** Runs `serve` to completion (for configs that must fail), with a hard timeout. */
export function runServe(args: string[], timeoutMs = 15_000): Promise<RunResult> {
  return runCommand(process.execPath, [SERVE_JS, ...args], { timeoutMs });
}

/** Runs `aioradius user ...` to completion; `input` is its standard input. */
export function runUser(args: string[], timeoutMs = 15_000, input?: string): Promise<RunResult> {
  return runCommand(process.execPath, [USER_JS, ...args], { timeoutMs, input });
}

/** Runs `aioradius acct ...` to completion. */
export function runAcct(args: string[], timeoutMs = 15_000): Promise<RunResult> {
  return runCommand(process.execPath, [ACCT_JS, ...args], { timeoutMs });
}

/** Runs `aioradius coa ...` or `aioradius disconnect ...` to completion. */
export function runDynauthCommand(
  kind: 'coa' | 'disconnect',
  args: string[],
  timeoutMs = 15_000,
): Promise<RunResult> {
  return runCommand(process.execPath, [kind === 'coa' ? COA_JS : DISCONNECT_JS, ...args], { timeoutMs });
}

/** A running `serve` child with its JSON log lines. */
export interface ServeProcess {
  child: ChildProcess;
  /** Parsed stdout log lines so far. */
  logs: Array<Record<string, unknown>>;
  stderr(): string;
  /**
   * Resolves with the first log line (past or future, from index `from`) whose msg matches, or
   * that the predicate accepts; rejects after ms.
   */
  waitForLog(
    msg: string | RegExp | ((line: Record<string, unknown>) => boolean),
    ms?: number,
    from?: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (128+n for a signal); rejects after ms. */
  exited(ms?: number): Promise<number>;
  /** Signals and waits (SIGKILL if it takes longer than 10 s). */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Starts `serve --config FILE` and waits for its "aioradius ready" log line. */
export async function startServe(
  configFile: string,
  readyMs = 15_000,
  extraArgs: string[] = [],
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [SERVE_JS, '--config', configFile, ...extraArgs], { stdio: 'pipe' });
  const logs: Array<Record<string, unknown>> = [];
  let err = '';
  let buf = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
      nl = buf.indexOf('\n');
    }
    for (const w of waiters) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  let exitCode: number | undefined;
  const exitPromise = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0);
      for (const w of waiters) w();
      resolve(exitCode);
    });
  });
  const proc: ServeProcess = {
    child,
    logs,
    stderr: () => err,
    waitForLog(msg, ms = 15_000, from = 0) {
      const matches = (l: Record<string, unknown>) =>
        typeof msg === 'function'
          ? msg(l)
          : typeof l.msg === 'string' && (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg));
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = logs.slice(from).find(matches);
          if (hit) done(() => resolve(hit));
          else if (exitCode !== undefined)
            done(() => reject(new Error(`serve exited (${exitCode}) before "${msg}": ${err}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no "${msg}" log within ${ms} ms: ${err}`))),
          ms,
        );
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    exited(ms = 15_000) {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        exitPromise,
        new Promise<number>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`serve did not exit within ${ms} ms`)), ms);
        }),
      ]).finally(() => clearTimeout(timer));
    },
    async stop(signal = 'SIGTERM') {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      try {
        return await proc.exited(10_000);
      } catch {
        child.kill('SIGKILL');
        return proc.exited(5_000);
      }
    },
  };
  try {
    await proc.waitForLog('aioradius ready', readyMs);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return proc;
}

/** The body of GET `urlPath` (default /metrics) on 127.0.0.1:`port`. */
export function httpGet(port: number, urlPath = '/metrics'): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

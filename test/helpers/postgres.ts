// A private PostgreSQL server for tests: initdb into a temporary directory, `postgres` on a free
// port of 127.0.0.1 (its socket in that directory too), trust authentication; stopped and removed
// by stop(). PostgreSQL refuses to run as root: then the directory is given to user `nobody` and
// initdb and the server run as it (spawn's uid/gid, so a signal reaches postgres itself).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from './peers.js';
import { freePort } from './ports.js';

const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];

function pgBin(name: string): string | undefined {
  for (const dir of BIN_DIRS) {
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Why PostgreSQL cannot run here, or false (for node:test's `skip`). */
export function postgresMissing(): string | false {
  if (!pgBin('initdb') || !pgBin('postgres'))
    return 'skipped: PostgreSQL not installed (apt-get install postgresql)';
  return false;
}

/** A running PostgreSQL. */
export interface PostgresPeer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  dir: string;
  /** Kills the server with SIGKILL (a crash: only committed transactions survive) and starts it again. */
  crashAndRestart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
  log(): string;
}

function waitForPort(port: number, child: ChildProcess, ms: number, log: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`postgres exited: ${log()}`));
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`postgres not listening within ${ms} ms: ${log()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

// As root, the server runs as `nobody` (PostgreSQL will not run as root).
const NOBODY = 65534;
const asNobody = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};

/** Runs `cmd` to completion (as `nobody` when root); resolves with its exit code and output. */
function runAsServerUser(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...asNobody });
    let out = '';
    c.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    c.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    c.once('error', reject);
    c.once('exit', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** Creates a cluster and starts PostgreSQL on a free loopback port. */
export async function startPostgres(): Promise<PostgresPeer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'aioradius-pg-'));
  const data = path.join(dir, 'data');
  if (process.getuid?.() === 0) {
    await fs.chmod(dir, 0o755);
    await runCommand('chown', ['nobody:nogroup', dir], { timeoutMs: 10_000 });
  }
  const init = await runAsServerUser(
    pgBin('initdb') as string,
    ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'],
    dir,
  );
  if (init.code !== 0) throw new Error(`initdb failed: ${init.out}`);
  const port = await freePort();
  let output = '';
  let child: ChildProcess | undefined;
  const start = async () => {
    const args = [
      '-D',
      data,
      '-p',
      String(port),
      '-h',
      '127.0.0.1',
      '-k',
      dir,
      // Durable as in production: the tests check what survives a crash.
      '-c',
      'fsync=on',
      '-c',
      'synchronous_commit=on',
      '-c',
      'max_connections=60',
    ];
    const c = spawn(pgBin('postgres') as string, args, {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...asNobody,
    });
    child = c;
    c.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    c.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await waitForPort(port, c, 30_000, () => output);
    // The port opens before recovery ends: wait until a query would be accepted.
    const ready = pgBin('pg_isready');
    for (let i = 0; ready && i < 100; i++) {
      const r = await runCommand(ready, ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres'], {
        timeoutMs: 5000,
      });
      if (r.code === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
  };
  await start();
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async crashAndRestart() {
      // The postmaster's children notice it is gone and exit; a restart then recovers from WAL.
      await kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      await start();
    },
    async stop() {
      // SIGINT: PostgreSQL's fast shutdown.
      await kill('SIGINT');
      process.off('exit', killOnExit);
      await fs.rm(dir, { recursive: true, force: true });
    },
    log: () => output,
  };
}

// A private redis-server for tests: a free port on 127.0.0.1, its own directory, no persistence;
// stopped and removed by stop().
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findBinary } from './peers.js';
import { freePort } from './ports.js';

/** Why redis-server cannot run here, or false (for node:test's `skip`). */
export function redisMissing(): string | false {
  return findBinary('redis-server')
    ? false
    : 'skipped: redis-server not installed (apt-get install redis-server)';
}

/** A running redis-server. */
export interface RedisPeer {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Kills the server (SIGKILL); start() brings it back on the same port. */
  kill(): Promise<void>;
  /** Stops the server for `ms` (SIGSTOP, then SIGCONT): a Redis that is there but does not answer. */
  pause(ms: number): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  log(): string;
}

/** Starts redis-server on a free loopback port. */
export async function startRedis(options: { password?: string } = {}): Promise<RedisPeer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'aioradius-redis-'));
  const port = await freePort();
  let output = '';
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn(
      findBinary('redis-server') ?? 'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        ...(options.password ? ['--requirepass', options.password] : []),
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = c;
    c.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    c.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`redis-server not listening: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    async pause(ms: number) {
      child?.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, ms));
      child?.kill('SIGCONT');
    },
    start,
    async stop() {
      await kill();
      process.off('exit', killOnExit);
      await fs.rm(dir, { recursive: true, force: true });
    },
    log: () => output,
  };
}

// A private nginx as a UDP load balancer (the stream module, round-robin) for tests: its own
// config, prefix directory and ports on 127.0.0.1; stopped and removed by stop().
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findBinary } from './peers.js';
import { freePorts } from './ports.js';

const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

/** Why nginx cannot balance UDP here, or false (for node:test's `skip`). */
export function nginxMissing(): string | false {
  if (!findBinary('nginx') && !existsSync('/usr/sbin/nginx'))
    return 'skipped: nginx not installed (apt-get install nginx libnginx-mod-stream)';
  if (!existsSync(STREAM_MODULE)) return 'skipped: libnginx-mod-stream not installed';
  return false;
}

/** A running balancer: one front port per group of back-end ports. */
export interface NginxPeer {
  /** The front ports, in the order of the groups given to startNginxUdp. */
  ports: number[];
  stop(): Promise<void>;
  log(): Promise<string>;
}

/**
 * Starts nginx balancing UDP round-robin: for each group of back-end ports, one front port on
 * 127.0.0.1. Each request is its own session (one response ends it), so consecutive requests go
 * to consecutive back ends, as a stateless balancer in front of RADIUS servers does.
 */
export async function startNginxUdp(groups: number[][]): Promise<NginxPeer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'aioradius-nginx-'));
  await fs.chmod(dir, 0o755);
  const ports = await freePorts(groups.length);
  const upstreams = groups
    .map(
      (g, i) =>
        `  upstream group${i} {\n${g.map((p) => `    server 127.0.0.1:${p} max_fails=0;\n`).join('')}  }\n` +
        `  server {\n    listen 127.0.0.1:${ports[i]} udp;\n    proxy_pass group${i};\n` +
        '    proxy_responses 1;\n    proxy_timeout 5s;\n  }\n',
    )
    .join('');
  const conf = `load_module ${STREAM_MODULE};
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 1024; }
stream {
${upstreams}}
`;
  const confFile = path.join(dir, 'nginx.conf');
  await fs.writeFile(confFile, conf);
  const bin = findBinary('nginx') ?? '/usr/sbin/nginx';
  let output = '';
  const child: ChildProcess = spawn(bin, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', confFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const readLog = () => fs.readFile(path.join(dir, 'error.log'), 'utf8').catch(() => '');
  // Ready once the pid file is written (after the sockets are bound).
  const deadline = Date.now() + 10_000;
  while (!existsSync(path.join(dir, 'nginx.pid'))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`nginx did not start: ${output}${await readLog()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    ports,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        // SIGTERM: nginx's fast shutdown (master and workers).
        child.kill('SIGTERM');
        await exited;
      }
      process.off('exit', killOnExit);
      await fs.rm(dir, { recursive: true, force: true });
    },
    log: readLog,
  };
}

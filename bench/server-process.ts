/**
 * Runs a benchmark server in a process of its own: the parent forks a server module with
 * {@link startServerProcess}; the module calls {@link serveAsChild} when it is the forked main.
 * Messages: parent → child the options, child → parent `{ port }`, parent → child `'stop'`.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What every benchmark server is given: one NAS secret and one PAP user. */
export interface BenchServerOptions {
  secret: string;
  user: string;
  password: string;
  /** Serve RADIUS/TLS (RFC 6614) too, with these PEM files; the port reported is then the TLS one. */
  tls?: { certFile: string; keyFile: string; caFile: string; shareRecords?: boolean };
  /** For a proxy: the home server it forwards to (127.0.0.1:port, this secret). */
  home?: { port: number; secret: string };
}

/** A server started inside the child process. */
export interface BenchServer {
  port: number;
  close(): Promise<void>;
}

/** A server process as the parent sees it. */
export interface ServerProcess {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/** In a forked server module: starts the server with the parent's options and reports its port. */
export function serveAsChild(start: (o: BenchServerOptions) => Promise<BenchServer>): void {
  process.once('message', (o: BenchServerOptions) => {
    start(o).then(
      (server) => {
        process.on('message', (m: unknown) => {
          if (m === 'stop') void server.close().finally(() => process.exit(0));
        });
        // The parent went away without stopping us: do not linger.
        process.once('disconnect', () => void server.close().finally(() => process.exit(0)));
        process.send?.({ port: server.port });
      },
      (e: unknown) => {
        process.send?.({ error: e instanceof Error ? e.message : String(e) });
        process.exit(1);
      },
    );
  });
}

/** Forks `modulePath` (a compiled server module), hands it `options`, resolves once it listens. */
export function startServerProcess(
  modulePath: string,
  options: BenchServerOptions,
  execArgv: string[] = [],
): Promise<ServerProcess> {
  const child = fork(modulePath, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${modulePath} did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${modulePath} exited with ${code} before listening`));
    });
    child.once('message', (m: { port?: number; error?: string }) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      if (m.port === undefined) {
        child.kill('SIGKILL');
        reject(new Error(`${modulePath} failed to start: ${m.error}`));
        return;
      }
      resolve({
        port: m.port,
        pid: child.pid as number,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
            child.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            child.send('stop');
          }),
      });
    });
    child.send(options);
  });
}

/** True when the calling module is the process's main script. */
export function isMain(metaUrl: string): boolean {
  const arg = process.argv[1];
  return arg !== undefined && fileURLToPath(metaUrl) === arg;
}

/** A process and its children (the workers of `serve --workers N`), from /proc. */
export function withChildren(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return [pid, ...(children ? children.split(' ').map(Number) : [])];
  } catch {
    return [pid];
  }
}

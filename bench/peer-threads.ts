/**
 * The benchmark's EAP peers spread over worker threads. One event loop of peers bounds the rate
 * at about one core's worth of their TLS: the server then waits for them and nothing is measured
 * at saturation. Each thread runs its share of the loops with driveEapTls/drivePeap; the threads
 * live for the whole benchmark, so a run's time holds no thread start. process.cpuUsage() counts
 * every thread of the process, so the driver's CPU still covers them.
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { type DriveResult, driveEapTls, type EapTlsPeerOptions } from './eap-peer.js';
import { driveMd5, type Md5PeerOptions } from './md5-peer.js';
import { drivePeap, type PeapPeerOptions } from './peap-peer.js';

/** One run of `loops` peers for `seconds`: EAP-TLS, PEAP or EAP-MD5 logins. */
export type PeerJob =
  | { kind: 'tls'; options: Omit<EapTlsPeerOptions, 'context'>; seconds: number; loops: number }
  | { kind: 'peap'; options: Omit<PeapPeerOptions, 'context'>; seconds: number; loops: number }
  | { kind: 'md5'; options: Md5PeerOptions; seconds: number; loops: number };

/** Runs a job in this thread (what each worker does with the jobs it is sent). */
export async function runPeerJob(job: PeerJob): Promise<DriveResult> {
  if (job.kind === 'md5') return driveMd5(job.options, job.seconds, job.loops);
  // Buffers cross threads as plain Uint8Arrays: node:tls wants Buffers back.
  const ca = Buffer.from(job.options.ca);
  if (job.kind === 'peap') {
    return drivePeap({ ...job.options, ca }, job.seconds, job.loops);
  }
  const { cert, key } = job.options;
  return driveEapTls(
    { ...job.options, ca, cert: Buffer.from(cert), key: Buffer.from(key) },
    job.seconds,
    job.loops,
  );
}

/** `count` threads of peers (1: the peers in one thread, as before threads). */
export class PeerThreads {
  private readonly workers: Worker[];

  constructor(count: number) {
    const entry = new URL(import.meta.url);
    this.workers = Array.from({ length: Math.max(1, count) }, () => new Worker(entry));
  }

  get size(): number {
    return this.workers.length;
  }

  /** The job's loops shared out over the threads; their logins summed. */
  async drive(job: PeerJob): Promise<DriveResult> {
    const n = this.workers.length;
    const shares = this.workers.map((_, i) => Math.floor(job.loops / n) + (i < job.loops % n ? 1 : 0));
    const results = await Promise.all(
      this.workers.map((worker, i) =>
        shares[i] === 0
          ? { logins: 0, resumed: 0, failed: 0 }
          : new Promise<DriveResult>((resolve, reject) => {
              const onError = (err: Error) => reject(err);
              worker.once('error', onError);
              worker.once('message', (r: DriveResult) => {
                worker.off('error', onError);
                resolve(r);
              });
              worker.postMessage({ ...job, loops: shares[i] });
            }),
      ),
    );
    return results.reduce(
      (a, r) => ({
        logins: a.logins + r.logins,
        resumed: a.resumed + r.resumed,
        failed: a.failed + r.failed,
      }),
      { logins: 0, resumed: 0, failed: 0 },
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', (job: PeerJob) => {
    runPeerJob(job).then(
      (r) => port.postMessage(r),
      () => port.postMessage({ logins: 0, resumed: 0 }),
    );
  });
}

/**
 * A TLS worker thread of an EapServer: it holds TLS sessions (TlsEngine) by number and runs what
 * the EapServer's thread asks of them. It keeps no resumable sessions: each one a TLS session
 * makes goes to the EapServer's thread with that session's next answer, and resumptions run there.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { type TlsEndpointKind, tlsEndpoints } from './tls-config.js';
import { type TlsFacts, TlsEngine } from './tls-engine.js';
import {
  asBuffer,
  exactBytes,
  type FromWorker,
  type MadeSession,
  type OpenSession,
  type ToWorker,
} from './tls-worker-messages.js';
import type { WorkerOptions } from './tls-worker-pool.js';

const port = parentPort;
if (!port) throw new Error('tls-worker.js runs as a worker thread');
const post = (message: FromWorker) => port.postMessage(message);

const { lookup, ...options } = workerData as WorkerOptions;
/** Lookups of the shared store the EapServer's thread is making for this worker, by number. */
const lookups = new Map<number, (data: Buffer | undefined) => void>();
let lookupCount = 0;
const endpoints = tlsEndpoints({
  ...options,
  keyLog: options.keyLog ? (line) => post({ op: 'keylog', line }) : undefined,
  // The shared store's client lives in the EapServer's thread: it looks the session up there.
  lookupSession: lookup
    ? (ids) =>
        new Promise((resolve) => {
          lookupCount = (lookupCount + 1) % Number.MAX_SAFE_INTEGER;
          lookups.set(lookupCount, resolve);
          post({ op: 'lookup', lookup: lookupCount, ids: [...ids] });
        })
    : undefined,
});
/**
 * A TLS session of this worker: whether its facts and keying material went out already, and how
 * many of the sessions it made (they go with its answers, to be kept in the EapServer's thread).
 */
interface Held {
  engine: TlsEngine;
  kind: TlsEndpointKind;
  reported: boolean;
  sessionsReported: number;
}
const engines = new Map<number, Held>();
post({ op: 'ready' });

/**
 * The answer to a receive or write. What the handshake settled (facts, and the method's keying
 * material, which the method will ask for once the exchange ends) goes once, with the first answer
 * that finds the session established: later answers carry only bytes.
 */
async function state(seq: number, held: Held): Promise<FromWorker> {
  const { engine } = held;
  let settled: { facts?: TlsFacts; keying?: Buffer } = {};
  if (engine.established && !held.reported) {
    held.reported = true;
    const keying = engine.error ? undefined : await engine.methodKeyingMaterial().catch(() => undefined);
    settled = { facts: engine.facts, ...(keying ? { keying } : {}) };
  }
  const output = engine.takeOutput();
  const appData = engine.established ? engine.takeAppData() : undefined;
  const made = engine.sessionsMade.slice(held.sessionsReported);
  held.sessionsReported += made.length;
  const sessions: MadeSession[] | undefined =
    made.length > 0
      ? made.map(({ id, data }) => ({ kind: held.kind, sid: exactBytes(id), data: exactBytes(data) }))
      : undefined;
  return {
    op: 'state',
    seq,
    ...(output.length > 0 ? { output: exactBytes(output) } : {}),
    ...(appData && appData.length > 0 ? { appData: exactBytes(appData) } : {}),
    established: engine.established,
    ...settled,
    ...(sessions ? { sessions } : {}),
    ...(engine.error ? { error: engine.error.message } : {}),
  };
}

function open(id: number, o: OpenSession): void {
  engines.set(id, {
    engine: new TlsEngine(endpoints[o.kind], o.resumable, o.keying, o.authenticatedOnly),
    kind: o.kind,
    reported: false,
    sessionsReported: 0,
  });
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.op) {
    case 'found':
      lookups.get(m.lookup)?.(m.data ? asBuffer(m.data) : undefined);
      lookups.delete(m.lookup);
      return;
    case 'close':
      for (const id of m.ids) {
        engines.get(id)?.engine.destroy();
        engines.delete(id);
      }
      return;
  }
  if (m.op === 'receive' && m.open) open(m.id, m.open);
  const held = engines.get(m.id);
  if (!held) {
    if (m.op === 'export') post({ op: 'exported', seq: m.seq, error: 'no such TLS session' });
    else post({ op: 'state', seq: m.seq, established: false, error: 'no such TLS session' });
    return;
  }
  const { engine } = held;
  if (m.op === 'export') {
    try {
      const context = m.context ? asBuffer(m.context) : undefined;
      post({
        op: 'exported',
        seq: m.seq,
        material: await engine.exportKeyingMaterial(m.length, m.label, context),
      });
    } catch (err) {
      post({ op: 'exported', seq: m.seq, error: (err as Error).message });
    }
    return;
  }
  if (m.op === 'refuse') {
    const output = await engine.refuse(m.description);
    post({ op: 'state', seq: m.seq, established: engine.established, output: exactBytes(output) });
    return;
  }
  if (m.op === 'receive') await engine.receive(asBuffer(m.bytes), m.finish && asBuffer(m.finish));
  else await engine.write(asBuffer(m.data));
  post(await state(m.seq, held));
}

port.on('message', (m: ToWorker) => {
  handle(m).catch((err: unknown) => {
    if ('seq' in m) post({ op: 'exported', seq: m.seq, error: (err as Error).message });
  });
});

/**
 * A TLS worker thread of an EapServer: it holds TLS sessions (TlsEngine) by number and runs what
 * the EapServer's thread asks of them. Sessions it makes are reported so that every worker can
 * resume them.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { tlsEndpoints } from './tls-config.js';
import { TlsEngine } from './tls-engine.js';
import { asBuffer, type FromWorker, type ToWorker } from './tls-worker-messages.js';
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
  onSession: (kind, sid, data) => post({ op: 'session', kind, sid, data }),
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
const engines = new Map<number, TlsEngine>();
/** Sessions whose keying material was sent (or cannot be: opened without keying). */
const keyed = new Set<number>();
post({ op: 'ready' });

async function state(seq: number, id: number, engine: TlsEngine): Promise<FromWorker> {
  let keying: Buffer | undefined;
  if (engine.established && !engine.error && !keyed.has(id)) {
    keyed.add(id);
    // The method will ask for it once the exchange ends: sent now, it costs no crossing then.
    keying = await engine.methodKeyingMaterial().catch(() => undefined);
  }
  return {
    op: 'state',
    seq,
    output: engine.takeOutput(),
    appData: engine.established ? engine.takeAppData() : Buffer.alloc(0),
    established: engine.established,
    facts: engine.facts,
    ...(keying ? { keying } : {}),
    error: engine.error?.message,
  };
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.op) {
    case 'open':
      engines.set(m.id, new TlsEngine(endpoints[m.kind], m.resumable, m.keying));
      if (!m.keying) keyed.add(m.id);
      return;
    case 'session':
      endpoints[m.kind].sessions?.set(asBuffer(m.sid), asBuffer(m.data));
      return;
    case 'found':
      lookups.get(m.lookup)?.(m.data ? asBuffer(m.data) : undefined);
      lookups.delete(m.lookup);
      return;
    case 'close':
      engines.get(m.id)?.destroy();
      engines.delete(m.id);
      keyed.delete(m.id);
      return;
  }
  const engine = engines.get(m.id);
  if (!engine) {
    if (m.op === 'export') post({ op: 'exported', seq: m.seq, error: 'no such TLS session' });
    else
      post({
        op: 'state',
        seq: m.seq,
        output: Buffer.alloc(0),
        appData: Buffer.alloc(0),
        established: false,
        error: 'no such TLS session',
      });
    return;
  }
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
  if (m.op === 'receive') await engine.receive(asBuffer(m.bytes), m.finish && asBuffer(m.finish));
  else await engine.write(asBuffer(m.data));
  post(await state(m.seq, m.id, engine));
}

port.on('message', (m: ToWorker) => {
  handle(m).catch((err: unknown) => {
    if ('seq' in m) post({ op: 'exported', seq: m.seq, error: (err as Error).message });
  });
});

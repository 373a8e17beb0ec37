// Worker thread of the store: writes accounting batches so that the fsync of each commit never
// blocks the event loop that receives and answers packets.
import { parentPort, workerData } from 'node:worker_threads';
import { AccountingTables, openDatabase, type RecordRow } from './accounting-tables.js';

/** A message to the worker: a batch to write (flattened records), or the request to close. */
export type WorkerRequest = { id: number; rows: RecordRow[] } | { close: true };

/** The worker's answer to a batch. */
export type WorkerReply = { id: number; results: boolean[] } | { id: number; error: string };

const port = parentPort;
if (port) {
  const data = workerData as { file: string; duplicateWindow?: number };
  const tables = new AccountingTables(openDatabase(data.file), data.duplicateWindow);
  port.on('message', (msg: WorkerRequest) => {
    if ('close' in msg) {
      tables.db.close();
      port.close();
      return;
    }
    let reply: WorkerReply;
    try {
      reply = { id: msg.id, results: tables.writeRows(msg.rows) };
    } catch (err) {
      reply = { id: msg.id, error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
  });
}

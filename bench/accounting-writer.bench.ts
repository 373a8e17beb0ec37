/**
 * The SQLite accounting writer alone: CPU per record of AccountingTables.writeRows (the record
 * with its duplicate probe and the session upsert, committed durably) for a given number of
 * records per Acct-Session-Id, all received within the duplicate window. The records are built
 * before the clock starts, so only the writer is measured (process CPU, user + system; the writer
 * runs on this thread).
 *
 * Run: `node build/bench/accounting-writer.bench.js [recordsPerSession] [records] [batch]` after
 * `npm run build:test`; prints one JSON line.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ACCOUNTING_REQUEST } from '../src/protocol/codes.js';
import { createPacket, decodeRequest } from '../src/protocol/packet.js';
import { accountingRecord } from '../src/store/accounting.js';
import { AccountingTables, openDatabase, type RecordRow, recordRow } from '../src/store/accounting-tables.js';

const SECRET = 'bench-writer-secret';
const T0 = Date.UTC(2026, 0, 1);

/** What one run measured. */
export interface WriterBenchResult {
  recordsPerSession: number;
  records: number;
  batch: number;
  /** Writer CPU (user + system) per record, µs. */
  cpuUsPerRecord: number;
  /** Database file size per record after a checkpoint, bytes (indexes included). */
  bytesPerRecord: number;
}

/**
 * Interim-Updates of `records / recordsPerSession` sessions, interleaved as a NAS would send them:
 * each session's records 100 ms apart (1,000 records span 100 s, inside the 300 s window).
 */
function buildRows(recordsPerSession: number, records: number): RecordRow[] {
  const sessions = Math.max(1, Math.floor(records / recordsPerSession));
  const rows: RecordRow[] = [];
  for (let i = 0; i < recordsPerSession && rows.length < records; i++) {
    for (let s = 0; s < sessions && rows.length < records; s++) {
      const bytes = createPacket(ACCOUNTING_REQUEST, SECRET, {
        identifier: rows.length & 0xff,
        attributes: [
          ['Acct-Status-Type', i === 0 ? 'Start' : 'Interim-Update'],
          ['Acct-Session-Id', `bench-${s.toString(16).padStart(8, '0')}`],
          ['User-Name', `user${s}@example.net`],
          ['NAS-IP-Address', '10.0.0.1'],
          ['NAS-Port', s],
          ['Framed-IP-Address', `10.${(s >> 16) & 255}.${(s >> 8) & 255}.${s & 255}`],
          ['Acct-Session-Time', i],
          ['Acct-Input-Octets', i * 1500],
          ['Acct-Output-Octets', i * 3000],
          ['Acct-Input-Packets', i],
          ['Acct-Output-Packets', i * 2],
          ['Event-Timestamp', Math.floor(T0 / 1000) + i],
        ],
      }).encode();
      rows.push(recordRow(accountingRecord(decodeRequest(SECRET, bytes), '10.0.0.1', T0 + i * 100 + s)));
    }
  }
  return rows;
}

/** Writes the rows in batches of `batch` into a new database; returns the writer's cost. */
export function runWriterBench(recordsPerSession = 1000, records = 64_000, batch = 128): WriterBenchResult {
  const rows = buildRows(recordsPerSession, records);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-writer-'));
  try {
    const file = path.join(dir, 'acct.db');
    const db = openDatabase(file);
    const tables = new AccountingTables(db);
    const start = process.cpuUsage();
    for (let i = 0; i < rows.length; i += batch) tables.writeRows(rows.slice(i, i + batch));
    const cpu = process.cpuUsage(start);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return {
      recordsPerSession,
      records: rows.length,
      batch,
      cpuUsPerRecord: Math.round(((cpu.user + cpu.system) / rows.length) * 10) / 10,
      bytesPerRecord: Math.round(statSync(file).size / rows.length),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [perSession, records, batch] = process.argv.slice(2).map(Number);
  const r = runWriterBench(perSession || 1000, records || 64_000, batch || 128);
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

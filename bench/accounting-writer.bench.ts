/**
 * The accounting writer alone, for a given number of records per Acct-Session-Id, all received
 * within the duplicate window: CPU per record of the record with its duplicate probe and the
 * session upsert, committed durably. The records are built before the clock starts.
 *
 * SQLite: AccountingTables.writeRows in batches of `batch`, process CPU (user + system; the writer
 * runs on this thread). `--postgres`: the PostgreSQL store against a private server, one record per
 * session submitted together in each round (a batch of distinct sessions, as interim updates
 * arrive); the CPU of the server's processes, read from /proc (Linux).
 *
 * Run: `node build/bench/accounting-writer.bench.js [recordsPerSession] [records] [batch] [--postgres]`
 * after `npm run build:test`; prints one JSON line.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ACCOUNTING_REQUEST } from '../src/protocol/codes.js';
import { createPacket, decodeRequest } from '../src/protocol/packet.js';
import { type AccountingRecord, accountingRecord } from '../src/store/accounting.js';
import { AccountingTables, openDatabase, recordRow } from '../src/store/accounting-tables.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { type PostgresPeer, startPostgres } from '../test/helpers/postgres.js';

const SECRET = 'bench-writer-secret';
const T0 = Date.UTC(2026, 0, 1);

/** What one run measured. */
export interface WriterBenchResult {
  store: 'sqlite' | 'postgres';
  recordsPerSession: number;
  records: number;
  /** Batches written (SQLite: records / batch; PostgreSQL: as the group commit formed them). */
  batches: number;
  /** Writer CPU per record, µs (SQLite: this process; PostgreSQL: the server's processes). */
  cpuUsPerRecord: number;
  /** SQLite: database file size per record after a checkpoint, bytes (indexes included). */
  bytesPerRecord?: number;
}

/**
 * Interim-Updates of `records / recordsPerSession` sessions in rounds of one record per session,
 * as a NAS would send them: each session's records 100 ms apart (1,000 records span 100 s, inside
 * the 300 s window).
 */
function buildRounds(recordsPerSession: number, records: number): AccountingRecord[][] {
  const sessions = Math.max(1, Math.floor(records / recordsPerSession));
  const rounds: AccountingRecord[][] = [];
  for (let i = 0; i < recordsPerSession; i++) {
    const round: AccountingRecord[] = [];
    for (let s = 0; s < sessions; s++) {
      const bytes = createPacket(ACCOUNTING_REQUEST, SECRET, {
        identifier: s & 0xff,
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
      round.push(accountingRecord(decodeRequest(SECRET, bytes), '10.0.0.1', T0 + i * 100 + s));
    }
    rounds.push(round);
  }
  return rounds;
}

const perRecord = (us: number, records: number) => Math.round((us / records) * 10) / 10;

/** Writes the records into a new SQLite database in batches of `batch`; returns the writer's cost. */
export function runSqliteWriterBench(
  recordsPerSession = 1000,
  records = 32_000,
  batch = 128,
): WriterBenchResult {
  const rows = buildRounds(recordsPerSession, records).flat().map(recordRow);
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
      store: 'sqlite',
      recordsPerSession,
      records: rows.length,
      batches: Math.ceil(rows.length / batch),
      cpuUsPerRecord: perRecord(cpu.user + cpu.system, rows.length),
      bytesPerRecord: Math.round(statSync(file).size / rows.length),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU time (µs) of the postmaster and its children so far (Linux /proc, clock ticks of 10 ms). */
function postgresCpu(peer: PostgresPeer): number {
  const master = Number(readFileSync(path.join(peer.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // After the command name: state, ppid, ...; utime, stime, cutime, cstime are fields 14-17.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) === master || Number(f[1]) === master)
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks * 10_000;
}

/** Writes the records through the PostgreSQL store, a round at a time; returns the server's cost. */
export async function runPostgresWriterBench(
  recordsPerSession = 1000,
  records = 32_000,
): Promise<WriterBenchResult> {
  const rounds = buildRounds(recordsPerSession, records);
  const peer = await startPostgres();
  try {
    const store = await PostgresStore.open(peer.url);
    const start = postgresCpu(peer);
    let n = 0;
    for (const round of rounds) n += (await Promise.all(round.map((r) => store.recordAccounting(r)))).length;
    const cpu = postgresCpu(peer) - start;
    const { batches } = store.commitStats;
    await store.close();
    return { store: 'postgres', recordsPerSession, records: n, batches, cpuUsPerRecord: perRecord(cpu, n) };
  } finally {
    await peer.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [perSession, records, batch] = process.argv
    .slice(2)
    .filter((a) => a !== '--postgres')
    .map(Number);
  const r = process.argv.includes('--postgres')
    ? await runPostgresWriterBench(perSession || 1000, records || 32_000)
    : runSqliteWriterBench(perSession || 1000, records || 32_000, batch || 128);
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

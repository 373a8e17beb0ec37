// `aioradius acct sessions|show|purge`: reads and trims the accounting tables `serve` writes, in
// SQLite or PostgreSQL (like FreeRADIUS's radwho/radlast, over the database).
import {
  commandFailed,
  type OptionSpec,
  parseCommandLine,
  SHARED_OPTIONS,
  stringOption,
  UsageError,
} from './args.js';
import type { AccountingRecordRow } from '../store/accounting-queries.js';
import type { SessionRow } from '../store/sqlite-store.js';
import { loadConfig } from './config.js';
import { type CommandStore, databaseFailed, openStore, queryFailed } from './database.js';
import { runIfMain } from './run-main.js';

const USAGE = `Usage:
  aioradius acct sessions [--active] [--user U] [--nas ADDR] [--limit N] [--json] (--db FILE|URL | --config FILE)
  aioradius acct show SESSION [--nas ADDR] [--json] (--db FILE|URL | --config FILE)
  aioradius acct purge --before DATE [--dry-run] (--db FILE|URL | --config FILE)

sessions lists sessions, most recently updated first (status active, stale or stopped); show
prints one session (Acct-Session-Id) with every stored record; purge deletes records received
before DATE and the closed (stopped or stale) sessions last updated before it; open sessions
stay. DATE is an ISO 8601 date or time (2026-01-31, 2026-01-31T12:00:00Z) or an age such as 30d
or 12h. --db takes a SQLite file or a postgres:// URL (as database: in the serve config); --config
takes the database from a serve config.`;

interface Args {
  positional: string[];
  db?: string;
  config?: string;
  active: boolean;
  user?: string;
  nas?: string;
  limit?: number;
  json: boolean;
  before?: string;
  dryRun: boolean;
  help: boolean;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  db: { type: 'string' },
  config: SHARED_OPTIONS.config,
  active: { type: 'boolean' },
  user: { type: 'string' },
  nas: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  before: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const satisfies Record<string, OptionSpec>;

function parseArgs(argv: string[]): Args {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  const limit = stringOption(values, 'limit');
  if (limit !== undefined && (!/^\d+$/.test(limit) || Number(limit) === 0))
    throw new UsageError('--limit must be a positive integer');
  return {
    positional: positionals,
    db: stringOption(values, 'db'),
    config: stringOption(values, 'config'),
    active: values.active === true,
    user: stringOption(values, 'user'),
    nas: stringOption(values, 'nas'),
    limit: limit === undefined ? undefined : Number(limit),
    json: values.json === true,
    before: stringOption(values, 'before'),
    dryRun: values['dry-run'] === true,
    help: values.help === true,
  };
}

/** `--before`: an ISO date/time, or an age (`30d`, `12h`, `90m`) counted back from `now`. */
export function parseBefore(text: string, now = Date.now()): number {
  const age = /^(\d+)([dhm])$/.exec(text);
  if (age) {
    const unit = age[2] === 'd' ? 86_400_000 : age[2] === 'h' ? 3_600_000 : 60_000;
    return now - Number(age[1]) * unit;
  }
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    throw new UsageError(
      `--before ${JSON.stringify(text)}: expected a date (2026-01-31), a time or an age (30d)`,
    );
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`--before ${JSON.stringify(text)}: not a valid date`);
  return t;
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

/** A session as `acct` prints it in JSON: times as ISO 8601. */
function sessionJson(s: SessionRow): Record<string, unknown> {
  return {
    nas: s.nas,
    sessionId: s.session_id,
    user: s.user_name,
    status: s.status,
    start: s.start_time === null ? null : iso(s.start_time),
    lastUpdate: iso(s.last_update),
    stop: s.stop_time === null ? null : iso(s.stop_time),
    sessionTime: s.session_time,
    inputOctets: s.input_octets,
    outputOctets: s.output_octets,
    inputPackets: s.input_packets,
    outputPackets: s.output_packets,
    terminateCause: s.terminate_cause,
    framedIp: s.framed_ip,
    records: s.records,
  };
}

const STATUS_NAMES: Record<number, string> = {
  1: 'Start',
  2: 'Stop',
  3: 'Interim-Update',
  7: 'Accounting-On',
  8: 'Accounting-Off',
};

function recordJson(r: AccountingRecordRow): Record<string, unknown> {
  return {
    received: iso(r.received_at),
    event: iso(r.event_time),
    statusType: STATUS_NAMES[r.status_type] ?? r.status_type,
    identifier: r.identifier,
    attributes: r.attributes,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  '))
    .join('\n');
}

const dash = (v: string | number | null) => (v === null ? '-' : String(v));

/** Entry point of `aioradius acct`: 0 done, 1 nothing found / no database, 2 usage. */
export async function run(argv: string[]): Promise<number> {
  let args: Args;
  let command: string;
  let dbPath: string;
  let rest: string[];
  let before: number | undefined;
  try {
    args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    [command, ...rest] = args.positional;
    if (command === undefined) throw new UsageError('expected a sub-command: sessions, show or purge');
    if (!['sessions', 'show', 'purge'].includes(command))
      throw new UsageError(`unknown sub-command ${JSON.stringify(command)} (sessions, show or purge)`);
    if (command === 'show' ? rest.length !== 1 : rest.length !== 0) {
      throw new UsageError(
        command === 'show' ? 'acct show needs one SESSION' : `unexpected argument ${JSON.stringify(rest[0])}`,
      );
    }
    if (command === 'purge') {
      if (args.before === undefined) throw new UsageError('acct purge needs --before DATE');
      before = parseBefore(args.before);
    }
    const db = args.db ?? (args.config ? loadConfig(args.config, { command: true }).database : undefined);
    if (!db) throw new UsageError('--db FILE (or --config FILE) is required');
    dbPath = db;
  } catch (err) {
    return commandFailed('acct', err);
  }
  let store: CommandStore;
  try {
    store = await openStore(dbPath, { readonly: command !== 'purge' });
  } catch (err) {
    return databaseFailed('acct', dbPath, err);
  }
  try {
    if (command === 'sessions') {
      const sessions = await store.listSessions({
        active: args.active,
        user: args.user,
        nas: args.nas,
        limit: args.limit,
      });
      if (args.json) {
        process.stdout.write(`${JSON.stringify(sessions.map(sessionJson), null, 2)}\n`);
        return 0;
      }
      if (sessions.length === 0) {
        process.stdout.write('no sessions\n');
        return 0;
      }
      const rows = [['NAS', 'SESSION', 'USER', 'STATUS', 'START', 'LAST UPDATE', 'TIME', 'IN', 'OUT', 'IP']];
      for (const s of sessions) {
        rows.push([
          s.nas,
          s.session_id,
          dash(s.user_name),
          s.status,
          iso(s.start_time),
          iso(s.last_update),
          dash(s.session_time),
          dash(s.input_octets),
          dash(s.output_octets),
          dash(s.framed_ip),
        ]);
      }
      process.stdout.write(`${table(rows)}\n`);
      return 0;
    }
    if (command === 'show') {
      const sessions = await store.listSessions({ sessionId: rest[0], nas: args.nas });
      if (sessions.length === 0) {
        process.stderr.write(
          `aioradius acct: no session ${JSON.stringify(rest[0])}${args.nas ? ` from ${args.nas}` : ''}\n`,
        );
        return 1;
      }
      const shown = await Promise.all(
        sessions.map(async (s) => ({
          ...sessionJson(s),
          recordsStored: (await store.sessionRecords(s.nas, s.session_id)).map(recordJson),
        })),
      );
      if (args.json) {
        process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
        return 0;
      }
      for (const s of shown) {
        const { recordsStored, ...fields } = s;
        for (const [k, v] of Object.entries(fields))
          process.stdout.write(`${k}: ${v === null ? '-' : String(v)}\n`);
        for (const r of recordsStored) {
          process.stdout.write(`\n${r.received} ${String(r.statusType)} (event ${r.event})\n`);
          for (const [name, values] of Object.entries(r.attributes as Record<string, unknown[]>)) {
            for (const v of values) process.stdout.write(`  ${name} = ${JSON.stringify(v)}\n`);
          }
        }
        process.stdout.write('\n');
      }
      return 0;
    }
    const result = await store.purgeAccounting(before as number, args.dryRun);
    process.stdout.write(
      `${args.dryRun ? 'would delete' : 'deleted'} ${result.records} records and ${result.sessions} closed sessions before ${iso(before as number)}\n`,
    );
    return 0;
  } catch (err) {
    return queryFailed('acct', dbPath, err);
  } finally {
    await store.close();
  }
}

runIfMain(import.meta.url, 'acct', run);

// `aioradius coa` and `aioradius disconnect`: a CoA-Request or Disconnect-Request (RFC 5176) to the
// NAS of a session found in the accounting store, identified as the NAS reported it (NAS-IP-Address
// or NAS-Identifier, Acct-Session-Id, User-Name), sent with sendToDas.
import {
  commandFailed,
  numberOption,
  type OptionSpec,
  parseCommandLine,
  SHARED_OPTIONS,
  stringList,
  stringOption,
  UsageError,
} from './args.js';
import { isIPv4, isIPv6 } from 'node:net';
import type { AttributeValue } from '../dictionary/types.js';
import { Dictionary } from '../dictionary/dictionary.js';
import { sendToDas } from '../dynauth/das-sender.js';
import { CoARequest, DisconnectRequest } from '../protocol/packet.js';
import type { SessionRow } from '../store/sqlite-store.js';
import { attributeProblem, ClientTable, loadConfig, parseAssignment } from './config.js';
import { type CommandStore, databaseFailed, openStore, queryFailed } from './database.js';
import { DAS_TIMEOUT_HINT } from './timeout-hint.js';
import { RadiusTimeoutError } from '../errors.js';

/** Which request a command sends. */
export type DynauthKind = 'coa' | 'disconnect';

function usage(kind: DynauthKind): string {
  return `usage:
  aioradius ${kind} (SESSION | --user U) [--nas ADDR] [-a 'Attr=value']... [--port P]
                  [--secret S] [-t SECONDS] [-r RETRANSMISSIONS] (-c FILE | --db FILE|URL)

Looks the session up in the accounting store (SESSION is its Acct-Session-Id; --user sends to
each active session of U), then sends a ${kind === 'coa' ? 'CoA-Request' : 'Disconnect-Request'} to the NAS it came from
(port 3799 unless --port) with NAS-IP-Address or NAS-Identifier as the NAS reported them,
Acct-Session-Id, User-Name and the -a/--attribute attributes (e.g. Session-Timeout=600). The shared secret is the
client's from the serve config (--config), or --secret. Exit 0 when every request is ACKed, 1
on a NAK, no answer or no session, 2 on bad usage.`;
}

interface Args {
  positional: string[];
  user?: string;
  nas?: string;
  attrs: string[];
  port: number;
  secret?: string;
  timeout: number;
  retries: number;
  db?: string;
  config?: string;
  help: boolean;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  user: { type: 'string' },
  nas: { type: 'string' },
  attribute: SHARED_OPTIONS.attribute,
  // The older spelling of --attribute.
  attr: { type: 'string', multiple: true },
  port: { type: 'string' },
  secret: { type: 'string' },
  timeout: SHARED_OPTIONS.timeout,
  retries: SHARED_OPTIONS.retries,
  db: { type: 'string' },
  config: SHARED_OPTIONS.config,
} as const satisfies Record<string, OptionSpec>;

function parseArgs(argv: string[]): Args {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  return {
    positional: positionals,
    attrs: [...stringList(values, 'attribute'), ...stringList(values, 'attr')],
    user: stringOption(values, 'user'),
    nas: stringOption(values, 'nas'),
    port: numberOption(values, 'port', 3799, 1, 65535),
    secret: stringOption(values, 'secret'),
    timeout: numberOption(values, 'timeout', 3, 0.01, 600, false),
    retries: numberOption(values, 'retries', 2, 0, 20),
    db: stringOption(values, 'db'),
    config: stringOption(values, 'config'),
    help: values.help === true,
  };
}

/** The NAS-identifying attributes the session's newest record carried (RFC 5176 §3). */
async function nasIdentification(
  store: CommandStore,
  s: SessionRow,
): Promise<Array<[string, AttributeValue]>> {
  const records = await store.sessionRecords(s.nas, s.session_id);
  const last = records.at(-1)?.attributes ?? {};
  const out: Array<[string, AttributeValue]> = [];
  for (const name of ['NAS-IP-Address', 'NAS-IPv6-Address', 'NAS-Identifier']) {
    const v = last[name]?.[0];
    if (typeof v === 'string' || typeof v === 'number') out.push([name, v]);
  }
  if (out.length === 0) {
    // The NAS said nothing of itself: its address is the best identification there is.
    if (isIPv4(s.nas)) out.push(['NAS-IP-Address', s.nas]);
    else if (isIPv6(s.nas)) out.push(['NAS-IPv6-Address', s.nas]);
  }
  return out;
}

/** Runs `aioradius coa` or `aioradius disconnect`; resolves with the exit code. */
export async function runDynauth(kind: DynauthKind, argv: string[]): Promise<number> {
  const name = `aioradius ${kind}`;
  let args: Args;
  let dbPath: string;
  let clients: ClientTable | undefined;
  let dictionary = new Dictionary();
  const extra: Array<[string, string]> = [];
  try {
    args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(`${usage(kind)}\n`);
      return 0;
    }
    const sessionCount = args.positional.length + (args.user === undefined ? 0 : 1);
    if (sessionCount !== 1) throw new UsageError('give one SESSION or --user U');
    let db = args.db;
    if (args.config) {
      const config = loadConfig(args.config, { command: true });
      db ??= config.database;
      clients = new ClientTable(config.clients);
      dictionary = config.dictionary;
    }
    if (!db) throw new UsageError('--db FILE (or --config FILE) is required');
    dbPath = db;
    if (!clients && args.secret === undefined) throw new UsageError('--secret is required without --config');
    for (const text of args.attrs) {
      const pair = parseAssignment(text);
      if (!pair) throw new UsageError(`--attribute ${JSON.stringify(text)}: expected Attribute=value`);
      const problem = attributeProblem(dictionary, pair[0], pair[1]);
      if (problem) throw new UsageError(`--attribute ${JSON.stringify(text)}: ${problem}`);
      extra.push(pair);
    }
  } catch (err) {
    return commandFailed(kind, err);
  }
  let store: CommandStore;
  try {
    store = await openStore(dbPath, { readonly: true });
  } catch (err) {
    return databaseFailed(kind, dbPath, err);
  }
  try {
    const found =
      args.user !== undefined
        ? await store.listSessions({ user: args.user, nas: args.nas, active: true })
        : await store.listSessions({ sessionId: args.positional[0], nas: args.nas });
    // A session whose Stop the NAS sent is over there: a request for it could only be NAKed.
    const sessions = found.filter((s) => s.status !== 'stopped');
    if (sessions.length === 0 && found.length > 0) {
      const when = found[0].stop_time ?? found[0].last_update;
      process.stderr.write(
        `${name}: session ${JSON.stringify(found[0].session_id)} from ${found[0].nas} stopped at ${new Date(when).toISOString().replace(/\.\d{3}Z$/, 'Z')} (the NAS sent its Stop): nothing to send\n`,
      );
      return 1;
    }
    if (sessions.length === 0) {
      const what =
        args.user !== undefined
          ? `no active session of ${JSON.stringify(args.user)}`
          : `no session ${JSON.stringify(args.positional[0])}`;
      process.stderr.write(`${name}: ${what}${args.nas ? ` from ${args.nas}` : ''}\n`);
      return 1;
    }
    if (args.user === undefined && sessions.length > 1) {
      process.stderr.write(
        `${name}: session ${JSON.stringify(args.positional[0])} exists on several NASes (${sessions.map((s) => s.nas).join(', ')}): give --nas\n`,
      );
      return 2;
    }
    let failures = 0;
    for (const s of sessions) {
      const secret = args.secret ?? clients?.match(s.nas)?.secret;
      if (secret === undefined) {
        process.stderr.write(`${name}: no client in the config covers ${s.nas}: give --secret\n`);
        failures++;
        continue;
      }
      const attributes: Array<[string, AttributeValue]> = [
        ...(await nasIdentification(store, s)),
        ['Acct-Session-Id', s.session_id],
      ];
      if (s.user_name !== null) attributes.push(['User-Name', s.user_name]);
      attributes.push(...extra);
      const request =
        kind === 'coa'
          ? new CoARequest(secret, { attributes, dictionary })
          : new DisconnectRequest(secret, { attributes, dictionary });
      const target = `${s.nas}:${args.port} session ${s.session_id}${s.user_name === null ? '' : ` (${s.user_name})`}`;
      try {
        const [response] = await sendToDas(request, s.nas, args.port, {
          timeout: args.timeout,
          retries: args.retries,
        });
        process.stdout.write(`${response.codeName} from ${target}\n`);
        for (const [attr, values] of Object.entries(response.attributes.toJSON())) {
          for (const v of values) process.stdout.write(`  ${attr} = ${JSON.stringify(v)}\n`);
        }
        if (response.codeName.endsWith('NAK')) failures++;
      } catch (err) {
        process.stderr.write(`${name}: ${target}: ${(err as Error).message}\n`);
        if (err instanceof RadiusTimeoutError) process.stderr.write(`${DAS_TIMEOUT_HINT}\n`);
        failures++;
      }
    }
    return failures === 0 ? 0 : 1;
  } catch (err) {
    return queryFailed(kind, dbPath, err);
  } finally {
    await store.close();
  }
}

// `aioradius user add|del|list`: manages the users table of the SQLite store `serve` reads.
import { Dictionary } from '../dictionary/dictionary.js';
import { ConfigError } from '../errors.js';
import { SqliteStore, type StoredValue, type UserRecord } from '../store/sqlite-store.js';
import { attributeProblem, loadConfig, parseAssignment } from './config.js';
import { runIfMain } from './run-main.js';

const USAGE = `usage:
  aioradius user add NAME (--password P | --nt-hash HEX) [--reply 'Attr=value']... [--check 'Attr=value']...
                     [--replace] (--db FILE | --config FILE) [--dictionary FILE]...
  aioradius user del NAME (--db FILE | --config FILE)
  aioradius user list (--db FILE | --config FILE) [--json]

--config takes the database path and dictionaries from a serve config. Check attributes must be
present in the Access-Request with that value (e.g. --check 'NAS-Identifier=ap1').`;

class UsageError extends Error {}

interface Args {
  positional: string[];
  password?: string;
  ntHash?: string;
  reply: string[];
  check: string[];
  dictionaries: string[];
  db?: string;
  config?: string;
  replace: boolean;
  json: boolean;
  help: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    positional: [],
    reply: [],
    check: [],
    dictionaries: [],
    replace: false,
    json: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '-h':
      case '--help':
        a.help = true;
        break;
      case '--password':
        a.password = value();
        break;
      case '--nt-hash':
        a.ntHash = value();
        break;
      case '--reply':
        a.reply.push(value());
        break;
      case '--check':
        a.check.push(value());
        break;
      case '--dictionary':
        a.dictionaries.push(value());
        break;
      case '--db':
        a.db = value();
        break;
      case '--config':
      case '-c':
        a.config = value();
        break;
      case '--replace':
        a.replace = true;
        break;
      case '--json':
        a.json = true;
        break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
        a.positional.push(arg);
    }
  }
  return a;
}

function attributes(list: string[], option: string, dictionary: Dictionary): Array<[string, StoredValue]> {
  return list.map((text) => {
    const pair = parseAssignment(text);
    if (!pair) throw new UsageError(`${option} ${JSON.stringify(text)}: expected Attribute=value`);
    const problem = attributeProblem(dictionary, pair[0], pair[1]);
    if (problem) throw new UsageError(`${option} ${JSON.stringify(text)}: ${problem}`);
    return pair;
  });
}

function format(pairs: Array<[string, StoredValue]>): string {
  return pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
}

/** Entry point of `aioradius user`: returns the exit code (0 done, 1 no such user / exists, 2 usage). */
export async function run(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`aioradius user: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help || args.positional.length === 0) {
    (args.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return args.help ? 0 : 2;
  }
  const [command, name, ...rest] = args.positional;
  let dbPath = args.db;
  let dictionary: Dictionary;
  try {
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    if (args.config) {
      const config = loadConfig(args.config);
      dbPath ??= config.database;
      dictionary = config.dictionary;
    } else dictionary = new Dictionary();
    for (const d of args.dictionaries) dictionary.load(d);
    if (!dbPath) throw new UsageError('--db FILE (or --config FILE) is required');
    if (command !== 'list' && !name) throw new UsageError(`user ${command} needs a user name`);
  } catch (err) {
    const prefix = err instanceof ConfigError ? 'bad config: ' : '';
    process.stderr.write(`aioradius user: ${prefix}${(err as Error).message}\n`);
    return 2;
  }
  let user: UserRecord | undefined;
  if (command === 'add') {
    try {
      if ((args.password === undefined) === (args.ntHash === undefined)) {
        throw new UsageError('give exactly one of --password or --nt-hash');
      }
      if (args.ntHash !== undefined && !/^[0-9a-f]{32}$/i.test(args.ntHash)) {
        throw new UsageError('--nt-hash must be 32 hex digits');
      }
      user = {
        name,
        password: args.password,
        ntHash: args.ntHash === undefined ? undefined : Buffer.from(args.ntHash, 'hex'),
        reply: attributes(args.reply, '--reply', dictionary),
        check: attributes(args.check, '--check', dictionary),
      };
    } catch (err) {
      process.stderr.write(`aioradius user: ${(err as Error).message}\n`);
      return 2;
    }
  } else if (command !== 'del' && command !== 'list') {
    process.stderr.write(`aioradius user: unknown command ${JSON.stringify(command)}\n${USAGE}\n`);
    return 2;
  }
  let store: SqliteStore;
  try {
    store = new SqliteStore(dbPath);
  } catch (err) {
    process.stderr.write(`aioradius user: cannot open database ${dbPath}: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    if (user) {
      if (!store.addUser(user, args.replace)) {
        process.stderr.write(`aioradius user: ${name} exists (use --replace to overwrite)\n`);
        return 1;
      }
      process.stdout.write(`added ${name}\n`);
      return 0;
    }
    if (command === 'del') {
      if (!store.deleteUser(name)) {
        process.stderr.write(`aioradius user: no user ${name}\n`);
        return 1;
      }
      process.stdout.write(`deleted ${name}\n`);
      return 0;
    }
    // Never show credentials: only which kind is stored.
    const users = store.listUsers().map((u) => ({
      name: u.name,
      credentials: u.password !== undefined ? 'password' : 'nt-hash',
      reply: u.reply,
      check: u.check,
    }));
    if (args.json) process.stdout.write(`${JSON.stringify(users, null, 2)}\n`);
    else {
      for (const u of users) {
        const parts = [u.name, u.credentials];
        if (u.reply.length) parts.push(`reply: ${format(u.reply)}`);
        if (u.check.length) parts.push(`check: ${format(u.check)}`);
        process.stdout.write(`${parts.join('\t')}\n`);
      }
    }
    return 0;
  } finally {
    await store.close();
  }
}

runIfMain(import.meta.url, 'user', run);

// `aioradius user add|del|list`: manages the users table `serve` reads (SQLite or PostgreSQL).
import {
  commandFailed,
  type OptionSpec,
  parseCommandLine,
  readStandardInput,
  SHARED_OPTIONS,
  stringList,
  stringOption,
  UsageError,
} from './args.js';
import {
  type NewPasswordHashScheme,
  hashPassword,
  parsePasswordHash,
  passwordHashProblem,
} from '../auth/password-hash.js';
import { ntPasswordHash } from '../auth/nthash.js';
import { Dictionary } from '../dictionary/dictionary.js';
import type { StoredValue, UserRecord } from '../store/sqlite-store.js';
import type { ServeStore } from '../store/store.js';
import { attributeProblem, loadConfig, parseAssignment, type UserConfig } from './config.js';
import { databaseFailed, MissingDatabaseError, openStore, queryFailed } from './database.js';
import { runIfMain } from './run-main.js';

const SCHEMES: readonly NewPasswordHashScheme[] = [
  'crypt-sha512',
  'crypt-sha256',
  'bcrypt',
  'ssha512',
  'ssha256',
  'ssha1',
];

const USAGE = `Usage:
  aioradius user add NAME (--password P [--mschap] [--cleartext] [--scheme S] | --password-hash HASH | --nt-hash HEX)
                     [--reply 'Attr=value']... [--check 'Attr=value']...
                     [--replace] [--create] (--db FILE|URL | --config FILE) [--dictionary FILE]...
  aioradius user del NAME (--db FILE|URL | --config FILE)
  aioradius user list (--db FILE|URL | --config FILE) [--json]

--db takes a SQLite file or a postgres:// URL (as database: in the serve config).

--password - reads the password from standard input (its first line), out of sight of ps and the
shell's history. --password stores a salted hash (SHA-512 crypt, $6$; --scheme ${SCHEMES.join('|')}): PAP
works with it. --mschap also stores the NT hash, so that MS-CHAP works too; --cleartext stores
the password itself instead (CHAP needs it). --password-hash stores a hash made elsewhere
(mkpasswd -m sha-512, openssl passwd -6, slappasswd, htpasswd -B, {NT}HEX...). --nt-hash stores an
NT hash only (MS-CHAP and PAP); it may be given with --password-hash.
--config takes the database path and dictionaries from a serve config (and list shows its users
too, also before serve has made the database). A --db file must exist, except with "add --create". Check attributes must be present in the
Access-Request with that value (e.g. --check 'NAS-Identifier=ap1').`;

interface Args {
  positional: string[];
  password?: string;
  passwordHash?: string;
  ntHash?: string;
  scheme?: string;
  mschap: boolean;
  cleartext: boolean;
  create: boolean;
  reply: string[];
  check: string[];
  dictionaries: string[];
  db?: string;
  config?: string;
  replace: boolean;
  json: boolean;
  help: boolean;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  password: { type: 'string' },
  'nt-hash': { type: 'string' },
  'password-hash': { type: 'string' },
  scheme: { type: 'string' },
  mschap: { type: 'boolean' },
  cleartext: { type: 'boolean' },
  create: { type: 'boolean' },
  reply: { type: 'string', multiple: true },
  check: { type: 'string', multiple: true },
  dictionary: SHARED_OPTIONS.dictionary,
  db: { type: 'string' },
  config: SHARED_OPTIONS.config,
  replace: { type: 'boolean' },
  json: { type: 'boolean' },
} as const satisfies Record<string, OptionSpec>;

function parseArgs(argv: string[]): Args {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  return {
    positional: positionals,
    password: stringOption(values, 'password'),
    ntHash: stringOption(values, 'nt-hash'),
    passwordHash: stringOption(values, 'password-hash'),
    scheme: stringOption(values, 'scheme'),
    reply: stringList(values, 'reply'),
    check: stringList(values, 'check'),
    dictionaries: stringList(values, 'dictionary'),
    db: stringOption(values, 'db'),
    config: stringOption(values, 'config'),
    replace: values.replace === true,
    json: values.json === true,
    help: values.help === true,
    mschap: values.mschap === true,
    cleartext: values.cleartext === true,
    create: values.create === true,
  };
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

/** A line of `user list`: never a credential, only which kinds are stored. */
interface ListedUser {
  name: string;
  source: 'database' | 'config';
  credentials: string;
  reply: Array<[string, StoredValue]>;
  check: Array<[string, StoredValue]>;
  shadowedBy?: 'config';
}

/** Which kinds of credentials a user has, e.g. "crypt-sha512+nt-hash" or "password". */
function credentialKinds(u: { password?: string; passwordHash?: string; ntHash?: Buffer }): string {
  const kinds: string[] = [];
  if (u.password !== undefined) kinds.push('password');
  if (u.passwordHash !== undefined) kinds.push(parsePasswordHash(u.passwordHash)?.scheme ?? 'hash');
  if (u.ntHash !== undefined) kinds.push('nt-hash');
  return kinds.join('+');
}

/** Prints `user list`: database and config users by name; never a credential, only its kinds. */
function printUsers(dbUsers: UserRecord[], configUserList: UserConfig[], json: boolean): void {
  const configUsers = new Map(configUserList.map((u) => [u.name, u]));
  const users: ListedUser[] = dbUsers.map((u) => ({
    name: u.name,
    source: 'database',
    credentials: credentialKinds(u),
    reply: u.reply,
    check: u.check,
    ...(configUsers.has(u.name) ? { shadowedBy: 'config' } : {}),
  }));
  for (const u of configUsers.values()) {
    users.push({
      name: u.name,
      source: 'config',
      credentials: credentialKinds(u),
      reply: u.reply,
      check: u.check,
    });
  }
  users.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.source === 'config' ? -1 : 1));
  if (json) {
    process.stdout.write(`${JSON.stringify(users, null, 2)}\n`);
    return;
  }
  for (const u of users) {
    const parts = [u.name, u.credentials];
    if (u.reply.length) parts.push(`reply: ${format(u.reply)}`);
    if (u.check.length) parts.push(`check: ${format(u.check)}`);
    if (u.source === 'config') parts.push('(config)');
    if (u.shadowedBy) parts.push('(shadowed by the config user)');
    process.stdout.write(`${parts.join('\t')}\n`);
  }
}

/** The password `--password -` read: the first line, without its line end. */
function firstLine(text: string): string {
  const line = text.split(/\r?\n/)[0];
  if (line === '') throw new UsageError('--password -: standard input held no password');
  return line;
}

/** The credentials `user add` stores, from its options. */
function credentials(args: Args): Pick<UserRecord, 'password' | 'passwordHash' | 'ntHash'> {
  const given = [args.password, args.passwordHash, args.ntHash].filter((v) => v !== undefined).length;
  if (given === 0) throw new UsageError('give --password, --password-hash or --nt-hash');
  if (args.password !== undefined && given > 1) {
    throw new UsageError('--password cannot be combined with --password-hash or --nt-hash');
  }
  if (args.password === undefined && (args.mschap || args.cleartext || args.scheme !== undefined)) {
    throw new UsageError('--mschap, --cleartext and --scheme go with --password');
  }
  if (args.cleartext && args.scheme !== undefined)
    throw new UsageError('--cleartext stores no hash: drop --scheme');
  if (args.ntHash !== undefined && !/^[0-9a-f]{32}$/i.test(args.ntHash)) {
    throw new UsageError('--nt-hash must be 32 hex digits');
  }
  if (args.passwordHash !== undefined) {
    const problem = passwordHashProblem(args.passwordHash);
    if (problem) throw new UsageError(`--password-hash: ${problem}`);
  }
  const scheme = (args.scheme ?? 'crypt-sha512') as NewPasswordHashScheme;
  if (!SCHEMES.includes(scheme)) throw new UsageError(`--scheme must be one of ${SCHEMES.join(', ')}`);
  if (args.password !== undefined) {
    return args.cleartext
      ? { password: args.password }
      : {
          passwordHash: hashPassword(args.password, scheme),
          ntHash: args.mschap ? ntPasswordHash(args.password) : undefined,
        };
  }
  return {
    passwordHash: args.passwordHash,
    ntHash: args.ntHash === undefined ? undefined : Buffer.from(args.ntHash, 'hex'),
  };
}

const COMMANDS = ['add', 'del', 'list'];

/** Entry point of `aioradius user`: returns the exit code (0 done, 1 no such user / exists, 2 usage). */
export async function run(argv: string[]): Promise<number> {
  let args: Args;
  let command: string;
  let name: string;
  let dbPath: string;
  let user: UserRecord | undefined;
  let configUserList: UserConfig[] | undefined;
  try {
    args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    let rest: string[];
    [command, name, ...rest] = args.positional;
    if (command === undefined) throw new UsageError('expected a sub-command: add, del or list');
    if (!COMMANDS.includes(command))
      throw new UsageError(`unknown sub-command ${JSON.stringify(command)} (add, del or list)`);
    if (command === 'list' && name !== undefined) rest = [name, ...rest];
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    let dictionary: Dictionary;
    let db = args.db;
    if (args.config) {
      const config = loadConfig(args.config, { command: true });
      db ??= config.database;
      dictionary = config.dictionary;
      configUserList = config.users;
    } else dictionary = new Dictionary();
    for (const d of args.dictionaries) dictionary.load(d);
    if (!db) throw new UsageError('--db FILE (or --config FILE) is required');
    dbPath = db;
    if (command !== 'list' && !name) throw new UsageError(`user ${command} needs a user name`);
    if (command === 'add') {
      // `--password -`: from standard input, where ps and the shell's history do not see it.
      if (args.password === '-') args.password = firstLine(await readStandardInput());
      user = { name, ...credentials(args), reply: [], check: [] };
      user.reply = attributes(args.reply, '--reply', dictionary);
      user.check = attributes(args.check, '--check', dictionary);
    }
  } catch (err) {
    return commandFailed('user', err);
  }
  // A mistyped --db must not leave an empty database behind that serve would then use.
  const mayCreate = command === 'add' && (args.create || args.db === undefined);
  let store: ServeStore;
  try {
    store = await openStore(dbPath, { create: mayCreate });
  } catch (err) {
    // Before serve has made the database, the config's users are all there are to list.
    if (command === 'list' && args.db === undefined && err instanceof MissingDatabaseError) {
      process.stderr.write(`aioradius user: no database at ${dbPath} yet: the config's users only\n`);
      printUsers([], configUserList ?? [], args.json);
      return 0;
    }
    return databaseFailed('user', dbPath, err, 'check the path; "user add --create" makes a new one');
  }
  try {
    if (user) {
      if (!(await store.addUser(user, args.replace))) {
        process.stderr.write(`aioradius user: ${name} exists (use --replace to overwrite)\n`);
        return 1;
      }
      process.stdout.write(`added ${name}\n`);
      return 0;
    }
    if (command === 'del') {
      if (!(await store.deleteUser(name))) {
        process.stderr.write(`aioradius user: no user ${name}\n`);
        return 1;
      }
      process.stdout.write(`deleted ${name}\n`);
      return 0;
    }
    printUsers(await store.listUsers(), configUserList ?? [], args.json);
    return 0;
  } catch (err) {
    return queryFailed('user', dbPath, err);
  } finally {
    await store.close();
  }
}

runIfMain(import.meta.url, 'user', run);

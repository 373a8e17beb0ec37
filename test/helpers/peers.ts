// Starts and drives real RADIUS peers (FreeRADIUS, radtest/radclient, pyrad, tshark) for interop tests.
// Every child process runs under a hard timeout and every temp dir lives under os.tmpdir().
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { accessSync, constants, existsSync, readFileSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, freePorts } from './ports.js';

// ---------------------------------------------------------------------------------------------
// Processes

/** Result of a finished child process. */
export interface RunResult {
  /** Exit status; 124 when killed by the timeout (as timeout(1) reports), 128+n for signal n. */
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Options for runCommand. */
export interface RunOptions {
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Hard limit: the process is SIGKILLed after this many milliseconds. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Runs a command to completion with a hard timeout; never rejects for a non-zero exit. */
export function runCommand(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const status = timedOut ? 124 : (code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 0) : 0));
      resolve({ code: status, stdout, stderr, timedOut });
    });
    // A peer that exits before reading stdin gives EPIPE: that is its answer, not ours to throw.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

// Long-running children (freeradius, tshark) are killed if the test process exits without stop().
const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
/** SIGKILLs a long-running child and its process group (tshark's dumpcap dies with it). */
function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function cleanupNow(): void {
  for (const c of liveChildren) killGroup(c);
  for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
}
process.once('exit', cleanupNow);
// 'exit' does not run when a signal ends the process (the test runner cancelling a file): clean
// up, then let the signal take its default course.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    cleanupNow();
    process.kill(process.pid, sig);
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** Signals a child, then SIGKILLs it if it has not exited within graceMs. */
async function terminate(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (!exited(child)) {
    child.kill(signal);
    if (!(await waitExit(child, graceMs))) {
      killGroup(child);
      await waitExit(child, 5000);
    }
  }
  liveChildren.delete(child);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function makeTempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  liveDirs.add(dir);
  return dir;
}

async function removeTempDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Availability: tests skip (with the reason printed by node:test) when a peer is not installed.

/** A peer program the interop tests can use. */
export type PeerName =
  | 'freeradius'
  | 'radtest'
  | 'radclient'
  | 'pyrad'
  | 'tshark'
  | 'eapol_test'
  | 'radsecproxy';

const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable found on PATH or in the sbin dirs (freeradius lives in /usr/sbin). */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SEARCH_DIRS];
  for (const dir of dirs) {
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

const FREERADIUS_CONF = '/etc/freeradius/3.0';
/** pyrad is a Debian package: use the system interpreter, a python3 earlier on PATH may lack it. */
const SYSTEM_PYTHON = '/usr/bin/python3';

const reasons = new Map<PeerName, string | null>();

function checkPeer(name: PeerName): string | null {
  switch (name) {
    case 'freeradius':
      if (!findBinary('freeradius')) return 'freeradius not installed (apt-get install freeradius)';
      try {
        accessSync(path.join(FREERADIUS_CONF, 'radiusd.conf'), constants.R_OK);
        return null;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT')
          return `${FREERADIUS_CONF}/radiusd.conf missing`;
        // /etc/freeradius is mode 2750 freerad: see .ci/apt-packages.sh for an unprivileged test user.
        return `${FREERADIUS_CONF} not readable by this user (run as root or as a freerad group member)`;
      }
    case 'radtest':
    case 'radclient':
      return findBinary(name) ? null : `${name} not installed (apt-get install freeradius-utils)`;
    case 'eapol_test':
      return findBinary(name) ? null : 'eapol_test not installed (apt-get install eapoltest)';
    case 'radsecproxy':
      return findBinary(name) ? null : 'radsecproxy not installed (apt-get install radsecproxy)';
    case 'pyrad': {
      if (!existsSync(SYSTEM_PYTHON)) return `${SYSTEM_PYTHON} not found`;
      const r = spawnSync(SYSTEM_PYTHON, ['-c', 'import pyrad.client'], { timeout: 10_000 });
      return r.status === 0 ? null : 'python3-pyrad not installed (apt-get install python3-pyrad)';
    }
    case 'tshark': {
      if (!findBinary('tshark')) return 'tshark not installed (apt-get install tshark)';
      // Capturing needs root or dumpcap's capabilities; `dumpcap -L` opens the interface, so it
      // fails without them (`tshark -D` lists lo either way).
      const dumpcap = findBinary('dumpcap') ?? 'dumpcap';
      const r = spawnSync(dumpcap, ['-i', 'lo', '-L'], { timeout: 15_000, encoding: 'utf8' });
      return r.status === 0 ? null : 'tshark cannot capture on lo (run as root or give dumpcap cap_net_raw)';
    }
  }
}

/** Why a peer cannot be used here, or null when it can (the result is cached). */
export function peerMissing(name: PeerName): string | null {
  let r = reasons.get(name);
  if (r === undefined) {
    r = checkPeer(name);
    reasons.set(name, r);
  }
  return r;
}

/** For node:test's `skip` option: false when every peer is present, else the reasons to print. */
export function skipUnless(...names: PeerName[]): string | false {
  const missing = names.map(peerMissing).filter((r): r is string => r !== null);
  return missing.length ? `skipped: ${missing.join('; ')}` : false;
}

/** True when freeradius and its stock config are installed. */
export function freeradiusAvailable(): boolean {
  return peerMissing('freeradius') === null;
}

/** True when radtest is installed. */
export function radtestAvailable(): boolean {
  return peerMissing('radtest') === null;
}

/** True when radclient is installed. */
export function radclientAvailable(): boolean {
  return peerMissing('radclient') === null;
}

/** True when the system python3 can import pyrad. */
export function pyradAvailable(): boolean {
  return peerMissing('pyrad') === null;
}

/** True when tshark is installed and may capture on lo. */
export function tsharkAvailable(): boolean {
  return peerMissing('tshark') === null;
}

/** True when eapol_test is installed. */
export function eapolTestAvailable(): boolean {
  return peerMissing('eapol_test') === null;
}

// ---------------------------------------------------------------------------------------------
// FreeRADIUS 3.2 as a test peer

/** A user for FreeRADIUS's `files` module (mods-config/files/authorize). */
export interface FreeradiusUser {
  name: string;
  /** Stored as Cleartext-Password, so PAP, CHAP and MS-CHAP all work. */
  password: string;
  /** Reply items, [attribute, value] in FreeRADIUS syntax: ['Reply-Message', '"Hi"']. */
  reply?: Array<[string, string]>;
}

/** Options for startFreeradius. */
export interface FreeradiusOptions {
  secret: string;
  users?: FreeradiusUser[];
  authPort?: number;
  acctPort?: number;
  /** When given, a `type = coa` listener answers CoA-Request/Disconnect-Request with ACK. */
  coaPort?: number;
  /** Also listen on ::1 (same ports). */
  ipv6?: boolean;
  /** Answer Status-Server with Access-Accept / Accounting-Response (RFC 5997). Default true. */
  statusServer?: boolean;
  /** unlang inserted at the top of the default site's `authorize` section. */
  extraAuthorize?: string;
  /** unlang inserted at the top of the CoA server's `recv-coa` section (e.g. `reject` gives a NAK). */
  extraCoa?: string;
  /** unlang inserted at the top of the default site's `preacct` section. */
  extraPreacct?: string;
  /** unlang inserted at the top of the default site's `accounting` section. */
  extraAccounting?: string;
  /** unlang inserted in the `accounting` section right after `detail` (once the record is stored). */
  afterDetail?: string;
  /** Module instances (configuration text), written to mods-enabled. */
  extraModules?: string;
  /** Replaces proxy.conf (home servers, pools, realms); `@DIR@` becomes the private directory. */
  proxyConf?: string;
  /** Files written into the private directory (certificates...), readable by the server's user. */
  files?: Record<string, string | Buffer>;
  /**
   * A RADIUS/TCP listener (RFC 6613) on 127.0.0.1:`tcpPort` for authentication and accounting, into
   * the default site; its client is 127.0.0.1 with `proto = tcp` and `secret`.
   */
  tcpPort?: number;
  /**
   * A RADIUS/TLS listener (RFC 6614) as in the stock sites-available/tls: 127.0.0.1:`port`,
   * auth+acct into the default site, client certificates required, `clients = radsec` (127.0.0.1,
   * `proto = tls`, secret `radsec`). The PEM files are names given in `files`.
   */
  tls?: { port: number; certFile: string; keyFile: string; caFile: string };
  /**
   * The eap module's certificate, key and client CA (names given in `files`), its highest TLS
   * version (stock: 1.2) and whether its TLS session cache is on (stock: off; on, it persists
   * sessions in the private directory).
   */
  eap?: { certFile: string; keyFile: string; caFile: string; tlsMaxVersion?: '1.2' | '1.3'; cache?: boolean };
  /**
   * rlm_sql with the PostgreSQL driver: `radiusDb` is the libpq connection string of a database
   * holding FreeRADIUS's schema (mods-config/sql/main/postgresql/schema.sql); the stock site's
   * `-sql` calls then use it (accounting into radacct).
   */
  sql?: { radiusDb: string };
  /** Keep the stock `detail` file in the accounting section (default true). */
  detail?: boolean;
  /** Bound on waiting for the server to be ready, default 20 s. */
  startTimeoutMs?: number;
}

/** A running FreeRADIUS; stop() kills it and removes its directory. */
export interface FreeradiusPeer {
  authPort: number;
  acctPort: number;
  coaPort?: number;
  /** The private copy of the configuration (the raddb dir). */
  dir: string;
  pid: number;
  stop(): Promise<void>;
  /** The server's log so far (Info/Error lines; no per-request trace without -X). */
  log(): string;
}

/** Quotes a value as a FreeRADIUS double-quoted string. */
function frString(value: string): string {
  if (/[\r\n\0]/.test(value))
    throw new Error(`value not usable in a FreeRADIUS config: ${JSON.stringify(value)}`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Replaces `name = value` at the start of a line (the first occurrence) in a config file. */
function setConfigItem(text: string, name: string, value: string): string {
  const re = new RegExp(`^(\\s*)${name}\\s*=.*$`, 'm');
  if (!re.test(text)) throw new Error(`radiusd.conf: no "${name}" item to rewrite`);
  return text.replace(re, (_m, indent: string) => `${indent}${name} = ${value}`);
}

/** Counts braces on a config line, ignoring comments and quoted strings. */
function braceDelta(line: string): number {
  let delta = 0;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '#') break;
    else if (c === '{') delta++;
    else if (c === '}') delta--;
  }
  return delta;
}

/** Removes every `listen { ... }` block; returns the text and the line index where the first one was. */
function stripListenBlocks(text: string): { text: string; at: number } {
  const out: string[] = [];
  let at = -1;
  let depth = 0;
  for (const line of text.split('\n')) {
    if (depth > 0) {
      depth += braceDelta(line);
      continue;
    }
    if (/^\s*listen\s*\{/.test(line)) {
      if (at < 0) at = out.length;
      depth = braceDelta(line);
      continue;
    }
    out.push(line);
  }
  return { text: out.join('\n'), at };
}

/** Inserts text right after the first line matching `re` (an opening `name {` line). */
function insertAfter(text: string, re: RegExp, insert: string, file: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => re.test(l));
  if (i < 0) throw new Error(`${file}: no line matching ${re}`);
  lines.splice(i + 1, 0, insert);
  return lines.join('\n');
}

function listenBlock(type: 'auth' | 'acct' | 'coa', port: number, v6: boolean, server?: string): string {
  const addr = v6 ? 'ipv6addr = ::1' : 'ipaddr = 127.0.0.1';
  const vs = server ? `\n\tvirtual_server = ${server}` : '';
  return `listen {\n\ttype = ${type}\n\t${addr}\n\tport = ${port}${vs}\n}`;
}

function usersText(users: FreeradiusUser[]): string {
  return users
    .map((u) => {
      const check = `${frString(u.name)}\tCleartext-Password := ${frString(u.password)}`;
      const reply = (u.reply ?? []).map(([a, v], i, all) => `\t${a} = ${v}${i < all.length - 1 ? ',' : ''}`);
      return [check, ...reply].join('\n');
    })
    .join('\n\n');
}

/** Rewrites the private config copy in `raddb`; logs and run files go under `dir`. */
async function writeFreeradiusConfig(
  raddb: string,
  dir: string,
  opts: FreeradiusOptions & { authPort: number; acctPort: number },
): Promise<void> {
  const logdir = path.join(dir, 'log');
  const rundir = path.join(dir, 'run');
  await fs.mkdir(logdir, { recursive: true });
  await fs.mkdir(rundir, { recursive: true });

  // radiusd.conf: private dirs; no 1 s Access-Reject delay; max_requests counts requests kept
  // cleanup_delay (5 s) after the reply, so the stock 16384 drops load above ~3k req/s.
  const confPath = path.join(raddb, 'radiusd.conf');
  let conf = await fs.readFile(confPath, 'utf8');
  conf = setConfigItem(conf, 'raddbdir', raddb);
  conf = setConfigItem(conf, 'logdir', logdir);
  conf = setConfigItem(conf, 'run_dir', rundir);
  conf = setConfigItem(conf, 'reject_delay', '0');
  conf = setConfigItem(conf, 'max_requests', '1048576');
  conf = setConfigItem(conf, 'status_server', opts.statusServer === false ? 'no' : 'yes');
  if (process.getuid?.() !== 0) {
    // Only root can switch to freerad; an unprivileged run keeps its own user.
    conf = conf.replace(/^(\s*)(user|group)\s*=.*$/gm, '$1# $2 dropped: not started as root');
  }
  await fs.writeFile(confPath, conf);

  // clients.conf: loopback only (tests never use other addresses).
  const clientBody = `\tsecret = ${frString(opts.secret)}\n\trequire_message_authenticator = no\n\tnas_type = other\n`;
  await fs.writeFile(
    path.join(raddb, 'clients.conf'),
    `client loopback4 {\n\tipaddr = 127.0.0.0/8\n${clientBody}}\n\nclient loopback6 {\n\tipv6addr = ::1\n${clientBody}}\n`,
  );

  // Users go first in the files module's authorize file so they win over the stock DEFAULT entries.
  if (opts.users?.length) {
    const authorize = path.join(raddb, 'mods-config', 'files', 'authorize');
    const stock = await fs.readFile(authorize, 'utf8');
    await fs.writeFile(authorize, `${usersText(opts.users)}\n\n${stock}`);
  }

  // The default site: loopback listeners on our ports instead of * on 1812/1813.
  const sitePath = path.join(raddb, 'sites-available', 'default');
  const site = stripListenBlocks(await fs.readFile(sitePath, 'utf8'));
  if (site.at < 0) throw new Error(`${sitePath}: no listen block found`);
  const listeners: string[] = [];
  for (const v6 of opts.ipv6 ? [false, true] : [false]) {
    listeners.push(listenBlock('auth', opts.authPort, v6), listenBlock('acct', opts.acctPort, v6));
  }
  const lines = site.text.split('\n');
  lines.splice(site.at, 0, ...listeners);
  let siteText = lines.join('\n');
  const authorizeTop: string[] = [];
  if (opts.statusServer !== false) authorizeTop.push('\tAutz-Type Status-Server {\n\t\tok\n\t}');
  if (opts.extraAuthorize) authorizeTop.push(opts.extraAuthorize);
  if (authorizeTop.length)
    siteText = insertAfter(siteText, /^authorize\s*\{/, authorizeTop.join('\n'), sitePath);
  if (opts.extraPreacct) siteText = insertAfter(siteText, /^preacct\s*\{/, opts.extraPreacct, sitePath);
  if (opts.detail === false) {
    const at = siteText.search(/^accounting\s*\{/m);
    if (at < 0) throw new Error(`${sitePath}: no accounting section`);
    siteText = siteText.slice(0, at) + siteText.slice(at).replace(/^(\s*)detail\s*$/m, '$1# detail left out');
  }
  if (opts.sql) await enableSql(raddb, opts.sql.radiusDb);
  // Status-Server on the accounting port goes through Acct-Type Status-Server (RFC 5997 section 4).
  if (opts.statusServer !== false) {
    siteText = insertAfter(
      siteText,
      /^accounting\s*\{/,
      '\tAcct-Type Status-Server {\n\t\tok\n\t}',
      sitePath,
    );
  }
  if (opts.extraAccounting)
    siteText = insertAfter(siteText, /^accounting\s*\{/, opts.extraAccounting, sitePath);
  if (opts.afterDetail) {
    const at = siteText.search(/^accounting\s*\{/m);
    const detail = /^\s*detail\s*$/m.exec(siteText.slice(at));
    if (at < 0 || !detail) throw new Error(`${sitePath}: no detail in the accounting section`);
    const end = at + detail.index + detail[0].length;
    siteText = `${siteText.slice(0, end)}\n${opts.afterDetail}${siteText.slice(end)}`;
  }
  await fs.writeFile(sitePath, siteText);
  if (opts.extraModules)
    await fs.writeFile(path.join(raddb, 'mods-enabled', 'aioradius-extra'), opts.extraModules);

  for (const [name, content] of Object.entries(opts.files ?? {})) {
    await fs.writeFile(path.join(dir, name), content);
  }
  if (opts.proxyConf !== undefined) {
    await fs.writeFile(path.join(raddb, 'proxy.conf'), opts.proxyConf.replaceAll('@DIR@', dir));
  }

  // Other enabled sites (inner-tunnel on 18120, status on 18121 where enabled) keep their virtual
  // servers but lose their fixed listeners, so two instances can run at once.
  const enabled = path.join(raddb, 'sites-enabled');
  for (const name of await fs.readdir(enabled)) {
    if (name === 'default') continue;
    const p = path.join(enabled, name);
    const stripped = stripListenBlocks(await fs.readFile(p, 'utf8'));
    if (stripped.at >= 0) {
      await fs.rm(p);
      await fs.writeFile(p, stripped.text);
    }
  }

  // The stock eap module uses Debian's snakeoil key, readable by root and ssl-cert only: an
  // unprivileged run gets a throwaway self-signed pair instead.
  if (!canRead(SNAKEOIL_KEY)) await useOwnEapCertificate(raddb, dir);
  if (opts.eap) await configureEap(raddb, dir, opts.eap);

  if (opts.tcpPort !== undefined || opts.tls !== undefined) {
    const site: string[] = [];
    if (opts.tcpPort !== undefined) {
      site.push(
        'listen {',
        '\tipaddr = 127.0.0.1',
        `\tport = ${opts.tcpPort}`,
        '\ttype = auth+acct',
        '\tproto = tcp',
        '\tvirtual_server = default',
        '\tclients = aioradius_tcp',
        '}',
        'clients aioradius_tcp {',
        '\tclient tcp4 {',
        '\t\tipaddr = 127.0.0.1',
        '\t\tproto = tcp',
        `\t\tsecret = ${frString(opts.secret)}`,
        '\t\trequire_message_authenticator = no',
        '\t}',
        '}',
      );
    }
    if (opts.tls !== undefined) {
      const t = opts.tls;
      site.push(
        'listen {',
        '\tipaddr = 127.0.0.1',
        `\tport = ${t.port}`,
        '\ttype = auth+acct',
        '\tproto = tcp',
        '\tvirtual_server = default',
        '\tclients = radsec',
        '\tlimit {',
        '\t\tmax_connections = 16',
        '\t\tlifetime = 0',
        '\t\tidle_timeout = 30',
        '\t}',
        '\ttls {',
        `\t\tprivate_key_file = ${path.join(dir, t.keyFile)}`,
        `\t\tcertificate_file = ${path.join(dir, t.certFile)}`,
        `\t\tca_file = ${path.join(dir, t.caFile)}`,
        '\t\tfragment_size = 8192',
        '\t\tcipher_list = "DEFAULT"',
        '\t\ttls_min_version = "1.2"',
        '\t\ttls_max_version = "1.3"',
        '\t\tcache {',
        '\t\t\tenable = no',
        '\t\t}',
        '\t\trequire_client_cert = yes',
        '\t\tverify {',
        '\t\t}',
        '\t}',
        '}',
        'clients radsec {',
        '\tclient 127.0.0.1 {',
        '\t\tipaddr = 127.0.0.1',
        '\t\tproto = tls',
        '\t\tsecret = radsec',
        '\t}',
        '}',
      );
    }
    await fs.writeFile(path.join(enabled, 'aioradius_stream'), `${site.join('\n')}\n`);
  }

  if (opts.coaPort !== undefined) {
    // FreeRADIUS 3.2 runs CoA-Request and Disconnect-Request through recv-coa; ok → ACK, reject → NAK.
    const coaListeners = (opts.ipv6 ? [false, true] : [false]).map((v6) =>
      listenBlock('coa', opts.coaPort as number, v6, 'aioradius_coa'),
    );
    const coaSite = [
      ...coaListeners,
      'server aioradius_coa {',
      '\trecv-coa {',
      opts.extraCoa ?? '',
      '\t\tok',
      '\t}',
      '\tsend-coa {',
      '\t\tok',
      '\t}',
      '}',
      '',
    ].join('\n');
    await fs.writeFile(path.join(raddb, 'sites-available', 'aioradius_coa'), coaSite);
    await fs.symlink('../sites-available/aioradius_coa', path.join(enabled, 'aioradius_coa'));
  }
}

/** Enables the sql module with the PostgreSQL driver on `radiusDb` (a libpq connection string). */
async function enableSql(raddb: string, radiusDb: string): Promise<void> {
  const sqlPath = path.join(raddb, 'mods-available', 'sql');
  let text = await fs.readFile(sqlPath, 'utf8');
  text = text.replace(/^(\s*)dialect\s*=.*$/m, '$1dialect = "postgresql"');
  text = text.replace(/^(\s*)driver\s*=.*$/m, '$1driver = "rlm_sql_postgresql"');
  text = text.replace(/^(\s*)radius_db\s*=.*$/m, `$1radius_db = ${frString(radiusDb)}`);
  await fs.writeFile(sqlPath, text);
  const link = path.join(raddb, 'mods-enabled', 'sql');
  await fs.rm(link, { force: true });
  await fs.symlink('../mods-available/sql', link);
}

const SNAKEOIL_KEY = '/etc/ssl/private/ssl-cert-snakeoil.key';

function canRead(p: string): boolean {
  try {
    accessSync(p, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

async function useOwnEapCertificate(raddb: string, dir: string): Promise<void> {
  const key = path.join(dir, 'eap-key.pem');
  const cert = path.join(dir, 'eap-cert.pem');
  const r = await runCommand(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=aioradius-test',
    ],
    { timeoutMs: 30_000 },
  ).catch((err: Error) => ({ code: 127, stderr: err.message, stdout: '', timedOut: false }));
  if (r.code !== 0) throw new Error(`openssl could not make an EAP certificate: ${tail(r.stderr, 5)}`);
  const eapPath = path.join(raddb, 'mods-available', 'eap');
  let eap = await fs.readFile(eapPath, 'utf8');
  eap = eap.replace(/^(\s*)private_key_file\s*=.*$/m, `$1private_key_file = ${key}`);
  eap = eap.replace(/^(\s*)certificate_file\s*=.*$/m, `$1certificate_file = ${cert}`);
  await fs.writeFile(eapPath, eap);
}

/** Points the eap module at our certificates, TLS version and session cache. */
async function configureEap(
  raddb: string,
  dir: string,
  eap: NonNullable<FreeradiusOptions['eap']>,
): Promise<void> {
  const eapPath = path.join(raddb, 'mods-available', 'eap');
  let text = await fs.readFile(eapPath, 'utf8');
  text = text.replace(
    /^(\s*)private_key_file\s*=.*$/m,
    `$1private_key_file = ${path.join(dir, eap.keyFile)}`,
  );
  text = text.replace(
    /^(\s*)certificate_file\s*=.*$/m,
    `$1certificate_file = ${path.join(dir, eap.certFile)}`,
  );
  text = text.replace(/^(\s*)ca_file\s*=.*$/m, `$1ca_file = ${path.join(dir, eap.caFile)}`);
  if (eap.tlsMaxVersion)
    text = text.replace(/^(\s*)tls_max_version\s*=.*$/m, `$1tls_max_version = "${eap.tlsMaxVersion}"`);
  if (eap.cache) {
    // FreeRADIUS 3.2 keeps no sessions in OpenSSL's memory cache: a session is resumable only
    // from the files it writes under persist_dir, which needs a fixed cache name (stock comments
    // of mods-available/eap; without them it logs "Session will not be cached on disk").
    const cacheDir = path.join(dir, 'tlscache');
    await fs.mkdir(cacheDir, { recursive: true, mode: 0o700 });
    const before = text;
    text = text.replace(
      /(\bcache\s*\{[^}]*?^(\s*)enable\s*=\s*)no$/m,
      (_m, head: string, indent: string) =>
        `${head}yes\n${indent}name = "aioradius EAP"\n${indent}persist_dir = ${frString(cacheDir)}`,
    );
    if (text === before) throw new Error('mods-available/eap: no "enable = no" in its cache section');
  }
  await fs.writeFile(eapPath, text);
}

/** uid/gid of the freerad user, when it exists (Debian's package creates it). */
function freeradIds(): { uid: number; gid: number } | undefined {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('freerad:'));
    if (!line) return undefined;
    const f = line.split(':');
    return { uid: Number(f[2]), gid: Number(f[3]) };
  } catch {
    return undefined;
  }
}

async function chownTree(p: string, uid: number, gid: number): Promise<void> {
  await fs.lchown(p, uid, gid);
  const st = await fs.lstat(p);
  if (!st.isDirectory()) return;
  for (const name of await fs.readdir(p)) await chownTree(path.join(p, name), uid, gid);
}

async function readText(p: string): Promise<string> {
  try {
    return await fs.readFile(p, 'utf8');
  } catch {
    return '';
  }
}

/** Starts FreeRADIUS on loopback with a private copy of the stock config; resolves once it is ready. */
export async function startFreeradius(opts: FreeradiusOptions): Promise<FreeradiusPeer> {
  const bin = findBinary('freeradius');
  if (!bin) throw new Error(peerMissing('freeradius') ?? 'freeradius not found');
  const needed = [opts.authPort, opts.acctPort].filter((p) => p === undefined).length;
  const spare = needed ? await freePorts(needed, { ipv6: opts.ipv6 }) : [];
  const authPort = opts.authPort ?? (spare.shift() as number);
  const acctPort = opts.acctPort ?? (spare.shift() as number);

  const dir = await makeTempDir('aioradius-freeradius-');
  const raddb = path.join(dir, 'raddb');
  const logFile = path.join(dir, 'log', 'radius.log');
  let child: ChildProcess | undefined;
  try {
    // Symlinks in the stock tree (mods-enabled, sites-enabled, users) are relative: keep them so.
    await fs.cp(FREERADIUS_CONF, raddb, { recursive: true, verbatimSymlinks: true });
    await writeFreeradiusConfig(raddb, dir, { ...opts, authPort, acctPort });
    const ids = process.getuid?.() === 0 ? freeradIds() : undefined;
    if (ids) await chownTree(dir, ids.uid, ids.gid);

    // -f: stay in the foreground; no -X (a full trace per request slows it down a lot).
    // detached: its own process group, so a cleanup kill reaches everything it started.
    const proc = spawn(bin, ['-f', '-d', raddb, '-l', logFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child = proc;
    liveChildren.add(proc);
    let output = '';
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));

    const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
    let ready = false;
    while (Date.now() < deadline && !exited(proc)) {
      if ((await readText(logFile)).includes('Ready to process requests')) {
        ready = true;
        break;
      }
      await sleep(50);
    }
    if (!ready) {
      const why = exited(proc) ? `exited with ${proc.exitCode ?? proc.signalCode}` : 'not ready in time';
      await terminate(proc, 'SIGTERM', 3000);
      const check = await runCommand(bin, ['-XC', '-d', raddb], { timeoutMs: 20_000 });
      throw new Error(
        `freeradius ${why}\n--- log tail (${logFile}) ---\n${tail(await readText(logFile), 30)}\n` +
          `--- output ---\n${tail(output, 20)}\n--- freeradius -XC ---\n${tail(check.stdout + check.stderr, 40)}`,
      );
    }

    let stopped = false;
    return {
      authPort,
      acctPort,
      coaPort: opts.coaPort,
      dir: raddb,
      pid: proc.pid as number,
      log: () => {
        try {
          return readFileSync(logFile, 'utf8');
        } catch {
          return '';
        }
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await terminate(proc, 'SIGTERM', 5000);
        await removeTempDir(dir);
      },
    };
  } catch (err) {
    if (child) await terminate(child, 'SIGKILL', 1000);
    await removeTempDir(dir);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// radtest / radclient (freeradius-utils)

/** One reply printed by radclient -x. */
export interface RadclientReply {
  /** Packet type name as radclient prints it, e.g. 'Access-Accept', 'Accounting-Response', 'CoA-ACK'. */
  code: string;
  /** Reply attributes in order; string values without their surrounding quotes. */
  attributes: Array<[string, string]>;
}

function unquote(v: string): string {
  const m = /^"(.*)"$/.exec(v);
  return m ? m[1].replace(/\\(["\\])/g, '$1') : v;
}

/** Parses radclient -x output: "Received X Id N from ..." followed by tab-indented `Name = value` lines. */
export function parseRadclientOutput(stdout: string): RadclientReply[] {
  const replies: RadclientReply[] = [];
  let current: RadclientReply | null = null;
  for (const line of stdout.split('\n')) {
    const rx = /^Received (\S+) Id \d+/.exec(line);
    if (rx) {
      current = { code: rx[1], attributes: [] };
      replies.push(current);
      continue;
    }
    const attr = /^\s+([A-Za-z0-9][\w.:-]*) = (.*)$/.exec(line);
    if (attr && current) {
      current.attributes.push([attr[1], unquote(attr[2].trim())]);
      continue;
    }
    if (!/^\s/.test(line)) current = null;
  }
  return replies;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Arguments for radtest. */
export interface RadtestArgs {
  user: string;
  password: string;
  host: string;
  port: number;
  secret: string;
  method?: 'pap' | 'chap' | 'mschap';
  ipv6?: boolean;
  /** Hard limit on the whole run (radtest itself retries 3 x 3 s), default 15. */
  timeoutSec?: number;
}

/** Result of radtest: exit 0 on Access-Accept, 1 on Access-Reject or no reply. */
export interface RadtestResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  replyCode?: string;
  attributes: Array<[string, string]>;
}

/** Runs radtest (PAP, CHAP or MS-CHAPv1; radtest has no MS-CHAPv2 mode) against host:port. */
export async function radtest(args: RadtestArgs): Promise<RadtestResult> {
  const ipv6 = args.ipv6 ?? args.host.includes(':');
  const opts: string[] = [];
  if (args.method) opts.push('-t', args.method);
  if (ipv6) opts.push('-6');
  // Trailing "0 NAS": ppphint off, and a literal NAS address (else radtest resolves `hostname`).
  const nas = ipv6 ? '::1' : '127.0.0.1';
  const r = await runCommand(
    findBinary('radtest') ?? 'radtest',
    [...opts, args.user, args.password, hostPort(args.host, args.port), '0', args.secret, '0', nas],
    { timeoutMs: (args.timeoutSec ?? 15) * 1000 },
  );
  const [reply] = parseRadclientOutput(r.stdout);
  return { ...r, replyCode: reply?.code, attributes: reply?.attributes ?? [] };
}

/** Arguments for radclient. */
export interface RadclientArgs {
  host: string;
  port: number;
  type: 'auth' | 'acct' | 'status' | 'coa' | 'disconnect';
  secret: string;
  /** Attribute lines, `Name = value`, comma or newline separated; a blank line separates packets. */
  input: string;
  /** Extra radclient options; `-t`/`-r` here replace the defaults (-t 2 -r 1). */
  extraArgs?: string[];
  ipv6?: boolean;
  /** Hard limit on the whole run, default 15. */
  timeoutSec?: number;
}

/** Result of radclient -x. */
export interface RadclientResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  replies: RadclientReply[];
}

/** Runs `radclient -x HOST:PORT TYPE SECRET` with `input` on stdin. */
export async function radclient(args: RadclientArgs): Promise<RadclientResult> {
  const extra = args.extraArgs ?? [];
  const opts: string[] = ['-x'];
  // radclient's own defaults wait 3 x 3 s for a missing reply: shorter, tests that expect one get it fast.
  if (!extra.includes('-t')) opts.push('-t', '2');
  if (!extra.includes('-r')) opts.push('-r', '1');
  if (args.ipv6 ?? args.host.includes(':')) opts.push('-6');
  const r = await runCommand(
    findBinary('radclient') ?? 'radclient',
    [...opts, ...extra, hostPort(args.host, args.port), args.type, args.secret],
    {
      input: args.input.endsWith('\n') ? args.input : `${args.input}\n`,
      timeoutMs: (args.timeoutSec ?? 15) * 1000,
    },
  );
  return { ...r, replies: parseRadclientOutput(r.stdout) };
}

// ---------------------------------------------------------------------------------------------
// pyrad 2.1

/**
 * The dictionary given to pyrad: it cannot parse FreeRADIUS's, so a small one with the
 * RFC 2865/2866/2869/5176 attributes tests use. Extend it by appending lines.
 */
export const PYRAD_DICTIONARY = `# RFC 2865
ATTRIBUTE\tUser-Name\t1\tstring
ATTRIBUTE\tUser-Password\t2\tstring
ATTRIBUTE\tCHAP-Password\t3\toctets
ATTRIBUTE\tNAS-IP-Address\t4\tipaddr
ATTRIBUTE\tNAS-Port\t5\tinteger
ATTRIBUTE\tService-Type\t6\tinteger
ATTRIBUTE\tFramed-Protocol\t7\tinteger
ATTRIBUTE\tFramed-IP-Address\t8\tipaddr
ATTRIBUTE\tFramed-IP-Netmask\t9\tipaddr
ATTRIBUTE\tFilter-Id\t11\tstring
ATTRIBUTE\tFramed-MTU\t12\tinteger
ATTRIBUTE\tReply-Message\t18\tstring
ATTRIBUTE\tState\t24\toctets
ATTRIBUTE\tClass\t25\toctets
ATTRIBUTE\tVendor-Specific\t26\toctets
ATTRIBUTE\tSession-Timeout\t27\tinteger
ATTRIBUTE\tIdle-Timeout\t28\tinteger
ATTRIBUTE\tCalled-Station-Id\t30\tstring
ATTRIBUTE\tCalling-Station-Id\t31\tstring
ATTRIBUTE\tNAS-Identifier\t32\tstring
ATTRIBUTE\tProxy-State\t33\toctets
ATTRIBUTE\tCHAP-Challenge\t60\toctets
ATTRIBUTE\tNAS-Port-Type\t61\tinteger
# RFC 2866
ATTRIBUTE\tAcct-Status-Type\t40\tinteger
ATTRIBUTE\tAcct-Delay-Time\t41\tinteger
ATTRIBUTE\tAcct-Input-Octets\t42\tinteger
ATTRIBUTE\tAcct-Output-Octets\t43\tinteger
ATTRIBUTE\tAcct-Session-Id\t44\tstring
ATTRIBUTE\tAcct-Authentic\t45\tinteger
ATTRIBUTE\tAcct-Session-Time\t46\tinteger
ATTRIBUTE\tAcct-Input-Packets\t47\tinteger
ATTRIBUTE\tAcct-Output-Packets\t48\tinteger
ATTRIBUTE\tAcct-Terminate-Cause\t49\tinteger
# RFC 2869 / RFC 5176
ATTRIBUTE\tEvent-Timestamp\t55\tdate
ATTRIBUTE\tMessage-Authenticator\t80\toctets
ATTRIBUTE\tError-Cause\t101\tinteger
VALUE\tService-Type\tLogin-User\t1
VALUE\tService-Type\tFramed-User\t2
VALUE\tFramed-Protocol\tPPP\t1
VALUE\tAcct-Status-Type\tStart\t1
VALUE\tAcct-Status-Type\tStop\t2
VALUE\tAcct-Status-Type\tInterim-Update\t3
VALUE\tAcct-Status-Type\tAccounting-On\t7
VALUE\tAcct-Status-Type\tAccounting-Off\t8
VALUE\tNAS-Port-Type\tVirtual\t5
VALUE\tNAS-Port-Type\tEthernet\t15
VALUE\tAcct-Terminate-Cause\tUser-Request\t1
`;

// Reads a JSON job on stdin, sends one packet, prints one JSON line. Values: octets as "0x..",
// integers as numbers (or VALUE names), the rest as strings.
const PYRAD_SCRIPT = `
import json, socket, sys
from pyrad import packet
from pyrad.client import Client, Timeout
from pyrad.dictionary import Dictionary

job = json.load(sys.stdin)
d = Dictionary(job["dictionary"])
c = Client(server=job["host"], authport=job["port"], acctport=job["port"],
           secret=job["secret"].encode(), dict=d)
c.timeout = job["timeout"]
c.retries = 1
if ":" in job["host"]:
    # pyrad opens AF_INET sockets only
    c._socket = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)

if job["kind"] == "auth":
    req = c.CreateAuthPacket(code=packet.AccessRequest)
else:
    req = c.CreateAcctPacket(code=packet.AccountingRequest)
for name, value in job["attributes"]:
    if name == "User-Password":
        req.AddAttribute(name, req.PwCrypt(value))
        continue
    typ = d.attributes[name].type if name in d.attributes else None
    if typ == "octets" and isinstance(value, str) and value.startswith("0x"):
        value = bytes.fromhex(value[2:])
    req.AddAttribute(name, value)

def plain(v):
    if isinstance(v, bytes):
        return "0x" + v.hex()
    if isinstance(v, (int, float, str)):
        return v
    return str(v)

try:
    reply = c.SendPacket(req)
except Timeout:
    print(json.dumps({"code": None, "attributes": {}}))
    sys.exit(0)
attrs = {}
for key in reply.keys():
    attrs[str(key)] = [plain(v) for v in reply[key]]
print(json.dumps({"code": reply.code, "attributes": attrs}))
`;

/** Arguments for pyradSend. */
export interface PyradArgs {
  host: string;
  port: number;
  secret: string;
  /** 'auth': Access-Request (User-Password hidden with pyrad's PwCrypt); 'acct': Accounting-Request. */
  kind: 'auth' | 'acct';
  /** Octets values as '0x...' strings. */
  attributes: Array<[string, string | number]>;
  /** Dictionary text replacing PYRAD_DICTIONARY. */
  dictionary?: string;
  /** Seconds pyrad waits for the reply (one try), default 3. */
  timeoutSec?: number;
}

/** Result of pyradSend: code null when no valid reply came (pyrad drops bad authenticators). */
export interface PyradResult {
  code: number | null;
  attributes: Record<string, unknown[]>;
  stdout: string;
  stderr: string;
}

/** Sends one packet with pyrad (an independent client implementation) and returns its reply. */
export async function pyradSend(args: PyradArgs): Promise<PyradResult> {
  const dir = await makeTempDir('aioradius-pyrad-');
  try {
    const dictPath = path.join(dir, 'dictionary');
    const scriptPath = path.join(dir, 'send.py');
    await fs.writeFile(dictPath, args.dictionary ?? PYRAD_DICTIONARY);
    await fs.writeFile(scriptPath, PYRAD_SCRIPT);
    const timeout = args.timeoutSec ?? 3;
    const job = { ...args, dictionary: dictPath, timeout };
    const r = await runCommand(SYSTEM_PYTHON, [scriptPath], {
      input: JSON.stringify(job),
      timeoutMs: (timeout + 10) * 1000,
    });
    if (r.code !== 0) throw new Error(`pyrad failed (exit ${r.code}): ${tail(r.stderr, 15)}`);
    const parsed = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as {
      code: number | null;
      attributes: Record<string, unknown[]>;
    };
    return { code: parsed.code, attributes: parsed.attributes, stdout: r.stdout, stderr: r.stderr };
  } finally {
    await removeTempDir(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// tshark 4.0: an independent dissector to check what went over the wire.
//
// Field names (tshark -G fields, 4.0): radius.code, radius.id, radius.length, radius.authenticator,
// radius.authenticator.valid / radius.authenticator.invalid (responses only, needs the secret and
// radius.validate_authenticator), radius.req / radius.rsp, radius.reqframe / radius.rspframe,
// radius.dup, radius.avp.type; attributes are radius.<Name_With_Underscores>, e.g.
// radius.User_Name, radius.User_Password (decrypted with the secret; the hidden bytes are
// radius.User_Password_encrypted), radius.Reply_Message, radius.Framed_IP_Address,
// radius.Message_Authenticator, radius.Acct_Status_Type, radius.Acct_Session_Id, radius.State,
// radius.Class, radius.CHAP_Password, radius.MS_CHAP_Response, radius.MS_CHAP2_Response,
// radius.EAP_Message, radius.Error_Cause. Preferences: radius.shared_secret,
// radius.validate_authenticator. Ports other than 1812/1813/3799 need `-d udp.port==P,radius`.
// What tshark 4.0 checks: the Response Authenticator of replies to Access-, Accounting-, CoA- and
// Disconnect-Requests (not of replies to Status-Server: both fields stay empty there); it never
// checks Request Authenticators of Accounting/CoA/Disconnect-Requests or Message-Authenticator.
// A malformed packet gets `_ws.malformed` and an expert item "Expert Info (Error/Malformed)".

/** A running capture; stop() ends it and returns the pcapng path. */
export interface Capture {
  /** Where the capture is written. */
  path: string;
  /** Stops capturing (after a short drain) and returns the file path. */
  stop(): Promise<string>;
  /** Stops if needed and deletes the file and its directory. */
  dispose(): Promise<void>;
}

/** Options for startCapture. */
export interface CaptureOptions {
  /** Interface, default 'lo'. */
  iface?: string;
  /** Hard cap on the capture's life in seconds (it is killed after that), default 120. */
  maxSeconds?: number;
  /** Bound on waiting for tshark to start capturing, default 60 s. */
  startTimeoutMs?: number;
}

/**
 * Starts tshark capturing UDP on the given ports. It resolves once a datagram sent to an extra
 * "sentinel" port shows up in tshark's live output, so nothing sent afterwards is missed
 * ("Capturing on 'Loopback: lo'" on stderr comes slightly before the filter is live).
 */
export async function startCapture(ports: number[], opts: CaptureOptions = {}): Promise<Capture> {
  if (ports.length === 0) throw new Error('startCapture: no ports');
  const sentinelPort = await freePort();
  const dir = await makeTempDir('aioradius-pcap-');
  await fs.chmod(dir, 0o777); // dumpcap may drop privileges before opening the file
  const file = path.join(dir, 'capture.pcapng');
  const filter = [...ports, sentinelPort].map((p) => `udp port ${p}`).join(' or ');
  const maxSeconds = opts.maxSeconds ?? 120;
  // -P -l: print a line per packet as it is written to the file, which is how we see the sentinels.
  const args = [
    '-i',
    opts.iface ?? 'lo',
    '-f',
    filter,
    '-w',
    file,
    '-P',
    '-l',
    '-n',
    '-a',
    `duration:${maxSeconds}`,
  ];
  // detached: tshark runs dumpcap as a child; a group kill stops both.
  const proc = spawn(findBinary('tshark') ?? 'tshark', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  liveChildren.add(proc);
  const killer = setTimeout(() => killGroup(proc), (maxSeconds + 10) * 1000);
  killer.unref();
  let stderr = '';
  let sentinelsSeen = 0;
  const sentinelLine = new RegExp(`(?:\u2192|->)\\s*${sentinelPort}\\b`);
  let pending = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    const lines = (pending + d).split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) if (sentinelLine.test(l)) sentinelsSeen++;
  });
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const sock = dgram.createSocket('udp4');
  sock.on('error', () => {}); // ICMP port unreachable for the sentinels is expected

  // Sends sentinels until one more than `seen` has been printed; bounded.
  const sync = async (seen: number, ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && !exited(proc)) {
      sock.send('aioradius capture sentinel', sentinelPort, '127.0.0.1');
      for (let i = 0; i < 5 && sentinelsSeen <= seen; i++) await sleep(20);
      if (sentinelsSeen > seen) return true;
    }
    return false;
  };

  // tshark prints its first packets late on a loaded machine (seen past 15 s, and once past 30 s, with
  // the whole suite running).
  if (!(await sync(0, opts.startTimeoutMs ?? 60_000))) {
    clearTimeout(killer);
    sock.close();
    await terminate(proc, 'SIGKILL', 1000);
    await removeTempDir(dir);
    throw new Error(`tshark did not start capturing: ${tail(stderr, 10)}`);
  }

  let stopped: Promise<string> | undefined;
  const stop = (): Promise<string> => {
    stopped ??= (async () => {
      // A last sentinel seen means every earlier datagram is already in the file.
      await sync(sentinelsSeen, 5000);
      sock.close();
      clearTimeout(killer);
      await terminate(proc, 'SIGINT', 10_000);
      return file;
    })();
    return stopped;
  };
  return {
    path: file,
    stop,
    async dispose() {
      await stop();
      await removeTempDir(dir);
    },
  };
}

/** Options for dissect / dissectVerbose / expertErrors. */
export interface DissectOptions {
  /** UDP ports to decode as RADIUS. */
  ports: number[];
  /** Shared secret: lets tshark decrypt User-Password and validate Response Authenticators. */
  secret: string;
  /** Fields to print (default DEFAULT_DISSECT_FIELDS). */
  fields?: string[];
  /** Display filter, default 'radius'. */
  filter?: string;
  /** More tshark options, e.g. `['-o', 'tls.keylog_file:FILE']` to decrypt an EAP tunnel. */
  extraArgs?: string[];
}

/** Fields printed by dissect() when none are given. */
export const DEFAULT_DISSECT_FIELDS = [
  'frame.number',
  'udp.srcport',
  'udp.dstport',
  'radius.code',
  'radius.id',
  'radius.length',
  'radius.authenticator.valid',
  'radius.authenticator.invalid',
  'radius.User_Name',
  'radius.User_Password',
  'radius.Message_Authenticator',
  '_ws.malformed',
];

function tsharkReadArgs(pcap: string, opts: DissectOptions): string[] {
  const args = ['-r', pcap, '-n'];
  for (const p of opts.ports) args.push('-d', `udp.port==${p},radius`);
  if (/[\r\n]/.test(opts.secret)) throw new Error('secret with a newline cannot be given to tshark');
  args.push('-o', `radius.shared_secret:${opts.secret}`, '-o', 'radius.validate_authenticator:TRUE');
  args.push(...(opts.extraArgs ?? []));
  args.push('-Y', opts.filter ?? 'radius');
  return args;
}

async function tsharkRead(args: string[]): Promise<string> {
  const r = await runCommand(findBinary('tshark') ?? 'tshark', args, { timeoutMs: 60_000 });
  if (r.code !== 0)
    throw new Error(`tshark ${args.join(' ')} failed (exit ${r.code}): ${tail(r.stderr, 10)}`);
  return r.stdout;
}

/**
 * Dissects a capture into one record per RADIUS packet, keyed by field name; a field absent from
 * a packet is ''. Repeated occurrences are joined with ','. Booleans print as 1/0 ('1' in
 * radius.authenticator.valid means tshark checked the Response Authenticator and it matched).
 */
export async function dissect(pcap: string, opts: DissectOptions): Promise<Array<Record<string, string>>> {
  const fields = opts.fields ?? DEFAULT_DISSECT_FIELDS;
  const args = [...tsharkReadArgs(pcap, opts), '-T', 'fields', '-E', 'separator=/t', '-E', 'header=y'];
  args.push('-E', 'occurrence=a', '-E', 'aggregator=,');
  for (const f of fields) args.push('-e', f);
  const lines = (await tsharkRead(args)).split('\n').filter((l) => l.length > 0);
  const header = lines.shift()?.split('\t') ?? [];
  return lines.map((line) => {
    const cols = line.split('\t');
    return Object.fromEntries(header.map((h, i) => [h, cols[i] ?? '']));
  });
}

/** The full packet tree (`tshark -V`) of every RADIUS packet in the capture. */
export async function dissectVerbose(pcap: string, opts: DissectOptions): Promise<string> {
  return tsharkRead([...tsharkReadArgs(pcap, opts), '-V']);
}

/** A problem tshark found in one frame. */
export interface ExpertError {
  frame: number;
  message: string;
}

/**
 * Frames tshark marks with an error-severity expert item (Malformed Packet is one: in -V these
 * print as "[Expert Info (Error/Malformed): ...]") and responses whose Response Authenticator
 * tshark found wrong (radius.authenticator.invalid, which is no expert item). Empty when tshark
 * found nothing wrong.
 */
export async function expertErrors(
  pcap: string,
  opts: Omit<DissectOptions, 'fields'>,
): Promise<ExpertError[]> {
  const args = [...tsharkReadArgs(pcap, opts), '-T', 'fields', '-E', 'separator=/t'];
  // _ws.expert prints "Expert Info (Severity/Group): message"; several per frame are joined by '|'.
  args.push('-E', 'occurrence=a', '-E', 'aggregator=|');
  args.push('-e', 'frame.number', '-e', 'radius.authenticator.invalid', '-e', '_ws.expert');
  const out: ExpertError[] = [];
  for (const line of (await tsharkRead(args)).split('\n')) {
    if (!line) continue;
    const [frame, invalid = '', expert = ''] = line.split('\t');
    if (invalid.split('|').includes('1'))
      out.push({ frame: Number(frame), message: 'invalid Response Authenticator' });
    for (const item of expert.split('|')) {
      if (item.includes('(Error/')) out.push({ frame: Number(frame), message: item });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// radsecproxy (UDP/TCP/TLS proxy)

/** A running radsecproxy. */
export interface RadsecproxyPeer {
  dir: string;
  pid: number;
  /** What it printed so far (it logs to stderr in the foreground). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `radsecproxy -f` with `config` (a radsecproxy.conf text; `@DIR@` is replaced by its private
 * directory) and waits until `readyPort` is bound on 127.0.0.1 (UDP or TCP, as it listens).
 */
export async function startRadsecproxy(
  config: string,
  readyPort: { port: number; proto: 'udp' | 'tcp' },
  startTimeoutMs = 15_000,
): Promise<RadsecproxyPeer> {
  const bin = findBinary('radsecproxy');
  if (!bin) throw new Error(peerMissing('radsecproxy') ?? 'radsecproxy not found');
  const dir = await makeTempDir('aioradius-radsecproxy-');
  const conf = path.join(dir, 'radsecproxy.conf');
  await fs.writeFile(conf, config.replaceAll('@DIR@', dir));
  const proc = spawn(bin, ['-f', '-c', conf, '-i', path.join(dir, 'radsecproxy.pid')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  liveChildren.add(proc);
  let output = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  const deadline = Date.now() + startTimeoutMs;
  while (!(await portInUse(readyPort.port, readyPort.proto))) {
    if (exited(proc) || Date.now() > deadline) {
      await terminate(proc, 'SIGKILL', 1000);
      await removeTempDir(dir);
      throw new Error(`radsecproxy did not start\n${tail(output, 30)}`);
    }
    await sleep(50);
  }
  let stopped = false;
  return {
    dir,
    pid: proc.pid as number,
    output: () => output,
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate(proc, 'SIGTERM', 3000);
      await removeTempDir(dir);
    },
  };
}

/** True when something listens on 127.0.0.1:`port` (a bind attempt fails with EADDRINUSE). */
async function portInUse(port: number, proto: 'udp' | 'tcp'): Promise<boolean> {
  if (proto === 'udp') {
    const sock = dgram.createSocket('udp4');
    return new Promise((resolve) => {
      sock.once('error', () => {
        sock.close();
        resolve(true);
      });
      sock.bind({ port, address: '127.0.0.1', exclusive: true }, () => {
        sock.close();
        resolve(false);
      });
    });
  }
  const net = await import('node:net');
  return new Promise((resolve) => {
    const c = net.connect({ port, host: '127.0.0.1' });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** What {@link startRadsecproxyBridge} needs: where it listens, where it forwards, and its TLS identity. */
export interface RadsecproxyBridge {
  /** UDP port radsecproxy listens on (for radclient). */
  udpPort: number;
  /** Secret between radclient and radsecproxy. */
  udpSecret: string;
  /** The TLS home server: our listener. */
  tlsPort: number;
  /** Secret over TLS (RFC 6614: 'radsec' by default). */
  tlsSecret?: string;
  /** PEM file paths: the CA, and radsecproxy's certificate and key (presented as a client certificate). */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** radsecproxy's Status-Server watchdog towards the home server. */
  statusServer?: boolean;
}

/** radsecproxy as a bridge: UDP in from 127.0.0.1, TLS out to 127.0.0.1:`tlsPort`, every realm. */
export function startRadsecproxyBridge(b: RadsecproxyBridge): Promise<RadsecproxyPeer> {
  return startRadsecproxy(
    `ListenUDP 127.0.0.1:${b.udpPort}
tls default {
    CACertificateFile ${b.caFile}
    CertificateFile ${b.certFile}
    CertificateKeyFile ${b.keyFile}
}
client 127.0.0.1 {
    type udp
    secret ${b.udpSecret}
}
server home {
    host 127.0.0.1
    port ${b.tlsPort}
    type tls
    secret ${b.tlsSecret ?? 'radsec'}
    CertificateNameCheck off
    StatusServer ${b.statusServer ? 'on' : 'off'}
}
realm * {
    server home
    accountingServer home
}
`,
    { port: b.udpPort, proto: 'udp' },
  );
}

/** What {@link startRadsecproxyTlsFront} needs: its TLS port, the UDP home server, its TLS identity. */
export interface RadsecproxyTlsFront {
  /** TCP port radsecproxy's RADIUS/TLS listener takes (client 127.0.0.1, secret 'radsec'). */
  tlsPort: number;
  /** The UDP home server on 127.0.0.1 it forwards every realm to, and the secret towards it. */
  udpPort: number;
  /** Where accounting goes instead, when the home server takes it on another port. */
  udpAcctPort?: number;
  udpSecret: string;
  /** PEM file paths: the CA client certificates must chain to, and radsecproxy's certificate and key. */
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** radsecproxy the other way round: TLS in from 127.0.0.1 (client certificate required), UDP out. */
export function startRadsecproxyTlsFront(f: RadsecproxyTlsFront): Promise<RadsecproxyPeer> {
  return startRadsecproxy(
    `ListenTLS 127.0.0.1:${f.tlsPort}
tls default {
    CACertificateFile ${f.caFile}
    CertificateFile ${f.certFile}
    CertificateKeyFile ${f.keyFile}
}
client 127.0.0.1 {
    type tls
    secret radsec
    CertificateNameCheck off
}
server home {
    host 127.0.0.1
    port ${f.udpPort}
    type udp
    secret ${f.udpSecret}
    StatusServer off
}
server homeacct {
    host 127.0.0.1
    port ${f.udpAcctPort ?? f.udpPort}
    type udp
    secret ${f.udpSecret}
    StatusServer off
}
realm * {
    server home
    accountingServer homeacct
}
`,
    { port: f.tlsPort, proto: 'tcp' },
  );
}

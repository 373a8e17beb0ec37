import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';

/** A mistake on the command line: the command prints it with its usage and exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An error's message on one line (a message of several lines would read as several errors). */
export function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
}

/**
 * Reports what stopped a command: the message on one line (a config's mistake after "bad config:")
 * and, for a command-line mistake, where the options are described (not the whole help text).
 * Returns the exit status, 2.
 */
export function commandFailed(command: string, err: unknown): number {
  const message = oneLine(err);
  const prefix = err instanceof ConfigError ? 'bad config: ' : '';
  process.stderr.write(`aioradius ${command}: ${prefix}${message}\n`);
  if (err instanceof UsageError) process.stderr.write(`Try 'aioradius ${command} --help' for the options.\n`);
  return 2;
}

/**
 * The options several commands share, spelled the same everywhere (one meaning per letter):
 * -t timeout, -r retransmissions (as the library's `retries`), -D dictionary, -a attribute,
 * -p requests in flight, -n count, -c config file. Commands pick the ones they take.
 */
export const SHARED_OPTIONS = {
  timeout: { type: 'string', short: 't' },
  retries: { type: 'string', short: 'r' },
  dictionary: { type: 'string', short: 'D', multiple: true },
  attribute: { type: 'string', short: 'a', multiple: true },
  parallel: { type: 'string', short: 'p' },
  count: { type: 'string', short: 'n' },
  config: { type: 'string', short: 'c' },
} as const satisfies Record<string, OptionSpec>;

/**
 * Transmissions per request from `-r/--retries N` (retransmissions after the first, as the
 * library's `retries`): N + 1.
 */
export function triesOption(values: OptionValues, defaultRetries: number): number {
  return numberOption(values, 'retries', defaultRetries, 0, 99) + 1;
}

/** How one option is spelled and whether it takes a value (node:util parseArgs' format). */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

/** Options found on a command line, by long name. */
export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** Parses `argv` strictly (unknown options are usage errors); options and positionals may mix. */
export function parseCommandLine(
  argv: readonly string[],
  options: Record<string, OptionSpec>,
): { values: OptionValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as OptionValues, positionals };
  } catch (err) {
    const e = err as Error & { code?: string };
    // Node's own text suggests `--` for a positional, which is seldom what was meant.
    const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && /'([^']+)'/.exec(e.message)?.[1];
    if (unknown) throw new UsageError(`unknown option ${unknown}`);
    throw new UsageError(e.message);
  }
}

/** A string option's value (the last one when repeated). */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  if (Array.isArray(v)) {
    const last = v[v.length - 1];
    return typeof last === 'string' ? last : undefined;
  }
  return typeof v === 'string' ? v : undefined;
}

/** Every value of a repeatable string option. */
export function stringList(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

/** A numeric option within [min, max]; `fallback` when absent. */
export function numberOption(
  values: OptionValues,
  name: string,
  fallback: number,
  min: number,
  max: number,
  integer = true,
): number {
  const text = stringOption(values, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new UsageError(`--${name}: ${JSON.stringify(text)} is not a number in ${min}..${max}`);
  }
  return n;
}

/** A server address: host (IPv4, IPv6 or name) and port. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 literal (which has no port).
 * Throws UsageError for an empty host or a bad port.
 */
export function parseHostPort(text: string, defaultPort: number): HostPort {
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new UsageError(`${text}: missing "]"`);
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw new UsageError(`${text}: expected ":port" after "]"`);
      portText = rest.slice(1);
    }
    if (isIP(host) !== 6) throw new UsageError(`${text}: ${host} is not an IPv6 address`);
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  if (host === '') throw new UsageError(`${text}: no host`);
  let port = defaultPort;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535)
      throw new UsageError(`${text}: bad port ${JSON.stringify(portText)}`);
  }
  return { host, port };
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** All of standard input, as UTF-8 (a pipe or a file; a terminal until end of input). */
export async function readStandardInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// `serve`'s logs for a person at a terminal: pino writes one JSON object per line; this turns each
// into "12:00:01.234 INFO  message key=value ..." (colours on a TTY). Anywhere else the JSON lines
// stay as they are, for log shippers.
import type { Writable } from 'node:stream';

/** How `serve` writes its log: JSON lines, or the terminal form. */
export type LogFormat = 'json' | 'pretty';

const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '\x1b[90m'],
  20: ['DEBUG', '\x1b[36m'],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[35m'],
};
// Fields every line has, shown in the prefix or not at all.
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

/** One JSON log line in the terminal form (a line that is not JSON comes back unchanged). */
export function prettyLine(line: string, colour: boolean): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (o === null || typeof o !== 'object') return line;
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 23) : '';
  const [name, code] = LEVELS[typeof o.level === 'number' ? o.level : 30] ?? ['?    ', ''];
  const level = colour ? `${code}${name}\x1b[0m` : name;
  const fields: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (OMITTED.has(k) || v === undefined) continue;
    const text =
      typeof v === 'string' ? (/[\s="]/.test(v) || v === '' ? JSON.stringify(v) : v) : JSON.stringify(v);
    fields.push(`${k}=${text}`);
  }
  const msg = typeof o.msg === 'string' ? o.msg : '';
  return `${time} ${level} ${msg}${fields.length ? ` ${fields.join(' ')}` : ''}`;
}

/** A pino destination writing the terminal form of each line to `out`. */
export function prettyDestination(out: Writable & { isTTY?: boolean }): { write(chunk: string): void } {
  const colour = out.isTTY === true && !process.env.NO_COLOR;
  let pending = '';
  return {
    write(chunk: string): void {
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        out.write(`${prettyLine(pending.slice(0, nl), colour)}\n`);
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
    },
  };
}

// `aioradius send`: packets described as `Name = value` lines, like FreeRADIUS's radclient.
import { readFile } from 'node:fs/promises';
import { chapPassword } from '../auth/chap.js';
import { Dictionary } from '../dictionary/dictionary.js';
import {
  ACCESS_REQUEST,
  ACCOUNTING_REQUEST,
  COA_REQUEST,
  DISCONNECT_REQUEST,
  STATUS_SERVER,
} from '../protocol/codes.js';
import { createPacket, type Packet } from '../protocol/packet.js';
import { randomBytesPooled } from '../protocol/random.js';
import {
  commandFailed,
  formatHostPort,
  numberOption,
  type OptionValues,
  parseCommandLine,
  parseHostPort,
  readStandardInput,
  SHARED_OPTIONS,
  stringList,
  stringOption,
  triesOption,
  UsageError,
} from './args.js';
import {
  ClientExchanger,
  defaultPortFor,
  type ExchangeResult,
  resolveServer,
  TRANSPORT_OPTIONS,
  transportUsage,
  transportChoice,
} from './exchange.js';
import { RadiusConnectionError, RadiusTimeoutError } from '../errors.js';
import { attributeErrorText, formatAttributes, parseAttributeText, type TextPair } from './format.js';
import { REFUSED_HINT, TIMEOUT_HINT } from './timeout-hint.js';

/** Help text of `aioradius send`. */
export const USAGE = `Usage: aioradius send SERVER[:PORT] auth|acct|status|coa|disconnect SECRET [options]

Reads "Attribute = value" lines from stdin (or -f FILE) and sends one packet per group of
lines (a blank line separates packets; commas may separate attributes on one line), then
prints each reply in the same syntax (like radclient). Default ports: auth and status 1812,
acct 1813, coa and disconnect 3799; all 2083 over TLS. IPv6 servers are written in brackets: [::1]:1813.
A cleartext CHAP-Password is turned into a CHAP response.

Options:
  -f, --file PATH          read packets from PATH instead of stdin (repeatable)
  -n, --count N            send each packet N times (default 1)
  -c N                     radclient's spelling of -n (send takes no config file)
  -p, --parallel N         requests in flight at once (default 1)
  -r, --retries N          retransmissions after the first try (default 2)
  -t, --timeout SECONDS    wait per try (default 3)
  -x, --verbose            also print what is sent
  -q, --quiet              print no replies
      --json               one JSON object per reply (or failure) per line
  -6, --ipv6               resolve SERVER to an IPv6 address
${transportUsage(27)}
  -D, --dictionary PATH    load a FreeRADIUS-format dictionary (repeatable)
  -h, --help               this text

Exit status: 0 when every request got an answer, 1 when some did not, 2 on bad usage or input.`;

const OPTIONS = {
  file: { type: 'string', short: 'f', multiple: true },
  count: SHARED_OPTIONS.count,
  // radclient's `-c count`; elsewhere -c is the config file, which send does not take.
  'radclient-count': { type: 'string', short: 'c' },
  parallel: SHARED_OPTIONS.parallel,
  retries: SHARED_OPTIONS.retries,
  timeout: SHARED_OPTIONS.timeout,
  verbose: { type: 'boolean', short: 'x' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  ipv6: { type: 'boolean', short: '6' },
  dictionary: SHARED_OPTIONS.dictionary,
  help: { type: 'boolean', short: 'h' },
  ...TRANSPORT_OPTIONS,
} as const;

/** Request code and default port of each packet type word. */
const TYPES: Record<string, { code: number; port: number }> = {
  auth: { code: ACCESS_REQUEST, port: 1812 },
  acct: { code: ACCOUNTING_REQUEST, port: 1813 },
  status: { code: STATUS_SERVER, port: 1812 },
  coa: { code: COA_REQUEST, port: 3799 },
  disconnect: { code: DISCONNECT_REQUEST, port: 3799 },
};

/** Runs `aioradius send`; returns the exit status. */
export async function run(argv: string[]): Promise<number> {
  try {
    return await runSend(argv);
  } catch (err) {
    return commandFailed('send', err);
  }
}

/** Builds one request from text pairs; a cleartext CHAP-Password becomes a CHAP response (RFC 2865 §5.3). */
export function buildPacket(
  code: number,
  secret: string,
  pairs: TextPair[],
  dictionary?: Dictionary,
): Packet {
  const packet = createPacket(code, secret, { dictionary });
  let chap: string | undefined;
  let hasChallenge = false;
  for (const [name, value] of pairs) {
    const def = packet.dictionary.attribute(name);
    if (def?.name === 'CHAP-Password' && !/^0x/i.test(value)) {
      chap = value;
      continue;
    }
    if (def?.name === 'CHAP-Challenge') hasChallenge = true;
    packet.add(name, value);
  }
  if (chap !== undefined) {
    let challenge = packet.get('CHAP-Challenge');
    if (!hasChallenge || !Buffer.isBuffer(challenge)) {
      challenge = randomBytesPooled(16);
      packet.add('CHAP-Challenge', challenge);
    }
    packet.add('CHAP-Password', chapPassword(randomBytesPooled(1)[0], chap, challenge));
  }
  return packet;
}

async function readInput(files: string[]): Promise<string> {
  if (files.length) {
    const texts: string[] = [];
    for (const f of files) texts.push(await readFile(f, 'utf8'));
    return texts.join('\n\n');
  }
  return readStandardInput();
}

/** The count of -n, or of -c as radclient spells it; both given must agree. */
function countText(values: OptionValues): string | undefined {
  const n = stringOption(values, 'count');
  const c = stringOption(values, 'radclient-count');
  if (n !== undefined && c !== undefined && n !== c)
    throw new UsageError(`-c ${c} and -n ${n} disagree: -c is radclient's spelling of -n, give one`);
  return n ?? c;
}

async function runSend(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 3) throw new UsageError('expected SERVER[:PORT] TYPE SECRET');
  const [serverText, typeWord, secret] = positionals;
  const type = TYPES[typeWord];
  if (!type) throw new UsageError(`unknown packet type ${JSON.stringify(typeWord)}`);
  const count = numberOption({ count: countText(values) }, 'count', 1, 1, 1e9);
  const parallel = numberOption(values, 'parallel', 1, 1, 4096);
  const tries = triesOption(values, 2);
  const timeout = numberOption(values, 'timeout', 3, 0.01, 3600, false);
  const json = values.json === true;
  const quiet = values.quiet === true;
  const verbose = values.verbose === true && !json;
  const choice = transportChoice(values);
  const { host, port } = parseHostPort(serverText, defaultPortFor(choice.transport, type.port));

  let dictionary: Dictionary | undefined;
  const dictPaths = stringList(values, 'dictionary');
  if (dictPaths.length) {
    dictionary = new Dictionary();
    for (const p of dictPaths) dictionary.load(p);
  }

  const text = await readInput(stringList(values, 'file'));
  const templates = parseAttributeText(text);
  // Status-Server needs no attributes: an empty input still sends one.
  if (templates.length === 0) {
    if (type.code !== STATUS_SERVER) throw new UsageError('no packets in the input');
    templates.push([]);
  }
  // Build and encode each packet once before sending anything, so bad input sends nothing.
  templates.forEach((pairs, i) => {
    try {
      buildPacket(type.code, secret, pairs, dictionary).encode();
    } catch (err) {
      throw new UsageError(`packet ${i + 1}: ${attributeErrorText(err, dictionary)}`);
    }
  });

  const server = await resolveServer(host, port, values.ipv6 === true);
  const where = formatHostPort(server.address, server.port);
  const total = templates.length * count;
  let next = 0;
  let failed = 0;
  let timedOut = 0;
  let refused = 0;
  const out = (s: string) => process.stdout.write(s);

  // One client for every lane: it spreads their requests over its sockets (256 identifiers each).
  const lanes = Math.min(parallel, total);
  const exchanger = new ClientExchanger(
    values.ipv6 === true ? server.address : host,
    server,
    secret,
    choice,
    {
      timeout,
      tries,
      parallel: lanes,
    },
  );

  const lane = async () => {
    while (next < total) {
      const n = next++;
      const request = buildPacket(type.code, secret, templates[n % templates.length], dictionary);
      await sendOne(request, n);
    }
  };

  const sendOne = async (request: Packet, n: number) => {
    let r: ExchangeResult;
    try {
      const pending = exchanger.exchange(request);
      // Printed once the client has given the request its identifier and sent it.
      if (verbose) {
        const lines = formatAttributes(request).join('\n');
        out(`Sent ${request.codeName} Id ${request.identifier} to ${where}\n${lines ? `${lines}\n` : ''}`);
      }
      r = await pending;
    } catch (err) {
      failed++;
      if (err instanceof RadiusTimeoutError) timedOut++;
      else if (err instanceof RadiusConnectionError && err.refusedByServer) refused++;
      const message = (err as Error).message;
      if (json) out(`${JSON.stringify({ packet: n + 1, identifier: request.identifier, error: message })}\n`);
      else process.stderr.write(`(${n + 1}) Id ${request.identifier}: ${message}\n`);
      return;
    }
    const reply = r.reply;
    if (json) {
      out(
        `${JSON.stringify({
          packet: n + 1,
          code: reply.codeName,
          identifier: reply.identifier,
          from: where,
          length: r.length,
          seconds: Number(r.seconds.toFixed(6)),
          attributes: reply.attributes.toJSON(),
        })}\n`,
      );
    } else if (!quiet) {
      const lines = formatAttributes(reply).join('\n');
      out(
        `Received ${reply.codeName} Id ${reply.identifier} from ${where} length ${r.length}\n${lines ? `${lines}\n` : ''}`,
      );
    }
  };

  try {
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    exchanger.close();
  }
  if (failed && !json) process.stderr.write(`${failed} of ${total} request(s) got no answer\n`);
  // Every request unanswered: most likely the server drops them all (unknown client, wrong secret).
  if (timedOut === total) process.stderr.write(`${TIMEOUT_HINT}\n`);
  else if (refused > 0) process.stderr.write(`${REFUSED_HINT}\n`);
  return failed ? 1 : 0;
}

// `aioradius test`: one Access-Request, like FreeRADIUS's radtest.
import {
  addChap,
  addMsChapV1,
  addMsChapV2,
  addPap,
  type MsChapV2State,
  verifyMsChapV2Success,
} from '../auth/requests.js';
import { Dictionary } from '../dictionary/dictionary.js';
import { ACCESS_ACCEPT, ACCESS_REJECT } from '../protocol/codes.js';
import { AccessRequest } from '../protocol/packet.js';
import {
  commandFailed,
  formatHostPort,
  numberOption,
  type OptionValues,
  parseCommandLine,
  parseHostPort,
  SHARED_OPTIONS,
  stringList,
  stringOption,
  triesOption,
  UsageError,
} from './args.js';
import { RadiusConnectionError, RadiusTimeoutError } from '../errors.js';
import {
  ClientExchanger,
  defaultPortFor,
  type ExchangeResult,
  resolveServer,
  TRANSPORT_OPTIONS,
  transportUsage,
  transportChoice,
} from './exchange.js';
import { attributeErrorText, formatAttributes, parseLine } from './format.js';
import { REFUSED_HINT, TIMEOUT_HINT } from './timeout-hint.js';

/** Help text of `aioradius test`. */
export const USAGE = `Usage: aioradius test USER PASSWORD [SERVER[:PORT]] [SECRET] [options]

Sends one Access-Request and prints the reply (like radtest).
SERVER defaults to 127.0.0.1, PORT to 1812 (2083 over TLS), SECRET to testing123
(radsec over TLS).
IPv6 servers are written in brackets: [::1]:1812.

Options:
  -m, --method pap|chap|mschap|mschapv2 authentication method (default pap)
  -t, --timeout SECONDS                 wait per try (default 3)
  -t pap|chap|mschap|mschapv2           radtest's spelling of -m: a method name given to -t
                                        selects the method, a number stays the timeout
  -r, --retries N                       retransmissions after the first try (default 2)
  -a, --attribute "Name = value"        extra request attribute (repeatable)
  -6, --ipv6                            resolve SERVER to an IPv6 address
${transportUsage(40)}
  -D, --dictionary PATH                 load a FreeRADIUS-format dictionary (repeatable)
  -q, --quiet                           print nothing; the exit status tells
  -h, --help                            this text

Exit status: 0 Access-Accept, 1 Access-Reject (or Challenge), 2 no answer or error.`;

const OPTIONS = {
  method: { type: 'string', short: 'm' },
  // Repeatable: radtest's `-t chap` may come beside a timeout (`-t chap -t 5`).
  timeout: { ...SHARED_OPTIONS.timeout, multiple: true },
  retries: SHARED_OPTIONS.retries,
  attribute: SHARED_OPTIONS.attribute,
  ipv6: { type: 'boolean', short: '6' },
  dictionary: SHARED_OPTIONS.dictionary,
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  ...TRANSPORT_OPTIONS,
} as const;

const METHODS = ['pap', 'chap', 'mschap', 'mschapv2'] as const;
type Method = (typeof METHODS)[number];

const isMethod = (text: string): text is Method => (METHODS as readonly string[]).includes(text);

/**
 * The method (-m) and the timeout (-t). radtest spells the method `-t pap|chap|mschap`, while -t is
 * the timeout in every other command: a -t value that names a method selects it, a number is seconds.
 */
function methodAndTimeout(values: OptionValues): { method: Method; timeout: number } {
  const tValues = stringList(values, 'timeout');
  const seconds = tValues.filter((t) => !isMethod(t));
  const named = [stringOption(values, 'method'), ...tValues.filter(isMethod)].filter(
    (m): m is string => m !== undefined,
  );
  for (const m of named) {
    if (!isMethod(m)) throw new UsageError(`--method must be one of ${METHODS.join(', ')}`);
  }
  if (new Set(named).size > 1)
    throw new UsageError(`two methods given (${[...new Set(named)].join(' and ')}): give one`);
  for (const t of seconds) {
    if (!Number.isFinite(Number(t)) || t.trim() === '')
      throw new UsageError(
        `--timeout: ${JSON.stringify(t)} is neither seconds nor a method (${METHODS.join(', ')})`,
      );
  }
  return {
    method: (named[0] ?? 'pap') as Method,
    timeout: numberOption({ timeout: seconds }, 'timeout', 3, 0.01, 3600, false),
  };
}

/** Runs `aioradius test`; returns the exit status. */
export async function run(argv: string[]): Promise<number> {
  try {
    return await runTest(argv);
  } catch (err) {
    return commandFailed('test', err);
  }
}

async function runTest(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length < 2 || positionals.length > 4)
    throw new UsageError('expected USER PASSWORD [SERVER[:PORT]] [SECRET]');
  const choice = transportChoice(values);
  const [
    user,
    password,
    serverText = '127.0.0.1',
    secret = choice.transport === 'tls' ? 'radsec' : 'testing123',
  ] = positionals;
  const { method, timeout } = methodAndTimeout(values);
  const tries = triesOption(values, 2);
  const quiet = values.quiet === true;
  const { host, port } = parseHostPort(serverText, defaultPortFor(choice.transport, 1812));

  let dictionary: Dictionary | undefined;
  const dictPaths = stringList(values, 'dictionary');
  if (dictPaths.length) {
    dictionary = new Dictionary();
    for (const p of dictPaths) dictionary.load(p);
  }

  const request = new AccessRequest(secret, { dictionary });
  let v2: MsChapV2State | undefined;
  switch (method) {
    case 'pap':
      addPap(request, user, password);
      break;
    case 'chap':
      addChap(request, user, password);
      break;
    case 'mschap':
      addMsChapV1(request, user, password);
      break;
    case 'mschapv2':
      v2 = addMsChapV2(request, user, password);
      break;
  }
  for (const item of stringList(values, 'attribute')) {
    let pairs: ReturnType<typeof parseLine>;
    try {
      pairs = parseLine(item);
    } catch (err) {
      throw new UsageError(`--attribute ${JSON.stringify(item)}: ${(err as Error).message}`);
    }
    for (const [name, value] of pairs) {
      try {
        request.add(name, value);
      } catch (err) {
        throw new UsageError(`--attribute ${JSON.stringify(item)}: ${attributeErrorText(err, dictionary)}`);
      }
    }
  }

  const server = await resolveServer(host, port, values.ipv6 === true);
  const where = formatHostPort(server.address, server.port);
  const via = choice.transport === 'udp' ? '' : ` over ${choice.transport.toUpperCase()}`;
  const exchanger = new ClientExchanger(
    values.ipv6 === true ? server.address : host,
    server,
    secret,
    choice,
    {
      timeout,
      tries,
    },
  );
  try {
    let result: ExchangeResult;
    try {
      const pending = exchanger.exchange(request);
      // Printed once the client has given the request its identifier and sent it.
      if (!quiet) {
        const length = request.encode().length;
        process.stdout.write(
          `Sent Access-Request Id ${request.identifier} to ${where}${via} length ${length}\n`,
        );
        for (const line of formatAttributes(request)) process.stdout.write(`${line}\n`);
      }
      result = await pending;
    } catch (err) {
      process.stderr.write(`(0) ${(err as Error).message}\n`);
      if (err instanceof RadiusTimeoutError) process.stderr.write(`${TIMEOUT_HINT}\n`);
      else if (err instanceof RadiusConnectionError && err.refusedByServer)
        process.stderr.write(`${REFUSED_HINT}\n`);
      return 2;
    }
    const { reply } = result;
    if (!quiet) {
      process.stdout.write(
        `Received ${reply.codeName} Id ${reply.identifier} from ${where} length ${result.length}\n`,
      );
      for (const line of formatAttributes(reply)) process.stdout.write(`${line}\n`);
    }
    if (reply.code === ACCESS_ACCEPT) {
      // RFC 2759 §8.8: the peer checks that the server knew the password too.
      if (v2 && !verifyMsChapV2Success(reply, v2)) {
        process.stderr.write('MS-CHAP2-Success is missing or does not prove the password: not trusted\n');
        return 2;
      }
      if (v2 && !quiet) process.stdout.write('MS-CHAP2-Success verified\n');
      return 0;
    }
    if (reply.code !== ACCESS_REJECT && !quiet)
      process.stderr.write(
        `${reply.codeName} is not an answer this tool can continue; counted as a refusal\n`,
      );
    return 1;
  } finally {
    exchanger.close();
  }
}

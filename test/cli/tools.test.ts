// The `aioradius` command's tools run as a user would run them: the built main.js in a child
// process, against a real FreeRADIUS where a server is needed.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseHostPort } from '../../src/cli/args.js';
import {
  dictionaryHint,
  FREERADIUS_DICTIONARY,
  parseAttributeText,
  parseLine,
} from '../../src/cli/format.js';
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  type AttributesSet,
  authenticate,
  type RequestContext,
} from '../../src/index.js';
import { AbstractRadiusServer } from '../../src/server/abstract-server.js';
import {
  type FreeradiusPeer,
  type RunResult,
  runCommand,
  skipUnless,
  startFreeradius,
} from '../helpers/peers.js';
import { freePort, ipv6LoopbackAvailable } from '../helpers/ports.js';

// This file runs as build/test/cli/tools.test.js; the command is build/src/cli/main.js.
const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const SECRET = 'cli-tools-s3cret';

/** Runs the command with a hard limit. */
function cli(args: string[], input?: string): Promise<RunResult> {
  return runCommand(process.execPath, [MAIN, ...args], { input, timeoutMs: 30_000 });
}

function show(r: RunResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

describe('aioradius: dispatcher and usage errors', () => {
  test('--version prints the package version, --help the commands', async () => {
    const v = await cli(['--version']);
    assert.equal(v.code, 0, show(v));
    assert.match(v.stdout, /^aioradius \d+\.\d+\.\d+/);
    const h = await cli(['--help']);
    assert.equal(h.code, 0, show(h));
    for (const c of ['serve', 'user', 'acct', 'coa', 'disconnect', 'test', 'send', 'dict', 'bench', 'certs'])
      assert.match(h.stdout, new RegExp(`\\b${c}\\b`));
  });

  test('no command, an unknown command, or bad arguments: usage and exit 2', async () => {
    const none = await cli([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^Usage: aioradius COMMAND/);
    const unknown = await cli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /^aioradius: unknown command "frobnicate" \(commands: serve, .*\)\nTry 'aioradius --help'\.\n$/,
    );
    for (const args of [
      ['test'],
      ['test', 'alice'],
      ['test', 'alice', 'pw', '127.0.0.1', 's', 'extra'],
      ['test', 'alice', 'pw', '-m', 'eap'],
      ['test', 'alice', 'pw', '-t', 'eap-md5'],
      ['test', 'alice', 'pw', '-t', 'chap', '-m', 'pap'],
      ['test', 'alice', 'pw', '127.0.0.1:99999'],
      ['test', 'alice', 'pw', '--no-such-option'],
      ['send', '127.0.0.1', 'auth'],
      ['send', '127.0.0.1', 'bogus', 's'],
      ['send', '127.0.0.1', 'acct', 's', '-n', 'x'],
      ['send', '127.0.0.1', 'acct', 's', '-c', 'x'],
      ['send', '127.0.0.1', 'acct', 's', '-c', '2', '-n', '3'],
      ['dict'],
      ['dict', '--what'],
      ['bench', '127.0.0.1', 'auth'],
      ['bench', '127.0.0.1', 'coa', 's'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${show(r)}`);
      assert.match(
        r.stderr,
        new RegExp(
          `^aioradius ${args[0]}: [^\\n]+\\n(Try 'aioradius ${args[0]} --help' for the options\\.\\n)?$`,
        ),
        args.join(' '),
      );
      assert.doesNotMatch(r.stderr, /Usage:/, args.join(' '));
    }
  });

  test('user, acct, coa, disconnect: a usage error is one line and the hint to --help', async () => {
    // Usage is checked before the database is opened: this file need not exist.
    const db = path.join(path.dirname(MAIN), 'no-such.db');
    const cases: Array<[string[], RegExp]> = [
      [['user'], /expected a sub-command: add, del or list/],
      [['user', 'frob', '--db', db], /unknown sub-command "frob" \(add, del or list\)/],
      [['user', 'add', '--db', db], /user add needs a user name/],
      [['user', 'del', '--db', db], /user del needs a user name/],
      [['user', 'add', 'x', '--db', db], /give --password, --password-hash or --nt-hash/],
      [['user', 'add', 'x', '--password', 'p', '--scheme', 'md4', '--db', db], /--scheme must be one of/],
      [['user', 'list'], /--db FILE \(or --config FILE\) is required/],
      [['user', 'list', 'bob', '--db', db], /unexpected argument "bob"/],
      [['acct'], /expected a sub-command: sessions, show or purge/],
      [['acct', 'frob', '--db', db], /unknown sub-command "frob" \(sessions, show or purge\)/],
      [['acct', 'show', '--db', db], /acct show needs one SESSION/],
      [['acct', 'sessions'], /--db FILE \(or --config FILE\) is required/],
      [['acct', 'purge', '--db', db], /acct purge needs --before DATE/],
      [['coa', '--db', db, '--secret', 'x'], /give one SESSION or --user U/],
      [['coa', 'S1', '--secret', 'x'], /--db FILE \(or --config FILE\) is required/],
      [['disconnect', 'S1', '--db', db], /--secret is required without --config/],
      [['coa', 'S1', '-a', 'Session-Timeout', '--db', db, '--secret', 'x'], /expected Attribute=value/],
      // Our words, not Node's (which suggest `--` and quote unevenly).
      [['user', 'list', '-x', '--db', db], /^aioradius user: unknown option -x$/],
      [['test', 'alice', 'pw', '-x'], /^aioradius test: unknown option -x$/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      const what = `${args.join(' ')}: ${show(r)}`;
      assert.equal(r.code, 2, what);
      assert.match(
        r.stderr,
        new RegExp(
          `^aioradius ${args[0]}: [^\\n]+\\nTry 'aioradius ${args[0]} --help' for the options\\.\\n$`,
        ),
        what,
      );
      assert.match(r.stderr.split('\n')[0], message, what);
    }
  });

  test('send: input that does not parse or names unknown attributes sends nothing, exit 2', async () => {
    const port = await freePort();
    for (const input of ['User-Name "x"', 'No-Such-Attribute = 1', 'Acct-Status-Type = Sideways', '']) {
      const r = await cli(['send', `127.0.0.1:${port}`, 'acct', SECRET, '-r', '0', '-t', '0.2'], input);
      assert.equal(r.code, 2, `${JSON.stringify(input)}: ${show(r)}`);
    }
  });

  test('subcommand --help exits 0', async () => {
    for (const c of ['test', 'send', 'dict', 'bench']) {
      const r = await cli([c, '--help']);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, new RegExp(`Usage: aioradius ${c}`));
    }
  });
});

describe('aioradius dict', () => {
  test('User-Name by name, case-insensitively, and by number', async () => {
    for (const q of ['User-Name', 'user-name', '1']) {
      const r = await cli(['dict', q]);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /ATTRIBUTE\tUser-Name\t1\tstring/);
      assert.match(r.stdout, /oid: +1\n/);
    }
  });

  test('a vendor attribute by oid shows the vendor and the hiding flag', async () => {
    const r = await cli(['dict', '26.311.16']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /MS-MPPE-Send-Key/);
    assert.match(r.stdout, /vendor: +Microsoft \(311\)/);
    assert.match(r.stdout, /encrypt=2/);
  });

  test('named values are listed', async () => {
    const r = await cli(['dict', 'Acct-Status-Type']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Start = 1\n/);
    assert.match(r.stdout, /Interim-Update = 3\n/);
  });

  test('JSON output', async () => {
    const r = await cli(['dict', 'Service-Type', '--json']);
    assert.equal(r.code, 0, show(r));
    const j = JSON.parse(r.stdout) as { name: string; oid: string; values: Record<string, number> };
    assert.equal(j.name, 'Service-Type');
    assert.equal(j.oid, '6');
    assert.equal(j.values['Framed-User'], 2);
  });

  test("an unknown attribute or vendor: the hint to load FreeRADIUS's dictionaries with -D, where they are", {
    skip: existsSync(FREERADIUS_DICTIONARY) ? false : `no ${FREERADIUS_DICTIONARY}`,
  }, async () => {
    for (const q of ['Cisco-AVPair', '26.9.1', 'Cisco']) {
      const r = await cli(['dict', q]);
      assert.equal(r.code, 1, `${q}: ${show(r)}`);
      assert.equal(
        r.stderr,
        `aioradius dict: unknown attribute "${q}" (vendor attributes need their dictionary: -D ${FREERADIUS_DICTIONARY} loads FreeRADIUS's)\n`,
      );
      const found = await cli(['dict', q, '-D', FREERADIUS_DICTIONARY]);
      assert.equal(found.code, 0, `${q} -D: ${show(found)}`);
    }
    // With a dictionary loaded, the attribute is simply not in it: no hint.
    const loaded = await cli(['dict', 'Not-An-Attribute-Anywhere', '-D', FREERADIUS_DICTIONARY]);
    assert.equal(loaded.code, 1);
    assert.equal(loaded.stderr, 'aioradius dict: unknown attribute "Not-An-Attribute-Anywhere"\n');
  });

  test('the hint names a dictionary path only when that file exists', () => {
    assert.match(
      dictionaryHint(FREERADIUS_DICTIONARY),
      existsSync(FREERADIUS_DICTIONARY) ? /-D \/usr\/share/ : /-D PATH/,
    );
    assert.equal(
      dictionaryHint('/nonexistent/freeradius/dictionary'),
      'vendor attributes need their dictionary: -D PATH loads a FreeRADIUS-format one',
    );
  });

  test('unknown names and oids: exit 1', async () => {
    for (const q of ['No-Such-Attribute', '26.311.250', '1.2.3']) {
      const r = await cli(['dict', q]);
      assert.equal(r.code, 1, `${q}: ${show(r)}`);
      assert.match(r.stderr, /unknown attribute/);
    }
  });
});

describe('argument and input parsing', () => {
  test('SERVER[:PORT] with IPv4, names and bracketed IPv6', () => {
    assert.deepEqual(parseHostPort('127.0.0.1', 1812), { host: '127.0.0.1', port: 1812 });
    assert.deepEqual(parseHostPort('127.0.0.1:1645', 1812), { host: '127.0.0.1', port: 1645 });
    assert.deepEqual(parseHostPort('localhost:18120', 1812), { host: 'localhost', port: 18120 });
    assert.deepEqual(parseHostPort('[::1]:1813', 1812), { host: '::1', port: 1813 });
    assert.deepEqual(parseHostPort('[::1]', 1812), { host: '::1', port: 1812 });
    assert.deepEqual(parseHostPort('::1', 3799), { host: '::1', port: 3799 });
    for (const bad of ['', ':1812', '[::1', '[127.0.0.1]:1', 'host:0', 'host:abc', '[::1]x']) {
      assert.throws(() => parseHostPort(bad, 1812), /./, bad);
    }
  });

  test('radclient-style lines: quotes, escapes, commas, operators, comments, packets', () => {
    assert.deepEqual(parseLine('User-Name = "a, \\"b\\"", NAS-Port = 3'), [
      ['User-Name', 'a, "b"'],
      ['NAS-Port', '3'],
    ]);
    assert.deepEqual(parseLine('Tunnel-Type:1 := VLAN # comment'), [['Tunnel-Type:1', 'VLAN']]);
    const packets = parseAttributeText(
      '# first\nUser-Name = a\nAcct-Status-Type = Start\n\n\nUser-Name = b\n',
    );
    assert.deepEqual(packets, [
      [
        ['User-Name', 'a'],
        ['Acct-Status-Type', 'Start'],
      ],
      [['User-Name', 'b']],
    ]);
    assert.throws(() => parseLine('User-Name = "open'), /unterminated/);
    assert.throws(() => parseLine('User-Name'), /expected "="/);
    assert.throws(() => parseAttributeText('\n\nUser-Name ='), /line 3/);
  });
});

describe('aioradius test / send with no server', () => {
  test('no answer: exit 2 for test, non-zero for send', async () => {
    const port = await freePort();
    const t = await cli([
      'test',
      'alice',
      'alicepw',
      `127.0.0.1:${port}`,
      SECRET,
      '-r',
      '1',
      '--timeout',
      '0.2',
    ]);
    assert.equal(t.code, 2, show(t));
    assert.match(t.stderr, /no response from 127\.0\.0\.1:\d+ after 2 attempts/);
    // The likely causes: the server does not know this client, or the secret is wrong.
    assert.match(t.stderr, /^hint: .*client.*secret/m);
    const s = await cli(
      ['send', `127.0.0.1:${port}`, 'acct', SECRET, '-r', '0', '-t', '0.2'],
      'User-Name = x\nAcct-Status-Type = Start\n',
    );
    assert.notEqual(s.code, 0, show(s));
    assert.match(s.stderr, /^hint: .*client.*secret/m);
    const j = await cli(
      ['send', `127.0.0.1:${port}`, 'status', SECRET, '-r', '0', '-t', '0.2', '--json'],
      '',
    );
    assert.notEqual(j.code, 0, show(j));
    assert.match(JSON.parse(j.stdout).error, /no response/);
  });
});

describe('aioradius test / send with a server whose replies do not verify', () => {
  test('every try answered with a forged reply: the timeout says so, with the attempts', async () => {
    // Answers each request with an Access-Accept whose Response Authenticator is wrong.
    const sock = dgram.createSocket('udp4');
    let received = 0;
    sock.on('message', (msg, rinfo) => {
      received++;
      const out = Buffer.alloc(20);
      out[0] = 2;
      out[1] = msg[1];
      out[3] = 20;
      sock.send(out, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    try {
      const port = sock.address().port;
      const t = await cli(['test', 'alice', 'alicepw', `127.0.0.1:${port}`, SECRET, '-r', '2', '-t', '0.2']);
      assert.equal(t.code, 2, show(t));
      assert.match(t.stdout, /^Sent Access-Request Id \d+ to 127\.0\.0\.1:\d+ length \d+$/m);
      assert.match(t.stderr, /no response from 127\.0\.0\.1:\d+ after 3 attempts \(3 replies did not verify/);
      assert.equal(received, 3);
    } finally {
      sock.close();
    }
  });
});

/** Accepts alice/alicepw by any method and notes which method each request used. */
class MethodServer extends AbstractRadiusServer {
  readonly methods: string[] = [];
  validateNas() {
    return SECRET;
  }
  override handleAuthPacket(_attributes: AttributesSet, context: RequestContext) {
    const result = authenticate(context.packet, { password: 'alicepw' });
    this.methods.push(result.method ?? 'none');
    return [result.attributes, result.ok ? ACCESS_ACCEPT : ACCESS_REJECT] as const;
  }
}

// Issue 7 named radtest's `-t pap|chap|mschap|mschapv2` and radclient's `-c count`; -t is the
// timeout and -c the config file elsewhere, but both spellings work where they cannot be confused.
describe("aioradius test / send: radtest's -t METHOD and radclient's -c COUNT", () => {
  let server: MethodServer;
  let target: string;
  before(async () => {
    server = new MethodServer('127.0.0.1', { authPort: 0 });
    target = `127.0.0.1:${(await server.start()).authPort}`;
  });
  after(async () => server?.close());

  test('test -t METHOD selects the method; a number beside it is still the timeout', async () => {
    for (const method of ['pap', 'chap', 'mschap', 'mschapv2']) {
      server.methods.length = 0;
      const r = await cli(['test', 'alice', 'alicepw', target, SECRET, '-t', method, '-q']);
      assert.equal(r.code, 0, `-t ${method}: ${show(r)}`);
      assert.deepEqual(server.methods, [method]);
    }
    server.methods.length = 0;
    const both = await cli(['test', 'alice', 'alicepw', target, SECRET, '-t', 'chap', '--timeout', '2']);
    assert.equal(both.code, 0, show(both));
    assert.deepEqual(server.methods, ['chap']);
    // The same method twice is no conflict; -m and -t naming different ones is.
    const same = await cli([
      'test',
      'alice',
      'alicepw',
      target,
      SECRET,
      '-t',
      'mschap',
      '-m',
      'mschap',
      '-q',
    ]);
    assert.equal(same.code, 0, show(same));
    const conflict = await cli(['test', 'alice', 'alicepw', target, SECRET, '-t', 'chap', '-m', 'pap']);
    assert.equal(conflict.code, 2, show(conflict));
    assert.match(conflict.stderr, /two methods given \(pap and chap\)/);
    // A value that is neither: the error names both readings.
    const neither = await cli(['test', 'alice', 'alicepw', target, SECRET, '-t', 'eap-md5']);
    assert.equal(neither.code, 2, show(neither));
    assert.match(neither.stderr, /"eap-md5" is neither seconds nor a method \(pap, chap, mschap, mschapv2\)/);
    const help = await cli(['test', '--help']);
    assert.match(help.stdout, /^ {2}-t pap\|chap\|mschap\|mschapv2 +radtest's spelling of -m/m);
  });

  test('test -t SECONDS is still the timeout: -t 0.2 against a silent port gives up after 0.2 s a try', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const r = await cli([
        'test',
        'alice',
        'alicepw',
        `127.0.0.1:${silent.address().port}`,
        SECRET,
        '-t',
        'chap',
        '-t',
        '0.2',
        '-r',
        '0',
      ]);
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, /no response from .* after 1 attempt/);
      assert.match(r.stdout, /CHAP-Password/);
      // The default timeout is 3 s: well under it, 0.2 s was taken as the timeout.
      assert.ok(Date.now() - started < 2500, `${Date.now() - started} ms`);
    } finally {
      silent.close();
    }
  });

  test('send -c N sends each packet N times, as -n does; -c and -n that disagree are refused', async () => {
    const input = 'User-Name = "alice", User-Password = "alicepw"\n';
    server.methods.length = 0;
    const r = await cli(['send', target, 'auth', SECRET, '-c', '3'], input);
    assert.equal(r.code, 0, show(r));
    assert.equal((r.stdout.match(/^Received Access-Accept /gm) ?? []).length, 3, r.stdout);
    assert.deepEqual(server.methods, ['pap', 'pap', 'pap']);
    const agree = await cli(['send', target, 'auth', SECRET, '-c', '2', '-n', '2', '-q'], input);
    assert.equal(agree.code, 0, show(agree));
    const disagree = await cli(['send', target, 'auth', SECRET, '-c', '2', '-n', '3'], input);
    assert.equal(disagree.code, 2, show(disagree));
    assert.match(disagree.stderr, /-c 2 and -n 3 disagree/);
    const help = await cli(['send', '--help']);
    assert.match(help.stdout, /^ {2}-c N +radclient's spelling of -n/m);
  });
});

describe('aioradius test / send against FreeRADIUS', { skip: skipUnless('freeradius') }, () => {
  let fr: FreeradiusPeer;
  let v6 = false;
  before(async () => {
    v6 = await ipv6LoopbackAvailable();
    fr = await startFreeradius({
      secret: SECRET,
      ipv6: v6,
      users: [{ name: 'alice', password: 'alicepw', reply: [['Reply-Message', '"Hello, alice"']] }],
    });
  });
  after(async () => {
    await fr?.stop();
  });

  const auth = () => `127.0.0.1:${fr.authPort}`;

  for (const method of ['pap', 'chap', 'mschap', 'mschapv2']) {
    test(`test -m ${method}: Access-Accept with the Reply-Message, exit 0; wrong password exit 1`, async () => {
      const ok = await cli(['test', 'alice', 'alicepw', auth(), SECRET, '-m', method]);
      assert.equal(ok.code, 0, `${show(ok)}\n--- freeradius ---\n${fr.log()}`);
      assert.match(ok.stdout, /^Sent Access-Request Id \d+ to 127\.0\.0\.1:\d+ length \d+$/m);
      assert.match(ok.stdout, /^Received Access-Accept Id \d+ from 127\.0\.0\.1:\d+ length \d+$/m);
      assert.match(ok.stdout, /^\tReply-Message = "Hello, alice"$/m);
      assert.doesNotMatch(ok.stdout, /alicepw/);
      if (method === 'mschapv2') assert.match(ok.stdout, /MS-CHAP2-Success verified/);
      const no = await cli(['test', 'alice', 'wrong', auth(), SECRET, '-m', method]);
      assert.equal(no.code, 1, show(no));
      assert.match(no.stdout, /^Received Access-Reject /m);
    });
  }

  test('test over IPv6 with a bracketed address', async (t) => {
    if (!v6) {
      t.skip('no IPv6 loopback');
      return;
    }
    const r = await cli(['test', 'alice', 'alicepw', `[::1]:${fr.authPort}`, SECRET]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^Received Access-Accept Id \d+ from \[::1\]:\d+ /m);
  });

  test('a wrong secret gets no verified answer: exit 2', async () => {
    const r = await cli([
      'test',
      'alice',
      'alicepw',
      auth(),
      'not-the-secret',
      '-r',
      '0',
      '--timeout',
      '0.5',
    ]);
    assert.equal(r.code, 2, show(r));
    // FreeRADIUS drops what does not verify with the secret: the hint names that cause.
    assert.match(r.stderr, /^hint: .*shared secret may be wrong/m);
  });

  test('send acct: Start, Interim and Stop from stdin, each answered; exit 0', async () => {
    const input = [
      'User-Name = "alice", Acct-Session-Id = "cli-1", Acct-Status-Type = Start, NAS-IP-Address = 127.0.0.1',
      '',
      'User-Name = "alice"',
      'Acct-Session-Id = "cli-1"',
      'Acct-Status-Type = Interim-Update',
      'Acct-Session-Time = 30',
      'NAS-IP-Address = 127.0.0.1',
      '',
      'User-Name = "alice"',
      'Acct-Session-Id = "cli-1"',
      'Acct-Status-Type = Stop',
      'Acct-Session-Time = 60',
      'NAS-IP-Address = 127.0.0.1',
    ].join('\n');
    const r = await cli(['send', `127.0.0.1:${fr.acctPort}`, 'acct', SECRET], input);
    assert.equal(r.code, 0, `${show(r)}\n--- freeradius ---\n${fr.log()}`);
    assert.equal(
      r.stdout.match(/^Received Accounting-Response Id \d+ from 127\.0\.0\.1:\d+ length \d+$/gm)?.length,
      3,
    );
  });

  test('send acct from a file with -n and -p, JSON output', async () => {
    const { writeFile, mkdtemp, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aioradius-cli-'));
    try {
      const file = path.join(dir, 'acct.txt');
      await writeFile(file, 'User-Name = bob\nAcct-Session-Id = s2\nAcct-Status-Type = Start\n');
      const r = await cli([
        'send',
        `127.0.0.1:${fr.acctPort}`,
        'acct',
        SECRET,
        '-f',
        file,
        '-n',
        '20',
        '-p',
        '4',
        '--json',
      ]);
      assert.equal(r.code, 0, show(r));
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { code: string; packet: number });
      assert.equal(lines.length, 20);
      assert.ok(lines.every((l) => l.code === 'Accounting-Response'));
      assert.deepEqual(
        lines.map((l) => l.packet).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('send auth: several packets, Accept and Reject both count as answers', async () => {
    const input =
      'User-Name = alice, User-Password = alicepw\n\nUser-Name = alice, User-Password = nope\n\nUser-Name = alice, CHAP-Password = alicepw\n';
    const r = await cli(['send', auth(), 'auth', SECRET], input);
    assert.equal(r.code, 0, show(r));
    const received = [...r.stdout.matchAll(/^Received (\S+) /gm)].map((m) => m[1]);
    assert.deepEqual(received, ['Access-Accept', 'Access-Reject', 'Access-Accept']);
    assert.match(r.stdout, /^\tReply-Message = "Hello, alice"$/m);
  });

  test('bench: a fixed count of auth and acct requests, JSON summary', async () => {
    const a = await cli([
      'bench',
      auth(),
      'auth',
      SECRET,
      '-n',
      '200',
      '-p',
      '8',
      '-u',
      'alice',
      '-w',
      'alicepw',
      '--json',
    ]);
    assert.equal(a.code, 0, show(a));
    const sa = JSON.parse(a.stdout) as {
      requests: number;
      answered: number;
      rejects: number;
      timeouts: number;
    };
    assert.deepEqual([sa.requests, sa.answered, sa.rejects, sa.timeouts], [200, 200, 0, 0]);
    const b = await cli([
      'bench',
      `127.0.0.1:${fr.acctPort}`,
      'acct',
      SECRET,
      '-n',
      '100',
      '-p',
      '4',
      '--rate',
      '2000',
    ]);
    assert.equal(b.code, 0, show(b));
    assert.match(b.stdout, /answered +100 /);
    assert.match(b.stdout, /latency +p50 [\d.]+ ms/);
    const r = await cli([
      'bench',
      auth(),
      'auth',
      SECRET,
      '-n',
      '20',
      '-u',
      'alice',
      '-w',
      'wrong',
      '--json',
    ]);
    assert.equal(JSON.parse(r.stdout).rejects, 20, show(r));
  });

  test('send status: Status-Server (with Message-Authenticator) is answered on both ports', async () => {
    const a = await cli(['send', auth(), 'status', SECRET], '');
    assert.equal(a.code, 0, `${show(a)}\n--- freeradius ---\n${fr.log()}`);
    assert.match(a.stdout, /^Received Access-Accept /m);
    const b = await cli(['send', `127.0.0.1:${fr.acctPort}`, 'status', SECRET], 'NAS-Identifier = cli\n');
    assert.equal(b.code, 0, show(b));
    assert.match(b.stdout, /^Received Accounting-Response /m);
  });
});

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ClientTable, parseCidr, parseConfig } from '../../src/cli/config.js';
import { ConfigError } from '../../src/errors.js';
import { freePort, freePorts } from '../helpers/ports.js';
import { redisMissing, startRedis } from '../helpers/redis.js';
import { runServe, tempDir } from './serve-helpers.js';

const GOOD = `listen:
  host: 127.0.0.1
  auth: 11812
  acct: 11813
clients:
  - address: 127.0.0.0/8
    secret: testing123
    name: lo
    requireMessageAuthenticator: auto
  - address: 127.0.0.5
    secret: other
    limitProxyState: false
users:
  - name: alice
    password: alicepw
    reply:
      Reply-Message: Hello
      Session-Timeout: 3600
  - name: bob
    ntHash: 8846F7EAEE8FB117AD06BDD830B7586C
    reply:
      - Reply-Message = "one"
      - Framed-IP-Address: 10.0.0.1
    check:
      NAS-Identifier: ap1
log:
  level: debug
metrics:
  port: 0
database: ./x.db
`;

function configError(text: string): ConfigError {
  try {
    parseConfig(text, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  assert.fail('expected a ConfigError');
}

describe('serve config', () => {
  test('a good config parses with defaults and resolved paths', () => {
    const c = parseConfig(GOOD, '/etc/aio/test.yaml');
    assert.deepEqual(c.listen, { host: '127.0.0.1', auth: 11812, acct: 11813, coa: undefined });
    assert.equal(c.clients.length, 2);
    assert.equal(c.clients[0].requireMessageAuthenticator, 'auto');
    assert.equal(c.clients[1].limitProxyState, false);
    assert.deepEqual(c.users[0].reply, [
      ['Reply-Message', 'Hello'],
      ['Session-Timeout', 3600],
    ]);
    assert.deepEqual(c.users[1].reply, [
      ['Reply-Message', 'one'],
      ['Framed-IP-Address', '10.0.0.1'],
    ]);
    assert.deepEqual(c.users[1].check, [['NAS-Identifier', 'ap1']]);
    assert.equal(c.users[1].ntHash?.toString('hex'), '8846f7eaee8fb117ad06bdd830b7586c');
    assert.equal(c.logLevel, 'debug');
    assert.deepEqual(c.metrics, { host: '127.0.0.1', port: 0 });
    assert.equal(c.database, '/etc/aio/x.db');
  });

  test('errors name the field, the reason and the line', () => {
    const cases: Array<[string, string, RegExp, number]> = [
      [GOOD.replace('auth: 11812', 'auth: "x"'), 'listen.auth', /port number/, 3],
      [GOOD.replace('  acct: 11813', '  acct: 11813\n  colour: red'), 'listen.colour', /unknown key/, 5],
      [GOOD.replace('    secret: other\n', ''), 'clients[1].secret', /required/, 10],
      [GOOD.replace('127.0.0.5', '127.0.0.0/8'), 'clients[1].address', /duplicate client/, 10],
      [GOOD.replace('127.0.0.5', '127.0.0.300'), 'clients[1].address', /not an IP address or CIDR/, 10],
      [GOOD.replace('127.0.0.5', '127.0.0.0/33'), 'clients[1].address', /CIDR/, 10],
      [
        GOOD.replace('Reply-Message: Hello', 'Reply-Mesage: Hello'),
        'users[0].reply.Reply-Mesage',
        /unknown attribute/,
        17,
      ],
      [
        GOOD.replace('NAS-Identifier: ap1', 'NAS-Ident: ap1'),
        'users[1].check.NAS-Ident',
        /unknown attribute/,
        25,
      ],
      [
        GOOD.replace('Session-Timeout: 3600', 'Session-Timeout: soon'),
        'users[0].reply.Session-Timeout',
        /"soon" is not an integer/,
        18,
      ],
      [
        GOOD.replace('Session-Timeout: 3600', 'Sesion-Timeout: 3600'),
        'users[0].reply.Sesion-Timeout',
        /unknown attribute "Sesion-Timeout" \(did you mean Session-Timeout\?\)/,
        18,
      ],
      [GOOD.replace('level: debug', 'level: loud'), 'log.level', /one of/, 27],
      [GOOD.replace('    password: alicepw\n', ''), 'users[0].password', /required/, 14],
      [
        GOOD.replace('limitProxyState: false', 'limitProxyState: maybe'),
        'clients[1].limitProxyState',
        /true or false/,
        12,
      ],
      // Not made an SQLite file named "mysql:/…".
      [
        GOOD.replace('database: ./x.db', 'database: mysql://rad:pw@db/radius'),
        'database',
        /an SQLite file or a postgres:\/\/ URL/,
        30,
      ],
      [
        GOOD.replace('database: ./x.db', 'database: ./x.db\nsharedState: redis://:pw@127.0.0.1:notaport'),
        'sharedState',
        /not a valid redis:\/\/ URL/,
        31,
      ],
    ];
    for (const [text, field, reason, line] of cases) {
      const err = configError(text);
      assert.equal(err.field, field, err.message);
      assert.match(err.reason, reason, err.message);
      assert.equal(err.line, line, err.message);
      assert.equal(err.file, 'test.yaml');
    }
  });

  test("a server-side attribute (FreeRADIUS's internal numbers) in a user's reply or check fails at its line: it would never be sent", {
    skip: existsSync('/usr/share/freeradius/dictionary') ? false : 'FreeRADIUS dictionaries not installed',
  }, () => {
    const reply = configError(GOOD.replace('Reply-Message: Hello', 'Digest-Realm: example'));
    assert.equal(reply.field, 'users[0].reply.Digest-Realm');
    assert.equal(reply.line, 17);
    assert.match(reply.reason, /server-side attribute .*never sent/);
    const check = configError(GOOD.replace('NAS-Identifier: ap1', 'Auth-Type: Accept'));
    assert.equal(check.field, 'users[1].check.Auth-Type');
    assert.match(check.reason, /server-side attribute/);
  });

  test('listen.auth / listen.acct: null, ~ or false turn a UDP listener off; absent takes 1812/1813', () => {
    const listen = (lines: string) =>
      parseConfig(GOOD.replace('  auth: 11812\n  acct: 11813', lines), 'test.yaml').listen;
    assert.deepEqual(listen(''), { host: '127.0.0.1', auth: 1812, acct: 1813, coa: undefined });
    assert.equal(listen('  auth: null\n  acct: 11813').auth, null);
    assert.equal(listen('  auth: ~').auth, null);
    assert.equal(listen('  auth: ~').acct, 1813);
    assert.equal(listen('  auth: 11812\n  acct: false').acct, null);
    assert.equal(listen('  auth:\n  acct: 11813').auth, null, 'an empty value is YAML null');
    // Both off: "must differ" does not compare two absent ports, a stream listener remains.
    const tcpOnly = listen('  auth: null\n  acct: null\n  tcp:\n    port: 0');
    assert.deepEqual([tcpOnly.auth, tcpOnly.acct, tcpOnly.tcp?.port], [null, null, 0]);
    assert.equal(configError(GOOD.replace('auth: 11812', 'auth: true')).field, 'listen.auth');
    assert.match(configError(GOOD.replace('acct: 11813', 'acct: 11812')).reason, /must differ/);
  });

  test('a config with every listener off fails, naming listen and why', () => {
    for (const off of ['null', '~', 'false']) {
      const err = configError(
        GOOD.replace('auth: 11812', `auth: ${off}`).replace('acct: 11813', 'acct: null'),
      );
      assert.equal(err.field, 'listen', err.message);
      assert.match(err.reason, /no listener left/);
      assert.match(err.reason, /listen\.tcp|listen\.tls/);
      assert.equal(err.line, 2, "the listen section's first line");
    }
  });

  test('YAML syntax errors and empty configs are ConfigErrors', () => {
    assert.equal(configError('clients: [\n').field, '(yaml)');
    assert.equal(configError('').field, 'clients');
  });

  test('client table: longest prefix wins, IPv4-mapped addresses match IPv4 clients', () => {
    const c = parseConfig(GOOD, 'test.yaml');
    const t = new ClientTable(c.clients);
    assert.equal(t.match('127.0.0.5')?.secret, 'other');
    assert.equal(t.match('127.1.2.3')?.secret, 'testing123');
    assert.equal(t.match('::ffff:127.0.0.9')?.secret, 'testing123');
    assert.equal(t.match('10.0.0.1'), undefined);
    assert.equal(t.match('::1'), undefined);
    assert.deepEqual(parseCidr('::1/128')?.prefix, 128);
    assert.equal(parseCidr('fe80::/10')?.network.toString('hex'), 'fe800000000000000000000000000000');
    assert.equal(parseCidr('10.1.2.3/8')?.network.toString('hex'), '0a000000');
    assert.equal(parseCidr('nope'), undefined);
  });
});

describe('serve with a bad config (child process)', () => {
  let dir: string;
  let remove: () => Promise<void>;
  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-config-'));
  });
  after(() => remove());

  const bad: Array<[string, string, RegExp]> = [
    ['wrong type', GOOD.replace('auth: 11812', 'auth: [1, 2]'), /listen\.auth: must be a single value/],
    ['unknown key', GOOD.replace('database: ./x.db', 'databse: ./x.db'), /databse: unknown key/],
    ['missing secret', GOOD.replace('    secret: other\n', ''), /clients\[1\]\.secret: is required/],
    ['duplicate client', GOOD.replace('127.0.0.5', '127.0.0.0/8'), /clients\[1\]\.address: duplicate client/],
  ];
  for (const [name, text, expected] of bad) {
    test(`${name}: stderr names the field and reason, exit code 2, no database created`, async () => {
      const file = path.join(dir, `${name.replace(/ /g, '-')}.yaml`);
      await writeFile(file, text);
      const r = await runServe(['--config', file]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, expected);
      assert.match(r.stderr, new RegExp(`${name.replace(/ /g, '-')}\\.yaml:\\d+:`));
      assert.equal(r.stdout, '');
      assert.equal(existsSync(path.join(dir, 'x.db')), false);
    });
  }

  test('a PostgreSQL server that cannot be reached: file, field and reason, the password masked, exit code 1', async () => {
    const port = await freePort();
    const file = path.join(dir, 'pg-down.yaml');
    await writeFile(
      file,
      GOOD.replace('database: ./x.db', `database: postgres://rad:S3cret@127.0.0.1:${port}/radius`),
    );
    const r = await runServe(['--config', file, '--workers', '1']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr.trim(),
      `aioradius serve: ${file}: database: cannot open the PostgreSQL store at postgres://rad:***@127.0.0.1:${port}/radius: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    assert.doesNotMatch(r.stdout + r.stderr, /S3cret/);
  });

  test('Redis refusing the sharedState credentials stops the start (exit 1, the password masked)', {
    skip: redisMissing(),
  }, async () => {
    const redis = await startRedis({ password: 'R3dis-pw' });
    try {
      const file = path.join(dir, 'redis-wrongpass.yaml');
      await writeFile(
        file,
        GOOD.replace(
          'database: ./x.db',
          `database: ./x.db\nsharedState: redis://:Wr0ng-pw@127.0.0.1:${redis.port}`,
        ),
      );
      const r = await runServe(['--config', file]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /redis-wrongpass\.yaml: sharedState: Redis refused the credentials .*WRONGPASS/);
      assert.doesNotMatch(r.stdout + r.stderr, /Wr0ng-pw/);
    } finally {
      await redis.stop();
    }
  });

  test('with --workers 2, a database that cannot be opened stops the whole server (exit 1), not a worker that lingers', async () => {
    const port = await freePort();
    const file = path.join(dir, 'pg-down-workers.yaml');
    await writeFile(
      file,
      GOOD.replace('database: ./x.db', `database: postgres://rad:S3cret@127.0.0.1:${port}/radius`),
    );
    const r = await runServe(['--config', file, '--workers', '2'], 30_000);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /database: cannot open the PostgreSQL store at postgres:\/\/rad:\*\*\*@/);
    assert.match(r.stdout, /a worker stopped before it was ready/);
    assert.doesNotMatch(r.stdout + r.stderr, /S3cret/);
  });

  test('a start failure after the cluster link opened (the CoA port taken): one line, exit 1, and the process ends', async () => {
    const [auth, acct, coa, link] = await freePorts(4);
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(coa, '127.0.0.1', resolve));
    try {
      const file = path.join(dir, 'coa-taken.yaml');
      await writeFile(
        file,
        `listen: { host: 127.0.0.1, auth: ${auth}, acct: ${acct}, coa: ${coa} }
clients: [ { address: 127.0.0.0/8, secret: testing123 } ]
database: ./coa-taken.db
cluster: { listen: "127.0.0.1:${link}", key: 0123456789abcdef0123 }
eap: { methods: [md5] }
proxy:
  homeServers: [ { name: h, host: 127.0.0.1, secret: s } ]
  pools: [ { name: p, servers: [h] } ]
  realms: [ { name: example.com, pool: p } ]
`,
      );
      // Before, the cluster link's socket stayed open and kept the process alive.
      const r = await runServe(['--config', file, '--log-level', 'silent']);
      assert.equal(r.timedOut, false, 'serve did not exit');
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^aioradius serve: cannot start: .*127\\.0\\.0\\.1:${coa}.*in use`));
    } finally {
      taken.close();
    }
  });

  test('with --workers 2 and the metrics port taken: one line, exit 1, no worker left running', async () => {
    const [auth, acct, port] = await freePorts(3, { tcp: true });
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const file = path.join(dir, 'metrics-taken.yaml');
      await writeFile(
        file,
        GOOD.replace('auth: 11812', `auth: ${auth}`)
          .replace('acct: 11813', `acct: ${acct}`)
          .replace('  port: 0', `  port: ${port}`)
          .replace('./x.db', './metrics-taken.db'),
      );
      // Before, the primary forked its workers first, then threw with a stack trace and stayed up.
      const r = await runServe(['--config', file, '--workers', '2', '--log-level', 'silent']);
      assert.equal(r.timedOut, false, 'serve did not exit');
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `^aioradius serve: cannot start: metrics: cannot listen on HTTP 127\\.0\\.0\\.1:${port}: the port is in use .*EADDRINUSE`,
        ),
      );
      assert.equal(existsSync(path.join(dir, 'metrics-taken.db')), false, 'a worker started');
    } finally {
      taken.close();
    }
  });

  test('a missing config file and a missing --config are errors', async () => {
    const r = await runServe(['--config', path.join(dir, 'nope.yaml')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nope\.yaml/);
    const r2 = await runServe([]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /--config FILE is required/);
  });
});

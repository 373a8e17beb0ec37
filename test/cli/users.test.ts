// `serve` and `user` with stored password hashes, config users beside database users, and the
// database file's safety (never created by a mistyped path, private to its owner).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findBinary, radtest, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { runServe, runUser, type ServeProcess, startServe, tempDir } from './serve-helpers.js';

const SECRET = 'testing123';

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
  return r.stdout.trim();
}

const needTools = ['openssl', 'slappasswd', 'mkpasswd', 'radcrypt'].filter((t) => !findBinary(t));

describe('serve with hashed passwords and users from config and database', {
  skip: skipUnless('radtest') || (needTools.length ? `missing ${needTools.join(', ')}` : false),
}, () => {
  let dir: string;
  let remove: () => Promise<void>;
  let serve: ServeProcess;
  let auth: number;
  let configFile: string;
  let db: string;

  const login = (user: string, password: string, method: 'pap' | 'chap' | 'mschap' = 'pap') =>
    radtest({ user, password, host: '127.0.0.1', port: auth, secret: SECRET, method });

  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-users-'));
    let acct: number;
    [auth, acct] = await freePorts(2);
    configFile = path.join(dir, 'aioradius.yaml');
    db = path.join(dir, 'radius.db');
    const sha512 = tool('openssl', ['passwd', '-6', 'opensslpw']);
    const ssha = tool('slappasswd', ['-s', 'slappw']);
    // FreeRADIUS's radcrypt makes a traditional DES crypt by default (13 characters).
    const des = tool('radcrypt', ['rcpw']);
    await writeFile(
      configFile,
      `listen: { host: 127.0.0.1, auth: ${auth}, acct: ${acct} }
clients:
  - { address: 127.0.0.1, secret: ${SECRET} }
users:
  - name: osl
    passwordHash: '${sha512}'
  - name: sly
    passwordHash: '${ssha}'
  - name: sam
    password: sam-config-pw
  - name: rc
    passwordHash: '${des}'
database: ./radius.db
`,
    );
    const add = async (...args: string[]) => {
      const r = await runUser(['add', ...args, '--config', configFile]);
      assert.equal(r.code, 0, r.stderr);
    };
    await add('hashy', '--password', 'hashypw');
    await add('ms', '--password', 'mspw', '--mschap');
    await add('bc', '--password', 'bcpw', '--scheme', 'bcrypt');
    await add('mk', '--password-hash', tool('mkpasswd', ['-m', 'sha-256', 'mkpw']));
    await add('sam', '--password', 'sam-db-pw');
    await add('rcdb', '--password-hash', tool('radcrypt', ['--des', 'rcdbpw']));
    await add('bsdi', '--password-hash', tool('mkpasswd', ['-m', 'bsdicrypt', 'bsdipw']));
    // --password -: from standard input (its first line), out of sight of ps.
    const piped = await runUser(
      ['add', 'piped', '--password', '-', '--config', configFile],
      15_000,
      'pipedpw\nignored\n',
    );
    assert.equal(piped.code, 0, piped.stderr);
    const empty = await runUser(['add', 'nopw', '--password', '-', '--config', configFile], 15_000, '\n');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /standard input held no password/);
    const check = await runServe(['--check', '--config', configFile]);
    assert.equal(check.code, 0, check.stderr);
    serve = await startServe(configFile);
  });

  after(async () => {
    await serve?.stop('SIGKILL');
    await remove?.();
  });

  test('PAP accepts hashes from openssl, slappasswd, mkpasswd, radcrypt (DES crypt) and user add (SHA-512 crypt, bcrypt)', async () => {
    for (const [user, pw] of [
      ['rc', 'rcpw'],
      ['rcdb', 'rcdbpw'],
      ['bsdi', 'bsdipw'],
      ['osl', 'opensslpw'],
      ['sly', 'slappw'],
      ['mk', 'mkpw'],
      ['hashy', 'hashypw'],
      ['bc', 'bcpw'],
      ['ms', 'mspw'],
      ['piped', 'pipedpw'],
    ]) {
      const ok = await login(user, pw);
      assert.equal(ok.replyCode, 'Access-Accept', `${user}: ${ok.stdout}`);
      const bad = await login(user, `${pw}x`);
      assert.equal(bad.replyCode, 'Access-Reject', `${user} accepted a wrong password`);
    }
  });

  test('CHAP and MS-CHAP are refused with a reason when only a salted hash is stored; --mschap keeps MS-CHAP', async () => {
    const mark = serve.logs.length;
    assert.equal((await login('hashy', 'hashypw', 'chap')).replyCode, 'Access-Reject');
    assert.equal((await login('hashy', 'hashypw', 'mschap')).replyCode, 'Access-Reject');
    const isReject = (l: Record<string, unknown>) => l.msg === 'Access-Reject' && l.user === 'hashy';
    await serve.waitForLog((l) => isReject(l) && l.method === 'mschap', 5000, mark);
    const reasons = serve.logs
      .slice(mark)
      .filter(isReject)
      .map((l) => String(l.reason));
    assert.ok(
      reasons.some((r) => /CHAP needs the cleartext password/.test(r)),
      reasons.join('; '),
    );
    assert.ok(
      reasons.some((r) => /MS-CHAP needs the NT hash/.test(r)),
      reasons.join('; '),
    );
    const ms = await login('ms', 'mspw', 'mschap');
    assert.equal(ms.replyCode, 'Access-Accept', ms.stdout);
    assert.equal((await login('ms', 'mspX', 'mschap')).replyCode, 'Access-Reject');
  });

  test('a config user shadowing a database user: warned at start, and the config user wins', async () => {
    const warn = await serve.waitForLog('config user shadows the database user of the same name', 1000);
    assert.equal(warn.user, 'sam');
    assert.equal(warn.level, 40);
    assert.equal((await login('sam', 'sam-config-pw')).replyCode, 'Access-Accept');
    assert.equal((await login('sam', 'sam-db-pw')).replyCode, 'Access-Reject');
  });

  test('user list --config shows config users and marks the shadowed one; never a credential', async () => {
    const r = await runUser(['list', '--config', configFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^osl\tcrypt-sha512\t\(config\)$/m);
    assert.match(r.stdout, /^sly\tssha1\t\(config\)$/m);
    assert.match(r.stdout, /^sam\tpassword\t\(config\)$/m);
    assert.match(r.stdout, /^sam\tcrypt-sha512\t\(shadowed by the config user\)$/m);
    assert.match(r.stdout, /^ms\tcrypt-sha512\+nt-hash$/m);
    assert.match(r.stdout, /^bc\tbcrypt$/m);
    assert.match(r.stdout, /^rc\tcrypt-des\t\(config\)$/m);
    assert.match(r.stdout, /^rcdb\tcrypt-des$/m);
    assert.match(r.stdout, /^bsdi\tcrypt-bsdi$/m);
    const j = await runUser(['list', '--json', '--config', configFile]);
    const users = JSON.parse(j.stdout) as Array<{ name: string; source: string; shadowedBy?: string }>;
    assert.deepEqual(
      users.filter((u) => u.name === 'sam').map((u) => [u.source, u.shadowedBy]),
      [
        ['config', undefined],
        ['database', 'config'],
      ],
    );
    for (const secret of ['sam-config-pw', 'sam-db-pw', 'hashypw', '$6$', '$2b$', '{SSHA}']) {
      assert.ok(!r.stdout.includes(secret) && !j.stdout.includes(secret), `list shows ${secret}`);
    }
  });

  test('the database and its WAL files are readable by the owner only', () => {
    for (const f of [db, `${db}-wal`, `${db}-shm`]) {
      assert.ok(existsSync(f), f);
      assert.equal(statSync(f).mode & 0o777, 0o600, `${f} mode ${(statSync(f).mode & 0o777).toString(8)}`);
    }
  });

  test('no password or hash in the logs', () => {
    const all = JSON.stringify(serve.logs);
    for (const s of ['opensslpw', 'slappw', 'hashypw', 'sam-db-pw', 'sam-config-pw', '$6$', '{SSHA}']) {
      assert.ok(!all.includes(s), `log contains ${s}`);
    }
  });
});

describe('user and serve refuse bad input', () => {
  test('a mistyped --db is an error and creates nothing', async () => {
    const { dir, remove } = await tempDir('aioradius-users-db-');
    try {
      const typo = path.join(dir, 'radius.bd');
      for (const args of [
        ['list', '--db', typo],
        ['del', 'x', '--db', typo],
        ['add', 'x', '--password', 'p', '--db', typo],
      ]) {
        const r = await runUser(args);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
        assert.match(r.stderr, /no database at .*radius\.bd .*--create/);
        assert.equal(existsSync(typo), false, `${args[0]} created ${typo}`);
      }
      const r = await runUser(['add', 'x', '--password', 'p', '--create', '--db', typo]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(statSync(typo).mode & 0o777, 0o600);
      const bad = await runUser(['add', 'y', '--password-hash', '$y$j9T$abc$def', '--db', typo]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--password-hash: yescrypt/);
    } finally {
      await remove();
    }
  });

  test("user list --config before the database exists: the config's users and a note, nothing created", async () => {
    const { dir, remove } = await tempDir('aioradius-users-nodb-');
    try {
      const file = path.join(dir, 'n.yaml');
      await writeFile(
        file,
        'clients:\n  - { address: 127.0.0.1, secret: s }\nusers:\n  - { name: alice, password: alicepw }\ndatabase: ./n.db\n',
      );
      const db = path.join(dir, 'n.db');
      const r = await runUser(['list', '--config', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'alice\tpassword\t(config)\n');
      assert.equal(r.stderr, `aioradius user: no database at ${db} yet: the config's users only\n`);
      const j = await runUser(['list', '--json', '--config', file]);
      assert.equal(j.code, 0, j.stderr);
      assert.deepEqual(
        (JSON.parse(j.stdout) as Array<{ name: string; source: string }>).map((u) => [u.name, u.source]),
        [['alice', 'config']],
      );
      assert.equal(existsSync(db), false, 'list created the database');
      // A --db that names no file is still a mistake, with or without the config.
      const typo = await runUser(['list', '--config', file, '--db', path.join(dir, 'n.bd')]);
      assert.equal(typo.code, 1);
      assert.match(typo.stderr, /no database at .*n\.bd/);
    } finally {
      await remove();
    }
  });

  test('a bad passwordHash in the config fails at start with file, field and reason', async () => {
    const { dir, remove } = await tempDir('aioradius-users-cfg-');
    try {
      const file = path.join(dir, 'bad.yaml');
      await writeFile(
        file,
        'clients:\n  - { address: 127.0.0.1, secret: s }\nusers:\n  - name: u\n    passwordHash: "{SSHA}short"\n',
      );
      const r = await runServe(['--config', file]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /bad\.yaml.*users\[0\]\.passwordHash.*not a recognised hash/);
      assert.ok(!r.stderr.includes('{SSHA}short'), 'the hash is not echoed');
    } finally {
      await remove();
    }
  });
});

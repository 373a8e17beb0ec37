// Every command that opens the store's database (user, acct, coa, disconnect) says on one line why
// it cannot use one: a missing file, a file that is not SQLite, another program's SQLite database,
// a PostgreSQL server that cannot be reached. No stack trace, no password, exit 1, and the other
// program's file is left as it was.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { RunResult } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { runAcct, runDynauthCommand, runUser, tempDir } from './serve-helpers.js';

/** Each command that opens the database, as [name, runner, arguments before --db]. */
const COMMANDS: Array<[string, (args: string[]) => Promise<RunResult>, string[]]> = [
  ['user', runUser, ['list']],
  ['user', runUser, ['add', 'bob', '--password', 'pw']],
  ['user', runUser, ['del', 'bob']],
  ['acct', runAcct, ['sessions']],
  ['acct', runAcct, ['show', 'S1']],
  ['acct', runAcct, ['purge', '--before', '30d']],
  ['coa', (a) => runDynauthCommand('coa', a), ['S1', '--secret', 's']],
  ['disconnect', (a) => runDynauthCommand('disconnect', a), ['--user', 'alice', '--secret', 's']],
];

describe('commands on a database they cannot use', () => {
  let dir: string;
  let remove: () => Promise<void>;
  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-cli-db-'));
  });
  after(async () => remove?.());

  const expectOneLine = (r: RunResult, command: string, line: RegExp, what: string) => {
    const show = `${what}: exit ${r.code}\n${r.stdout}${r.stderr}`;
    assert.equal(r.code, 1, show);
    assert.equal(r.stdout, '', show);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${show}`);
    assert.match(r.stderr, new RegExp(`^aioradius ${command}: ${line.source}\\n$`), show);
    assert.doesNotMatch(r.stderr, /SqliteError|\n\s+at /, show);
  };

  test('a file that is not a database: "cannot open database FILE: file is not a database"', async () => {
    const file = path.join(dir, 'passwd');
    writeFileSync(file, 'root:x:0:0:root:/root:/bin/bash\n');
    for (const [command, run, args] of COMMANDS) {
      const r = await run([...args, '--db', file]);
      expectOneLine(r, command, /cannot open database \S+passwd: file is not a database/, args.join(' '));
    }
  });

  test("another program's SQLite database: refused, and left unchanged", async () => {
    const file = path.join(dir, 'other.db');
    const other = new Database(file);
    other.exec('CREATE TABLE foo (x); INSERT INTO foo VALUES (1)');
    other.close();
    const before = readFileSync(file);
    for (const [command, run, args] of COMMANDS) {
      const r = await run([...args, '--db', file]);
      expectOneLine(
        r,
        command,
        /cannot open database \S+other\.db: not an aioradius database \(it has tables foo, but none of users, acct_records, acct_sessions\)/,
        args.join(' '),
      );
    }
    assert.deepEqual(readFileSync(file), before);
  });

  test('a path that names no file: "no database at FILE", nothing created', async () => {
    const file = path.join(dir, 'radius.bd');
    for (const [command, run, args] of COMMANDS) {
      const r = await run([...args, '--db', file]);
      expectOneLine(r, command, /no database at \S+radius\.bd( \(check the path.*\))?/, args.join(' '));
    }
    assert.throws(() => readFileSync(file), /ENOENT/);
  });

  test('a PostgreSQL URL nothing answers at: "cannot open the PostgreSQL store at URL: reason", password masked', async () => {
    const port = await freePort();
    const url = `postgres://rad:S3cret@127.0.0.1:${port}/radius`;
    const config = path.join(dir, 'pg.yaml');
    writeFileSync(
      config,
      `listen: { host: 127.0.0.1, auth: 1812, acct: 1813 }\nclients: [ { address: 127.0.0.0/8, secret: s } ]\ndatabase: ${url}\n`,
    );
    const line = new RegExp(
      `cannot open the PostgreSQL store at postgres://rad:\\*\\*\\*@127\\.0\\.0\\.1:${port}/radius: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`,
    );
    for (const [command, run, args] of COMMANDS) {
      for (const where of [
        ['--db', url],
        ['--config', config],
      ]) {
        const r = await run([...args, ...where]);
        expectOneLine(r, command, line, [...args, where[0]].join(' '));
        assert.doesNotMatch(r.stderr, /S3cret/);
      }
    }
  });
});

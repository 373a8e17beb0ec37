// `serve --check`, `--log-level`, `--log-format`, and SIGHUP reloading the log level: the real
// command as a child process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePorts } from '../helpers/ports.js';
import { runServe, SERVE_JS, startServe, tempDir } from './serve-helpers.js';

function configText(auth: number, acct: number, level = 'info'): string {
  return `listen:\n  host: 127.0.0.1\n  auth: ${auth}\n  acct: ${acct}\nclients:\n  - address: 127.0.0.1\n    secret: testing123\nusers:\n  - name: alice\n    password: alicepw\nlog:\n  level: ${level}\ndatabase: ./radius.db\n`;
}

describe('aioradius serve options', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let ports: number[];
  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-serve-opts-'));
    ports = await freePorts(2);
  });
  after(async () => remove?.());

  test('--check: a valid config prints a summary and exits 0; a bad one exits 2 with the field', async () => {
    const good = path.join(dir, 'good.yaml');
    await writeFile(good, configText(ports[0], ports[1]));
    const ok = await runServe(['--config', good, '--check']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /good\.yaml: OK \(1 clients, 1 users; auth \d+, acct \d+\)/);
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, configText(ports[0], ports[1]).replace('secret: testing123', 'secret: ""'));
    const no = await runServe(['--config', bad, '--check']);
    assert.equal(no.code, 2);
    assert.match(no.stderr, /clients\[0\]\.secret/);
    const usage = await runServe(['--config', good, '--log-level', 'loud']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--log-level must be one of/);
  });

  test('--log-format pretty: one readable line per event', async () => {
    const file = path.join(dir, 'pretty.yaml');
    await writeFile(file, configText(ports[0], ports[1]));
    const child = spawn(process.execPath, [SERVE_JS, '--config', file, '--log-format', 'pretty'], {
      stdio: 'pipe',
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      for (let i = 0; i < 150 && !out.includes('aioradius ready'); i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.match(
        out,
        /^\d\d:\d\d:\d\d\.\d{3} INFO {2}aioradius ready auth=\d+ acct=\d+ .*clients=1 users=1( .*)?$/m,
      );
      assert.doesNotMatch(out, /^\{/m, 'no JSON line');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  test('a config "file" that never ends (/dev/zero) is refused after 64 MiB, not read until memory runs out', async () => {
    const r = await runServe(['--config', '/dev/zero', '--check']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /\/dev\/zero: \(file\): larger than 64 MiB: not a configuration file/);
  });

  test('SIGHUP names the changed settings it cannot apply (listen, database, accounting.duplicateWindow)', async () => {
    const file = path.join(dir, 'start-only.yaml');
    await writeFile(file, configText(ports[0], ports[1]));
    const serve = await startServe(file, 15_000);
    try {
      const [other] = await freePorts(1);
      await writeFile(
        file,
        `${configText(other, ports[1]).replace('./radius.db', './other.db')}accounting:\n  duplicateWindow: 60\n`,
      );
      serve.child.kill('SIGHUP');
      const line = await serve.waitForLog(/restart to apply/, 5000);
      assert.deepEqual(line.keys, ['listen', 'database', 'accounting.duplicateWindow']);
      assert.equal(line.level, 40);
      await serve.waitForLog('configuration reloaded', 5000);
    } finally {
      await serve.stop('SIGTERM');
    }
  });

  test('SIGHUP takes the log level from the file, unless --log-level fixed it', async () => {
    for (const fixed of [false, true]) {
      const file = path.join(dir, `level-${fixed}.yaml`);
      await writeFile(file, configText(ports[0], ports[1], 'info'));
      const serve = await startServe(file, 15_000, fixed ? ['--log-level', 'info'] : []);
      await writeFile(file, configText(ports[0], ports[1], 'error'));
      serve.child.kill('SIGHUP');
      await serve.waitForLog('configuration reloaded');
      await serve.stop('SIGTERM');
      // "aioradius stopped" is an info line: gone at level error, kept when the flag fixed info.
      const stopped = serve.logs.some((l) => l.msg === 'aioradius stopped');
      assert.equal(stopped, fixed, `--log-level given: ${fixed}`);
    }
  });
});

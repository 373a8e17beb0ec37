// `npm start` as a process manager runs it: the server gets the signal npm gets. SIGTERM to npm
// must stop the server and free its port, not leave it running with another parent.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../helpers/ports.js';
import { tempDir } from './serve-helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('npm start', () => {
  let dir: string;
  let remove: () => Promise<void>;
  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-npm-start-'));
  });
  after(async () => remove?.());

  test('SIGTERM to npm stops the server it started (the port is free again)', {
    timeout: 180_000,
  }, async () => {
    const [auth, acct] = await freePorts(2);
    const config = path.join(dir, 'start.yaml');
    await writeFile(
      config,
      `listen:\n  host: 127.0.0.1\n  auth: ${auth}\n  acct: ${acct}\nclients:\n  - address: 127.0.0.1\n    secret: testing123\nusers:\n  - name: alice\n    password: alicepw\ndatabase: ./radius.db\n`,
    );
    // The config given after `--` replaces the example's (the last --config wins).
    const npm = spawn('npm', ['start', '--silent', '--', '--config', config], { cwd: ROOT, stdio: 'pipe' });
    let out = '';
    npm.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    npm.stderr.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 150_000;
      while (!out.includes('aioradius ready') && Date.now() < deadline && npm.exitCode === null)
        await new Promise((r) => setTimeout(r, 100));
      assert.ok(out.includes('aioradius ready'), out);
      assert.equal(await portFree(auth), false, 'the server holds its port');
      npm.kill('SIGTERM');
      await exited;
      let free = false;
      for (let i = 0; i < 100 && !free; i++) {
        free = await portFree(auth);
        if (!free) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(free, `the server still holds port ${auth} after npm exited:\n${out}`);
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  });
});

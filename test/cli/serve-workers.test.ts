// `serve --workers 2`: two processes share the ports, and the primary serves their metrics summed.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { radtest, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { startServe, tempDir } from './serve-helpers.js';

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

test('serve --workers 2: both workers answer, metrics are summed by the primary, SIGTERM stops all', {
  skip: skipUnless('radtest'),
}, async () => {
  const { dir, remove } = await tempDir('aioradius-workers-');
  const [auth, acct, metrics] = await freePorts(3);
  const file = path.join(dir, 'c.yaml');
  await writeFile(
    file,
    `listen: { host: 127.0.0.1, auth: ${auth}, acct: ${acct} }
clients: [ { address: 127.0.0.0/8, secret: testing123 } ]
users: [ { name: alice, password: alicepw } ]
log: { level: info }
metrics: { port: ${metrics} }
database: ./radius.db
`,
  );
  const serve = await startServe(file, 20_000, ['--workers', '2']);
  try {
    // Both workers are up before requests go out.
    await serve.waitForLog(
      (l) => serve.logs.filter((x) => x.msg === 'aioradius ready').length >= 2 || l === undefined,
      20_000,
    );
    for (let i = 0; i < 6; i++) {
      const r = await radtest({
        user: 'alice',
        password: 'alicepw',
        host: '127.0.0.1',
        port: auth,
        secret: 'testing123',
      });
      assert.equal(r.replyCode, 'Access-Accept', r.stdout);
    }
    const text = await get(metrics);
    assert.match(text, /radius_requests_total\{type="access"\} 6\b/, text);
    const pids = new Set(serve.logs.filter((l) => l.msg === 'aioradius ready').map((l) => l.pid));
    assert.equal(pids.size, 2, 'two worker processes');
    assert.equal(await serve.stop('SIGTERM'), 0);
  } finally {
    await serve.stop('SIGKILL').catch(() => undefined);
    await remove();
  }
});

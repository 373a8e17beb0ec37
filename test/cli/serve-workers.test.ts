// `serve --workers 2`: two processes share the ports, and the primary serves their metrics summed.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { defaultWorkers } from '../../src/cli/serve-workers.js';
import { radtest, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { postgresMissing, startPostgres } from '../helpers/postgres.js';
import { httpGet, startServe, tempDir } from './serve-helpers.js';

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
    const text = await httpGet(metrics);
    assert.match(text, /radius_requests_total\{type="access"\} 6\b/, text);
    const pids = new Set(serve.logs.filter((l) => l.msg === 'aioradius ready').map((l) => l.pid));
    assert.equal(pids.size, 2, 'two worker processes');
    assert.equal(await serve.stop('SIGTERM'), 0);
  } finally {
    await serve.stop('SIGKILL').catch(() => undefined);
    await remove();
  }
});

test('without --workers: one per core with PostgreSQL, one process with SQLite or on one core', () => {
  assert.equal(defaultWorkers('postgres://radius@db/radius', 4).workers, 4);
  assert.equal(defaultWorkers('postgresql://radius@db/radius', 2).workers, 2);
  assert.equal(defaultWorkers('postgres://radius@db/radius', 1).workers, 1);
  assert.equal(defaultWorkers('./radius.db', 4).workers, 1);
  assert.match(defaultWorkers('./radius.db', 4).reason, /SQLite has one writer/);
});

test('serve with a PostgreSQL database and no --workers forks one worker per core', {
  skip: postgresMissing() || (availableParallelism() < 2 ? 'one core: one process by design' : false),
}, async () => {
  const pg = await startPostgres();
  const { dir, remove } = await tempDir('aioradius-workers-pg-');
  const [auth, acct] = await freePorts(2);
  const file = path.join(dir, 'c.yaml');
  await writeFile(
    file,
    `listen: { host: 127.0.0.1, auth: ${auth}, acct: ${acct} }
clients: [ { address: 127.0.0.0/8, secret: testing123 } ]
log: { level: info }
database: ${pg.url}
`,
  );
  const serve = await startServe(file, 30_000);
  try {
    const cores = availableParallelism();
    await serve.waitForLog(
      () => serve.logs.filter((x) => x.msg === 'aioradius ready').length >= cores,
      30_000,
    );
    const primary = serve.logs.find((l) => l.msg === 'aioradius primary started');
    assert.equal(primary?.workers, cores);
    const pids = new Set(serve.logs.filter((l) => l.msg === 'aioradius ready').map((l) => l.pid));
    assert.equal(pids.size, cores, 'one worker process per core');
    assert.equal(await serve.stop('SIGTERM'), 0);
  } finally {
    await serve.stop('SIGKILL').catch(() => undefined);
    await pg.stop();
    await remove();
  }
});

// `serve --workers 2` replacing a worker that died: the replacement runs what the other workers run
// (the config the server started with, and what a SIGHUP reloaded since), not whatever the file
// holds now; one that cannot start is tried again while the other worker serves.
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmdirSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { radtest, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { httpGet, type ServeProcess, startServe, tempDir } from './serve-helpers.js';

const readyPids = (serve: ServeProcess) =>
  serve.logs.filter((l) => l.msg === 'aioradius ready').map((l) => l.pid as number);

/** `serve --workers 2` on a PAP config in a fresh directory (metrics on), both workers ready. */
async function startTwo(): Promise<{
  file: string;
  dir: string;
  auth: number;
  metrics: number;
  serve: ServeProcess;
  remove: () => Promise<void>;
}> {
  const { dir, remove } = await tempDir('aioradius-workers-replace-');
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
  const serve = await startServe(file, 20_000, ['--workers', '2']).catch(async (err: unknown) => {
    await remove();
    throw err;
  });
  await serve
    .waitForLog(() => readyPids(serve).length >= 2, 20_000)
    .catch(async (err: unknown) => {
      await serve.stop('SIGKILL');
      await remove();
      throw err;
    });
  return { file, dir, auth, metrics, serve, remove };
}

async function accepted(auth: number, password: string, times: number): Promise<string[]> {
  const codes: string[] = [];
  for (let i = 0; i < times; i++) {
    const r = await radtest({ user: 'alice', password, host: '127.0.0.1', port: auth, secret: 'testing123' });
    codes.push(r.replyCode ?? 'no reply');
  }
  return codes;
}

test('a worker that dies is replaced by one running the reloaded config, though the file is now half-edited', {
  skip: skipUnless('radtest'),
}, async () => {
  const { file, auth, serve, remove } = await startTwo();
  try {
    // A reloadable change (a password) and one that waits for a restart (the auth port).
    const [otherPort] = await freePorts(1);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('alicepw', 'newpw').replace(`auth: ${auth}`, `auth: ${otherPort}`));
    serve.child.kill('SIGHUP');
    await serve.waitForLog(
      () => serve.logs.filter((l) => l.msg === 'configuration reloaded').length >= 2,
      10_000,
    );
    // An edit in progress, never reloaded.
    await appendFile(file, 'users: [\n');
    const [victim] = readyPids(serve);
    const before = serve.logs.length;
    process.kill(victim, 'SIGKILL');
    const ready = await serve.waitForLog('aioradius ready', 15_000, before);
    assert.notEqual(ready.pid, victim);
    // It listens where the server listens, and knows the reloaded password.
    assert.equal(ready.auth, auth, JSON.stringify(ready));
    const reloaded = serve.logs.slice(before).find((l) => l.msg === 'configuration reloaded');
    assert.equal(reloaded?.pid, ready.pid, 'the replacement reloaded what the others run');
    assert.deepEqual(await accepted(auth, 'newpw', 8), Array(8).fill('Access-Accept'));
    assert.equal(serve.child.exitCode, null, 'the server is still running');
    assert.equal(await serve.stop('SIGTERM'), 0);
  } finally {
    await serve.stop('SIGKILL').catch(() => undefined);
    await remove();
  }
});

test('a replacement that cannot start is tried again while the other worker serves', {
  skip: skipUnless('radtest'),
}, async () => {
  const { dir, auth, serve, remove } = await startTwo();
  const db = path.join(dir, 'radius.db');
  try {
    // The database cannot be opened by a new process for a while (the running worker keeps its
    // file open): a directory where the file was.
    renameSync(db, `${db}.away`);
    mkdirSync(db);
    const [victim] = readyPids(serve);
    const before = serve.logs.length;
    process.kill(victim, 'SIGKILL');
    const retry = await serve.waitForLog(
      'a replacement worker could not start: trying again',
      15_000,
      before,
    );
    assert.equal(retry.retryIn, 1);
    assert.deepEqual(await accepted(auth, 'alicepw', 3), Array(3).fill('Access-Accept'));
    assert.equal(serve.child.exitCode, null, 'the server is still running');
    rmdirSync(db);
    renameSync(`${db}.away`, db);
    const ready = await serve.waitForLog('aioradius ready', 40_000, before);
    assert.notEqual(ready.pid, victim);
    assert.equal(await serve.stop('SIGTERM'), 0);
  } finally {
    await serve.stop('SIGKILL').catch(() => undefined);
    await remove();
  }
});

// Prometheus reads a counter that went down as a restart from zero: rate() would jump by the whole
// total. The primary keeps a stopped worker's counters as it last reported them.
test('the summed counters do not go down when a worker dies', { skip: skipUnless('radtest') }, async () => {
  const { auth, metrics, serve, remove } = await startTwo();
  try {
    assert.deepEqual(await accepted(auth, 'alicepw', 6), Array(6).fill('Access-Accept'));
    const count = (text: string) => Number(text.match(/^radius_requests_total\{type="access"\} (\d+)/m)?.[1]);
    // Six at least (a retransmission radtest sent to the other worker counts there too).
    const before = count(await httpGet(metrics));
    assert.ok(before >= 6, String(before));
    // A worker that answered some of them.
    const victim = serve.logs.find((l) => l.msg === 'Access-Accept')?.pid as number;
    const logged = serve.logs.length;
    process.kill(victim, 'SIGKILL');
    await serve.waitForLog('aioradius ready', 15_000, logged);
    const after = await httpGet(metrics);
    assert.equal(count(after), before, after);
    // Gauges are the live workers' only.
    assert.match(after, /^process_resident_memory_bytes \d+/m);
    assert.deepEqual(await accepted(auth, 'alicepw', 2), Array(2).fill('Access-Accept'));
    assert.ok(count(await httpGet(metrics)) >= before + 2);
    assert.equal(await serve.stop('SIGTERM'), 0);
  } finally {
    await serve.stop('SIGKILL').catch(() => undefined);
    await remove();
  }
});

test('cluster.listen with a port and --workers: the primary says the workers bind ports of their own', async () => {
  const { dir, remove } = await tempDir('aioradius-workers-listen-');
  const [auth, acct, link] = await freePorts(3);
  const file = path.join(dir, 'c.yaml');
  await writeFile(
    file,
    `listen: { host: 127.0.0.1, auth: ${auth}, acct: ${acct} }
clients: [ { address: 127.0.0.0/8, secret: testing123 } ]
cluster: { listen: "127.0.0.1:${link}", key: a-cluster-key-of-some-length }
log: { level: info }
database: ./radius.db
`,
  );
  const serve = await startServe(file, 20_000, ['--workers', '2']).catch(async (err: unknown) => {
    await remove();
    throw err;
  });
  try {
    const line = await serve.waitForLog(/^cluster\.listen: with --workers/, 5000);
    assert.equal(line.listen, `127.0.0.1:${link}`);
    assert.equal(await serve.stop('SIGTERM'), 0);
  } finally {
    await serve.stop('SIGKILL').catch(() => undefined);
    await remove();
  }
});

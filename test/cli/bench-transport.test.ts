// `aioradius bench --transport tcp|tls` (--ca, --cert, --key, --sockets as connections), run as a
// user would (the built main.js in a child process) against our own TCP and TLS listeners.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BenchSummary } from '../../src/cli/bench.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { ACCESS_ACCEPT, ACCESS_REJECT } from '../../src/protocol/codes.js';
import {
  AbstractRadiusServer,
  type NasConfig,
  type RequestContext,
} from '../../src/server/abstract-server.js';
import type { Remote } from '../../src/transport/remote.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import { type RunResult, runCommand } from '../helpers/peers.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

function cli(args: string[]): Promise<RunResult> {
  return runCommand(process.execPath, [MAIN, 'bench', ...args], { timeoutMs: 60_000 });
}

function show(r: RunResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

function summaryOf(r: RunResult): BenchSummary {
  try {
    return JSON.parse(r.stdout) as BenchSummary;
  } catch {
    throw new Error(`no JSON summary:\n${show(r)}`);
  }
}

/** PAP for alice/alicepw over TCP (secret tcp-s3cret) and TLS (radsec); counts requests and connections. */
class Target extends AbstractRadiusServer {
  auth = { tcp: 0, tls: 0 };
  acct = { tcp: 0, tls: 0 };
  readonly connections = { tcp: new Set<number>(), tls: new Set<number>() };

  validateNas(remote: Remote): NasConfig {
    const t = remote.transport === 'tls' ? 'tls' : 'tcp';
    this.connections[t].add(remote.port);
    return { secret: t === 'tls' ? 'radsec' : 'tcp-s3cret', requireMessageAuthenticator: true };
  }

  override handleAuthPacket(attributes: AttributesSet, context?: RequestContext) {
    this.auth[context?.remote.transport === 'tls' ? 'tls' : 'tcp']++;
    const ok = attributes.get('User-Name') === 'alice' && attributes.get('User-Password') === 'alicepw';
    return [[], ok ? ACCESS_ACCEPT : ACCESS_REJECT] as const;
  }

  override handleAccPacket(_attributes: AttributesSet, context?: RequestContext) {
    this.acct[context?.remote.transport === 'tls' ? 'tls' : 'tcp']++;
    return [[], null] as const;
  }
}

describe('aioradius bench over TCP and TLS against our listeners', () => {
  let dir: string;
  let ca: CertFiles;
  let nas: CertFiles;
  let server: Target;
  let tlsPort: number;
  let tcpPort: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-bench-tls-'));
    ca = makeCa(dir, 'ca');
    const serverCert = makeCert(dir, ca, 'server');
    nas = makeCert(dir, ca, 'nas');
    server = new Target('127.0.0.1', {
      authPort: 0,
      accPort: 0,
      tcp: { port: 0 },
      tls: { port: 0, cert: serverCert.certPem, key: serverCert.keyPem, ca: ca.certPem },
    });
    const info = await server.start();
    tlsPort = info.tlsPort as number;
    tcpPort = info.tcpPort as number;
  });

  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const tlsArgs = () => ['--transport', 'tls', '--ca', ca.cert, '--cert', nas.cert, '--key', nas.key];

  test('auth over TLS on 3 connections (secret radsec by default): every request accepted once', async () => {
    const before = server.auth.tls;
    const connectionsBefore = server.connections.tls.size;
    const r = await cli([
      `127.0.0.1:${tlsPort}`,
      'auth',
      '-n',
      '3000',
      '-p',
      '384',
      '-s',
      '3',
      '-u',
      'alice',
      '-w',
      'alicepw',
      '--json',
      ...tlsArgs(),
    ]);
    assert.equal(r.code, 0, show(r));
    const s = summaryOf(r);
    assert.equal(s.transport, 'tls');
    assert.equal(s.sockets, 3);
    assert.deepEqual(
      [s.requests, s.answered, s.accepts, s.rejects, s.timeouts, s.bad, s.others, s.retransmissions],
      [3000, 3000, 3000, 0, 0, 0, 0, 0],
    );
    assert.equal(server.auth.tls - before, 3000);
    assert.equal(server.connections.tls.size - connectionsBefore, 3);
  });

  test('acct over TLS, and a wrong password gives rejects, not errors', async () => {
    const before = server.acct.tls;
    const r = await cli([
      `127.0.0.1:${tlsPort}`,
      'acct',
      'radsec',
      '-n',
      '500',
      '-p',
      '64',
      '--json',
      ...tlsArgs(),
    ]);
    assert.equal(r.code, 0, show(r));
    const s = summaryOf(r);
    assert.deepEqual([s.answered, s.accepts, s.timeouts, s.bad], [500, 500, 0, 0]);
    assert.equal(server.acct.tls - before, 500);
    const w = await cli([
      `127.0.0.1:${tlsPort}`,
      'auth',
      '-n',
      '200',
      '-u',
      'alice',
      '-w',
      'nope',
      '--json',
      ...tlsArgs(),
    ]);
    assert.equal(w.code, 0, show(w));
    assert.deepEqual([summaryOf(w).rejects, summaryOf(w).bad], [200, 0]);
  });

  test('auth over TCP on 2 connections: every request accepted once, the text summary says TCP', async () => {
    const before = server.auth.tcp;
    const r = await cli([
      `127.0.0.1:${tcpPort}`,
      'auth',
      'tcp-s3cret',
      '-n',
      '2000',
      '-p',
      '256',
      '-u',
      'alice',
      '-w',
      'alicepw',
      '--transport',
      'tcp',
    ]);
    assert.equal(r.code, 0, show(r));
    assert.match(
      r.stdout,
      new RegExp(`^auth against 127\\.0\\.0\\.1:${tcpPort} over TCP, concurrency 256$`, 'm'),
    );
    assert.match(r.stdout, /^answered +2000 \(\d+\/s\)$/m);
    assert.match(r.stdout, /^timeouts +0$/m);
    assert.equal(server.auth.tcp - before, 2000);
  });

  test('a wrong secret over TCP: nothing verifies, every request times out, exit 1', async () => {
    const r = await cli([
      `127.0.0.1:${tcpPort}`,
      'auth',
      'wrong',
      '-n',
      '20',
      '-t',
      '0.3',
      '--transport',
      'tcp',
      '--json',
    ]);
    assert.equal(r.code, 1, show(r));
    const s = summaryOf(r);
    assert.equal(s.accepts, 0);
    assert.equal(s.timeouts, 20);
  });

  test('a server that drops the connection: the load stops, what was in flight times out, exit 1', async () => {
    const dropper = net.createServer((s) => s.once('data', () => s.destroy()));
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    try {
      const port = (dropper.address() as net.AddressInfo).port;
      // A count that would never be reached: the run must end on its own all the same.
      const r = await cli([
        `127.0.0.1:${port}`,
        'auth',
        's',
        '-n',
        '100000',
        '-s',
        '2',
        '-t',
        '0.3',
        '--transport',
        'tcp',
      ]);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stdout, /^lost +2 connection\(s\) during the run$/m);
      assert.match(r.stdout, /^answered +0 /m);
    } finally {
      dropper.close();
    }
  });

  test('nothing listening: the connection error, exit 2', async () => {
    const r = await cli(['127.0.0.1:1', 'auth', 'x', '-n', '1', '--transport', 'tcp']);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /ECONNREFUSED/);
  });

  test('--ca without --transport tls is a usage error; SECRET may be left out only over TLS', async () => {
    const r = await cli([`127.0.0.1:${tcpPort}`, 'auth', 's', '--ca', ca.cert]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /--ca needs --transport tls/);
    const u = await cli([`127.0.0.1:${tcpPort}`, 'auth', '--transport', 'tcp']);
    assert.equal(u.code, 2, show(u));
    assert.match(u.stderr, /expected SERVER\[:PORT\] auth\|acct SECRET/);
  });
});

// `aioradius test` and `aioradius send` over TCP and TLS (--transport, --ca, --cert, --key), run as a
// user would (the built main.js in a child process) against our own TCP/TLS listeners.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ACCESS_ACCEPT, ACCESS_REJECT } from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { AbstractRadiusServer } from '../../src/server/abstract-server.js';
import type { Remote } from '../../src/transport/remote.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import { type RunResult, runCommand } from '../helpers/peers.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

function cli(args: string[], input?: string): Promise<RunResult> {
  return runCommand(process.execPath, [MAIN, ...args], { input, timeoutMs: 30_000 });
}

function show(r: RunResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

class Server extends AbstractRadiusServer {
  remotes: Remote[] = [];
  validateNas(remote: Remote) {
    this.remotes.push(remote);
    return remote.transport === 'tls' ? 'radsec' : 'tcp-secret';
  }
  override handleAuthPacket(attributes: AttributesSet) {
    return attributes.get('User-Password') === 'alicepw'
      ? ([[['Reply-Message', 'Hello, alice']], ACCESS_ACCEPT] as const)
      : ([[], ACCESS_REJECT] as const);
  }
  override handleAccPacket() {
    return [[], null] as const;
  }
}

describe('aioradius test/send --transport tcp|tls against our listeners', () => {
  let dir: string;
  let ca: CertFiles;
  let nas: CertFiles;
  let stranger: CertFiles;
  let server: Server;
  let tlsPort: number;
  let tcpPort: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-cli-tls-'));
    ca = makeCa(dir, 'ca');
    const serverCert = makeCert(dir, ca, 'server');
    nas = makeCert(dir, ca, 'nas');
    const otherCa = makeCa(dir, 'other-ca');
    stranger = makeCert(dir, otherCa, 'stranger');
    server = new Server('127.0.0.1', {
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

  test('test --transport tls prints Access-Accept (secret radsec by default)', async () => {
    const r = await cli(['test', 'alice', 'alicepw', `127.0.0.1:${tlsPort}`, ...tlsArgs()]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Received Access-Accept Id \d+ from 127\.0\.0\.1:\d+/);
    assert.match(r.stdout, /Reply-Message = "Hello, alice"/);
    assert.match(r.stdout, /over TLS/);
    assert.equal(server.remotes.at(-1)?.transport, 'tls');
    assert.equal(server.remotes.at(-1)?.peerCertificate?.subject.CN, 'nas');
  });

  test('test --transport tls: a wrong password is Access-Reject (exit 1)', async () => {
    const r = await cli(['test', 'alice', 'nope', `127.0.0.1:${tlsPort}`, 'radsec', ...tlsArgs()]);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stdout, /Received Access-Reject/);
  });

  test('test --transport tls with a CA that did not sign the server: the TLS error, exit 2', async () => {
    const r = await cli([
      'test',
      'alice',
      'alicepw',
      `127.0.0.1:${tlsPort}`,
      '--transport',
      'tls',
      '--ca',
      stranger.cert.replace('stranger.pem', 'other-ca.pem'),
      '--cert',
      stranger.cert,
      '--key',
      stranger.key,
    ]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /TLS connection to .* failed/);
  });

  test('test --transport tls with a client certificate the server refuses: its refusal, a hint that is not the secret', async () => {
    // The server's CA did sign the server, not the client: under TLS 1.3 the server closes right
    // after the handshake.
    const r = await cli([
      'test',
      'alice',
      'alicepw',
      `127.0.0.1:${tlsPort}`,
      '--transport',
      'tls',
      '--ca',
      ca.cert,
      '--cert',
      stranger.cert,
      '--key',
      stranger.key,
    ]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /TLS connection to .* refused by the server/);
    assert.match(r.stderr, /hint: .*refused this client.*--cert/);
    assert.doesNotMatch(r.stderr, /secret may be wrong/);
    assert.doesNotMatch(r.stdout, /Received/);
    const sent = await cli(
      [
        'send',
        `127.0.0.1:${tlsPort}`,
        'auth',
        'radsec',
        '-n',
        '3',
        '--transport',
        'tls',
        '--ca',
        ca.cert,
        '--cert',
        stranger.cert,
        '--key',
        stranger.key,
      ],
      'User-Name = "alice", User-Password = "alicepw"\n',
    );
    assert.equal(sent.code, 1, show(sent));
    assert.equal(sent.stderr.match(/refused by the server/g)?.length, 3, show(sent));
    assert.match(sent.stderr, /hint: .*refused this client/);
    assert.doesNotMatch(sent.stderr, /secret may be wrong/);
  });

  test('test --transport tcp prints Access-Accept', async () => {
    const r = await cli([
      'test',
      'alice',
      'alicepw',
      `127.0.0.1:${tcpPort}`,
      'tcp-secret',
      '--transport',
      'tcp',
    ]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Received Access-Accept/);
    assert.equal(server.remotes.at(-1)?.transport, 'tcp');
  });

  test('send --transport tls: several packets in parallel on one connection', async () => {
    const before = server.remotes.length;
    const r = await cli(
      ['send', `127.0.0.1:${tlsPort}`, 'auth', 'radsec', '-n', '5', '-p', '5', ...tlsArgs()],
      'User-Name = "alice", User-Password = "alicepw"\n',
    );
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout.match(/Received Access-Accept/g)?.length, 5);
    const seen = server.remotes.slice(before);
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen.map((x) => x.port)).size, 1);
  });

  test('usage errors: --ca without --transport tls, an unknown transport, a missing file', async () => {
    for (const args of [
      ['test', 'alice', 'pw', '--ca', ca.cert],
      ['test', 'alice', 'pw', '--transport', 'sctp'],
      ['test', 'alice', 'pw', '--transport', 'tls', '--ca', path.join(dir, 'missing.pem')],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}\n${show(r)}`);
      assert.match(r.stderr, /^aioradius test: [^\n]+\n(Try 'aioradius test --help' for the options\.\n)?$/);
    }
  });
});

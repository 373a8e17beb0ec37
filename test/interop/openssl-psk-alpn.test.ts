// Our RADIUS/TLS listener against OpenSSL's own TLS client (`openssl s_client`): a TLS 1.3
// external PSK handshake with the identity reaching validateNas, TLS 1.2 with each PSK suite the
// listener adds, and ALPN as RFC 9765 and RFC 7301 §3.2 want it (radius/1.1 chosen, radius/1.0
// kept historic, a name we do not speak refused).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { ACCESS_ACCEPT, AccessRequest, decodeResponse } from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import type { Packet } from '../../src/protocol/packet.js';
import { AbstractRadiusServer } from '../../src/server/abstract-server.js';
import type { Remote } from '../../src/transport/remote.js';

const KEY = Buffer.alloc(32, 0x42);

class Server extends AbstractRadiusServer {
  remotes: Remote[] = [];
  validateNas(remote: Remote) {
    this.remotes.push(remote);
    return 'radsec';
  }
  override handleAuthPacket(attributes: AttributesSet) {
    return [[['Reply-Message', `hi ${attributes.get('User-Name')}`]], ACCESS_ACCEPT] as const;
  }
}

/**
 * Sends `request` through `openssl s_client` and reads one reply packet (or none: the exit text).
 * `-brief` prints the protocol version and suite to stderr (and `-nocommands` keeps the packet from
 * being read as s_client commands); `-tls1_3` unless `args` names another.
 */
function viaSClient(
  port: number,
  args: string[],
  request: Buffer,
  key = KEY,
): Promise<{ reply: Buffer | undefined; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('openssl', [
      's_client',
      '-brief',
      '-nocommands',
      '-ign_eof',
      ...(args.includes('-tls1_2') ? [] : ['-tls1_3']),
      '-psk',
      key.toString('hex'),
      '-psk_identity',
      'nas-7',
      '-connect',
      `127.0.0.1:${port}`,
      ...args,
    ]);
    const out: Buffer[] = [];
    let stderr = '';
    let reply: Buffer | undefined;
    const timer = setTimeout(() => p.kill(), 10_000);
    p.stdout.on('data', (d: Buffer) => {
      out.push(d);
      const b = Buffer.concat(out);
      if (b.length >= 20 && b.length >= b.readUInt16BE(2)) {
        reply = b.subarray(0, b.readUInt16BE(2));
        p.kill();
      }
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.stdin.on('error', () => {});
    p.stdin.write(request);
    p.on('exit', () => {
      clearTimeout(timer);
      resolve({ reply, stderr });
    });
  });
}

describe('our RADIUS/TLS listener and openssl s_client: TLS-PSK and ALPN', () => {
  async function withServer(fn: (server: Server, port: number) => Promise<void>): Promise<void> {
    const server = new Server('127.0.0.1', { tls: { port: 0, psk: { 'nas-7': KEY } } });
    const info = await server.start();
    try {
      await fn(server, info.tlsPort as number);
    } finally {
      await server.close();
    }
  }

  test('TLS 1.3 with an external PSK, no ALPN: historic RADIUS/TLS, the identity in Remote', async () => {
    await withServer(async (server, port) => {
      const req = new AccessRequest('radsec').add('User-Name', 'alice').add('User-Password', 'x');
      const { reply, stderr } = await viaSClient(port, [], req.encode());
      assert.ok(reply, stderr);
      const decoded = decodeResponse('radsec', reply, req);
      assert.equal(decoded.get('Reply-Message'), 'hi alice');
      assert.equal(server.remotes[0].pskIdentity, 'nas-7');
      assert.equal(server.remotes[0].radiusVersion, '1.0');
    });
  });

  // RFC 9813 asks for suites with ephemeral keys under TLS 1.2 (ECDHE-PSK); the plain PSK suites
  // serve NASes without it. Node's default list has none of them.
  for (const suite of ['ECDHE-PSK-CHACHA20-POLY1305', 'PSK-AES128-GCM-SHA256', 'PSK-AES256-GCM-SHA384']) {
    test(`TLS 1.2 with ${suite}: answered, the identity in Remote; a wrong key is refused`, async () => {
      await withServer(async (server, port) => {
        const req = new AccessRequest('radsec').add('User-Name', 'dave').add('User-Password', 'x');
        const { reply, stderr } = await viaSClient(port, ['-tls1_2', '-cipher', suite], req.encode());
        assert.ok(reply, stderr);
        assert.match(stderr, /Protocol version: TLSv1\.2/);
        assert.match(stderr, new RegExp(`Ciphersuite: ${suite}\\b`));
        assert.equal(decodeResponse('radsec', reply, req).get('Reply-Message'), 'hi dave');
        assert.equal(server.remotes[0].pskIdentity, 'nas-7');
        assert.equal(server.remotes[0].radiusVersion, '1.0');
        const wrong = await viaSClient(
          port,
          ['-tls1_2', '-cipher', suite],
          req.encode(),
          Buffer.alloc(32, 0x43),
        );
        assert.equal(wrong.reply, undefined);
        assert.equal(server.remotes.length, 1);
      });
    });
  }

  test('ALPN radius/1.1: the reply is a RADIUS/1.1 packet with our Token', async () => {
    await withServer(async (server, port) => {
      const req = new AccessRequest('unused', { token: 0x01020304 }).add('User-Name', 'bob');
      const { reply, stderr } = await viaSClient(port, ['-alpn', 'radius/1.1'], req.encode());
      assert.ok(reply, stderr);
      assert.equal(reply.readUInt32BE(4), 0x01020304);
      assert.equal(reply[1], 0);
      const decoded: Packet = decodeResponse('unused', reply, req);
      assert.equal(decoded.get('Reply-Message'), 'hi bob');
      assert.equal(server.remotes[0].radiusVersion, '1.1');
    });
  });

  test('ALPN radius/1.0 stays historic; a protocol we do not speak is refused (RFC 7301 §3.2)', async () => {
    await withServer(async (server, port) => {
      const req = new AccessRequest('radsec').add('User-Name', 'carol').add('User-Password', 'x');
      const ok = await viaSClient(port, ['-alpn', 'radius/1.0'], req.encode());
      assert.ok(ok.reply, ok.stderr);
      assert.equal(decodeResponse('radsec', ok.reply, req).get('Reply-Message'), 'hi carol');
      assert.equal(server.remotes[0].radiusVersion, '1.0');
      const refused = await viaSClient(port, ['-alpn', 'h2'], req.encode());
      assert.equal(refused.reply, undefined);
      assert.match(refused.stderr, /no application protocol/i);
      assert.equal(server.remotes.length, 1);
    });
  });
});

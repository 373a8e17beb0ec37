/**
 * A PAP server built on npm `radius` 1.1.4 the way its README shows: `node:dgram`, `radius.decode`
 * (verifies Message-Authenticator, reveals User-Password), a password check, `radius.encode_response`.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import radius from 'radius';
import { type BenchServer, type BenchServerOptions, isMain, serveAsChild } from './server-process.js';

/** Starts the npm `radius` server on 127.0.0.1 (a free port). */
export async function startRadiusNpmServer(o: BenchServerOptions): Promise<BenchServer> {
  const sock = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  sock.on('message', (msg, rinfo) => {
    let packet: ReturnType<typeof radius.decode>;
    try {
      packet = radius.decode({ packet: msg, secret: o.secret });
    } catch {
      return; // malformed or wrong secret: drop
    }
    if (packet.code !== 'Access-Request') return;
    const ok = packet.attributes['User-Name'] === o.user && packet.attributes['User-Password'] === o.password;
    const reply = radius.encode_response({
      packet,
      code: ok ? 'Access-Accept' : 'Access-Reject',
      secret: o.secret,
    });
    sock.send(reply, rinfo.port, rinfo.address);
  });
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  return {
    port: sock.address().port,
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

if (isMain(import.meta.url)) serveAsChild(startRadiusNpmServer);

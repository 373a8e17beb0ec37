/**
 * The ceiling: a raw `node:dgram` server that answers every datagram with a bare Access-Accept whose
 * Response Authenticator it computes (RFC 2865 section 3) and does nothing else: no verification,
 * no attributes, no duplicate detection. No RADIUS server in Node can answer faster than this. It
 * sends with the same numeric address lookup as the servers of src/transport (dgram's default
 * lookup defers every send to the next tick), so that the ceiling is not lower than it need be.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { Md5 } from '../src/protocol/md5.js';
import { numericLookup } from '../src/transport/udp.js';
import { type BenchServer, type BenchServerOptions, isMain, serveAsChild } from './server-process.js';

/** Starts the ceiling server on 127.0.0.1 (a free port). */
export async function startCeilingServer(o: BenchServerOptions): Promise<BenchServer> {
  const secret = Buffer.from(o.secret, 'utf8');
  const md5 = new Md5();
  const sock = createSocket({
    type: 'udp4',
    recvBufferSize: 4 << 20,
    sendBufferSize: 4 << 20,
    lookup: numericLookup,
  });
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 20) return;
    // A fresh buffer per reply: a send the kernel cannot take at once is queued by reference.
    const out = Buffer.allocUnsafe(20);
    out[0] = 2;
    out[1] = msg[1];
    out[2] = 0;
    out[3] = 20;
    md5.reset().update(out, 0, 4).update(msg, 4, 20).update(secret).digestInto(out, 4);
    sock.send(out, rinfo.port, rinfo.address);
  });
  // Listen first: with a synchronous lookup, bind() may emit 'listening' before returning.
  const listening = once(sock, 'listening');
  sock.bind(0, '127.0.0.1');
  await listening;
  return {
    port: sock.address().port,
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

if (isMain(import.meta.url)) serveAsChild(startCeilingServer);

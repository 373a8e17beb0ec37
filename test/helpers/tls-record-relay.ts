// A TCP relay between a TLS client and a TLS server that counts the TLS records the server sends
// (RFC 8446 §5.1: each record starts with a 5-byte header, type, version, 16-bit length). It sees
// only ciphertext, so it shows how replies were packed into records without taking part in TLS.
import net from 'node:net';

/** A running relay: connect clients to `port`; `serverRecords` counts records towards the client. */
export interface TlsRecordRelay {
  port: number;
  /** Application-data records (content type 23) sent by the server so far. */
  serverRecords(): number;
  close(): Promise<void>;
}

/** Starts a relay on 127.0.0.1 (a free port) to `127.0.0.1:targetPort`. */
export async function startTlsRecordRelay(targetPort: number): Promise<TlsRecordRelay> {
  let records = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((downstream) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(downstream);
    sockets.add(upstream);
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Walk whole record headers; a record cut across chunks waits for the rest.
      while (pending.length >= 5) {
        const length = pending.readUInt16BE(3);
        if (pending.length < 5 + length) break;
        if (pending[0] === 23) records++;
        pending = pending.subarray(5 + length);
      }
      downstream.write(chunk);
    });
    downstream.on('data', (chunk: Buffer) => upstream.write(chunk));
    const end = () => {
      downstream.destroy();
      upstream.destroy();
    };
    for (const s of [downstream, upstream]) {
      s.on('error', end);
      s.on('close', () => {
        sockets.delete(s);
        end();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    serverRecords: () => records,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

/** Where a datagram came from (or goes to). */
export interface Remote {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/** Something that can send reply bytes back to a remote peer (UDP now; TCP/TLS streams later). */
export interface ReplyChannel {
  send(data: Buffer, remote: Remote): void;
}

/** Kernel receive buffer asked for: the default (~212 KB) drops bursts above ~190 datagrams. */
const RECV_BUFFER = 4 * 1024 * 1024;

/** A bound UDP socket that hands datagrams to `onMessage` and sends replies. */
export class UdpEndpoint implements ReplyChannel {
  readonly socket: Socket;
  private closed = false;
  private sending = 0;
  private drained: (() => void) | undefined;

  constructor(family: 'udp4' | 'udp6', onMessage: (data: Buffer, remote: RemoteInfo) => void) {
    this.socket = createSocket({ type: family, reuseAddr: false, ipv6Only: family === 'udp6' });
    this.socket.on('message', onMessage);
  }

  /** Binds to `host:port` (port 0 picks a free one) and resolves with the bound port. */
  bind(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.socket.once('error', onError);
      this.socket.bind(port, host, () => {
        this.socket.off('error', onError);
        // Errors after binding (e.g. ICMP unreachable on send) must not crash the process.
        this.socket.on('error', () => {});
        try {
          this.socket.setRecvBufferSize(RECV_BUFFER);
          this.socket.setSendBufferSize(RECV_BUFFER);
        } catch {
          // The kernel may cap buffer sizes (rmem_max); the defaults still work.
        }
        resolve(this.socket.address().port);
      });
    });
  }

  send(data: Buffer, remote: Remote): void {
    if (this.closed) return;
    // dgram resolves the address on a later tick: a socket closed before then drops the datagram,
    // so close() waits for the sends still in progress.
    this.sending++;
    this.socket.send(data, remote.port, remote.address, () => {
      if (--this.sending === 0) this.drained?.();
    });
  }

  /** Stops sending, waits (bounded by `waitMs`) for sends in progress, then closes the socket. */
  async close(waitMs = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sending > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        timer = setTimeout(resolve, waitMs);
      });
      clearTimeout(timer);
    }
    try {
      this.socket.close();
    } catch {
      // never bound, or already closed
    }
  }
}

/** The socket type for an address literal. */
export function familyOf(address: string): 'udp4' | 'udp6' {
  return isIPv6(address) ? 'udp6' : 'udp4';
}

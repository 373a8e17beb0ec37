// Loopback plumbing shared by the lesson tests: a raw UDP socket that queues what it receives, a
// bounded poll, hand-made packets signed with node:crypto (independent of the codec), and a seeded PRNG.
import { createHash, createHmac } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

/** Default bound on every wait, in milliseconds. */
export const WAIT_MS = 3000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 5 ms; false if it did not become true within `ms`. */
export async function waitFor(cond: () => boolean, ms = WAIT_MS): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() >= deadline) return false;
    await sleep(5);
  }
  return true;
}

/** One datagram received by a UdpPeer. */
export interface Received {
  data: Buffer;
  remote: RemoteInfo;
}

/**
 * A raw UDP socket on 127.0.0.1 (port 0) that queues every datagram it receives. With `onMessage`
 * it answers instead of queueing: a server whose behaviour each test writes.
 */
export class UdpPeer {
  private readonly queue: Received[] = [];
  private wake: (() => void) | undefined;

  private constructor(
    private readonly sock: Socket,
    onMessage: ((got: Received, peer: UdpPeer) => void) | undefined,
  ) {
    sock.on('message', (data, remote) => {
      if (onMessage) {
        onMessage({ data, remote }, this);
        return;
      }
      this.queue.push({ data, remote });
      this.wake?.();
    });
    sock.on('error', () => {});
  }

  /** Opens a peer on a free loopback port. */
  static async open(onMessage?: (got: Received, peer: UdpPeer) => void): Promise<UdpPeer> {
    const sock = createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    sock.setRecvBufferSize(4 * 1024 * 1024);
    sock.setSendBufferSize(4 * 1024 * 1024);
    return new UdpPeer(sock, onMessage);
  }

  get port(): number {
    return this.sock.address().port;
  }

  /** Sends to 127.0.0.1:`port`. */
  send(data: Buffer, port: number): void {
    this.sock.send(data, port, '127.0.0.1');
  }

  /** The next datagram, or undefined when none came within `ms`. */
  async next(ms = WAIT_MS): Promise<Received | undefined> {
    if (this.queue.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.queue.shift();
  }

  /** Datagrams queued now. */
  get queued(): number {
    return this.queue.length;
  }

  close(): void {
    this.sock.close();
  }
}

/** One attribute's bytes: type, length, value. */
export function attr(type: number, value: Buffer | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([Buffer.from([type, v.length + 2]), v]);
}

/** Header and attributes with the length field set; the authenticator field as given. */
export function rawPacket(
  code: number,
  identifier: number,
  authenticator: Buffer,
  ...attrs: Buffer[]
): Buffer {
  const b = Buffer.concat([Buffer.from([code, identifier, 0, 0]), authenticator, ...attrs]);
  b.writeUInt16BE(b.length, 2);
  return b;
}

/**
 * Signs hand-made bytes in place with node:crypto: the first Message-Authenticator (RFC 3579 §3.2)
 * over `headerAuth` in the header, then, unless `keepAuthenticator`, the authenticator field as
 * MD5(Code+ID+Length+`headerAuth`+Attributes+Secret) (RFC 2865 §3, RFC 2866 §3).
 */
export function sign(b: Buffer, secret: string, headerAuth: Buffer, keepAuthenticator = false): Buffer {
  for (let p = 20; p < b.length; p += b[p + 1]) {
    if (b[p] !== 80) continue;
    const copy = Buffer.from(b);
    headerAuth.copy(copy, 4);
    copy.fill(0, p + 2, p + 18);
    createHmac('md5', secret)
      .update(copy)
      .digest()
      .copy(b, p + 2);
    break;
  }
  if (!keepAuthenticator) {
    createHash('md5')
      .update(b.subarray(0, 4))
      .update(headerAuth)
      .update(b.subarray(20))
      .update(secret)
      .digest()
      .copy(b, 4);
  }
  return b;
}

/** A small seeded PRNG (xorshift32), so a failing run can be replayed with the same seed. */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

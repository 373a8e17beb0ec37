/**
 * The in-memory stream a TLS engine's socket runs over: bytes from the peer go in with push() and
 * reach the socket as 'data' events; what the socket writes goes to `sink` at once.
 *
 * Why not a stream.Duplex: Node wraps a stream that is not a net.Socket in its JSStreamSocket,
 * which uses only pause, resume, write, cork, uncork, end, destroy and the 'data', 'end', 'close'
 * and 'error' events. A Duplex adds its Readable and Writable state machines to every round (a
 * buffer, a nextTick per write) and to every session; this object is just those calls.
 */

import { EventEmitter } from 'node:events';

export class BytePipe extends EventEmitter {
  /** Read by JSStreamSocket when it wraps the pipe. */
  readonly readable = true;
  readonly writable = true;
  readonly readableObjectMode = false;
  private flowing = false;
  private held: Buffer[] = [];
  private closed = false;

  constructor(private readonly sink: (chunk: Buffer) => void) {
    super();
  }

  get destroyed(): boolean {
    return this.closed;
  }

  /** Bytes from the peer: to the socket now if it reads, else once it starts. */
  push(chunk: Buffer): void {
    if (this.closed) return;
    if (this.flowing) this.emit('data', chunk);
    else this.held.push(chunk);
  }

  pause(): this {
    this.flowing = false;
    return this;
  }

  resume(): this {
    this.flowing = true;
    if (this.held.length > 0) {
      // Called from within the socket's readStart: hand the bytes over after it returns.
      process.nextTick(() => {
        const held = this.held;
        this.held = [];
        for (const chunk of held) this.push(chunk);
      });
    }
    return this;
  }

  write(chunk: Buffer, callback?: (err?: Error | null) => void): boolean {
    if (!this.closed) this.sink(chunk);
    callback?.(this.closed ? new Error('write after the pipe closed') : null);
    return true;
  }

  cork(): void {}

  uncork(): void {}

  /** The socket shuts its writing side (TLS close_notify sent): nothing to flush here. */
  end(callback?: () => void): this {
    if (callback) process.nextTick(callback);
    return this;
  }

  destroy(): this {
    if (!this.closed) {
      this.closed = true;
      this.held = [];
      this.emit('close');
    }
    return this;
  }
}

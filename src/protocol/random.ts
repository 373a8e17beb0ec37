import { randomFillSync } from 'node:crypto';

// crypto's CSPRNG, drawn in 4 KiB batches: one call per packet would cost more than the packet.
const pool = Buffer.allocUnsafe(4096);
let pos = pool.length;

/** One fresh random byte (0..255) from the same pool, without allocating a Buffer. */
export function randomByte(): number {
  if (pos >= pool.length) {
    randomFillSync(pool);
    pos = 0;
  }
  const b = pool[pos];
  pool[pos++] = 0;
  return b;
}

/** `n` (≤ 256) fresh random bytes from `node:crypto`, copied out of a pooled batch. */
export function randomBytesPooled(n: number): Buffer {
  if (pos + n > pool.length) {
    randomFillSync(pool);
    pos = 0;
  }
  const out = Buffer.allocUnsafe(n);
  pool.copy(out, 0, pos, pos + n);
  // Used bytes are overwritten at once so that a later read of the pool cannot reveal them.
  pool.fill(0, pos, pos + n);
  pos += n;
  return out;
}

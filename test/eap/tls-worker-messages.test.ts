// What crosses to a TLS worker thread: a Buffer's bytes alone, not the ArrayBuffer it views (a
// small Buffer views Node's shared 8 kB pool, and structured clone copies a view's whole buffer).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { exactBytes } from '../../src/eap/tls-worker-messages.js';

/** What the other end of a MessagePort receives for `value`. */
function posted(value: Uint8Array): Promise<Uint8Array> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port2.once('message', (m: Uint8Array) => {
      port1.close();
      resolve(m);
    });
    port1.postMessage(value);
  });
}

test('a pooled Buffer crosses as its own bytes only', async () => {
  const pooled = Buffer.from('a TLS record');
  assert.ok(pooled.buffer.byteLength > pooled.length, 'Node pools small Buffers');
  assert.ok((await posted(pooled)).buffer.byteLength > pooled.length, 'as is, the pool crosses with it');
  const exact = await posted(exactBytes(pooled));
  assert.equal(exact.buffer.byteLength, pooled.length);
  assert.deepEqual(Buffer.from(exact), pooled);
});

test('a view into a larger packet is copied; a Buffer that is all of its memory is not', () => {
  const packet = Buffer.alloc(4096, 7);
  const attribute = packet.subarray(20, 273);
  const bytes = exactBytes(attribute);
  assert.equal(bytes.buffer.byteLength, 253);
  assert.deepEqual(Buffer.from(bytes), attribute);
  const whole = Buffer.alloc(10_000);
  assert.equal(exactBytes(whole), whole);
});

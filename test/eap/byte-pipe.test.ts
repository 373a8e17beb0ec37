// The in-memory stream under the TLS engine's socket: what Node's JSStreamSocket relies on.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BytePipe } from '../../src/eap/byte-pipe.js';

describe('BytePipe', () => {
  test('bytes pushed before the reader resumes wait, then arrive in order after resume returns', async () => {
    const pipe = new BytePipe(() => {});
    const seen: string[] = [];
    pipe.on('data', (d: Buffer) => seen.push(d.toString()));
    pipe.push(Buffer.from('a'));
    pipe.push(Buffer.from('b'));
    assert.deepEqual(seen, []);
    pipe.resume();
    assert.deepEqual(seen, [], 'not from within resume()');
    await new Promise<void>((r) => process.nextTick(r));
    pipe.push(Buffer.from('c'));
    assert.deepEqual(seen, ['a', 'b', 'c']);
    pipe.pause();
    pipe.push(Buffer.from('d'));
    assert.deepEqual(seen, ['a', 'b', 'c']);
  });

  test('writes reach the sink at once and call back; after destroy they fail', () => {
    const sunk: string[] = [];
    const pipe = new BytePipe((c) => sunk.push(c.toString()));
    const got: { err?: Error | null } = {};
    pipe.write(Buffer.from('x'), (err) => {
      got.err = err;
    });
    assert.deepEqual(sunk, ['x']);
    assert.equal(got.err, null);
    let closes = 0;
    pipe.on('close', () => closes++);
    pipe.destroy();
    pipe.destroy();
    assert.equal(closes, 1, "'close' once");
    assert.equal(pipe.destroyed, true);
    pipe.write(Buffer.from('y'), (err) => {
      got.err = err;
    });
    assert.deepEqual(sunk, ['x']);
    assert.ok((got.err as unknown) instanceof Error, 'a write after destroy fails');
    pipe.push(Buffer.from('z')); // ignored
  });
});

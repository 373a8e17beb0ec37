// Periodic tasks from plain JavaScript, where `@periodicTask` does not parse (Node has no
// decorator syntax): `server.addPeriodicTask(fn, { delay })`, run by a real `node` child.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AbstractRadiusServer } from '../../src/server/abstract-server.js';

const INDEX = pathToFileURL(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/index.js'),
).href;

describe('addPeriodicTask', () => {
  test('plain JavaScript: a task added before start runs while the server runs, and not after', () => {
    const script = `
      import { AbstractRadiusServer } from ${JSON.stringify(INDEX)};
      class Server extends AbstractRadiusServer {
        validateNas() { return 's'; }
        handleAuthPacket() { return [[], 3]; }
      }
      const server = new Server('127.0.0.1', { authPort: 0 });
      let runs = 0;
      server.addPeriodicTask(() => { runs++; }, { delay: 0.02, name: 'count' });
      await server.start();
      while (runs < 3) await new Promise((r) => setTimeout(r, 10));
      await server.close();
      const atClose = runs;
      await new Promise((r) => setTimeout(r, 100));
      console.log(JSON.stringify({ atClose, after: runs }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const { atClose, after } = JSON.parse(out.trim()) as { atClose: number; after: number };
    assert.ok(atClose >= 3);
    assert.equal(after, atClose, 'no run after close()');
  });

  test('a bad delay or a server already started is refused', async () => {
    class Server extends AbstractRadiusServer {
      validateNas() {
        return 's';
      }
      override handleAuthPacket() {
        return [[], 3] as const;
      }
    }
    const server = new Server('127.0.0.1', { authPort: 0 });
    assert.throws(() => server.addPeriodicTask(() => {}, { delay: 0 }), RangeError);
    await server.start();
    try {
      assert.throws(() => server.addPeriodicTask(() => {}, { delay: 1 }), /already started/);
    } finally {
      await server.close();
    }
  });
});

// The server's UDP endpoint on real loopback sockets: when the replies of one turn of the event loop
// leave. Cheap replies wait for the others of their turn (one burst); a reply whose request took
// long leaves at once, so its peer does not wait for every other request of the turn.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, describe, test } from 'node:test';
import { UdpEndpoint } from '../../src/transport/udp.js';
import type { Remote } from '../../src/transport/remote.js';

/** Spins for `ms` milliseconds: a handler doing CPU work (TLS) without yielding. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // CPU work
  }
}

/** An endpoint whose handler runs `handle`, counting the datagrams it handed to the kernel. */
async function endpoint(handle: (data: Buffer, remote: Remote, sent: () => number) => void) {
  let sent = 0;
  const ep: UdpEndpoint = new UdpEndpoint('udp4', (data, remote) => handle(data, remote, () => sent));
  const send = ep.socket.send.bind(ep.socket) as (...args: unknown[]) => void;
  (ep.socket as unknown as { send: (...args: unknown[]) => void }).send = (...args: unknown[]) => {
    sent++;
    send(...args);
  };
  const port = await ep.bind('127.0.0.1', 0);
  return { ep, port };
}

/** Sends `payloads` back to back from one socket; resolves with the replies, in arrival order. */
async function burst(port: number, payloads: string[]): Promise<string[]> {
  const client = dgram.createSocket('udp4');
  const replies: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${replies.length} of ${payloads.length} replies`)),
        5000,
      );
      client.on('message', (m) => {
        replies.push(m.toString());
        if (replies.length === payloads.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      client.bind(0, '127.0.0.1', () => {
        for (const p of payloads) client.send(p, port, '127.0.0.1');
      });
    });
  } finally {
    client.close();
  }
  return replies;
}

describe('UdpEndpoint reply timing', () => {
  const endpoints: UdpEndpoint[] = [];
  after(async () => {
    for (const ep of endpoints) await ep.close();
  });

  /**
   * An endpoint that spends 3 ms on a request named 'slow' (CPU work) and answers the others at
   * once; `seen` gets, for each other request, how many replies had reached the kernel by then.
   */
  async function slowFirst(): Promise<{ seen: number[]; port: number }> {
    const seen: number[] = [];
    const { ep, port } = await endpoint((data, remote, sent) => {
      const name = data.toString();
      if (name === 'slow') busy(3);
      else seen.push(sent());
      ep.send(Buffer.from(`re:${name}`), remote);
    });
    endpoints.push(ep);
    return { seen, port };
  }

  test('the reply to a slow request leaves before the next request of the turn is handled', async () => {
    // Seen by the handler of each later request: how many replies had reached the kernel.
    const { seen, port } = await slowFirst();
    // The slow request takes 3 ms: the next ones are in the socket by then, read in the same turn.
    const replies = await burst(port, ['slow', 'next1', 'next2']);
    assert.deepEqual(replies, ['re:slow', 're:next1', 're:next2']);
    // Held to the end of the turn, the slow request's reply would not have left yet (0).
    assert.ok(seen[0] >= 1, `replies sent when the next request was handled: ${seen[0]}`);
  });

  test('cheap replies of one turn leave together at its end', async () => {
    // A burst of cheap requests after a slow one: the slow one's reply leaves at once, and the
    // cheap ones that follow wait for the end of the turn. Handling takes microseconds, but the
    // process may be descheduled between two (a busy machine): one burst of five must show it.
    let batched = false;
    for (let round = 0; round < 5 && !batched; round++) {
      const { seen, port } = await slowFirst();
      const names = ['slow', 'a', 'b', 'c', 'd'];
      const replies = await burst(port, names);
      assert.deepEqual(replies.sort(), names.map((n) => `re:${n}`).sort());
      // The slow one's reply left at once; 'a' to 'd' wait for the end of the turn (sent one by
      // one, 'd' would see 'b' and 'c' gone).
      batched = seen.length === 4 && seen[3] === seen[1];
    }
    assert.ok(batched, 'cheap replies were each sent at once');
  });
});

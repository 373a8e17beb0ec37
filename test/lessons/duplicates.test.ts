// Lesson "duplicates" under heavy accounting: one NAS source reuses every identifier several times
// within the duplicate window; the authenticator keeps the requests apart, so each is handled (and
// stored) once, and only true retransmissions are answered from the cache. Retransmissions during
// and after the handler, failed handlers and the key itself are in test/server/duplicates.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AbstractRadiusServer,
  AccountingRequest,
  type AttributesSet,
  decodeResponse,
} from '../../src/index.js';
import { UdpPeer } from './udp-peer.js';

const SECRET = 'duplicates-lesson-secret';

class AcctServer extends AbstractRadiusServer {
  readonly runs = new Map<string, number>();
  validateNas() {
    return SECRET;
  }
  override handleAccPacket(attrs: AttributesSet) {
    const key = `${attrs.get('Acct-Session-Id')}/${attrs.get('Acct-Status-Type')}`;
    this.runs.set(key, (this.runs.get(key) ?? 0) + 1);
    return [[], null] as const;
  }
}

describe('lesson: duplicates', { timeout: 60_000 }, () => {
  test('1,024 Accounting-Requests reusing each identifier 4 times are all handled once; resent, all answered from the cache', async () => {
    const server = new AcctServer('127.0.0.1', { accPort: 0, duplicateTtl: 60 });
    const port = (await server.start()).accPort as number;
    const peer = await UdpPeer.open();
    try {
      // Rounds of 256: identifiers 0..255 each round, so every identifier is reused with a new
      // authenticator while the earlier request is still remembered.
      const rounds = Array.from({ length: 4 }, (_, round) =>
        Array.from({ length: 256 }, (_, id) =>
          new AccountingRequest(SECRET, { identifier: id }).addAttributes(
            ['Acct-Status-Type', 'Interim-Update'],
            ['Acct-Session-Id', `session-${id}`],
            ['Acct-Session-Time', round * 60],
          ),
        ),
      );
      const sendRound = async (requests: AccountingRequest[]): Promise<Buffer[]> => {
        const bytes = requests.map((r) => r.encode());
        for (const b of bytes) peer.send(b, port);
        const replies: Buffer[] = new Array(256);
        for (let i = 0; i < 256; i++) {
          const got = await peer.next();
          assert.ok(got, `only ${i} of 256 answered`);
          const id = got.data[1];
          assert.equal(replies[id], undefined, `two replies for identifier ${id}`);
          // Verifies against this round's request: the Response Authenticator covers its authenticator.
          decodeResponse(SECRET, got.data, requests[id]);
          replies[id] = got.data;
        }
        return replies;
      };
      const first: Buffer[][] = [];
      for (const round of rounds) first.push(await sendRound(round));
      assert.equal(server.counters.accountingRequests, 1024);
      assert.equal(server.counters.duplicates, 0);
      assert.equal(server.runs.size, 256);
      assert.ok([...server.runs.values()].every((n) => n === 4));
      // Every request again, as retransmissions: the same reply bytes, no handler run.
      for (const [r, round] of rounds.entries()) {
        const again = await sendRound(round);
        for (let id = 0; id < 256; id++) assert.ok(again[id].equals(first[r][id]), `round ${r} id ${id}`);
      }
      assert.equal(server.counters.accountingRequests, 1024);
      assert.equal(server.counters.duplicates, 1024);
      assert.equal(server.counters.accountingResponses, 1024);
    } finally {
      peer.close();
      await server.close();
    }
  });
});

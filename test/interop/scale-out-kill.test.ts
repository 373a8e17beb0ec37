// An instance dies mid-load: two `serve` instances (PostgreSQL) behind nginx's round-robin UDP
// balancer, a NAS (RadiusClient with retries) sending accounting through it, one instance killed
// with SIGKILL. The NAS's retransmissions reach the survivor, and every Accounting-Request that was
// acknowledged is in the database: a reply is sent only after its COMMIT (RFC 2866 §2).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RadiusClient } from '../../src/client/radius-client.js';
import { AccountingRequest } from '../../src/protocol/packet.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { type ServeProcess, startServe, tempDir } from '../cli/serve-helpers.js';
import { type NginxPeer, nginxMissing, startNginxUdp } from '../helpers/nginx.js';
import { freePorts } from '../helpers/ports.js';
import { type PostgresPeer, postgresMissing, startPostgres } from '../helpers/postgres.js';

const SECRET = 'testing123';
const RECORDS = 3000;
const IN_FLIGHT = 64;

function configText(auth: number, acct: number, database: string): string {
  return `listen:
  host: 127.0.0.1
  auth: ${auth}
  acct: ${acct}
clients:
  - address: 127.0.0.0/8
    secret: ${SECRET}
log:
  level: debug
database: ${database}
`;
}

describe('SIGKILL of one of two instances behind the balancer, mid-load', {
  skip: postgresMissing() || nginxMissing(),
}, () => {
  let pg: PostgresPeer;
  let nginx: NginxPeer;
  let remove: () => Promise<void>;
  const serves: ServeProcess[] = [];

  before(async () => {
    pg = await startPostgres();
    const t = await tempDir('aioradius-kill-');
    remove = t.remove;
    const ports = await freePorts(4);
    const files = [0, 1].map((i) => path.join(t.dir, `serve${i}.yaml`));
    await Promise.all(files.map((f, i) => writeFile(f, configText(ports[2 * i], ports[2 * i + 1], pg.url))));
    // One process each: the SIGKILL takes the whole instance down at once.
    serves.push(...(await Promise.all(files.map((f) => startServe(f, 30_000, ['--workers', '1'])))));
    nginx = await startNginxUdp([[ports[1], ports[3]]]);
  });

  after(async () => {
    await Promise.all(serves.map((s) => s.stop('SIGTERM')));
    await nginx?.stop();
    await pg?.stop();
    await remove?.();
  });

  test('retries reach the other instance; every acknowledged record is in PostgreSQL', async () => {
    // nginx deals datagrams in turn, the dead instance's share included: a retransmission reaches
    // the survivor about every other time, so a loaded machine can need many of them in a row.
    const client = new RadiusClient({ timeout: 1, retries: 16, maxTimeout: 2, maxDuration: 60 });
    const acknowledged: string[] = [];
    const failed: string[] = [];
    const stored = (s: ServeProcess) => s.logs.filter((l) => l.msg === 'accounting stored').length;
    let next = 0;
    let killed = false;
    let chaos: Promise<void> | undefined;
    const victim = serves[0];
    // The database stalls (a lock holds every accounting INSERT back) while requests keep coming,
    // so the victim dies with batches it has received but not committed: none of those may have
    // been answered. Then the lock goes and the survivor commits what the NAS sends it again.
    const killMidCommit = async () => {
      const blocker = await PostgresStore.open(pg.url, { poolSize: 1 });
      const conn = await blocker.pool.connect();
      try {
        await conn.query('BEGIN');
        await conn.query('LOCK TABLE acct_records IN SHARE ROW EXCLUSIVE MODE');
        await new Promise((r) => setTimeout(r, 400));
        victim.child.kill('SIGKILL');
        killed = true;
        await victim.exited(10_000);
        await conn.query('COMMIT');
      } finally {
        conn.release();
        await blocker.close();
      }
    };
    // A NAS: IN_FLIGHT requests at a time, each retransmitted (same bytes) until answered.
    const lane = async () => {
      while (next < RECORDS) {
        const id = `kill-${next++}`;
        const request = new AccountingRequest(SECRET).addAttributes(
          ['Acct-Status-Type', 'Start'],
          ['Acct-Session-Id', id],
          ['User-Name', 'bob'],
          ['NAS-Identifier', 'nas-kill'],
        );
        try {
          await client.sendPacket(request, { remoteHost: '127.0.0.1', remotePort: nginx.ports[0] });
          acknowledged.push(id);
        } catch {
          failed.push(id);
        }
        // Mid-load: once a third is acknowledged and the victim has stored some of them.
        if (!chaos && acknowledged.length >= RECORDS / 3 && stored(victim) > 0) chaos = killMidCommit();
      }
    };
    try {
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
      await chaos;
    } finally {
      client.close();
    }
    assert.ok(killed, 'the instance was killed mid-load');
    assert.equal(await victim.exited(10_000), 128 + 9, 'killed by SIGKILL');
    const survivorBefore = stored(serves[1]);
    assert.ok(survivorBefore > 0, 'the survivor stored records');
    // The requests in flight at the victim when it died were retransmitted and answered elsewhere.
    assert.ok(client.statistics.retransmissions > 0, 'the NAS retransmitted');
    assert.deepEqual(failed, [], 'every request was answered in the end (by the survivor)');
    assert.equal(acknowledged.length, RECORDS);

    const store = await PostgresStore.open(pg.url, { poolSize: 1 });
    try {
      const { rows } = await store.pool.query<{ session_id: string }>(
        "SELECT session_id FROM acct_records WHERE session_id LIKE 'kill-%'",
      );
      const inDb = new Set(rows.map((r) => r.session_id));
      const lost = acknowledged.filter((id) => !inDb.has(id));
      assert.deepEqual(lost, [], 'acknowledged but not in PostgreSQL');
      // A retransmission of a record the victim committed but did not answer is stored once.
      assert.equal(rows.length, inDb.size, 'each record stored once');
    } finally {
      await store.close();
    }
  });
});

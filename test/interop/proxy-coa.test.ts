// CoA/Disconnect proxying in `serve` (RFC 5176 §3.1): radclient plays the home server acting as
// DAS, FreeRADIUS's coa listener plays the NAS; serve forwards to the NAS named in the request
// (or that reported the session in accounting) and relays its ACK or NAK.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ServeProcess, startServe, tempDir } from '../cli/serve-helpers.js';
import { type FreeradiusPeer, radclient, skipUnless, startFreeradius } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';

const NAS_SECRET = 'coa-nas-s3cret';
const HOME_SECRET = 'coa-home-s3cret';

describe('radclient (DAS) → serve (proxy) → FreeRADIUS (NAS) CoA/Disconnect', {
  skip: skipUnless('freeradius', 'radclient'),
}, () => {
  let nas: FreeradiusPeer | undefined;
  let serve: ServeProcess | undefined;
  let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
  let coa: number;
  let acct: number;
  let metricsPort: number;

  before(async () => {
    const ports = await freePorts(8);
    nas = await startFreeradius({
      secret: NAS_SECRET,
      authPort: ports[0],
      acctPort: ports[1],
      coaPort: ports[2],
      // The NAS has no session of bob: NAK (FreeRADIUS answers a rejected recv-coa with a NAK).
      extraCoa: '\t\tif (&User-Name == "bob") {\n\t\t\treject\n\t\t}',
    });
    tmp = await tempDir('aioradius-proxy-coa-');
    const config = path.join(tmp.dir, 'serve.yaml');
    [, , , , , acct, coa, metricsPort] = ports;
    await writeFile(
      config,
      `listen:\n  host: 127.0.0.1\n  auth: ${ports[4]}\n  acct: ${acct}\n  coa: ${coa}\n` +
        `clients:\n  - address: 127.0.0.1\n    name: nas-one\n    secret: ${NAS_SECRET}\n    coaPort: ${ports[2]}\n` +
        `database: ./acct.db\nmetrics:\n  host: 127.0.0.1\n  port: ${metricsPort}\n` +
        'proxy:\n  timeout: 0.5\n  retries: 0\n  probeInterval: 0.2\n  homeServers:\n' +
        `    - { name: home, host: 127.0.0.1, auth: ${ports[3]}, acct: ${ports[3]}, secret: ${HOME_SECRET} }\n` +
        '  pools:\n    - { name: p, servers: [home] }\n' +
        '  realms:\n    - { name: example.com, pool: p }\n',
    );
    serve = await startServe(config);
  });
  after(async () => {
    await serve?.stop('SIGTERM');
    await nas?.stop();
    await tmp?.remove();
  });

  const das = (type: 'coa' | 'disconnect', input: string) =>
    radclient({ host: '127.0.0.1', port: coa, type, secret: HOME_SECRET, input });

  test('CoA-Request for a session on the NAS: CoA-ACK from FreeRADIUS, through serve', async () => {
    const r = await das('coa', 'NAS-IP-Address = 127.0.0.1, User-Name = "alice", Filter-Id = "gold"');
    assert.equal(r.replies[0]?.code, 'CoA-ACK', `${r.stdout}${r.stderr}\n${serve?.stderr()}\n${nas?.log()}`);
  });

  test('Disconnect-Request the NAS refuses: its Disconnect-NAK comes back', async () => {
    const ok = await das('disconnect', 'NAS-Identifier = "nas-one", User-Name = "alice"');
    assert.equal(ok.replies[0]?.code, 'Disconnect-ACK', ok.stdout + ok.stderr);
    const r = await das('disconnect', 'NAS-IP-Address = 127.0.0.1, User-Name = "bob"');
    assert.equal(r.replies[0]?.code, 'Disconnect-NAK', r.stdout + r.stderr);
  });

  test('no NAS for the request: CoA-NAK with Error-Cause 502 (RFC 5176 §3.6)', async () => {
    const r = await das('coa', 'NAS-IP-Address = 10.20.30.40, User-Name = "alice"');
    assert.equal(r.replies[0]?.code, 'CoA-NAK', r.stdout + r.stderr);
    const cause = r.replies[0].attributes.find(([k]) => k === 'Error-Cause')?.[1];
    assert.match(cause ?? '', /Request-Not-Routable|502/);
  });

  test('a session seen in proxied accounting: found by Acct-Session-Id alone', async () => {
    const a = await radclient({
      host: '127.0.0.1',
      port: acct,
      type: 'acct',
      secret: NAS_SECRET,
      input: 'User-Name = "carol@example.com", Acct-Status-Type = Start, Acct-Session-Id = "coa-sess-7"',
    });
    assert.equal(a.replies[0]?.code, 'Accounting-Response', a.stdout + a.stderr);
    const r = await das('disconnect', 'Acct-Session-Id = "coa-sess-7", User-Name = "carol"');
    assert.equal(r.replies[0]?.code, 'Disconnect-ACK', r.stdout + r.stderr);
    const unknown = await das('disconnect', 'Acct-Session-Id = "never-seen", User-Name = "carol"');
    assert.equal(unknown.replies[0]?.code, 'Disconnect-NAK', unknown.stdout + unknown.stderr);
  });

  test("metrics: each home server port's state; the accounting port that never answers is out", async () => {
    // The accounting of the test above is forwarded from the queue to a port where nothing listens.
    const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    let text = await scrape();
    for (let i = 0; i < 100 && !/kind="acct",state="alive"} 0/.test(text); i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = await scrape();
    }
    assert.match(text, /radius_proxy_home_server_state\{server="home",kind="auth",state="alive"\} 1/);
    assert.match(text, /radius_proxy_home_server_state\{server="home",kind="acct",state="alive"\} 0/);
    assert.match(text, /radius_proxy_home_server_state\{server="home",kind="acct",state="zombie"\} 1/);
    assert.match(text, /radius_proxy_home_server_in_flight\{server="home"\} \d+/);
    assert.match(text, /radius_proxy_home_server_invalid_replies_total\{server="home",kind="auth"\} 0/);
  });
});

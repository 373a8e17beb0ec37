// eapol_test PEAP/MSCHAPv2 → our proxy → FreeRADIUS: every EAP round reaches the same home
// server, and eapol_test's "MPPE keys OK" proves the MS-MPPE keys were hidden again with the
// proxy-to-NAS secret and the NAS's Request Authenticator (RFC 2548 §2.4).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { createRadiusServer, RadiusProxy } from '../../src/index.js';
import { tempDir } from '../cli/serve-helpers.js';
import { findBinary, runCommand, skipUnless, startFreeradius } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';

const NAS_SECRET = 'eap-nas-s3cret';
const HOME_SECRET = 'eap-home-s3cret';

test('eapol_test PEAP/MSCHAPv2 through the proxy to FreeRADIUS: SUCCESS and MPPE keys OK', {
  skip: skipUnless('freeradius', 'eapol_test'),
}, async () => {
  const [a1, a2, b1, b2, proxyPort] = await freePorts(5);
  // Two home servers behind round-robin: without the State pin the rounds would alternate.
  const homes = await Promise.all([
    startFreeradius({
      secret: HOME_SECRET,
      authPort: a1,
      acctPort: a2,
      users: [{ name: 'alice', password: 'alicepw' }],
    }),
    startFreeradius({
      secret: HOME_SECRET,
      authPort: b1,
      acctPort: b2,
      users: [{ name: 'alice', password: 'alicepw' }],
    }),
  ]);
  const proxy = new RadiusProxy({
    homeServers: [
      { name: 'a', host: '127.0.0.1', auth: a1, secret: HOME_SECRET },
      { name: 'b', host: '127.0.0.1', auth: b1, secret: HOME_SECRET },
    ],
    pools: [{ name: 'p', servers: ['a', 'b'], balance: 'round-robin' }],
    realms: [{ name: 'NULL', pool: 'p' }],
  });
  const server = createRadiusServer(
    '127.0.0.1',
    { secret: NAS_SECRET, auth: (attributes, context) => proxy.handleAuth(attributes, context) },
    { authPort: proxyPort },
  );
  await server.start();
  const tmp = await tempDir('aioradius-proxy-eap-');
  try {
    const conf = path.join(tmp.dir, 'peap.conf');
    await writeFile(
      conf,
      'network={\n  key_mgmt=WPA-EAP\n  eap=PEAP\n  identity="alice"\n  password="alicepw"\n' +
        '  phase1="peapver=0"\n  phase2="auth=MSCHAPV2"\n}\n',
    );
    for (let run = 0; run < 3; run++) {
      const r = await runCommand(
        findBinary('eapol_test') ?? 'eapol_test',
        ['-c', conf, '-a', '127.0.0.1', '-p', String(proxyPort), '-s', NAS_SECRET, '-t', '10'],
        { timeoutMs: 20_000 },
      );
      const out = r.stdout;
      assert.match(out, /MPPE keys OK: 1 {2}mismatch: 0/, out.slice(-2000));
      assert.equal(out.trim().split('\n').at(-1), 'SUCCESS');
    }
    // A round sent to the other home server goes unanswered there: it would show as a timeout
    // and a server marked dead, even when failover saves the conversation.
    assert.equal(proxy.client.statistics.timeouts, 0);
    assert.equal(proxy.client.statistics.failovers, 0);
    assert.deepEqual(
      proxy
        .status()
        .filter((s) => s.kind === 'auth')
        .map((s) => s.alive),
      [true, true],
    );
  } finally {
    await proxy.close();
    await server.close();
    await Promise.all(homes.map((h) => h.stop()));
    await tmp.remove();
  }
});

// FreeRADIUS 3.2 as the proxy in front of `serve`: radtest/radclient → FreeRADIUS (realm
// example.com, stripped by its suffix module) → serve as the home server. serve's reply attributes
// reach the NAS, a wrong password is rejected, accounting is stored by serve.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ServeProcess, startServe, tempDir } from '../cli/serve-helpers.js';
import { type FreeradiusPeer, radclient, radtest, skipUnless, startFreeradius } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';

const NAS_SECRET = 'front-nas-s3cret';
const HOP_SECRET = 'front-hop-s3cret';

describe('radtest → FreeRADIUS (proxy) → serve (home server)', {
  skip: skipUnless('freeradius', 'radtest', 'radclient'),
}, () => {
  let fr: FreeradiusPeer | undefined;
  let serve: ServeProcess | undefined;
  let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;

  before(async () => {
    const [auth, acct, frAuth, frAcct] = await freePorts(4);
    tmp = await tempDir('aioradius-fr-front-');
    const config = path.join(tmp.dir, 'serve.yaml');
    await writeFile(
      config,
      `listen:\n  host: 127.0.0.1\n  auth: ${auth}\n  acct: ${acct}\n` +
        `clients:\n  - address: 127.0.0.1\n    name: freeradius\n    secret: ${HOP_SECRET}\n` +
        'users:\n  - name: alice\n    password: alicepw\n    reply:\n' +
        '      Reply-Message: served by aioradius\n      Framed-IP-Address: 10.1.2.3\n' +
        'database: ./acct.db\nlog:\n  level: debug\n',
    );
    serve = await startServe(config);
    fr = await startFreeradius({
      secret: NAS_SECRET,
      authPort: frAuth,
      acctPort: frAcct,
      proxyConf: `proxy server {
	default_fallback = no
}
home_server aioradius_auth {
	type = auth
	ipaddr = 127.0.0.1
	port = ${auth}
	secret = ${HOP_SECRET}
	status_check = none
}
home_server aioradius_acct {
	type = acct
	ipaddr = 127.0.0.1
	port = ${acct}
	secret = ${HOP_SECRET}
	status_check = none
}
home_server_pool aioradius_auth_pool {
	type = fail-over
	home_server = aioradius_auth
}
home_server_pool aioradius_acct_pool {
	type = fail-over
	home_server = aioradius_acct
}
realm example.com {
	auth_pool = aioradius_auth_pool
	acct_pool = aioradius_acct_pool
}
`,
    });
  });
  after(async () => {
    await fr?.stop();
    await serve?.stop('SIGTERM');
    await tmp?.remove();
  });

  test("Access-Accept with serve's reply attributes, realm stripped by FreeRADIUS; Access-Reject for a wrong password", async () => {
    const ask = (password: string) =>
      radtest({
        user: 'alice@example.com',
        password,
        host: '127.0.0.1',
        port: fr?.authPort as number,
        secret: NAS_SECRET,
      });
    const r = await ask('alicepw');
    assert.equal(r.replyCode, 'Access-Accept', `${r.stdout}${r.stderr}\n${fr?.log()}\n${serve?.stderr()}`);
    assert.equal(r.attributes.find(([n]) => n === 'Reply-Message')?.[1], 'served by aioradius');
    assert.equal(r.attributes.find(([n]) => n === 'Framed-IP-Address')?.[1], '10.1.2.3');
    const wrong = await ask('nope');
    assert.equal(wrong.replyCode, 'Access-Reject', wrong.stdout + wrong.stderr);
  });

  test('accounting through FreeRADIUS is stored by serve', async () => {
    const from = serve?.logs.length ?? 0;
    const r = await radclient({
      host: '127.0.0.1',
      port: fr?.acctPort as number,
      type: 'acct',
      secret: NAS_SECRET,
      input: 'User-Name = "alice@example.com", Acct-Status-Type = Start, Acct-Session-Id = "fr-front-1"',
    });
    assert.equal(r.replies[0]?.code, 'Accounting-Response', `${r.stdout}${r.stderr}\n${fr?.log()}`);
    const stored = await serve?.waitForLog(
      (l) => l.msg === 'accounting stored' && l.session === 'fr-front-1',
      10_000,
      from,
    );
    assert.equal(stored?.user, 'alice');
  });
});

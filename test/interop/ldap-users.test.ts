// The LDAP user back end against a real OpenLDAP slapd: users found by a search, PAP checked by a
// bind as the user, reply attributes mapped from the entry, and the failure cases that matter.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AccessRequest } from '../../src/index.js';
import { LdapUsers } from '../../src/users/ldap-users.js';
import { UserSourceError } from '../../src/users/user-source.js';
import { runServe, type ServeProcess, startServe, tempDir } from '../cli/serve-helpers.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import { eapolTest, tailOf } from '../helpers/eapol.js';
import { radtest, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import {
  LDAP_ADMIN_DN,
  LDAP_ADMIN_PASSWORD,
  LDAP_PEOPLE,
  type SlapdPeer,
  slapdMissing,
  startSlapd,
} from '../helpers/slapd.js';

const SECRET = 'testing123';

describe('LDAP users against slapd', { skip: slapdMissing() || skipUnless('radtest') }, () => {
  let slapd: SlapdPeer;
  let dir: string;
  let remove: () => Promise<void>;
  let serve: ServeProcess;
  let auth: number;
  let eapCa: CertFiles;

  let lastLog: Record<string, unknown> | undefined;
  /** radtest, then the server's log line about it (the pipe may deliver it after radtest exits). */
  const login = async (user: string, password: string, method: 'pap' | 'chap' = 'pap') => {
    const mark = serve.logs.length;
    const r = await radtest({ user, password, host: '127.0.0.1', port: auth, secret: SECRET, method });
    lastLog = await serve.waitForLog(
      (l) => (l.msg === 'Access-Reject' || l.msg === 'Access-Accept') && l.user === user,
      5000,
      mark,
    );
    return r;
  };
  const lastReject = (user: string) => {
    assert.equal(lastLog?.user, user);
    assert.equal(lastLog?.msg, 'Access-Reject');
    return lastLog;
  };

  before(async () => {
    const ssha = spawnSync('slappasswd', ['-s', 'lenapw'], { encoding: 'utf8' }).stdout.trim();
    slapd = await startSlapd([
      { uid: 'lena', userPassword: ssha, description: 'Hello from LDAP' },
      { uid: 'otto', userPassword: 'ottopw' },
    ]);
    ({ dir, remove } = await tempDir('aioradius-ldap-'));
    // EAP too: the plain-text methods inside a TLS tunnel (TTLS/PAP, PEAP/GTC) reach the LDAP bind.
    eapCa = makeCa(dir, 'ca');
    makeCert(dir, eapCa, 'server');
    let acct: number;
    [auth, acct] = await freePorts(2);
    const config = path.join(dir, 'aioradius.yaml');
    await writeFile(
      config,
      `listen: { host: 127.0.0.1, auth: ${auth}, acct: ${acct} }
clients:
  - { address: 127.0.0.1, secret: ${SECRET} }
ldap:
  url: ${slapd.url}
  baseDn: ${LDAP_PEOPLE}
  filter: (uid={user})
  bindDn: ${LDAP_ADMIN_DN}
  bindPassword: { env: AIORADIUS_TEST_LDAP_BIND_PW }
  timeout: 3
  reply:
    description: Reply-Message
users:
  - name: hashy
    passwordHash: ${spawnSync('openssl', ['passwd', '-6', 'hashypw'], { encoding: 'utf8' }).stdout.trim()}
eap:
  certificate: server.pem
  privateKey: server.key
  methods: [ttls, peap]
database: ./radius.db
`,
    );
    // The bind password comes from the environment, as a client secret may.
    process.env.AIORADIUS_TEST_LDAP_BIND_PW = LDAP_ADMIN_PASSWORD;
    serve = await startServe(config);
  });

  after(async () => {
    delete process.env.AIORADIUS_TEST_LDAP_BIND_PW;
    await serve?.stop('SIGKILL');
    await slapd?.stop();
    await remove?.();
  });

  test('PAP: a bind as the user decides ({SSHA} and cleartext userPassword); reply attributes from the entry', async () => {
    const lena = await login('lena', 'lenapw');
    assert.equal(lena.replyCode, 'Access-Accept', lena.stdout);
    assert.ok(
      lena.attributes.some(([k, v]) => k === 'Reply-Message' && v === 'Hello from LDAP'),
      lena.stdout,
    );
    assert.equal((await login('otto', 'ottopw')).replyCode, 'Access-Accept');
    assert.equal((await login('lena', 'ottopw')).replyCode, 'Access-Reject');
    assert.equal(lastReject('lena')?.reason, 'wrong password');
    assert.equal(lastReject('lena')?.source, 'ldap');
  });

  test('unknown users and filter metacharacters find nobody', async () => {
    assert.equal((await login('nobody', 'x')).replyCode, 'Access-Reject');
    assert.equal(lastReject('nobody')?.reason, 'unknown user');
    // Unescaped, "*" would match every entry (and "le*" lena).
    for (const name of ['*', 'le*', 'lena)(uid=*']) {
      assert.equal((await login(name, 'lenapw')).replyCode, 'Access-Reject', name);
      assert.equal(lastReject(name)?.reason, 'unknown user', name);
    }
  });

  test('CHAP cannot be checked by a bind: rejected with that reason', async () => {
    assert.equal((await login('lena', 'lenapw', 'chap')).replyCode, 'Access-Reject');
    assert.match(String(lastReject('lena')?.reason), /checks the password itself: only PAP carries it/);
  });

  test('a wrong bindPassword says so: the service bind failed with invalid credentials, not " Code: 0x31"', async () => {
    const users = new LdapUsers({
      url: slapd.url,
      baseDn: LDAP_PEOPLE,
      bindDn: LDAP_ADMIN_DN,
      bindPassword: 'not-the-admin-password',
    });
    try {
      await assert.rejects(users.find('lena', new AccessRequest(SECRET)), (err: unknown) => {
        assert.ok(err instanceof UserSourceError, String(err));
        assert.match(
          err.message,
          /binding as cn=.* failed: InvalidCredentials, LDAP result 49 \(check ldap\.bindPassword\)/,
        );
        assert.ok(!err.message.includes('not-the-admin-password'));
        return true;
      });
    } finally {
      await users.close();
    }
  });

  test('an empty password is never an (unauthenticated) bind that succeeds', async () => {
    const users = new LdapUsers({ url: slapd.url, baseDn: LDAP_PEOPLE });
    try {
      const found = await users.find('lena', new AccessRequest(SECRET));
      assert.ok(found?.verifyPassword);
      assert.equal(await found.verifyPassword(''), 'empty password');
      assert.equal(await found.verifyPassword('lenapX'), 'wrong password');
      assert.equal(await found.verifyPassword('lenapw'), undefined);
    } finally {
      await users.close();
    }
  });

  test('slapd down: rejected as "user back end unavailable" with a warning; back up: accepted again', async () => {
    await slapd.stop({ keep: true });
    try {
      const mark = serve.logs.length;
      assert.equal((await login('lena', 'lenapw')).replyCode, 'Access-Reject');
      assert.equal(lastReject('lena')?.reason, 'user back end unavailable');
      assert.ok(serve.logs.slice(mark).some((l) => l.msg === 'user lookup failed' && l.level === 40));
    } finally {
      await slapd.start();
    }
    assert.equal((await login('lena', 'lenapw')).replyCode, 'Access-Accept');
  });

  test('no password of a user or of the bind account in the logs', () => {
    const all = JSON.stringify(serve.logs);
    for (const s of ['lenapw', 'ottopw', LDAP_ADMIN_PASSWORD]) assert.ok(!all.includes(s), s);
  });

  test('EAP-TTLS/PAP and PEAP/GTC: the tunnelled password checked by the LDAP bind, or a stored hash', {
    skip: skipUnless('eapol_test'),
  }, async () => {
    const tunnel = (eap: string, identity: string, password: string) => ({
      eap,
      identity,
      anonymous_identity: 'anonymous',
      password,
      ca_cert: eapCa.cert,
      ...(eap === 'TTLS' ? { phase2: 'auth=PAP' } : { phase1: 'peapver=0', phase2: 'auth=GTC' }),
    });
    for (const eap of ['TTLS', 'PEAP']) {
      const ok = await eapolTest(tunnel(eap, 'lena', 'lenapw'), auth, SECRET);
      assert.ok(ok.success, `${eap} lena\n${tailOf(ok)}`);
      const bad = await eapolTest(tunnel(eap, 'lena', 'wrong'), auth, SECRET);
      assert.equal(bad.success, false, `${eap} lena with a wrong password`);
      // A config user keeping only a SHA-512 crypt hash: PAP inside the tunnel checks it.
      const hashed = await eapolTest(tunnel(eap, 'hashy', 'hashypw'), auth, SECRET);
      assert.ok(hashed.success, `${eap} hashy\n${tailOf(hashed)}`);
    }
  });
});

describe('LDAP config errors', () => {
  test('a bad url, a filter without {user}, an unknown reply attribute: file, field and reason', async () => {
    const { dir, remove } = await tempDir('aioradius-ldap-cfg-');
    try {
      const cases: Array<[string, RegExp]> = [
        ['url: http://x\n  baseDn: dc=x', /ldap\.url.*ldap:\/\/HOST/],
        ['url: ldap://127.0.0.1:1\n  baseDn: dc=x\n  filter: uid=x', /ldap\.filter.*\{user\}/],
        [
          'url: ldap://127.0.0.1:1\n  baseDn: dc=x\n  reply: { description: Reply-Mesage }',
          /ldap\.reply\.description.*unknown attribute/,
        ],
        ['url: ldap://127.0.0.1:1', /ldap\.baseDn.*is required/],
        [
          'url: ldap://127.0.0.1:1\n  baseDn: dc=x\n  bindPassword: s3cret',
          /ldap\.bindDn.*is required with bindPassword/,
        ],
      ];
      for (const [section, want] of cases) {
        const file = path.join(dir, 'c.yaml');
        await writeFile(file, `clients:\n  - { address: 127.0.0.1, secret: s }\nldap:\n  ${section}\n`);
        const r = await runServe(['--config', file]);
        assert.equal(r.code, 2, section);
        assert.match(r.stderr, want);
        assert.match(r.stderr, /c\.yaml/);
        assert.ok(!r.stderr.includes('s3cret'));
      }
    } finally {
      await remove();
    }
  });
});

describe('LDAP over TLS against slapd', { skip: slapdMissing() || skipUnless('radtest') }, () => {
  let slapd: SlapdPeer;
  let dir: string;
  let remove: () => Promise<void>;
  let ca: CertFiles;
  let otherCa: CertFiles;

  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-ldaps-'));
    ca = makeCa(dir, 'ldap-ca');
    otherCa = makeCa(dir, 'other-ca');
    const cert = makeCert(dir, ca, 'ldap-server');
    slapd = await startSlapd([{ uid: 'tess', userPassword: 'tesspw' }], { cert: cert.cert, key: cert.key });
  });

  after(async () => {
    await slapd?.stop();
    await remove?.();
  });

  test('ldaps:// and StartTLS with the directory CA: found and checked; with another CA: unavailable', async () => {
    const ok = [
      new LdapUsers({ url: slapd.ldapsUrl as string, baseDn: LDAP_PEOPLE, tls: { ca: ca.certPem } }),
      new LdapUsers({ url: slapd.url, baseDn: LDAP_PEOPLE, startTls: true, tls: { ca: ca.certPem } }),
    ];
    for (const users of ok) {
      try {
        const found = await users.find('tess', new AccessRequest(SECRET));
        assert.ok(found?.verifyPassword);
        assert.equal(await found.verifyPassword('tesspw'), undefined);
        assert.equal(await found.verifyPassword('tesspX'), 'wrong password');
      } finally {
        await users.close();
      }
    }
    for (const users of [
      new LdapUsers({
        url: slapd.ldapsUrl as string,
        baseDn: LDAP_PEOPLE,
        tls: { ca: otherCa.certPem },
        timeout: 3,
      }),
      new LdapUsers({
        url: slapd.url,
        baseDn: LDAP_PEOPLE,
        startTls: true,
        tls: { ca: otherCa.certPem },
        timeout: 3,
      }),
    ]) {
      try {
        await assert.rejects(users.find('tess', new AccessRequest(SECRET)), (err: Error) => {
          assert.equal(err.name, 'UserSourceError');
          assert.equal((err as Error & { code?: string }).code, 'ERR_RADIUS_USER_SOURCE');
          assert.match(err.message, /certificate|self.signed|verify/i);
          return true;
        });
      } finally {
        await users.close();
      }
    }
  });

  test('serve with ldap.ca read from a file next to the config: radtest PAP over ldaps', async () => {
    const [auth, acct] = await freePorts(2);
    const config = path.join(dir, 'aioradius.yaml');
    await writeFile(
      config,
      `listen: { host: 127.0.0.1, auth: ${auth}, acct: ${acct} }
clients:
  - { address: 127.0.0.1, secret: ${SECRET} }
ldap:
  url: ${slapd.ldapsUrl}
  baseDn: ${LDAP_PEOPLE}
  ca: ldap-ca.pem
database: ./radius.db
`,
    );
    const serve = await startServe(config);
    try {
      const login = (password: string) =>
        radtest({ user: 'tess', password, host: '127.0.0.1', port: auth, secret: SECRET });
      assert.equal((await login('tesspw')).replyCode, 'Access-Accept');
      assert.equal((await login('nope')).replyCode, 'Access-Reject');
    } finally {
      await serve.stop('SIGKILL');
    }
  });
});

// 802.1X with `aioradius serve` in two commands: `aioradius certs DIR` makes a CA, certificates,
// a config with an eap section and eapol_test configs; `serve` then answers eapol_test's PEAP,
// TTLS and EAP-TLS with the users of its config and of its database. The eap section is validated
// with file, field and line like the rest of the config.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { parseConfig } from '../../src/cli/config.js';
import { eapolTest, readEapolNetwork, tailOf } from '../helpers/eapol.js';
import { runCommand, skipUnless } from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';
import { runUser, type ServeProcess, startServe, tempDir } from './serve-helpers.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

describe('aioradius certs + serve with an eap section, driven by eapol_test', {
  skip: skipUnless('eapol_test'),
}, () => {
  let tmp: { dir: string; remove(): Promise<void> };
  let serve: ServeProcess | undefined;
  let auth = 0;

  before(async () => {
    tmp = await tempDir('aioradius-serve-eap-');
    const [a, b] = await freePorts(2);
    auth = a;
    const made = await runCommand(process.execPath, [MAIN, 'certs', tmp.dir, '--auth', String(auth)], {
      timeoutMs: 60_000,
    });
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /aioradius serve --config/);
    const config = path.join(tmp.dir, 'aioradius.yaml');
    // A free accounting port of our own, and a user added to the database the way an operator would.
    // Users with reply and check attributes: they apply to the identity EAP authenticated.
    const users = [
      'users:',
      '  - name: alice',
      '    password: alicepw',
      '    reply:',
      '      Reply-Message: Hello alice',
      '  - name: erin',
      '    password: erinpw',
      '    check:',
      '      NAS-IP-Address: 10.9.9.9',
      // The CN of the client certificate `certs` made.
      '  - name: client',
      '    password: clientpw',
      '    reply:',
      '      Reply-Message: Hello client',
    ].join('\n');
    const text = readFileSync(config, 'utf8').replace(/acct: \d+/, `acct: ${b}`);
    writeFileSync(config, text.replace(/users:\n {2}- name: alice\n {4}password: alicepw/, users));
    const added = await runUser([
      'add',
      'dave',
      '--password',
      'davepw',
      // PEAP's inner MSCHAPv2 needs the NT hash stored beside the salted hash.
      '--mschap',
      '--create',
      '--db',
      path.join(tmp.dir, 'aioradius.db'),
    ]);
    assert.equal(added.code, 0, added.stderr);
    serve = await startServe(config);
  });
  after(async () => {
    await serve?.stop();
    await tmp?.remove();
  });

  test('the PEAP, TTLS and TLS configs it wrote: SUCCESS with MPPE keys OK: 1 mismatch: 0', async () => {
    for (const name of ['peap.conf', 'ttls.conf', 'tls.conf']) {
      const network = readEapolNetwork(path.join(tmp.dir, name));
      const r = await eapolTest(network, auth, 'testing123');
      assert.ok(r.success, `${name}\n${tailOf(r)}`);
      assert.equal(r.mppeOk, 1, name);
      assert.equal(r.mppeMismatch, 0);
    }
    const line = await serve?.waitForLog('Access-Accept', 5000);
    assert.equal(line?.method, 'eap');
  });

  test('the ready line names the EAP methods and the TLS threads (none by default: resumed logins are faster without)', async () => {
    const ready = await serve?.waitForLog('aioradius ready', 5000);
    const eap = ready?.eap as { methods: string[]; tlsWorkers: number } | undefined;
    assert.equal(eap?.tlsWorkers, 0);
    assert.ok(eap?.methods.includes('peap'), JSON.stringify(eap));
  });

  test('every method against serve: SUCCESS, with MPPE keys OK: 1 mismatch: 0 where keys exist', async () => {
    const ca = path.join(tmp.dir, 'ca.pem');
    // Outside a tunnel the Identity Response is the one checked: no anonymous outer identity there.
    const plain = { identity: 'alice', password: 'alicepw' };
    const password = { ...plain, anonymous_identity: 'anonymous', ca_cert: ca };
    const tls = (v13: boolean) => ({
      eap: 'TLS',
      identity: 'client',
      ca_cert: ca,
      client_cert: path.join(tmp.dir, 'client.pem'),
      private_key: path.join(tmp.dir, 'client.key'),
      phase1: `tls_disable_tlsv1_3=${v13 ? 0 : 1}`,
    });
    const cases: Array<[string, Record<string, string>, boolean]> = [
      ['EAP-MD5', { ...plain, eap: 'MD5' }, false],
      ['EAP-GTC', { ...plain, eap: 'GTC' }, false],
      ['EAP-MSCHAPv2', { ...plain, eap: 'MSCHAPV2' }, true],
      ['PEAP/MSCHAPv2', { ...password, eap: 'PEAP', phase1: 'peapver=0', phase2: 'auth=MSCHAPV2' }, true],
      ['PEAP/GTC', { ...password, eap: 'PEAP', phase1: 'peapver=0', phase2: 'auth=GTC' }, true],
      ['TTLS/PAP', { ...password, eap: 'TTLS', phase2: 'auth=PAP' }, true],
      ['TTLS/CHAP', { ...password, eap: 'TTLS', phase2: 'auth=CHAP' }, true],
      ['TTLS/MS-CHAPv2', { ...password, eap: 'TTLS', phase2: 'auth=MSCHAPV2' }, true],
      ['TTLS/EAP-MSCHAPv2', { ...password, eap: 'TTLS', phase2: 'autheap=MSCHAPV2' }, true],
      ['EAP-TLS 1.2', tls(false), true],
      ['EAP-TLS 1.3', tls(true), true],
    ];
    for (const [name, network, keys] of cases) {
      const r = await eapolTest(network, auth, 'testing123', { keys });
      assert.ok(r.success, `${name}\n${tailOf(r)}`);
      if (keys) {
        assert.equal(r.mppeOk, 1, name);
        assert.equal(r.mppeMismatch, 0, name);
      }
    }
  });

  test('an unknown user is logged as "unknown user" by every method, at the default level; a wrong password as one', async () => {
    const ca = path.join(tmp.dir, 'ca.pem');
    const plain = { identity: 'nobody', password: 'x' };
    const tunnel = { ...plain, anonymous_identity: 'anonymous', ca_cert: ca };
    const cases: Array<[string, Record<string, string>]> = [
      ['EAP-MD5', { ...plain, eap: 'MD5' }],
      ['EAP-GTC', { ...plain, eap: 'GTC' }],
      ['EAP-MSCHAPv2', { ...plain, eap: 'MSCHAPV2' }],
      ['PEAP/MSCHAPv2', { ...tunnel, eap: 'PEAP', phase1: 'peapver=0', phase2: 'auth=MSCHAPV2' }],
      ['PEAP/GTC', { ...tunnel, eap: 'PEAP', phase1: 'peapver=0', phase2: 'auth=GTC' }],
      ['TTLS/PAP', { ...tunnel, eap: 'TTLS', phase2: 'auth=PAP' }],
      ['TTLS/CHAP', { ...tunnel, eap: 'TTLS', phase2: 'auth=CHAP' }],
      ['TTLS/MS-CHAP', { ...tunnel, eap: 'TTLS', phase2: 'auth=MSCHAP' }],
      ['TTLS/MS-CHAPv2', { ...tunnel, eap: 'TTLS', phase2: 'auth=MSCHAPV2' }],
      ['TTLS/EAP-MSCHAPv2', { ...tunnel, eap: 'TTLS', phase2: 'autheap=MSCHAPV2' }],
      ['TTLS/EAP-MD5', { ...tunnel, eap: 'TTLS', phase2: 'autheap=MD5' }],
    ];
    const failure = async (network: Record<string, string>) => {
      const from = serve?.logs.length ?? 0;
      const r = await eapolTest(network, auth, 'testing123', { keys: false });
      assert.match(r.stdout, /code=3 \(Access-Reject\)/, tailOf(r));
      assert.match(r.stdout, /EAP: Received EAP-Failure/);
      return serve?.waitForLog('EAP: authentication failed', 5000, from);
    };
    for (const [name, network] of cases) {
      const line = await failure(network);
      assert.equal(line?.reason, 'unknown user', name);
      assert.equal(line?.level, 30, name);
    }
    for (const [name, network] of cases.filter(([n]) => /MSCHAPv2|MD5/.test(n))) {
      const line = await failure({ ...network, identity: 'alice' });
      assert.equal(line?.reason, 'wrong password', name);
    }
  });

  test("a user's reply attributes reach the Accept; a failed check turns EAP success into Reject", async () => {
    const ca = path.join(tmp.dir, 'ca.pem');
    const peap = {
      eap: 'PEAP',
      phase1: 'peapver=0',
      phase2: 'auth=MSCHAPV2',
      ca_cert: ca,
      anonymous_identity: 'anon',
    };
    const ok = await eapolTest({ ...peap, identity: 'alice', password: 'alicepw' }, auth, 'testing123');
    assert.ok(ok.success, tailOf(ok));
    assert.match(ok.stdout, /Attribute 18 \(Reply-Message\)/);
    const from = serve?.logs.length ?? 0;
    const checked = await eapolTest({ ...peap, identity: 'erin', password: 'erinpw' }, auth, 'testing123');
    assert.ok(!checked.success, tailOf(checked));
    assert.match(checked.stdout, /code=3 \(Access-Reject\)/);
    assert.match(checked.stdout, /EAP: Received EAP-Failure/);
    const line = await serve?.waitForLog('Access-Reject', 5000, from);
    assert.match(String(line?.reason), /check NAS-IP-Address does not match/);
  });

  test('EAP-TLS: a certificate logs in as a user only if it names them (eap.tls.checkIdentity, on by default)', async () => {
    const tls = (identity: string) => ({
      eap: 'TLS',
      identity,
      ca_cert: path.join(tmp.dir, 'ca.pem'),
      client_cert: path.join(tmp.dir, 'client.pem'),
      private_key: path.join(tmp.dir, 'client.key'),
    });
    // Its own user: that user's reply attributes.
    const own = await eapolTest(tls('client'), auth, 'testing123');
    assert.ok(own.success, tailOf(own));
    assert.match(own.stdout, /Attribute 18 \(Reply-Message\)/);
    // Alice's name with a certificate that does not name her: refused, her attributes never sent.
    for (const identity of ['alice', 'dave']) {
      const other = await eapolTest(tls(identity), auth, 'testing123');
      assert.ok(!other.success, tailOf(other));
      assert.match(other.stdout, /code=3 \(Access-Reject\)/);
      assert.match(other.stdout, /EAP: Received EAP-Failure/);
      assert.doesNotMatch(other.stdout, /code=2 \(Access-Accept\)/);
    }
    // A name no user has: anyone the CA vouched for (as before), with no user's attributes.
    const nobody = await eapolTest(tls('laptop-42'), auth, 'testing123');
    assert.ok(nobody.success, tailOf(nobody));
    assert.doesNotMatch(nobody.stdout, /Reply-Message/);
  });

  test('SIGHUP: users reload for EAP at once; a changed eap section is reported as needing a restart', async () => {
    const config = path.join(tmp.dir, 'aioradius.yaml');
    const before = readFileSync(config, 'utf8');
    const from = serve?.logs.length ?? 0;
    writeFileSync(
      config,
      before
        .replace('  - name: erin', '  - name: frank\n    password: frankpw\n  - name: erin')
        .replace(
          '  methods: [peap, ttls, tls, mschapv2, gtc, md5]',
          '  methods: [peap, ttls, tls, mschapv2, gtc, md5]\n  fragmentSize: 500',
        ),
    );
    serve?.child.kill('SIGHUP');
    await serve?.waitForLog('configuration reloaded', 5000, from);
    const warn = await serve?.waitForLog(/^eap: the section changed/, 5000, from);
    assert.equal(warn?.level, 40);
    const ca = path.join(tmp.dir, 'ca.pem');
    const peap = { eap: 'PEAP', phase1: 'peapver=0', phase2: 'auth=MSCHAPV2', ca_cert: ca };
    const r = await eapolTest({ ...peap, identity: 'frank', password: 'frankpw' }, auth, 'testing123');
    assert.ok(r.success, tailOf(r));
  });

  test('PEAP stays at TLS 1.2 by default; eap.tls.tunnelMaxVersion TLSv1.3 lets PEAP and TTLS use 1.3 (TLS in 2 workers); eap.tls.keyLogFile logs their keys', async () => {
    const ca = path.join(tmp.dir, 'ca.pem');
    const peer = { identity: 'alice', password: 'alicepw', anonymous_identity: 'anonymous', ca_cert: ca };
    const peap = { ...peer, eap: 'PEAP', phase1: 'peapver=0 tls_disable_tlsv1_3=0', phase2: 'auth=MSCHAPV2' };
    const ttls = { ...peer, eap: 'TTLS', phase1: 'tls_disable_tlsv1_3=0', phase2: 'auth=PAP' };
    const byDefault = await eapolTest(peap, auth, 'testing123');
    assert.ok(byDefault.success, tailOf(byDefault));
    assert.match(byDefault.stdout, /SSL: Using TLS version TLSv1\.2/);
    // The same set-up with the key, on ports of its own.
    const [a, b] = await freePorts(2);
    const config = path.join(tmp.dir, 'tunnel13.yaml');
    const text = readFileSync(path.join(tmp.dir, 'aioradius.yaml'), 'utf8')
      .replace(/auth: \d+/, `auth: ${a}`)
      .replace(/acct: \d+/, `acct: ${b}`)
      .replace(
        '  methods: [peap,',
        '  tls:\n    tunnelMaxVersion: TLSv1.3\n    workers: 2\n    keyLogFile: debug/keys.log\n  methods: [peap,',
      );
    assert.match(text, /tunnelMaxVersion: TLSv1\.3/);
    writeFileSync(config, text);
    const keys = path.join(tmp.dir, 'debug', 'keys.log');
    // A key log that cannot be opened (its directory is missing) stops the start, naming the field.
    const refused = await runCommand(process.execPath, [MAIN, 'serve', '--config', config], {
      timeoutMs: 30_000,
    });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /tunnel13\.yaml:\d+: eap\.tls\.keyLogFile: cannot open .*keys\.log/);
    mkdirSync(path.dirname(keys));
    const allowed = await startServe(config);
    try {
      const ready = await allowed.waitForLog('aioradius ready', 5000);
      assert.equal((ready.eap as { tlsWorkers: number }).tlsWorkers, 2);
      const warned = await allowed.waitForLog(/eap\.tls\.keyLogFile/, 5000);
      assert.equal(warned.file, keys);
      for (const network of [peap, ttls]) {
        const r = await eapolTest(network, a, 'testing123');
        assert.ok(r.success, `${network.eap}\n${tailOf(r)}`);
        assert.match(r.stdout, /SSL: Using TLS version TLSv1\.3/, network.eap);
        assert.equal(r.mppeOk, 1, network.eap);
        assert.equal(r.mppeMismatch, 0, network.eap);
      }
      // NSS key log lines (from the worker threads), one set per TLS 1.3 login; the owner's only.
      const lines = readFileSync(keys, 'utf8').trim().split('\n');
      const labels = lines.map((l) => l.split(' ')[0]);
      for (const label of ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET']) {
        assert.equal(labels.filter((l) => l === label).length, 2, label);
      }
      assert.ok(
        lines.every((l) => /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,}$/.test(l)),
        lines.join('\n'),
      );
      assert.equal(statSync(keys).mode & 0o777, 0o600);
    } finally {
      await allowed.stop();
    }
  });

  test('eapol_test -r 1 resumes EAP-TLS by default; eap.tls.resumptionLifetime: 0 gives both logins in full', async () => {
    const network = readEapolNetwork(path.join(tmp.dir, 'tls.conf'));
    const resumed = await eapolTest(network, auth, 'testing123', { reauths: 1 });
    assert.ok(resumed.success, tailOf(resumed));
    assert.equal(resumed.mppeOk, 2, tailOf(resumed));
    assert.match(resumed.stdout, /Handshake finished - resumed=1/);
    const [a, b] = await freePorts(2);
    const config = path.join(tmp.dir, 'no-resumption.yaml');
    const text = readFileSync(path.join(tmp.dir, 'aioradius.yaml'), 'utf8')
      .replace(/auth: \d+/, `auth: ${a}`)
      .replace(/acct: \d+/, `acct: ${b}`)
      .replace('  methods: [peap,', '  tls:\n    resumptionLifetime: 0\n  methods: [peap,');
    assert.match(text, /resumptionLifetime: 0/);
    writeFileSync(config, text);
    const off = await startServe(config);
    try {
      const r = await eapolTest(network, a, 'testing123', { reauths: 1 });
      assert.ok(r.success, tailOf(r));
      assert.equal(r.mppeOk, 2, tailOf(r));
      assert.doesNotMatch(r.stdout, /resumed=1/);
    } finally {
      await off.stop();
    }
  });

  test('certs does not overwrite a set-up without --force', async () => {
    const again = await runCommand(process.execPath, [MAIN, 'certs', tmp.dir], { timeoutMs: 60_000 });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already has ca\.pem.*--force/);
  });

  test('a database user logs in through PEAP; a wrong password is refused and logged', async () => {
    const ca = path.join(tmp.dir, 'ca.pem');
    const peap = {
      eap: 'PEAP',
      phase1: 'peapver=0',
      phase2: 'auth=MSCHAPV2',
      ca_cert: ca,
      anonymous_identity: 'anon',
    };
    const ok = await eapolTest({ ...peap, identity: 'dave', password: 'davepw' }, auth, 'testing123');
    assert.ok(ok.success, tailOf(ok));
    const from = serve?.logs.length ?? 0;
    const bad = await eapolTest({ ...peap, identity: 'dave', password: 'nope' }, auth, 'testing123');
    assert.ok(!bad.success);
    assert.match(bad.stdout, /code=3 \(Access-Reject\)/);
    const line = await serve?.waitForLog('Access-Reject', 5000, from);
    assert.equal(line?.method, 'eap');
    // The failure names the identity inside the tunnel beside the anonymous outer one.
    const failed = await serve?.waitForLog('EAP: authentication failed', 5000, from);
    assert.equal(failed?.identity, 'anon');
    assert.equal(failed?.inner, 'dave');
    assert.match(String(failed?.reason), /password|MSCHAP|response/i);
  });
});

describe('the eap section of the config', () => {
  const base = 'clients:\n  - address: 127.0.0.1\n    secret: s\n';
  const fails = (text: string, field: string, line: number, reason: RegExp) => {
    assert.throws(
      () => parseConfig(base + text, '/nowhere/x.yaml'),
      (err: unknown) =>
        err instanceof ConfigError && err.field === field && err.line === line && reason.test(err.reason),
    );
  };

  test('unknown methods, keys, versions and sizes name their field and line', () => {
    fails('eap:\n  methods: [md5, leap]\n', 'eap.methods[1]', 5, /one of/);
    fails('eap:\n  methods: [md5]\n  colour: blue\n', 'eap.colour', 6, /unknown key/);
    fails('eap:\n  methods: [md5]\n  fragmentSize: 10\n', 'eap.fragmentSize', 6, /64 to 4000/);
    fails(
      'eap:\n  methods: [md5]\n  tls:\n    maxVersion: TLSv1.1\n',
      'eap.tls.maxVersion',
      7,
      /TLSv1.2 or TLSv1.3/,
    );
    fails(
      'eap:\n  methods: [md5]\n  tls:\n    minVersion: TLSv1.3\n    tunnelMaxVersion: TLSv1.2\n',
      'eap.tls.tunnelMaxVersion',
      8,
      /below minVersion/,
    );
    fails('eap:\n  methods: [md5]\n  tls:\n    workers: -1\n', 'eap.tls.workers', 7, /0 to 64, or auto/);
    fails('eap:\n  methods: [md5]\n  tls:\n    workers: many\n', 'eap.tls.workers', 7, /0 to 64, or auto/);
    const auto = parseConfig(`${base}eap:\n  methods: [md5]\n  tls:\n    workers: auto\n`, 'serve.yaml');
    assert.equal(auto.eap?.tls.workers, 'auto');
    fails('eap:\n  methods: [md5]\n  tls:\n    keyLogFile: ""\n', 'eap.tls.keyLogFile', 7, /not be empty/);
    fails(
      'eap:\n  methods: [md5]\n  tls:\n    checkIdentity: maybe\n',
      'eap.tls.checkIdentity',
      7,
      /true or false/,
    );
    for (const bad of ['-1', '86401', '1.5', 'forever']) {
      fails(
        `eap:\n  methods: [md5]\n  tls:\n    resumptionLifetime: ${bad}\n`,
        'eap.tls.resumptionLifetime',
        7,
        /seconds from 0 \(no resumption\) to 86400/,
      );
    }
    const check = (text: string) =>
      parseConfig(`${base}eap:\n  methods: [md5]\n${text}`, '/x/x.yaml').eap?.tls;
    assert.equal(check('')?.resumptionLifetime, undefined);
    assert.equal(check('  tls:\n    resumptionLifetime: 0\n')?.resumptionLifetime, 0);
    assert.equal(check('')?.checkIdentity, true);
    assert.equal(check('  tls:\n    checkIdentity: false\n')?.checkIdentity, false);
  });

  test('method names in any case, with or without EAP-, or one name alone: the canonical names', () => {
    const methods = (list: string) =>
      parseConfig(`${base}eap:\n  methods: ${list}\n`, '/nowhere/x.yaml').eap?.methods;
    assert.deepEqual(methods('[MSCHAPv2, EAP-MD5, Gtc, eap-gtc]'), ['mschapv2', 'md5', 'gtc', 'gtc']);
    assert.deepEqual(methods('EAP-MSCHAPv2'), ['mschapv2']);
    // Named any way, PEAP still needs its certificate; an unknown name still names its place.
    fails('eap:\n  methods: [EAP-PEAP]\n', 'eap.certificate', 5, /required for tls, peap and ttls/);
    fails(
      'eap:\n  methods: [MD5, EAP-LEAP]\n',
      'eap.methods[1]',
      5,
      /one of md5, gtc, tls, ttls, peap, mschapv2/,
    );
    fails('eap:\n  methods: {md5: 1}\n', 'eap.methods', 5, /list/);
  });

  test('TLS-based methods need a certificate and a key; EAP-TLS a CA; PEM paths are read', () => {
    fails('eap:\n  methods: [peap]\n', 'eap.certificate', 5, /required for tls, peap and ttls/);
    assert.throws(
      () => parseConfig(`${base}eap:\n  certificate: missing.pem\n`, '/nowhere/x.yaml'),
      (err: unknown) =>
        err instanceof ConfigError && err.field === 'eap.certificate' && /cannot read/.test(err.reason),
    );
    const c = parseConfig(
      `${base}eap:\n  methods: [mschapv2, md5]\n  fragmentSize: 300\n`,
      '/nowhere/x.yaml',
    );
    assert.deepEqual(c.eap?.methods, ['mschapv2', 'md5']);
    assert.equal(c.eap?.fragmentSize, 300);
    assert.equal(c.eap?.tls.keyLogFile, undefined);
    const logged = parseConfig(
      `${base}eap:\n  methods: [md5]\n  tls:\n    keyLogFile: keys.log\n`,
      path.join(os.tmpdir(), 'x.yaml'),
    );
    assert.equal(logged.eap?.tls.keyLogFile, path.join(os.tmpdir(), 'keys.log'));
    // One that cannot be opened fails as the config loads, with its line (--check too).
    const bad = `${base}eap:\n  methods: [md5]\n  tls:\n    keyLogFile: keys.log\n`;
    assert.throws(
      () => parseConfig(bad, '/nowhere/x.yaml'),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.field === 'eap.tls.keyLogFile' &&
        err.line !== undefined &&
        /no directory \/nowhere/.test(err.reason),
    );
    assert.equal(parseConfig(base, '/nowhere/x.yaml').eap, undefined);
  });
});

// TLS material checked when the config loads (serve start, --check, SIGHUP): every section with PEM
// files (listen.tls, eap, proxy home servers, ldap.ca) builds its TLS context there, and a file
// that cannot work fails with the field, its line and a reason in plain words.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../../src/cli/config.js';
import { ConfigError } from '../../src/errors.js';
import { makeCa, makeCert, makeCrl } from '../helpers/certs.js';
import { freePorts } from '../helpers/ports.js';
import { runServe, startServe, tempDir } from './serve-helpers.js';

const HEAD = `listen:
  host: 127.0.0.1
  auth: 0
  acct: 0
`;
const CLIENTS = `clients:
  - address: 127.0.0.0/8
    secret: testing123
database: ./x.db
`;

interface Files {
  certificate: string;
  privateKey: string;
  ca: string;
  crl?: string;
}

function listenTls(f: Files): string {
  const crl = f.crl ? `\n    crl: ${f.crl}` : '';
  return `${HEAD}  tls:
    port: 0
    certificate: ${f.certificate}
    privateKey: ${f.privateKey}
    ca: ${f.ca}${crl}
${CLIENTS}`;
}

function eap(f: Files): string {
  return `${HEAD}${CLIENTS}eap:
  certificate: ${f.certificate}
  privateKey: ${f.privateKey}
  ca: ${f.ca}
`;
}

function homeServer(f: Files): string {
  return `${HEAD}${CLIENTS}proxy:
  homeServers:
    - name: h1
      host: 127.0.0.1
      transport: tls
      tls:
        certificate: ${f.certificate}
        privateKey: ${f.privateKey}
        ca: ${f.ca}
  pools:
    - name: p
      servers: [h1]
  realms:
    - name: example.com
      pool: p
`;
}

function ldap(ca: string): string {
  return `${HEAD}${CLIENTS}ldap:
  url: ldap://127.0.0.1:1389
  baseDn: dc=example,dc=org
  ca: ${ca}
`;
}

const GOOD: Files = { certificate: 'server.pem', privateKey: 'server.key', ca: 'ca.pem' };

describe('TLS material is checked when the config loads', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let file: string;

  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-tls-material-'));
    const ca = makeCa(dir, 'ca');
    const server = makeCert(dir, ca, 'server');
    makeCert(dir, ca, 'other');
    makeCrl(dir, ca, []);
    copyFileSync(path.join(dir, 'ca-crl', 'crl.pem'), path.join(dir, 'ca.crl'));
    writeFileSync(path.join(dir, 'chain.pem'), Buffer.concat([server.certPem, ca.certPem]));
    writeFileSync(path.join(dir, 'garbage.pem'), 'not PEM at all\n');
    execFileSync('openssl', [
      'pkey',
      '-in',
      server.key,
      '-aes256',
      '-passout',
      'pass:secret',
      '-out',
      path.join(dir, 'encrypted.key'),
    ]);
    execFileSync('openssl', ['pkey', '-in', server.key, '-pubout', '-out', path.join(dir, 'public.pem')]);
    file = path.join(dir, 'aioradius.yaml');
  });
  after(() => remove());

  function load(text: string) {
    return parseConfig(text, file);
  }

  function failure(text: string): ConfigError {
    try {
      load(text);
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    assert.fail('expected a ConfigError');
  }

  /** The line of the config that names `value` after `key:` (1-based), to check the error's line. */
  function lineOf(text: string, key: string, value: string): number {
    return text.split('\n').findIndex((l) => l.trim() === `${key}: ${value}`) + 1;
  }

  test('good files load in every section (a chain file too, and a CRL)', () => {
    assert.ok(load(listenTls({ ...GOOD, crl: 'ca.crl' })).listen.tls);
    assert.ok(load(listenTls({ ...GOOD, certificate: 'chain.pem' })).listen.tls);
    assert.ok(load(eap(GOOD)).eap);
    assert.ok(load(homeServer(GOOD)).proxy);
    assert.ok(load(ldap('ca.pem')).ldap);
  });

  const sections: Array<[string, (f: Files) => string, string]> = [
    ['listen.tls', listenTls, 'listen.tls'],
    ['eap', eap, 'eap'],
    ['a proxy home server', homeServer, 'proxy.homeServers[0].tls'],
  ];
  for (const [name, make, prefix] of sections) {
    test(`${name}: a private key of another certificate`, () => {
      const text = make({ ...GOOD, privateKey: 'other.key' });
      const err = failure(text);
      assert.equal(err.field, `${prefix}.privateKey`);
      assert.equal(err.line, lineOf(text, 'privateKey', 'other.key'));
      assert.match(
        err.reason,
        /the private key in .*other\.key does not match the certificate in .*server\.pem/,
      );
      assert.equal(err.message, `${file}:${err.line}: ${prefix}.privateKey: ${err.reason}`);
    });

    test(`${name}: a certificate given as the private key`, () => {
      const err = failure(make({ ...GOOD, privateKey: 'ca.pem' }));
      assert.equal(err.field, `${prefix}.privateKey`);
      assert.match(err.reason, /ca\.pem is not a private key: it holds a certificate/);
    });

    test(`${name}: a private key given as the certificate`, () => {
      const err = failure(make({ ...GOOD, certificate: 'server.key' }));
      assert.equal(err.field, `${prefix}.certificate`);
      assert.match(err.reason, /server\.key is not a certificate: it holds a private key/);
    });

    test(`${name}: a CA file that holds no certificate`, () => {
      const err = failure(make({ ...GOOD, ca: 'garbage.pem' }));
      assert.equal(err.field, `${prefix}.ca`);
      assert.match(err.reason, /garbage\.pem holds no certificate/);
    });
  }

  test('an encrypted private key, a public key, a file that is no PEM', () => {
    let err = failure(listenTls({ ...GOOD, privateKey: 'encrypted.key' }));
    assert.equal(err.field, 'listen.tls.privateKey');
    assert.match(err.reason, /encrypted\.key is encrypted: serve reads only unencrypted keys/);
    err = failure(listenTls({ ...GOOD, privateKey: 'public.pem' }));
    assert.match(err.reason, /public\.pem is not a private key: it holds a public key/);
    err = failure(eap({ ...GOOD, privateKey: 'garbage.pem' }));
    assert.equal(err.field, 'eap.privateKey');
    assert.match(err.reason, /garbage\.pem is not a private key: no PEM block/);
    err = failure(eap({ ...GOOD, certificate: 'garbage.pem' }));
    assert.equal(err.field, 'eap.certificate');
    assert.match(err.reason, /garbage\.pem is not a certificate: no PEM block/);
  });

  test('a CRL that is not a CRL, in listen.tls and eap', () => {
    let err = failure(listenTls({ ...GOOD, crl: 'ca.pem' }));
    assert.equal(err.field, 'listen.tls.crl');
    assert.match(err.reason, /ca\.pem is not a certificate revocation list: it holds a certificate/);
    err = failure(eap(GOOD).replace('  ca: ca.pem\n', '  ca: ca.pem\n  crl: server.key\n'));
    assert.equal(err.field, 'eap.crl');
    assert.match(err.reason, /server\.key is not a certificate revocation list: it holds a private key/);
  });

  test('ldap.ca that holds no certificate', () => {
    const err = failure(ldap('server.key'));
    assert.equal(err.field, 'ldap.ca');
    assert.match(err.reason, /server\.key holds no certificate: it holds a private key/);
  });
});

describe('serve and serve --check refuse TLS material that cannot work (child process)', () => {
  let dir: string;
  let remove: () => Promise<void>;

  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-tls-material-cli-'));
    const ca = makeCa(dir, 'ca');
    makeCert(dir, ca, 'server');
    makeCert(dir, ca, 'other');
  });
  after(() => remove());

  const cases: Array<[string, string, string]> = [
    [
      'listen.tls key of another certificate',
      listenTls({ ...GOOD, privateKey: 'other.key' }),
      'listen.tls.privateKey',
    ],
    ['listen.tls certificate as key', listenTls({ ...GOOD, privateKey: 'ca.pem' }), 'listen.tls.privateKey'],
    ['eap key of another certificate', eap({ ...GOOD, privateKey: 'other.key' }), 'eap.privateKey'],
    [
      'home server key of another certificate',
      homeServer({ ...GOOD, privateKey: 'other.key' }),
      'proxy.homeServers[0].tls.privateKey',
    ],
  ];
  for (const [name, text, field] of cases) {
    test(`${name}: one line naming file, line and field, exit 2, with and without --check`, async () => {
      const file = path.join(dir, `${name.replace(/ /g, '-')}.yaml`);
      writeFileSync(file, text);
      for (const args of [['--check'], []]) {
        const r = await runServe(['--config', file, ...args]);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, '');
        const lines = r.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, r.stderr);
        const escaped = field.replace(/[.[\]]/g, '\\$&');
        assert.match(lines[0], new RegExp(`^aioradius serve: bad config: .*\\.yaml:\\d+: ${escaped}: `));
        assert.doesNotMatch(lines[0], /routines::/);
      }
    });
  }

  test('SIGHUP with a key of another certificate keeps the running configuration and says why', async () => {
    const ports = await freePorts(3, { tcp: true });
    const file = path.join(dir, 'reload.yaml');
    const text = (key: string) =>
      listenTls({ ...GOOD, privateKey: key })
        .replace('auth: 0', `auth: ${ports[0]}`)
        .replace('acct: 0', `acct: ${ports[1]}`)
        .replace('port: 0', `port: ${ports[2]}`);
    writeFileSync(file, text('server.key'));
    const serve = await startServe(file);
    try {
      writeFileSync(file, text('other.key'));
      const from = serve.logs.length;
      serve.child.kill('SIGHUP');
      const line = await serve.waitForLog(/^reload failed/, 15_000, from);
      assert.match(
        String(line.err),
        /listen\.tls\.privateKey: the private key in .*other\.key does not match/,
      );
    } finally {
      await serve.stop();
    }
  });
});

// The `proxy` section of serve's YAML: what it accepts, and errors that name the field and line.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/cli/config.js';
import { ConfigError } from '../../src/index.js';
import { makeCa, makeCert } from '../helpers/certs.js';

const BASE = 'clients:\n  - address: 127.0.0.1\n    secret: s\n';
const PROXY =
  'proxy:\n  homeServers:\n    - { name: a, host: 127.0.0.1, auth: 11812, secret: hs }\n' +
  '    - { name: t, host: 127.0.0.1, transport: tls }\n' +
  '  pools:\n    - { name: p, servers: [a, t], balance: keyed, key: Calling-Station-Id }\n' +
  '  realms:\n    - { name: example.com, pool: p, strip: false }\n    - { name: NULL, pool: LOCAL }\n';

function failure(text: string): ConfigError {
  try {
    parseConfig(text, 'serve.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('serve config: proxy', () => {
  test('a full section parses; a TLS home server defaults its secret to radsec (RFC 6614 §2.3)', () => {
    const c = parseConfig(BASE + PROXY, 'serve.yaml');
    assert.equal(c.proxy?.homeServers[0].auth, 11812);
    assert.equal(c.proxy?.homeServers[1].secret, 'radsec');
    assert.equal(c.proxy?.pools[0].balance, 'keyed');
    assert.equal(c.proxy?.realms[0].strip, false);
  });
  test('a pool naming an unknown home server fails at its line', () => {
    const e = failure(BASE + PROXY.replace('servers: [a, t]', 'servers: [a, x]'));
    assert.equal(e.field, 'proxy.pools[0].servers[1]');
    assert.equal(e.line, 9);
  });
  test('two realms whose names differ only in case fail at the second one (serve --check said OK, serve refused)', () => {
    const e = failure(
      BASE + PROXY.replace('    - { name: NULL', '    - { name: EXAMPLE.COM, pool: p }\n    - { name: NULL'),
    );
    assert.equal(e.field, 'proxy.realms[1].name');
    assert.equal(e.line, 12);
    assert.match(e.message, /duplicate realm EXAMPLE\.COM/);
  });
  test('a keyed pool hashing an unknown attribute fails at its key (every request went to the first server)', () => {
    const e = failure(BASE + PROXY.replace('key: Calling-Station-Id', 'key: Calling-Station-Idd'));
    assert.equal(e.field, 'proxy.pools[0].key');
    assert.equal(e.line, 9);
    assert.match(e.message, /unknown attribute "Calling-Station-Idd"/);
  });
  test('pools whose fallbacks come back round fail at the first of the ring; a chain that ends is fine', () => {
    const pools = (a: string, b: string) =>
      PROXY.replace(
        'key: Calling-Station-Id }\n',
        `key: Calling-Station-Id${a} }\n    - { name: q, servers: [a]${b} }\n`,
      );
    assert.deepEqual(
      parseConfig(BASE + pools(', fallback: q', ''), 'serve.yaml').proxy?.pools[0].fallback,
      'q',
    );
    const ring = failure(BASE + pools(', fallback: q', ', fallback: p'));
    assert.equal(ring.field, 'proxy.pools[0].fallback');
    assert.match(ring.message, /fallback cycle: p → q → p/);
    const self = failure(BASE + pools('', ', fallback: q'));
    assert.equal(self.field, 'proxy.pools[1].fallback');
    assert.match(self.message, /fallback cycle: q → q/);
  });
  test('a realm naming an unknown pool, a bad balance, a missing secret', () => {
    assert.equal(failure(BASE + PROXY.replace('pool: p,', 'pool: q,')).field, 'proxy.realms[0].pool');
    assert.equal(
      failure(BASE + PROXY.replace('balance: keyed', 'balance: random')).field,
      'proxy.pools[0].balance',
    );
    assert.equal(failure(BASE + PROXY.replace(', secret: hs', '')).field, 'proxy.homeServers[0].secret');
  });
  test('a TLS home server: certificate, key, CA and PSK from the YAML; misplaced or half keys fail', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-proxy-tls-'));
    try {
      // Real certificates: the config's TLS material is checked when it loads.
      const me = makeCert(dir, makeCa(dir, 'ca'), 'me');
      const tls =
        '    - name: t2\n      host: 127.0.0.1\n      transport: tls\n      tls:\n' +
        '        certificate: me.pem\n        privateKey: me.key\n        ca: ca.pem\n' +
        '        serverName: home.example\n        radiusVersion: "1.1"\n';
      const text = BASE + PROXY.replace('  pools:', `${tls}  pools:`);
      const c = parseConfig(text, path.join(dir, 'serve.yaml'));
      const t2 = c.proxy?.homeServers[2].tls;
      assert.deepEqual(t2?.cert, me.certPem);
      assert.deepEqual(t2?.key, me.keyPem);
      assert.deepEqual(t2?.ca, readFileSync(path.join(dir, 'ca.pem')));
      assert.equal(t2?.servername, 'home.example');
      assert.equal(t2?.radiusVersion, '1.1');
      const psk =
        BASE +
        PROXY.replace(
          'transport: tls }',
          'transport: tls, tls: { psk: { identity: me, key: 00112233445566778899aabbccddeeff } } }',
        );
      assert.equal(parseConfig(psk, 'serve.yaml').proxy?.homeServers[1].tls?.psk?.identity, 'me');
      const half = (e: ConfigError) => e.field;
      assert.equal(
        half(failure(BASE + PROXY.replace(', secret: hs }', ', secret: hs, tls: { ca: x.pem } }'))),
        'proxy.homeServers[0].tls',
      );
      let e: ConfigError | undefined;
      try {
        parseConfig(text.replace('        privateKey: me.key\n', ''), path.join(dir, 'serve.yaml'));
      } catch (err) {
        e = err as ConfigError;
      }
      assert.equal(e?.field, 'proxy.homeServers[2].tls.privateKey');
      try {
        parseConfig(text.replace('ca: ca.pem', 'ca: missing.pem'), path.join(dir, 'serve.yaml'));
        assert.fail('a missing CA file must fail');
      } catch (err) {
        assert.equal((err as ConfigError).field, 'proxy.homeServers[2].tls.ca');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('store-and-forward with a PostgreSQL database is refused at its field (the queue is SQLite only)', () => {
    const pg = `${BASE}database: postgres://rad:S3cret@127.0.0.1:5432/radius\n`;
    // Before, serve accepted it and crashed at start opening the URL as an SQLite file.
    const e = failure(pg + PROXY);
    assert.equal(e.field, 'proxy.storeAndForward');
    assert.match(e.reason, /SQLite/);
    assert.doesNotMatch(e.message, /S3cret/);
    assert.equal(failure(`${pg + PROXY}  storeAndForward: true\n`).line, 14);
    assert.equal(
      parseConfig(`${pg + PROXY}  storeAndForward: false\n`, 'serve.yaml').proxy?.storeAndForward,
      false,
    );
  });
  test("README's proxy example is a valid config", () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Proxying'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(yaml?.startsWith('proxy:'));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-proxy-readme-'));
    process.env.HOME_A_SECRET = 'from-env';
    try {
      writeFileSync(path.join(dir, 'home-b.secret'), 'from-file\n');
      makeCert(dir, makeCa(dir, 'home-ca'), 'proxy');
      const c = parseConfig(BASE + yaml, path.join(dir, 'serve.yaml'));
      assert.deepEqual(
        c.proxy?.homeServers.map((h) => h.secret),
        ['from-env', 'from-file', 'radsec'],
      );
      assert.deepEqual(
        c.proxy?.realms.map((r) => r.name),
        ['example.com', 'edu', 'NULL', 'DEFAULT'],
      );
    } finally {
      delete process.env.HOME_A_SECRET;
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('health keys, windows, the duplicate window and the NAS CoA port parse; bad values fail at their field', () => {
    const text =
      BASE.replace('secret: s\n', 'secret: s\n    coaPort: 13799\n') +
      PROXY.replace('secret: hs }', 'secret: hs, window: 32 }') +
      '  statusCheck: false\n  zombiePeriod: 20\n  reviveAnswers: 2\n  reviveInterval: 60\n  duplicateWindow: 30\n';
    const c = parseConfig(text, 'serve.yaml');
    assert.equal(c.clients[0].coaPort, 13799);
    assert.equal(c.proxy?.homeServers[0].window, 32);
    assert.equal(c.proxy?.statusCheck, false);
    assert.equal(c.proxy?.zombiePeriod, 20);
    assert.equal(c.proxy?.reviveAnswers, 2);
    assert.equal(c.proxy?.reviveInterval, 60);
    assert.equal(c.proxy?.duplicateWindow, 30);
    assert.equal(
      failure(text.replace('duplicateWindow: 30', 'duplicateWindow: 0')).field,
      'proxy.duplicateWindow',
    );
    assert.equal(failure(text.replace('reviveAnswers: 2', 'reviveAnswers: 0')).field, 'proxy.reviveAnswers');
    assert.equal(failure(text.replace('window: 32', 'window: 1.5')).field, 'proxy.homeServers[0].window');
    assert.equal(failure(text.replace('coaPort: 13799', 'coaPort: 70000')).field, 'clients[0].coaPort');
  });
});

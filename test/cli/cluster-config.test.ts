// serve's `cluster` section: addresses peers can reach, a key long enough, errors with field and line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/cli/config.js';
import { ConfigError } from '../../src/errors.js';

const base = 'clients: [ { address: 127.0.0.1, secret: s } ]\n';

test('a cluster section: listen, key (or { env }), peers, IPv6 in brackets', () => {
  process.env.CLUSTER_CONFIG_TEST_KEY = 'a key from the environment';
  const c = parseConfig(
    `${base}cluster:\n  listen: 10.0.0.11:1815\n  key: { env: CLUSTER_CONFIG_TEST_KEY }\n  peers: [10.0.0.12:1815, "[fd00::13]:1815"]\n`,
    '/nowhere/x.yaml',
  );
  assert.deepEqual(c.cluster, {
    listen: '10.0.0.11:1815',
    key: 'a key from the environment',
    peers: ['10.0.0.12:1815', '[fd00::13]:1815'],
  });
  assert.equal(parseConfig(base, '/nowhere/x.yaml').cluster, undefined);
});

test('refused: a wildcard or a host name to listen on, a short key, a peer without a port, an unknown key', () => {
  const refused = (text: string, field: string, reason: RegExp) =>
    assert.throws(
      () => parseConfig(`${base}cluster:\n${text}`, '/nowhere/x.yaml'),
      (err: unknown) => err instanceof ConfigError && err.field === field && reason.test(err.reason),
      text,
    );
  const key = '  key: sixteen-characters-at-least\n';
  refused(`  listen: 0.0.0.0:1815\n${key}`, 'cluster.listen', /not a wildcard/);
  refused(`  listen: radius1:1815\n${key}`, 'cluster.listen', /IP address and a port/);
  refused('  listen: 10.0.0.1:1815\n  key: short\n', 'cluster.key', /16 characters/);
  refused(
    `  listen: 10.0.0.1:1815\n${key}  peers: [10.0.0.2]\n`,
    'cluster.peers[0]',
    /IP address and a port/,
  );
  refused(`  listen: 10.0.0.1:1815\n${key}  secret: x\n`, 'cluster.secret', /unknown/);
  refused(key, 'cluster.listen', /required/);
});

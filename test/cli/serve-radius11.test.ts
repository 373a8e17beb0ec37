// `serve` over RADIUS/TLS with RADIUS/1.1 (listen.tls.radiusVersion) and TLS-PSK clients
// (clients[].psk.{identity, key}), driven by our own client; bad PSK settings fail at start.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  AccessRequest,
  RadiusClient,
  RadiusConnectionError,
} from '../../src/index.js';
import { type CertFiles, makeCa, makeCert } from '../helpers/certs.js';
import { freePorts } from '../helpers/ports.js';
import { startTlsRecordRelay } from '../helpers/tls-record-relay.js';
import { runServe, type ServeProcess, startServe, tempDir } from './serve-helpers.js';

const PSK = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

function configText(ports: number[], tlsExtra: string, clientsExtra = ''): string {
  const [auth, acct, tls] = ports;
  return `listen:
  host: 127.0.0.1
  auth: ${auth}
  acct: ${acct}
  tls:
    port: ${tls}
${tlsExtra}
clients:
  - address: 127.0.0.1
    transport: tls
    name: cert-peer
  - address: 127.0.0.0/8
    name: psk-peer
    psk:
      identity: nas-psk-1
      key: ${PSK}
${clientsExtra}users:
  - name: alice
    password: alicepw
database: ./radius.db
`;
}

const TLS_FILES = `    certificate: server.pem
    privateKey: server.key
    ca: ca.pem`;

describe('aioradius serve: RADIUS/1.1 and TLS-PSK', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let ports: number[];
  let ca: CertFiles;
  let clientCert: CertFiles;
  const running: ServeProcess[] = [];

  before(async () => {
    ({ dir, remove } = await tempDir('aioradius-serve-r11-'));
    ca = makeCa(dir, 'ca');
    makeCert(dir, ca, 'server');
    clientCert = makeCert(dir, ca, 'client');
    ports = await freePorts(3, { tcp: true });
  });

  after(async () => {
    for (const s of running) await s.stop('SIGKILL');
    await remove?.();
  });

  async function start(name: string, text: string): Promise<ServeProcess> {
    const file = path.join(dir, name);
    await writeFile(file, text);
    const s = await startServe(file);
    running.push(s);
    return s;
  }

  function client(tls: Record<string, unknown>): RadiusClient {
    return new RadiusClient({
      servers: [{ host: '127.0.0.1', port: ports[2], transport: 'tls', tls }],
      timeout: 3,
      retries: 0,
      watchdogInterval: 0,
    });
  }

  const alice = (password = 'alicepw') =>
    new AccessRequest('radsec').add('User-Name', 'alice').add('User-Password', password);

  test('certificate and PSK clients; RADIUS/1.1 by default, RADIUS/TLS when set to 1.0', async () => {
    const serve = await start('r11.yaml', configText(ports, TLS_FILES));
    const byCert = client({ ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem });
    const byPsk = client({ psk: { identity: 'nas-psk-1', key: PSK } });
    const wrongPsk = client({ psk: { identity: 'nas-psk-1', key: PSK.replace(/^00/, 'ff') } });
    try {
      const [a] = await byCert.sendPacket(alice());
      assert.equal(a.code, ACCESS_ACCEPT);
      assert.notEqual(a.token, undefined, 'RADIUS/1.1 negotiated');
      const [b] = await byPsk.sendPacket(alice());
      assert.equal(b.code, ACCESS_ACCEPT);
      const [c] = await byPsk.sendPacket(alice('wrong'));
      assert.equal(c.code, ACCESS_REJECT);
      await assert.rejects(wrongPsk.sendPacket(alice()), RadiusConnectionError);
    } finally {
      byCert.close();
      byPsk.close();
      wrongPsk.close();
      await serve.stop('SIGTERM');
    }
    const historic = await start('r10.yaml', configText(ports, `${TLS_FILES}\n    radiusVersion: '1.0'`));
    const c2 = client({ ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem });
    try {
      const [a] = await c2.sendPacket(alice());
      assert.equal(a.code, ACCESS_ACCEPT);
      assert.equal(a.token, undefined, 'historic RADIUS/TLS');
    } finally {
      c2.close();
      await historic.stop('SIGTERM');
    }
  });

  test('listen.tls.shareRecords: 100 replies at once leave in fewer TLS records than replies', async () => {
    const serve = await start('share.yaml', configText(ports, `${TLS_FILES}\n    shareRecords: true`));
    const relay = await startTlsRecordRelay(ports[2]);
    const c = new RadiusClient({
      servers: [
        {
          host: '127.0.0.1',
          port: relay.port,
          transport: 'tls',
          tls: { ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem },
        },
      ],
      timeout: 5,
      retries: 0,
      maxInFlight: 100,
      adaptiveWindow: false,
    });
    try {
      const replies = await Promise.all(Array.from({ length: 100 }, () => c.sendPacket(alice())));
      for (const [r] of replies) assert.equal(r.code, ACCESS_ACCEPT);
      assert.ok(relay.serverRecords() < 100, `${relay.serverRecords()} records for 100 replies`);
    } finally {
      c.close();
      await relay.close();
      await serve.stop('SIGTERM');
    }
  });

  test('bad RADIUS/1.1 and PSK settings fail at start with the field', async () => {
    const cases: Array<[string, RegExp]> = [
      [configText(ports, `${TLS_FILES}\n    radiusVersion: '2.0'`), /listen\.tls\.radiusVersion: must be/],
      [configText(ports, `${TLS_FILES}\n    shareRecords: often`), /listen\.tls\.shareRecords: /],
      [configText(ports, TLS_FILES).replace(PSK, 'abcd'), /clients\[1\]\.psk\.key: .*too short/],
      [configText(ports, TLS_FILES).replace(PSK, 'not-hex'), /clients\[1\]\.psk\.key: .*hex/],
      [
        configText(
          ports,
          TLS_FILES,
          `  - address: 10.0.0.0/8\n    psk:\n      identity: nas-psk-1\n      key: ${PSK}\n`,
        ),
        /clients\[2\]\.psk\.identity: duplicate PSK identity/,
      ],
      [
        configText(ports, TLS_FILES).replace('name: psk-peer', 'name: psk-peer\n    transport: tcp'),
        /clients\[1\]\.transport: a client with a psk uses tls/,
      ],
      // Certificate clients need the PEM files; PSK clients alone do not (next case starts).
      [
        configText(ports, '    certificate: server.pem\n    privateKey: server.key'),
        /listen\.tls\.ca: is required/,
      ],
    ];
    for (const [text, expected] of cases) {
      const file = path.join(dir, 'bad.yaml');
      await writeFile(file, text);
      const r = await runServe(['--config', file]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, expected);
    }
    const pskOnly = configText(ports, '').replace(
      '  - address: 127.0.0.1\n    transport: tls\n    name: cert-peer\n',
      '',
    );
    const serve = await start('psk-only.yaml', pskOnly);
    const byPsk = client({ psk: { identity: 'nas-psk-1', key: PSK } });
    try {
      const [a] = await byPsk.sendPacket(alice());
      assert.equal(a.code, ACCESS_ACCEPT);
    } finally {
      byPsk.close();
      await serve.stop('SIGTERM');
    }
  });
});

// The names a client certificate gives its holder (subject CN, SAN e-mail and DNS names), against
// certificates OpenSSL made, and as node:tls describes them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { certificateNames, certificateNamesIdentity } from '../../src/index.js';
import { makeCa, makeCert } from '../helpers/certs.js';

describe('certificateNames', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-cert-names-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a certificate OpenSSL made: its CN and its SAN's DNS name, not its IP addresses", () => {
    const ca = makeCa(dir, 'names-ca');
    const cert = makeCert(dir, ca, 'host.example');
    const x = new X509Certificate(cert.certPem);
    const peer = { subject: { CN: 'host.example' }, subjectaltname: x.subjectAltName } as PeerCertificate;
    assert.deepEqual(certificateNames(peer), ['host.example', 'host.example']);
    assert.equal(certificateNamesIdentity(peer, 'HOST.example'), true);
    assert.equal(certificateNamesIdentity(peer, '127.0.0.1'), false);
    assert.equal(certificateNamesIdentity(peer, 'other.example'), false);
  });

  test('several CNs, e-mail addresses, quoted SAN values with commas; other kinds ignored', () => {
    const peer = {
      subject: { CN: ['Alice Smith', 'alice'] },
      subjectaltname:
        'email:alice@example.org, DNS:alice-laptop.example, URI:https://x, email:"a,b@example.org", IP Address:10.0.0.1',
    } as unknown as PeerCertificate;
    assert.deepEqual(certificateNames(peer), [
      'Alice Smith',
      'alice',
      'alice@example.org',
      'alice-laptop.example',
      'a,b@example.org',
    ]);
    assert.equal(certificateNamesIdentity(peer, 'Alice@Example.org'), true);
    assert.equal(certificateNamesIdentity(peer, 'https://x'), false);
    assert.equal(certificateNamesIdentity(peer, 'bob'), false);
    assert.deepEqual(certificateNames({ subject: {} } as PeerCertificate), []);
  });
});

// `listen.host: '::'` hears IPv4 NASes as well as IPv6 ones, over UDP and TCP: an IPv4 NAS arrives
// as a v4-mapped address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) and is matched, logged and answered
// as the IPv4 address its client entry names.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ACCESS_ACCEPT, AccessRequest, RadiusClient } from '../../src/index.js';
import { radtest, skipUnless } from '../helpers/peers.js';
import { freePorts, ipv6LoopbackAvailable } from '../helpers/ports.js';
import { type ServeProcess, startServe, tempDir } from './serve-helpers.js';

const V4_SECRET = 'dual-v4-s3cret';
const V6_SECRET = 'dual-v6-s3cret';

describe('serve on :: (dual stack)', { skip: skipUnless('radtest') }, () => {
  let remove: (() => Promise<void>) | undefined;
  let serve: ServeProcess | undefined;
  let auth = 0;
  let tcp = 0;
  let v6 = false;
  const client = new RadiusClient({ timeout: 2, retries: 1 });

  before(async () => {
    v6 = await ipv6LoopbackAvailable();
    if (!v6) return;
    const t = await tempDir('aioradius-dual-');
    remove = t.remove;
    [auth, tcp] = await freePorts(2);
    const file = path.join(t.dir, 'aioradius.yaml');
    await writeFile(
      file,
      `listen: { host: "::", auth: ${auth}, acct: null, tcp: { port: ${tcp} } }
clients:
  - { address: 127.0.0.0/8, secret: ${V4_SECRET} }
  - { address: "::1", secret: ${V6_SECRET} }
users:
  - { name: alice, password: alicepw }
`,
    );
    serve = await startServe(file);
  });

  after(async () => {
    client.close();
    await serve?.stop('SIGKILL');
    await remove?.();
  });

  const login = async (host: string, secret: string, transport: 'udp' | 'tcp') => {
    const request = new AccessRequest(secret).addAttributes(
      ['User-Name', 'alice'],
      ['User-Password', 'alicepw'],
    );
    if (transport === 'udp') return client.sendPacket(request, { remoteHost: host, remotePort: auth });
    const overTcp = new RadiusClient({ servers: [{ host, port: tcp, transport, secret }], timeout: 2 });
    try {
      return await overTcp.sendPacket(request);
    } finally {
      overTcp.close();
    }
  };

  test('radtest from 127.0.0.1 and from ::1: each matched by its own client entry and secret', async (t) => {
    if (!v6) return t.skip('::1 not available');
    const four = await radtest({
      user: 'alice',
      password: 'alicepw',
      host: '127.0.0.1',
      port: auth,
      secret: V4_SECRET,
    });
    assert.equal(four.replyCode, 'Access-Accept', four.stdout + four.stderr);
    const six = await radtest({
      user: 'alice',
      password: 'alicepw',
      host: '::1',
      port: auth,
      secret: V6_SECRET,
    });
    assert.equal(six.replyCode, 'Access-Accept', six.stdout + six.stderr);
  });

  test('RadiusClient over UDP and TCP, IPv4 and IPv6', async (t) => {
    if (!v6) return t.skip('::1 not available');
    for (const transport of ['udp', 'tcp'] as const) {
      const [four] = await login('127.0.0.1', V4_SECRET, transport);
      assert.equal(four.code, ACCESS_ACCEPT, `IPv4 over ${transport}`);
      const [six] = await login('::1', V6_SECRET, transport);
      assert.equal(six.code, ACCESS_ACCEPT, `IPv6 over ${transport}`);
    }
  });

  test('logs name the IPv4 NAS as 127.0.0.1, never as ::ffff:127.0.0.1', async (t) => {
    if (!v6 || !serve) return t.skip('::1 not available');
    const accepts = serve.logs.filter((l) => l.msg === 'Access-Accept');
    assert.ok(
      accepts.some((l) => l.nas === '127.0.0.1'),
      JSON.stringify(accepts),
    );
    assert.ok(
      accepts.some((l) => l.nas === '::1'),
      JSON.stringify(accepts),
    );
    assert.ok(!JSON.stringify(serve.logs).includes('::ffff:'));
  });
});

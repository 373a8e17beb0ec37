// A TLS-based method's keying material (MSK | EMSK) as its session gives it: the exporter each RFC
// names for the version in use, equal to what the peer derives; and, with the TLS in a worker
// thread, sent along with the handshake's last answer, so that asking for it crosses no thread.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EAP_TYPE } from '../../src/eap/codes.js';
import type { MethodKeying } from '../../src/eap/tls-engine.js';
import type { MemoryTlsPeer } from '../helpers/memory-tls-peer.js';
import { playHandshake, postedOps, tlsEngineSuite } from '../helpers/tls-engine-suite.js';

/** What the peer exports for the method, as RFC 5216/5281 (TLS 1.2) and RFC 9190/9427 (TLS 1.3) say. */
function peerKeying(peer: MemoryTlsPeer, keying: MethodKeying): Buffer {
  return peer.socket.getProtocol() === 'TLSv1.3'
    ? peer.socket.exportKeyingMaterial(128, 'EXPORTER_EAP_TLS_Key_Material', Buffer.from([keying.type]))
    : (peer.socket.exportKeyingMaterial as (length: number, label: string) => Buffer)(128, keying.tls12Label);
}

describe('method keying material', () => {
  const suite = tlsEngineSuite('keying');

  const methods: Array<[string, 'certificate' | 'tunnel', MethodKeying]> = [
    ['EAP-TLS', 'certificate', { type: EAP_TYPE.TLS, tls12Label: 'client EAP encryption' }],
    ['PEAP', 'tunnel', { type: EAP_TYPE.PEAP, tls12Label: 'client EAP encryption' }],
    ['EAP-TTLS', 'tunnel', { type: EAP_TYPE.TTLS, tls12Label: 'ttls keying material' }],
  ];

  for (const workers of [0, 1]) {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      for (const [name, kind, keying] of methods) {
        const where = workers ? 'a worker thread' : 'the EapServer thread';
        test(`${name} over ${version}, ${where}: the peer's keying material`, async () => {
          const config = suite.instance({ workers });
          const peer = suite.peer(kind, version);
          const channel = config.open(kind, false, keying);
          let material: Buffer | undefined;
          const ops = await postedOps(async () => {
            await playHandshake(channel, peer);
            assert.ok(channel.established, String(channel.error));
            assert.equal(channel.facts?.protocol, version);
            material = await channel.methodKeyingMaterial();
          });
          assert.equal(material?.length, 128);
          assert.deepEqual(material, peerKeying(peer, keying));
          // In a worker, the material came with the handshake: no call was made for it.
          if (workers) {
            assert.ok(ops.includes('receive'), ops.join(' '));
            assert.ok(!ops.includes('export'), ops.join(' '));
          }
          channel.destroy();
          peer.destroy();
        });
      }
    }
  }

  test('a session opened without keying has none to give', async () => {
    const config = suite.instance({ workers: 1 });
    const peer = suite.peer('tunnel', 'TLSv1.2');
    const channel = config.open('tunnel', false);
    await playHandshake(channel, peer);
    assert.ok(channel.established, String(channel.error));
    await assert.rejects(channel.methodKeyingMaterial(), /without method keying/);
    channel.destroy();
    peer.destroy();
  });
});

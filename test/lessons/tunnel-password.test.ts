// Lesson "Tunnel-Password / salt": round trips through real peers in both directions, for values
// over 16 bytes and for the MS-MPPE keys inside the Microsoft VSA (RFC 2868 §3.5, RFC 2548 §2.4.2).
// Unique salts with the high bit set and the authenticator used are checked on our own bytes in
// test/protocol/vectors.test.ts and test/server/blastradius.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  AbstractRadiusServer,
  AccessRequest,
  type AttributesSet,
  RadiusClient,
} from '../../src/index.js';
import { radclient, skipUnless, startFreeradius } from '../helpers/peers.js';

const SECRET = 'tunnel-lesson-secret';
const TUNNEL_1 = 'first tunnel password, well over 16 bytes';
const TUNNEL_2 = 'second';
const SEND_KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const RECV_KEY = Buffer.from('ffeeddccbbaa99887766554433221100f0e0d0c0b0a090807060504030201000', 'hex');

/** Attribute values as radclient prints them: strings bare, octets as 0x hex. */
function printed(attrs: Array<[string, string]>, name: string): string[] {
  return attrs.filter(([n]) => n === name).map(([, v]) => v);
}

describe('lesson: Tunnel-Password / salt', { timeout: 90_000 }, () => {
  test('FreeRADIUS → RadiusClient: tagged Tunnel-Passwords and MS-MPPE keys are revealed with our request authenticator', {
    skip: skipUnless('freeradius'),
  }, async () => {
    const fr = await startFreeradius({
      secret: SECRET,
      users: [
        {
          name: 'tunnel',
          password: 'tunnelpw',
          reply: [
            ['Tunnel-Password:1', `"${TUNNEL_1}"`],
            ['Tunnel-Password:2', `"${TUNNEL_2}"`],
            ['MS-MPPE-Send-Key', `0x${SEND_KEY.toString('hex')}`],
            ['MS-MPPE-Recv-Key', `0x${RECV_KEY.toString('hex')}`],
          ],
        },
      ],
    });
    const client = new RadiusClient({ timeout: 2, retries: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const req = new AccessRequest(SECRET).addAttributes(
          ['User-Name', 'tunnel'],
          ['User-Password', 'tunnelpw'],
        );
        const [reply] = await client.sendPacket(req, { remoteHost: '127.0.0.1', remotePort: fr.authPort });
        assert.equal(reply.code, ACCESS_ACCEPT);
        assert.equal(reply.get('Tunnel-Password:1'), TUNNEL_1);
        assert.equal(reply.get('Tunnel-Password:2'), TUNNEL_2);
        assert.deepEqual(reply.get('MS-MPPE-Send-Key'), SEND_KEY);
        assert.deepEqual(reply.get('MS-MPPE-Recv-Key'), RECV_KEY);
      }
    } finally {
      client.close();
      await fr.stop();
    }
  });

  test('our server → radclient: tagged Tunnel-Passwords and MS-MPPE keys are revealed by FreeRADIUS code', {
    skip: skipUnless('radclient'),
  }, async () => {
    class TunnelServer extends AbstractRadiusServer {
      validateNas() {
        return SECRET;
      }
      override handleAuthPacket(_attrs: AttributesSet) {
        return [
          [
            ['Tunnel-Type:1', 'L2TP'],
            ['Tunnel-Password:1', TUNNEL_1],
            ['Tunnel-Password:2', TUNNEL_2],
            ['MS-MPPE-Send-Key', SEND_KEY],
            ['MS-MPPE-Recv-Key', RECV_KEY],
          ],
          ACCESS_ACCEPT,
        ] as const;
      }
    }
    const server = new TunnelServer('127.0.0.1', { authPort: 0 });
    const port = (await server.start()).authPort as number;
    try {
      for (let i = 0; i < 3; i++) {
        const r = await radclient({
          host: '127.0.0.1',
          port,
          type: 'auth',
          secret: SECRET,
          input: 'User-Name = "tunnel", User-Password = "x", Message-Authenticator = 0x00',
        });
        assert.equal(r.replies[0]?.code, 'Access-Accept', r.stdout + r.stderr);
        const attrs = r.replies[0].attributes;
        assert.deepEqual(printed(attrs, 'Tunnel-Password:1'), [TUNNEL_1]);
        assert.deepEqual(printed(attrs, 'Tunnel-Password:2'), [TUNNEL_2]);
        assert.deepEqual(printed(attrs, 'MS-MPPE-Send-Key'), [`0x${SEND_KEY.toString('hex')}`]);
        assert.deepEqual(printed(attrs, 'MS-MPPE-Recv-Key'), [`0x${RECV_KEY.toString('hex')}`]);
      }
    } finally {
      await server.close();
    }
  });
});

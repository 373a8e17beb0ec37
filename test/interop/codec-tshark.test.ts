// Wireshark's RADIUS dissector (tshark) reads packets we encode: every data type, vendor, TLV,
// extended / long-extended / EVS, tagged and hidden attribute, with no malformed or expert error;
// with the secret it validates the Response Authenticator and reveals User-Password.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  AccessRequest,
  Dictionary,
  decodeRequest,
  decodeResponse,
  type Packet,
} from '../../src/index.js';
import {
  type Capture,
  dissect,
  dissectVerbose,
  expertErrors,
  skipUnless,
  startCapture,
} from '../helpers/peers.js';
import { freePorts } from '../helpers/ports.js';

const DICTIONARY = '/usr/share/freeradius/dictionary';
const SECRET = 'tshark-secret';
const PASSWORD = 'a password longer than sixteen bytes';
const skip = skipUnless('tshark') || (existsSync(DICTIONARY) ? false : `${DICTIONARY} is absent`);

// Every type appears at least once; vendor attributes come from FreeRADIUS's files, loaded at run time.
const REQUEST_ATTRIBUTES: Array<[string, unknown]> = [
  ['User-Name', 'nemo'], // string
  ['User-Password', PASSWORD], // encrypt=1, two blocks
  ['NAS-IP-Address', '127.0.0.1'], // ipaddr
  ['NAS-IPv6-Address', '::1'], // ipv6addr
  ['NAS-Port', 7], // integer
  ['Service-Type', 'Framed-User'], // integer with a named value
  ['Framed-Interface-Id', '0000:0000:0000:0001'], // ifid
  ['Framed-IPv6-Prefix', '2001:db8::/32'], // ipv6prefix
  ['PMIP6-Home-IPv4-HoA', '10.1.0.0/16'], // ipv4prefix
  ['Event-Timestamp', new Date(1_700_000_000_000)], // date
  ['Called-Station-Id', '00-11-22-33-44-55:ssid'],
  ['Cisco-AVPair', 'shell:priv-lvl=15'], // VSA, vendor format 1,1
  ['3GPP-RAT-Type', 'UTRAN'], // byte
  ['3GPP2-GMT-Time-Zone-Offset', -3600], // signed
  ['Acct-Input-Octets-64', 12345678901234n], // integer64
  ['Fortinet-WirelessController-Device-MAC', '00:11:22:33:44:55'], // ether
  ['ALU-AAA-Address-0', '192.0.2.1'], // combo-ip
  ['WiMAX-Release', '5.0'], // TLV child in a format=1,1,c vendor
  ['WiMAX-AAA-Session-Id', Buffer.alloc(600, 0x3c)], // format=1,1,c, continued over three attributes 26
  ['Tunnel-Type:1', 'VLAN'], // tagged integer
  ['Tunnel-Medium-Type:1', 'IEEE-802'],
  ['Tunnel-Private-Group-Id:1', '100'], // tagged string
  ['Frag-Status', 'Reserved'], // extended (241.1)
  ['FreeRADIUS-802.1X-Anonce', Buffer.alloc(32, 0xab)], // EVS under long-extended 245.26
  ['FreeRADIUS-802.1X-EAPoL-Key-Msg', Buffer.alloc(300, 0x5a)], // long-extended, fragmented (More flag)
];

const REPLY_ATTRIBUTES: Array<[string, unknown]> = [
  ['Reply-Message', 'welcome'],
  ['Framed-IP-Address', '10.0.0.7'],
  ['Session-Timeout', 3600],
  ['Tunnel-Password:1', 'tunnel secret'], // encrypt=2 with a salt
  ['MS-MPPE-Send-Key', Buffer.alloc(16, 1)], // vendor, encrypt=2
  ['MS-MPPE-Recv-Key', Buffer.alloc(16, 2)],
];

describe('tshark dissects what we encode', { skip }, () => {
  let dict: Dictionary;
  let port: number;
  let capture: Capture;
  let server: Socket;
  let client: Socket;
  let request: Packet;
  let reply: Packet;

  before(async () => {
    dict = new Dictionary().load(DICTIONARY);
    [port] = await freePorts(1);
    capture = await startCapture([port]);
    server = createSocket('udp4');
    client = createSocket('udp4');
    await new Promise<void>((r) => server.bind(port, '127.0.0.1', () => r()));
    // A minimal responder: decode, verify, answer with every reply attribute.
    server.on('message', (data, rinfo) => {
      const got = decodeRequest(SECRET, data, { dictionary: dict });
      server.send(
        got.createReply(ACCESS_ACCEPT, REPLY_ATTRIBUTES as never).encode(),
        rinfo.port,
        rinfo.address,
      );
    });
    request = new AccessRequest(SECRET, { dictionary: dict });
    for (const [name, value] of REQUEST_ATTRIBUTES) request.add(name, value as never);
    client.send(request.encode(), port, '127.0.0.1');
    const [data] = (await once(client, 'message')) as [Buffer];
    reply = decodeResponse(SECRET, data, request, { requireMessageAuthenticator: true });
  });

  after(async () => {
    client?.close();
    server?.close();
    await capture?.dispose?.();
  });

  test('our own decoder gets every value back', () => {
    const got = decodeRequest(SECRET, request.encode(), { dictionary: dict });
    for (const [name, value] of REQUEST_ATTRIBUTES) {
      const back = got.get(name);
      if (value instanceof Date) assert.equal((back as Date).getTime(), value.getTime(), name);
      else assert.deepEqual(back, value, name);
    }
    assert.equal(reply.get('Tunnel-Password:1'), 'tunnel secret');
    assert.deepEqual(reply.get('MS-MPPE-Send-Key'), Buffer.alloc(16, 1));
  });

  test('no malformed packet or expert error; the reply authenticator is valid; the password is revealed', async () => {
    const pcap = await capture.stop();
    const opts = { ports: [port], secret: SECRET };
    assert.deepEqual(await expertErrors(pcap, opts), []);
    const rows = await dissect(pcap, {
      ...opts,
      fields: [
        'radius.code',
        'radius.authenticator.valid',
        'radius.User_Password',
        'radius.User_Name',
        '_ws.malformed',
      ],
    });
    assert.equal(rows.length, 2, JSON.stringify(rows));
    const [req, resp] = rows;
    assert.equal(req['radius.code'], '1');
    assert.equal(req['radius.User_Name'], 'nemo');
    assert.equal(req['radius.User_Password'], PASSWORD);
    assert.equal(resp['radius.code'], '2');
    assert.equal(resp['radius.authenticator.valid'], '1');
    assert.equal(req['_ws.malformed'] + resp['_ws.malformed'], '');
    // The dissector names the vendor and extended attributes it walked through.
    const verbose = await dissectVerbose(pcap, opts);
    for (const needle of [
      'Cisco-AVPair',
      '3GPP-RAT-Type',
      'WiMAX',
      'Tunnel-Type',
      'Tunnel-Password',
      'MS-MPPE-Send-Key',
      'Frag-Status',
      'Last VSA fragment[3]', // the WiMAX value, joined from its three attributes
    ]) {
      assert.ok(verbose.includes(needle), `tshark shows ${needle}`);
    }
  });
});

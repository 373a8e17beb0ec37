// Checks the interop harness itself against FreeRADIUS, before any code of ours is involved:
// if these fail, an interop failure elsewhere says nothing about our code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Capture,
  dissect,
  dissectVerbose,
  expertErrors,
  type FreeradiusPeer,
  parseRadclientOutput,
  pyradSend,
  radclient,
  radtest,
  skipUnless,
  startCapture,
  startFreeradius,
} from '../helpers/peers.js';
import { freePorts, ipv6LoopbackAvailable } from '../helpers/ports.js';

const SECRET = 'harness-s3cret';
const users = [
  {
    name: 'alice',
    password: 'alicepw',
    reply: [['Reply-Message', '"Hello alice"']] as Array<[string, string]>,
  },
  { name: 'bob', password: 'bobpw' },
];

test('parseRadclientOutput reads replies and skips the sent packets', () => {
  const out = [
    'Sent Access-Request Id 7 from 0.0.0.0:4000 to 127.0.0.1:1812 length 40',
    '\tUser-Name = "alice"',
    'Received Access-Accept Id 7 from 127.0.0.1:1812 to 127.0.0.1:4000 length 39',
    '\tReply-Message = "say \\"hi\\""',
    '\tFramed-IP-Address = 10.0.0.7',
    '(0) -: Expected Access-Accept got Access-Reject',
  ].join('\n');
  assert.deepEqual(parseRadclientOutput(out), [
    {
      code: 'Access-Accept',
      attributes: [
        ['Reply-Message', 'say "hi"'],
        ['Framed-IP-Address', '10.0.0.7'],
      ],
    },
  ]);
});

test('freePorts gives distinct ports', async () => {
  const ports = await freePorts(5);
  assert.equal(new Set(ports).size, 5);
});

describe('harness against FreeRADIUS', { skip: skipUnless('freeradius', 'radtest', 'radclient') }, () => {
  let fr: FreeradiusPeer;
  let capture: Capture | undefined;
  let ipv6 = false;
  let coaPort = 0;

  before(async () => {
    ipv6 = await ipv6LoopbackAvailable();
    [coaPort] = await freePorts(1, { ipv6 });
    fr = await startFreeradius({
      secret: SECRET,
      users,
      ipv6,
      coaPort,
      extraCoa: '\t\tif (&User-Name == "nak-me") {\n\t\t\treject\n\t\t}',
    });
    if (skipUnless('tshark') === false) capture = await startCapture([fr.authPort, fr.acctPort, coaPort]);
  });

  after(async () => {
    await capture?.dispose();
    await fr?.stop();
  });

  test('radtest PAP: Access-Accept with the reply attribute', async () => {
    const r = await radtest({
      user: 'alice',
      password: 'alicepw',
      host: '127.0.0.1',
      port: fr.authPort,
      secret: SECRET,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.replyCode, 'Access-Accept');
    assert.deepEqual(r.attributes, [['Reply-Message', 'Hello alice']]);
  });

  test('radtest wrong password: Access-Reject, exit 1', async () => {
    const r = await radtest({
      user: 'alice',
      password: 'wrong',
      host: '127.0.0.1',
      port: fr.authPort,
      secret: SECRET,
    });
    assert.equal(r.code, 1);
    assert.equal(r.replyCode, 'Access-Reject');
  });

  test('radtest CHAP and MS-CHAP', async () => {
    for (const method of ['chap', 'mschap'] as const) {
      const r = await radtest({
        user: 'bob',
        password: 'bobpw',
        host: '127.0.0.1',
        port: fr.authPort,
        secret: SECRET,
        method,
      });
      assert.equal(r.replyCode, 'Access-Accept', `${method}: ${r.stdout}${r.stderr}`);
    }
  });

  test('radtest over IPv6', async (t) => {
    if (!ipv6) return t.skip('::1 not available');
    const r = await radtest({
      user: 'alice',
      password: 'alicepw',
      host: '::1',
      port: fr.authPort,
      secret: SECRET,
    });
    assert.equal(r.replyCode, 'Access-Accept', r.stdout + r.stderr);
  });

  test('radclient accounting Start is answered', async () => {
    const r = await radclient({
      host: '127.0.0.1',
      port: fr.acctPort,
      type: 'acct',
      secret: SECRET,
      input: 'User-Name = "alice", Acct-Status-Type = Start, Acct-Session-Id = "h1"',
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.replies, [{ code: 'Accounting-Response', attributes: [] }]);
  });

  test('Status-Server is answered on the auth and acct ports', async () => {
    const input = 'Message-Authenticator = 0x00';
    const auth = await radclient({
      host: '127.0.0.1',
      port: fr.authPort,
      type: 'status',
      secret: SECRET,
      input,
    });
    assert.equal(auth.replies[0]?.code, 'Access-Accept', auth.stdout + auth.stderr);
    const acct = await radclient({
      host: '127.0.0.1',
      port: fr.acctPort,
      type: 'status',
      secret: SECRET,
      input,
    });
    assert.equal(acct.replies[0]?.code, 'Accounting-Response', acct.stdout + acct.stderr);
  });

  test('CoA and Disconnect listener: ACK, and NAK when told to', async () => {
    const send = (type: 'coa' | 'disconnect', user: string) =>
      radclient({ host: '127.0.0.1', port: coaPort, type, secret: SECRET, input: `User-Name = "${user}"` });
    assert.equal((await send('coa', 'alice')).replies[0]?.code, 'CoA-ACK');
    assert.equal((await send('disconnect', 'alice')).replies[0]?.code, 'Disconnect-ACK');
    const nak = await send('coa', 'nak-me');
    assert.equal(nak.replies[0]?.code, 'CoA-NAK');
    assert.equal(nak.code, 1);
  });

  test('pyrad Access-Request and Accounting-Request', { skip: skipUnless('pyrad') }, async () => {
    const auth = await pyradSend({
      host: '127.0.0.1',
      port: fr.authPort,
      secret: SECRET,
      kind: 'auth',
      attributes: [
        ['User-Name', 'alice'],
        ['User-Password', 'alicepw'],
        ['NAS-Port', 3],
      ],
    });
    assert.equal(auth.code, 2, auth.stderr);
    assert.deepEqual(auth.attributes['Reply-Message'], ['Hello alice']);
    const acct = await pyradSend({
      host: '127.0.0.1',
      port: fr.acctPort,
      secret: SECRET,
      kind: 'acct',
      attributes: [
        ['User-Name', 'alice'],
        ['Acct-Status-Type', 'Stop'],
        ['Acct-Session-Id', 'h1'],
      ],
    });
    assert.equal(acct.code, 5, acct.stderr);
  });

  test('pyrad gets no reply with a wrong secret', { skip: skipUnless('pyrad') }, async () => {
    // FreeRADIUS signs its reject with the secret it knows; pyrad drops a reply it cannot verify.
    const r = await pyradSend({
      host: '127.0.0.1',
      port: fr.authPort,
      secret: 'not-the-secret',
      kind: 'auth',
      attributes: [
        ['User-Name', 'alice'],
        ['User-Password', 'alicepw'],
      ],
      timeoutSec: 1,
    });
    assert.equal(r.code, null);
  });

  test('a second instance runs alongside, and stop() ends it', async () => {
    const other = await startFreeradius({ secret: 'other-secret', users });
    try {
      const r = await radtest({
        user: 'bob',
        password: 'bobpw',
        host: '127.0.0.1',
        port: other.authPort,
        secret: 'other-secret',
      });
      assert.equal(r.replyCode, 'Access-Accept', r.stdout + r.stderr);
      assert.match(other.log(), /Ready to process requests/);
    } finally {
      await other.stop();
    }
    assert.throws(() => process.kill(other.pid, 0), { code: 'ESRCH' });
  });

  test('a broken config fails with the log and freeradius -XC output', async () => {
    await assert.rejects(
      startFreeradius({ secret: SECRET, extraAuthorize: '\tno_such_module_here' }),
      (err: Error) => /freeradius -XC/.test(err.message) && /no_such_module_here/.test(err.message),
    );
  });

  test('tshark dissects the traffic with valid Response Authenticators', {
    skip: skipUnless('tshark'),
  }, async () => {
    assert.ok(capture);
    const pcap = await capture.stop();
    const ports = [fr.authPort, fr.acctPort, coaPort];
    const fields = ['frame.number', 'udp.srcport', 'udp.dstport', 'radius.code', 'radius.id'];
    const rows = await dissect(pcap, {
      ports,
      secret: SECRET,
      fields: [...fields, 'radius.authenticator.valid', 'radius.User_Password'],
    });
    // Responses: 2 Access-Accept, 3 Access-Reject, 5 Accounting-Response, 41 Disconnect-ACK, 44 CoA-ACK, 45 CoA-NAK.
    const responseCodes = ['2', '3', '5', '41', '44', '45'];
    const requestCode = new Map<string, string>();
    for (const r of rows) {
      if (!responseCodes.includes(r['radius.code'])) {
        requestCode.set(`${r['udp.srcport']}/${r['radius.id']}`, r['radius.code']);
      }
    }
    const responses = rows.filter((r) => responseCodes.includes(r['radius.code']));
    assert.ok(responses.length >= 10, `only ${responses.length} responses captured`);
    for (const r of responses) {
      // tshark 4.0 does not validate replies to Status-Server (code 12): the field stays empty.
      if (requestCode.get(`${r['udp.dstport']}/${r['radius.id']}`) === '12') continue;
      assert.equal(r['radius.authenticator.valid'], '1', `frame ${r['frame.number']}: ${JSON.stringify(r)}`);
    }
    // With the secret, tshark decrypts User-Password: radtest's and pyrad's hiding both agree with it.
    const passwords = rows.map((r) => r['radius.User_Password']).filter(Boolean);
    assert.ok(passwords.includes('alicepw'));
    assert.ok(passwords.includes('wrong'));
    assert.deepEqual(await expertErrors(pcap, { ports, secret: SECRET }), []);
    assert.match(await dissectVerbose(pcap, { ports, secret: SECRET }), /Reply-Message: Hello alice/);
  });
});

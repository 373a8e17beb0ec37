// Raw fallback depth, TLVs given as bytes and empty values against FreeRADIUS's radclient: what our
// server sends, radclient -x names and prints as our decoder does (the bad piece raw under its own oid,
// the rest decoded; no empty attribute); what radclient sends as raw pieces, our decoder names alike.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ACCESS_ACCEPT, AccessRequest, Dictionary, decodeRequest } from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import { AbstractRadiusServer } from '../../src/server/abstract-server.js';
import { radclient, skipUnless } from '../helpers/peers.js';

const SECRET = 'raw-depth-interop-s3cret';
const FREERADIUS_DICTIONARY = '/usr/share/freeradius/dictionary';
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// WiMAX (24757, format=1,1,c) Capability (1) is a TLV of Release (1, string) and
// Accounting-Capabilities (2, byte); 241.1 is Frag-Status (integer).
const REPLY: Array<[string, string | Buffer]> = [
  // A Capability whose second child is cut short: the TLV is raw.
  ['Attr-26.24757.1', hex('0105312e30 020401')],
  // A child of the wrong size: only the child is raw.
  ['Attr-26.24757.1.2', hex('0100')],
  // Children given as bytes: sent inside the TLV's header, decoded as children.
  ['WiMAX-Capability', '0x0105322e31020302'],
  // An integer of three octets in the extended space: raw at its own depth.
  ['Attr-241.1', hex('000007')],
  // Not sent at all.
  ['Reply-Message', ''],
];

class ReplyServer extends AbstractRadiusServer {
  readonly received: AttributesSet[] = [];
  validateNas() {
    return SECRET;
  }
  override handleAuthPacket(attrs: AttributesSet) {
    this.received.push(attrs);
    return [REPLY, ACCESS_ACCEPT] as const;
  }
}

const skip =
  skipUnless('radclient') ||
  (existsSync(FREERADIUS_DICTIONARY) ? false : `${FREERADIUS_DICTIONARY} is absent`);

/** Values as radclient -x prints them: octets in 0x hex, the rest as text. */
function printed(attrs: AttributesSet): Array<[string, string]> {
  return [...attrs].map(([name, v]) => [name, Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : String(v)]);
}

describe('raw pieces, TLV bytes and empty values with radclient', { skip }, () => {
  let dict: Dictionary;
  let server: ReplyServer;
  let port = 0;
  let raddb = '';

  before(async () => {
    dict = new Dictionary();
    dict.load(FREERADIUS_DICTIONARY);
    server = new ReplyServer('127.0.0.1', {
      authPort: 0,
      dictionary: dict,
      requireMessageAuthenticator: false,
    });
    await server.start();
    port = (await server.listening).authPort ?? 0;
    assert.ok(port > 0);
    raddb = await fs.mkdtemp(path.join(os.tmpdir(), 'aioradius-radclient-'));
    await fs.writeFile(path.join(raddb, 'dictionary'), `$INCLUDE ${FREERADIUS_DICTIONARY}\n`);
  });

  after(async () => {
    await server?.close();
    if (raddb) await fs.rm(raddb, { recursive: true, force: true });
  });

  async function send(input: string) {
    const r = await radclient({
      host: '127.0.0.1',
      port,
      type: 'auth',
      secret: SECRET,
      input,
      extraArgs: ['-d', raddb],
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.replies.length, 1, r.stdout + r.stderr);
    return r.replies[0];
  }

  test('our reply: radclient -x names the raw pieces and prints the values as our decoder does', async () => {
    const reply = await send('User-Name = "alice"');
    // Our own decoder's view of the same attributes.
    const p = new AccessRequest(SECRET, { dictionary: dict, messageAuthenticator: false });
    for (const [name, value] of REPLY) p.add(name, value);
    const ours = printed(decodeRequest(SECRET, p.encode(), { dictionary: dict }).attributes);
    assert.deepEqual(ours, [
      ['Attr-26.24757.1', '0x0105312e30020401'],
      ['Attr-26.24757.1.2', '0x0100'],
      ['WiMAX-Release', '2.1'],
      ['WiMAX-Accounting-Capabilities', 'Flow-Based'],
      ['Attr-241.1', '0x000007'],
    ]);
    assert.deepEqual(
      reply.attributes.filter(([name]) => name !== 'Message-Authenticator'),
      ours,
    );
  });

  // radclient 3.2 cannot send a raw extended attribute (Attr-241.1: "attr is not a TLV"), and it sends
  // a raw TLV child (Attr-26.24757.1.2) without the child's header: a raw TLV and bytes for a TLV only.
  test('radclient sends a raw TLV and a TLV as bytes: our decoder gives the same names and children', async () => {
    const before = server.received.length;
    await send(
      [
        'User-Name = "bob"',
        'Attr-26.24757.1 = 0x0105312e30020401',
        'WiMAX-Capability = 0x0105322e31020302',
      ].join('\n'),
    );
    assert.equal(server.received.length, before + 1);
    assert.deepEqual(printed(server.received[before]), [
      ['User-Name', 'bob'],
      ['Attr-26.24757.1', '0x0105312e30020401'],
      ['WiMAX-Release', '2.1'],
      ['WiMAX-Accounting-Capabilities', 'Flow-Based'],
    ]);
  });
});

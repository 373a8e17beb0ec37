// Ascend binary filters and packed NAS-Filter-Rule values against FreeRADIUS's radclient: our server
// replies with them and radclient -x prints the text we encoded; radclient sends them and our decoder
// returns the values it was given.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ACCESS_ACCEPT, Dictionary, decodeAscendFilter, encodeAscendFilter } from '../../src/index.js';
import type { AttributesSet } from '../../src/protocol/attributes.js';
import type { AttributeValue } from '../../src/dictionary/types.js';
import { AbstractRadiusServer } from '../../src/server/abstract-server.js';
import { radclient, skipUnless } from '../helpers/peers.js';

const SECRET = 'filters-interop-s3cret';
const FREERADIUS_DICTIONARY = '/usr/share/freeradius/dictionary';

const IP_FILTERS = [
  'ip in forward srcip 1.2.3.4/5 dstip 10.11.12.13/32 tcp srcport = 5 dstport = 1234',
  'ip in drop tcp dstport > 1023',
  'ip out forward dstip 192.168.1.0/24 udp srcport < 1024 dstport != 53 est',
  'ip out drop icmp',
  'ipx in forward srcipxnet 0x1234 srcipxnode 0x0a0b0c0d0e0f srcipxsock = 0x0451',
];
// FreeRADIUS 3.2 encodes a generic filter like ours, but prints only its header ("generic in forward"):
// this one is checked in the direction where radclient sends it.
const GENERIC_FILTER = 'generic in forward 10 ffff00000000 0a0b00000000 != more';
// FreeRADIUS's short forms: missing trailing address bytes are zero, a bare /N is address 0.
const SHORT_FILTERS = [
  'ip in drop srcip 10/8',
  'ip in drop srcip 10.20/16',
  'ip in drop srcip 10.20.30/24',
  'ip out forward srcip 172.16/12 dstip 192.168.7/24 tcp dstport = 443',
  'ip in drop dstip /24',
];
const RULES = [
  'permit in ip from any to 10.1.1.1',
  'deny in tcp from any to any 23',
  // Long enough that the packed stream runs on into a second attribute (RFC 4849 §2); FreeRADIUS
  // takes no rule over 253 octets.
  `permit out udp from 192.0.2.0/24 to any ${'5060,'.repeat(30)}5061`,
];

class FilterServer extends AbstractRadiusServer {
  readonly received: AttributesSet[] = [];
  readonly errors: unknown[] = [];
  validateNas() {
    return SECRET;
  }
  override handleAuthPacket(attrs: AttributesSet) {
    this.received.push(attrs);
    return [
      [
        ...IP_FILTERS.map((f) => ['Ascend-Data-Filter', f] as const),
        ...RULES.map((r) => ['NAS-Filter-Rule', r] as const),
      ],
      ACCESS_ACCEPT,
    ] as const;
  }
  override registerHandleException(error: unknown) {
    this.errors.push(error);
  }
}

const skip =
  skipUnless('radclient') ||
  (existsSync(FREERADIUS_DICTIONARY) ? false : `${FREERADIUS_DICTIONARY} is absent`);

/** A radclient input line: `Name = "value"` (the values here hold no quote or backslash). */
const line = (name: string, value: string, op = '=') => `${name} ${op} "${value}"`;

describe('Ascend-Data-Filter and NAS-Filter-Rule with radclient', { skip }, () => {
  let server: FilterServer;
  let port = 0;
  let raddb = '';

  before(async () => {
    const dict = new Dictionary();
    dict.load(FREERADIUS_DICTIONARY);
    server = new FilterServer('127.0.0.1', {
      authPort: 0,
      dictionary: dict,
      requireMessageAuthenticator: false,
    });
    await server.start();
    port = (await server.listening).authPort ?? 0;
    assert.ok(port > 0);
    // radclient reads <dir>/dictionary: the installed dictionaries, whatever /etc holds.
    raddb = await fs.mkdtemp(path.join(os.tmpdir(), 'aioradius-radclient-'));
    await fs.writeFile(path.join(raddb, 'dictionary'), `$INCLUDE ${FREERADIUS_DICTIONARY}\n`);
  });

  after(async () => {
    await server?.close();
    if (raddb) await fs.rm(raddb, { recursive: true, force: true });
  });

  async function send(input: string[]) {
    const r = await radclient({
      host: '127.0.0.1',
      port,
      type: 'auth',
      secret: SECRET,
      input: input.join('\n'),
      extraArgs: ['-d', raddb],
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.replies.length, 1, r.stdout + r.stderr);
    return r.replies[0];
  }

  test('our Access-Accept: radclient -x prints the filters and the rules we encoded', async () => {
    const reply = await send([line('User-Name', 'alice')]);
    assert.equal(reply.code, 'Access-Accept');
    const printed = (name: string) => reply.attributes.filter(([n]) => n === name).map(([, v]) => v);
    assert.deepEqual(printed('Ascend-Data-Filter'), IP_FILTERS);
    assert.deepEqual(printed('NAS-Filter-Rule'), RULES);
    assert.deepEqual(server.errors, []);
  });

  test('radclient sends them: our decoder returns the same values', async () => {
    const filters = [...IP_FILTERS, GENERIC_FILTER];
    const before = server.received.length;
    await send([
      line('User-Name', 'bob'),
      ...filters.map((f) => line('Ascend-Data-Filter', f, '+=')),
      ...RULES.map((r) => line('NAS-Filter-Rule', r, '+=')),
    ]);
    assert.equal(server.received.length, before + 1);
    const attrs = server.received[before];
    const values = (name: string): AttributeValue[] => attrs.getAll(name);
    assert.deepEqual(values('Ascend-Data-Filter'), filters);
    assert.deepEqual(values('NAS-Filter-Rule'), RULES);
  });

  test('short addresses radclient sends decode to what we encode from the same text', async () => {
    const before = server.received.length;
    await send([
      line('User-Name', 'carol'),
      ...SHORT_FILTERS.map((f) => line('Ascend-Data-Filter', f, '+=')),
    ]);
    const got = server.received[before].getAll('Ascend-Data-Filter');
    // Text where the text can say it; the bytes otherwise (address 0 with a length).
    const ours = SHORT_FILTERS.map((f) => {
      const b = encodeAscendFilter(f);
      return decodeAscendFilter(b) ?? b;
    });
    assert.deepEqual(got, ours);
    assert.equal(got[0], 'ip in drop srcip 10.0.0.0/8 0');
  });
});

// Writes the seed corpus of fuzz/corpus/ from our own encoder and our own texts (no third-party
// files). Run by `node fuzz/run.mjs --make-corpus`; the output is committed.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttributePair } from '../src/protocol/attributes.js';
import { createPacket, type Packet } from '../src/protocol/packet.js';
import { FUZZ_DICTIONARY_TEXT, fuzzDictionary, SECRET } from './targets/common.js';

const REQUEST_AUTHENTICATOR = Buffer.from('0123456789abcdef', 'latin1');
const out = process.argv[2] ?? 'fuzz/corpus';

function write(target: string, bytes: Buffer): void {
  const dir = join(out, target);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, createHash('sha1').update(bytes).digest('hex').slice(0, 16)), bytes);
}

function withFlags(flags: number, wire: Buffer): Buffer {
  return Buffer.concat([Buffer.from([flags]), wire]);
}

const FUZZ_DICT = 1 << 1;
const DEFER = 1;

const requests: Array<[number, number, AttributePair[]]> = [
  [
    1,
    0,
    [
      ['User-Name', 'alice'],
      ['User-Password', 'secret'],
      ['NAS-IP-Address', '192.0.2.1'],
      ['NAS-Port', 7],
    ],
  ],
  [
    1,
    0,
    [
      ['User-Name', 'bob'],
      ['CHAP-Password', Buffer.alloc(17, 1)],
      ['CHAP-Challenge', Buffer.alloc(16, 2)],
    ],
  ],
  [
    1,
    0,
    [
      ['User-Name', 'eve'],
      ['EAP-Message', Buffer.from([2, 1, 0, 8, 1, 101, 118, 101])],
      ['State', Buffer.from('s1')],
    ],
  ],
  [
    1,
    0,
    [
      ['User-Name', 'ms'],
      ['MS-CHAP-Challenge', Buffer.alloc(16, 3)],
      ['MS-CHAP2-Response', Buffer.alloc(50, 4)],
      ['Service-Type', 'Framed-User'],
      ['Framed-IPv6-Prefix', '2001:db8::/64'],
    ],
  ],
  [
    1,
    0,
    [
      ['User-Name', 'tun'],
      ['Tunnel-Type:1', 'VLAN'],
      ['Tunnel-Private-Group-Id:1', '100'],
      ['Tunnel-Password:2', 'pw'],
    ],
  ],
  [
    4,
    0,
    [
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', 'abc123'],
      ['Framed-IP-Address', '198.51.100.7'],
      ['Acct-Input-Octets', 1000],
      ['Event-Timestamp', new Date(1700000000000)],
      ['Class', Buffer.from('class')],
      ['Proxy-State', Buffer.from('ps')],
    ],
  ],
  [
    43,
    0,
    [
      ['User-Name', 'coa'],
      ['Session-Timeout', 3600],
      ['Filter-Id', 'f1'],
    ],
  ],
  [
    40,
    0,
    [
      ['User-Name', 'dm'],
      ['Acct-Session-Id', 'x'],
      ['Calling-Station-Id', '00-11-22-33-44-55'],
    ],
  ],
  [12, 0, []],
  [
    1,
    FUZZ_DICT,
    [
      ['User-Name', 'v'],
      ['Fuzz-String', 'vendor'],
      ['Fuzz-Integer', 'Two'],
      ['Fuzz-Tagged:3', 'tagged'],
      ['Fuzz-Tagged-Int:1', 'Three'],
      ['Fuzz-Password', 'hidden'],
      ['Fuzz-Tunnel-Password:1', 'tunnel'],
      ['Fuzz-Ascend-Secret', 'ascend'],
    ],
  ],
  [
    4,
    FUZZ_DICT,
    [
      ['Acct-Status-Type', 'Stop'],
      ['Fuzz-Tlv-Int', 5],
      ['Fuzz-Tlv-String', 'in a tlv'],
      ['Fuzz-Tlv-Nested-Addr', '203.0.113.9'],
      ['Fuzz-Addr-Array', '192.0.2.1'],
      ['Fuzz-Short-Array', 9],
      ['Fuzz-Ipv6-Prefix', '2001:db8:1::/48'],
      ['Fuzz-Ipv4-Prefix', '10.0.0.0/8'],
      ['Fuzz-Date', new Date(1600000000000)],
      ['Fuzz-Integer64', 2n ** 40n],
      ['Fuzz-Signed', -5],
    ],
  ],
  [
    43,
    FUZZ_DICT,
    [
      ['Fuzz-Ether', '00:11:22:33:44:55'],
      ['Fuzz-Ifid', '0011:2233:4455:6677'],
      ['Fuzz-Combo', '2001:db8::1'],
      ['Fuzz-Byte', 200],
      ['Fuzz-Fixed', Buffer.alloc(8, 9)],
      ['Fuzz-Ipv6', '2001:db8::2'],
      ['Fuzz-Wide-String', 'wide'],
      ['Fuzz-Wide-Integer', 1],
      ['Fuzz-Four-String', 'four'],
      ['Fuzz-Cont-Octets', Buffer.alloc(300, 5)],
    ],
  ],
  [
    1,
    FUZZ_DICT,
    [
      ['User-Name', 'ext'],
      ['Fuzz-Ext-Integer', 42],
      ['Fuzz-Ext-Tlv-String', 'extended tlv'],
      ['Fuzz-Long-Octets', Buffer.alloc(400, 6)],
      ['Fuzz-Concat', Buffer.alloc(600, 7)],
      ['Fuzz-Evs-String', 'evs'],
      ['Fuzz-Evs-Tlv-Integer', 8],
      ['Fuzz-Long-Evs-Octets', Buffer.alloc(300, 8)],
    ],
  ],
];

function encodeRequest(code: number, pairs: AttributePair[]): Packet {
  const p = createPacket(code, SECRET, {
    identifier: 42,
    authenticator: REQUEST_AUTHENTICATOR,
    dictionary: fuzzDictionary,
  });
  for (const [name, value] of pairs) p.add(name, value);
  return p;
}

rmSync(out, { recursive: true, force: true });

for (const [code, dict, pairs] of requests) {
  const wire = encodeRequest(code, pairs).encode();
  write('decode-request', withFlags(dict | DEFER, wire));
  write('decode-request', withFlags(dict, wire));
}

const replies: Array<[number, number, AttributePair[]]> = [
  [
    1,
    2,
    [
      ['Reply-Message', 'welcome'],
      ['Session-Timeout', 60],
      ['Framed-IP-Address', '192.0.2.9'],
    ],
  ],
  [1, 3, [['Reply-Message', 'denied']]],
  [
    1,
    11,
    [
      ['State', Buffer.from('st')],
      ['EAP-Message', Buffer.from([1, 2, 0, 6, 13, 32])],
    ],
  ],
  [
    1,
    2,
    [
      ['MS-MPPE-Send-Key', Buffer.alloc(32, 1)],
      ['MS-MPPE-Recv-Key', Buffer.alloc(32, 2)],
      ['Tunnel-Password:1', 'reply tunnel'],
      ['Tunnel-Type:1', 'VLAN'],
    ],
  ],
  [4, 5, []],
  [43, 44, [['Error-Cause', 201]]],
  [43, 45, [['Error-Cause', 'Session-Context-Not-Found']]],
  [40, 41, []],
  [40, 42, [['Error-Cause', 503]]],
  [
    1,
    2,
    [
      ['Fuzz-Tunnel-Password:2', 'vendor tunnel'],
      ['Fuzz-Evs-Tlv-Integer', 3],
      ['Fuzz-Long-Octets', Buffer.alloc(300, 3)],
      ['Fuzz-Tlv-Nested-Octets', Buffer.from('n')],
    ],
  ],
];

for (const [reqCode, code, pairs] of replies) {
  const request = encodeRequest(reqCode, []);
  const reply = request.createReply(code, pairs);
  const wire = reply.encode();
  const dict = pairs.some(([n]) => n.startsWith('Fuzz-')) ? FUZZ_DICT : 0;
  write('decode-response', withFlags(dict, wire));
  if (reqCode === 1) write('decode-response', withFlags(dict | 32, wire));
}

// Dictionary texts: the fuzz dictionary in pieces, and the directives it does not use.
const lines = FUZZ_DICTIONARY_TEXT.trim().split('\n');
for (let i = 0; i < lines.length; i += 12)
  write('dictionary', Buffer.from(lines.slice(i, i + 12).join('\n')));
write('dictionary', Buffer.from(FUZZ_DICTIONARY_TEXT));
const dictionaryTexts = [
  'VENDOR Example 32473\nATTRIBUTE Example-Attr 1 integer Example\nVALUE Example-Attr Yes 1\n',
  'ATTRIBUTE Example-Enum 250 integer\nVALUE Example-Enum On 1\nVALUE Example-Enum Off 0\nVALUE-ALIAS Example-Enum Service-Type\n',
  'ATTRIBUTE Example-Tlv 251 tlv\nBEGIN-TLV Example-Tlv\nATTRIBUTE Example-Sub 1 integer\nEND-TLV Example-Tlv\n',
  '$INCLUDE- optional.dictionary\n# a comment\n$INCLUDE missing.dictionary\n',
  'VENDOR Example-Evs 32474\nBEGIN-VENDOR Example-Evs format=Extended-Vendor-Specific-2\nATTRIBUTE Example-Evs-Int 7 uint32 array\nEND-VENDOR Example-Evs\n',
  'ATTRIBUTE Example-Internal 3000 string virtual\nATTRIBUTE Example-Fixed 252 octets[4] encrypt=1\n',
];
for (const t of dictionaryTexts) write('dictionary', Buffer.from(t));

const attributeTexts = [
  'User-Name = "alice", User-Password = "secret"\n',
  'User-Name = bob\nCHAP-Password = "chap"\nNAS-IP-Address = 192.0.2.1\n',
  'Acct-Status-Type = Start, Acct-Session-Id = "s-1", Framed-IP-Address := 198.51.100.7\n\nAcct-Status-Type = Stop\n',
  'Tunnel-Type:1 = VLAN, Tunnel-Medium-Type:1 = IEEE-802, Tunnel-Private-Group-Id:1 = "10"\n',
  'Fuzz-Tlv-Int = 3, Fuzz-Evs-String = "e", Fuzz-Long-Octets = 0x0102\n# comment\nFuzz-Integer64 = 18446744073709551615\n',
  "Reply-Message = 'single \\' quoted', Class += 0xdeadbeef\n",
  'Framed-IPv6-Prefix = 2001:db8::/32, Event-Timestamp = "2024-01-01T00:00:00Z", Fuzz-Date = 5\n',
  'Fuzz-Ipv4-Prefix = 10.0.0.0/8, Fuzz-Ether = 00:11:22:33:44:55, Fuzz-Combo = 192.0.2.5, Fuzz-Signed = -1\n',
  'Proxy-State = 0x000000090102, EAP-Message = 0x0201000501, Calling-Station-Id = "a\\\\b"\n',
];
for (const t of attributeTexts) write('attribute-list', Buffer.from(t));

for (const t of readdirSync(out)) console.log(`${t}: ${readdirSync(join(out, t)).length} seeds`);

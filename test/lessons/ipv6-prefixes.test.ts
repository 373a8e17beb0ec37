// Lesson "IPv6 prefixes" against FreeRADIUS's codec (radclient): prefix lengths that are not a
// multiple of 8, /0 and /128, both ways. The wire bytes and short encodings are checked in
// test/protocol/lessons.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACCESS_ACCEPT } from '../../src/index.js';
import { skipUnless } from '../helpers/peers.js';
import { radclientExchange } from './radclient-exchange.js';

const SECRET = 'ipv6-prefix-secret';

/** [what is sent, how it reads back]: host bits past the prefix length are dropped. */
const PREFIXES: Array<[string, string]> = [
  ['::/0', '::/0'],
  ['fe80::/7', 'fe00::/7'],
  ['2001:db8::/29', '2001:db8::/29'],
  ['2001:db8:ffff::/33', '2001:db8:8000::/33'],
  ['2001:db8:1:2::/64', '2001:db8:1:2::/64'],
  ['2001:db8::1/128', '2001:db8::1/128'],
];

describe('lesson: IPv6 prefixes', { timeout: 60_000 }, () => {
  test('radclient sends /0, /7, /29, /33, /64 and /128 to us, and reads ours back', {
    skip: skipUnless('radclient'),
  }, async () => {
    let received: unknown[] = [];
    const r = await radclientExchange(
      SECRET,
      ['User-Name = "v6"', ...PREFIXES.map(([sent]) => `Framed-IPv6-Prefix = ${sent}`)],
      (attrs) => {
        received = attrs.getAll('Framed-IPv6-Prefix');
        return [PREFIXES.map(([sent]) => ['Framed-IPv6-Prefix', sent] as [string, string]), ACCESS_ACCEPT];
      },
    );
    assert.equal(r.replies[0]?.code, 'Access-Accept', r.stdout + r.stderr);
    assert.deepEqual(
      received,
      PREFIXES.map(([, read]) => read),
    );
    assert.deepEqual(
      r.replies[0].attributes.filter(([n]) => n === 'Framed-IPv6-Prefix').map(([, v]) => v),
      PREFIXES.map(([, read]) => read),
    );
  });

  test('radclient: the same bytes read the same by FreeRADIUS and by us, short prefixes included', {
    skip: skipUnless('radclient'),
  }, async () => {
    // Framed-IPv6-Prefix bytes after the attribute header: [bytes, how both read them]. Sent raw
    // (Attr-97) each way: radclient sends them as they are, our server sends them back so.
    const CASES: Array<[string, string]> = [
      ['0000', '::/0'],
      ['0040', '::/64'],
      ['0080', '::/128'],
      ['001020', '2000::/16'],
      ['00402001', '2001::/64'],
      ['004020010db8', '2001:db8::/64'],
      ['008020010db80000000000000000', '2001:db8::/128'],
      ['008020010db8000000000000000000000001', '2001:db8::1/128'],
      ['012020010db8', '2001:db8::/32'],
      // Not a prefix, kept raw by both.
      ['00', '0x00'],
      ['0081', '0x0081'],
      ['008020010db800000000000000000000000100', '0x008020010db800000000000000000000000100'],
    ];
    // Bits past the length MUST be zero (RFC 8044 §3.10): we drop a sender's, FreeRADIUS keeps them.
    const HOST_BITS: Array<[string, string, string]> = [
      ['0001ff', '8000::/1', 'ff00::/1'],
      ['002020010db8ffff', '2001:db8::/32', '2001:db8:ffff::/32'],
    ];
    const all = [...CASES.map(([b]) => b), ...HOST_BITS.map(([b]) => b)];
    const shown = (v: unknown) => (Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : String(v));
    let ours: string[] = [];
    const r = await radclientExchange(
      SECRET,
      ['User-Name = "v6"', ...all.map((b) => `Attr-97 = 0x${b}`)],
      (attrs) => {
        ours = attrs.entries.filter((e) => e.def.number === 97).map((e) => shown(e.value));
        return [all.map((b) => ['Attr-97', Buffer.from(b, 'hex')] as [string, Buffer]), ACCESS_ACCEPT];
      },
    );
    assert.equal(r.replies[0]?.code, 'Access-Accept', r.stdout + r.stderr);
    const theirs = r.replies[0].attributes
      .filter(([n]) => n === 'Framed-IPv6-Prefix' || n === 'Attr-97')
      .map(([, v]) => v);
    assert.deepEqual(theirs, [...CASES.map(([, read]) => read), ...HOST_BITS.map(([, , fr]) => fr)]);
    assert.deepEqual(ours, [...CASES.map(([, read]) => read), ...HOST_BITS.map(([, read]) => read)]);
  });
});

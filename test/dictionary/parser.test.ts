import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AttributeDef } from '../../src/dictionary/definitions.js';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { loadDictionaryFile, loadDictionaryText } from '../../src/dictionary/parser.js';
import { DictionaryError } from '../../src/errors.js';
import { AccessRequest, decodeRequest, type Packet } from '../../src/protocol/packet.js';

const TEXT = 'test.dict';

/** The few RFC definitions the inline dictionaries below build on. */
const BASE = [
  'ATTRIBUTE User-Name 1 string',
  'ATTRIBUTE Vendor-Specific 26 vsa',
  'ATTRIBUTE Extended-Attribute-1 241 extended',
  'ATTRIBUTE Extended-Attribute-5 245 long-extended',
  'ATTRIBUTE Extended-Vendor-Specific-1 241.26 evs',
  'ATTRIBUTE Extended-Vendor-Specific-5 245.26 evs',
].join('\n');

/** A dictionary without built-ins holding `text` (after BASE unless told otherwise). */
function load(text: string, base = true): Dictionary {
  const dict = new Dictionary({ builtin: false });
  if (base) loadDictionaryText(dict, BASE, 'base.dict');
  loadDictionaryText(dict, text, TEXT);
  return dict;
}

function def(dict: Dictionary, name: string): AttributeDef {
  const d = dict.attribute(name);
  assert.ok(d, `${name} is defined`);
  return d;
}

/** Asserts that `fn` throws a DictionaryError at file:line whose reason matches. */
function throwsAt(fn: () => unknown, file: string, line: number, reason: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DictionaryError, `a DictionaryError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.equal(err.line, line);
    assert.match(err.reason, reason);
    assert.equal(err.message, `${file}:${line}: ${err.reason}`);
    return true;
  });
}

/** Asserts that loading `text` (after BASE) fails at `line` of the inline text. */
function failsAt(text: string, line: number, reason: RegExp): void {
  throwsAt(() => load(text), TEXT, line, reason);
}

const tmpRoot = mkdtempSync(join(tmpdir(), 'aioradius-dict-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));
let tmpCount = 0;

/** Writes `files` (relative path → text) under a fresh directory and returns its path. */
function tree(files: Record<string, string>): string {
  const dir = join(tmpRoot, `t${++tmpCount}`);
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return dir;
}

describe('ATTRIBUTE', () => {
  test('decimal and hex numbers, names starting with a digit or holding dots and slashes', () => {
    const dict = load(
      [
        'ATTRIBUTE Framed-MTU 12 integer',
        'ATTRIBUTE Hex-Attr 0x1F octets',
        'ATTRIBUTE 3Com-Thing 0X20 string',
        'ATTRIBUTE Some.Dotted/Name_x 33 ipaddr',
      ].join('\n'),
    );
    assert.equal(def(dict, 'Framed-MTU').oid, '12');
    assert.equal(def(dict, 'Hex-Attr').oid, '31');
    assert.equal(def(dict, '3Com-Thing').number, 32);
    assert.equal(def(dict, 'Some.Dotted/Name_x').type, 'ipaddr');
    assert.equal(dict.attributeByCode(31)?.name, 'Hex-Attr');
  });

  test('every type name, in any case, and the FreeRADIUS aliases', () => {
    const types = [
      'string',
      'octets',
      'ipaddr',
      'ipv4prefix',
      'ipv6addr',
      'ipv6prefix',
      'ifid',
      'integer',
      'integer64',
      'date',
      'byte',
      'short',
      'signed',
      'ether',
      'combo-ip',
      'abinary',
      'tlv',
    ];
    const lines = types.map((t, i) => `ATTRIBUTE T-${t} ${100 + i} ${t}`);
    const aliases: [string, string][] = [
      ['String', 'string'],
      ['INTEGER', 'integer'],
      ['uint8', 'byte'],
      ['uint16', 'short'],
      ['uint32', 'integer'],
      ['uint64', 'integer64'],
      ['int32', 'signed'],
      ['cidr', 'ipv4prefix'],
    ];
    aliases.forEach(([alias], i) => {
      lines.push(`ATTRIBUTE A-${alias} ${150 + i} ${alias}`);
    });
    const dict = load(lines.join('\n'));
    for (const t of types) assert.equal(def(dict, `T-${t}`).type, t);
    for (const [alias, t] of aliases) assert.equal(def(dict, `A-${alias}`).type, t, alias);
    assert.equal(def(dict, 'Vendor-Specific').type, 'vsa');
    assert.equal(def(dict, 'Extended-Attribute-1').type, 'extended');
    assert.equal(def(dict, 'Extended-Attribute-5').type, 'long-extended');
    assert.equal(def(dict, 'Extended-Vendor-Specific-5').type, 'evs');
  });

  test('octets[N] is octets with a fixed length', () => {
    const dict = load('ATTRIBUTE Fixed 70 octets[16]\nATTRIBUTE Max 71 OCTETS[253]');
    assert.equal(def(dict, 'Fixed').type, 'octets');
    assert.equal(def(dict, 'Fixed').flags.length, 16);
    assert.equal(def(dict, 'Max').flags.length, 253);
    assert.equal(def(dict, 'User-Name').flags.length, undefined);
    failsAt('ATTRIBUTE A 70 octets[0]', 1, /octets length/);
    failsAt('ATTRIBUTE A 70 octets[254]', 1, /octets length/);
    failsAt('ATTRIBUTE A 70 octets[x]', 1, /octets length/);
    failsAt('ATTRIBUTE A 70 string[4]', 1, /unknown type string\[4\]/);
  });

  test('flags: has_tag, encrypt, concat, array, virtual, secret and combinations', () => {
    const dict = load(
      [
        'ATTRIBUTE Tunnel-Type 64 integer has_tag',
        'ATTRIBUTE Tunnel-Password 69 string has_tag,encrypt=2',
        'ATTRIBUTE User-Password 2 string encrypt=1',
        'ATTRIBUTE Keys 12 octets[24] encrypt=1',
        'ATTRIBUTE Ascend-Secret 214 string encrypt=3',
        'ATTRIBUTE EAP-Message 79 octets concat',
        'ATTRIBUTE Addrs 80 ipaddr array',
        'ATTRIBUTE Tagged-Name 81 string has_tag=1',
        'ATTRIBUTE Server-Side 1100 string virtual',
        'ATTRIBUTE Client-Secret 1123 string secret',
        'ATTRIBUTE Trailing-Comma 82 string has_tag,',
      ].join('\n'),
    );
    assert.equal(def(dict, 'Tunnel-Type').flags.hasTag, true);
    assert.deepEqual(
      { ...def(dict, 'Tunnel-Password').flags },
      { encrypt: 2, hasTag: true, concat: false, array: false, virtual: false },
    );
    assert.equal(def(dict, 'User-Password').flags.encrypt, 1);
    assert.equal(def(dict, 'Keys').flags.encrypt, 1);
    assert.equal(def(dict, 'Ascend-Secret').flags.encrypt, 3);
    assert.equal(def(dict, 'EAP-Message').flags.concat, true);
    assert.equal(def(dict, 'Addrs').flags.array, true);
    assert.equal(def(dict, 'Tagged-Name').flags.hasTag, true);
    assert.equal(def(dict, 'Server-Side').flags.virtual, true);
    assert.equal(def(dict, 'Client-Secret').type, 'string');
    assert.equal(def(dict, 'Trailing-Comma').flags.hasTag, true);
    assert.equal(def(dict, 'User-Name').flags.hasTag, false);
  });

  test('unknown flags and impossible flag combinations are errors on their line', () => {
    failsAt('ATTRIBUTE A 70 string\nATTRIBUTE B 71 string format=1,1', 2, /unknown flag format=1$/);
    failsAt('\nATTRIBUTE B 71 string has_tag,bogus', 2, /unknown flag bogus/);
    failsAt('ATTRIBUTE B 71 string encrypt=4', 1, /encrypt=/);
    failsAt('ATTRIBUTE B 71 string encrypt=x', 1, /encrypt=/);
    failsAt('ATTRIBUTE B 71 ipaddr has_tag', 1, /has_tag/);
    failsAt('ATTRIBUTE B 71 string concat', 1, /concat only for octets/);
    failsAt('ATTRIBUTE B 71 octets concat,encrypt=2', 1, /concat cannot be combined/);
    failsAt('ATTRIBUTE B 71 octets encrypt=3', 1, /encrypt=3 only for string/);
    failsAt('ATTRIBUTE B 71 octets encrypt=1', 1, /encrypt=1 only for string or octets\[N\]/);
    failsAt('ATTRIBUTE B 71 octets array', 1, /cannot have the array flag/);
    failsAt('ATTRIBUTE B 71 octets[4] has_tag', 1, /has_tag/);
    failsAt('ATTRIBUTE B 71 string virtual', 1, /virtual/);
  });

  test('top-level numbers: 0 and 256.. are refused except as server-side attributes', () => {
    failsAt('ATTRIBUTE Zero 0 string', 1, /number 0/);
    const dict = load('ATTRIBUTE Auth-Type 1000 integer\nATTRIBUTE Max-Internal 65535 string');
    const auth = def(dict, 'Auth-Type');
    // FreeRADIUS's internal attributes: kept by name, never encoded.
    assert.equal(auth.flags.virtual, true);
    assert.equal(dict.internal.get(1000), auth);
    assert.equal(dict.attributeByCode(1000 & 0xff), undefined);
    failsAt('ATTRIBUTE Too-Big 65536 string', 1, /out of range/);
    failsAt('ATTRIBUTE Huge 99999999999 string', 1, /too large/);
  });

  test('bad names, numbers and argument counts', () => {
    failsAt('ATTRIBUTE Bad:Name 70 string', 1, /bad attribute name/);
    failsAt('ATTRIBUTE Attr-70 70 string', 1, /Attr- prefix/);
    failsAt(`ATTRIBUTE ${'x'.repeat(128)} 70 string`, 1, /longer than/);
    failsAt('ATTRIBUTE Bad-Number 7a string', 1, /bad attribute number 7a/);
    failsAt('ATTRIBUTE Bad-Number -1 string', 1, /bad attribute number/);
    failsAt('ATTRIBUTE Bad-Number 1..2 string', 1, /bad attribute number/);
    failsAt('ATTRIBUTE No-Type 70', 1, /ATTRIBUTE needs/);
    failsAt('ATTRIBUTE Too-Many 70 string has_tag extra', 1, /ATTRIBUTE needs/);
    failsAt('ATTRIBUTE Bad-Type 70 text', 1, /unknown type text/);
    failsAt('ATTRIBUTE', 1, /needs arguments/);
  });

  test('container types only where RFC 6929 puts them', () => {
    failsAt('ATTRIBUTE Ext 100 extended', 1, /top-level 241..255/);
    failsAt('ATTRIBUTE Evs 241.25 evs', 1, /type evs/);
    failsAt('ATTRIBUTE Vsa 241.1 vsa', 1, /type vsa/);
    failsAt('ATTRIBUTE Child 250.1 string', 1, /no parent attribute 250/);
    failsAt('ATTRIBUTE Child 1.1 string', 1, /cannot have children/);
  });
});

describe('dotted numbers', () => {
  test('extended attributes and TLVs inside them (RFC 6929 §2.1)', () => {
    const dict = load(
      [
        'ATTRIBUTE Frag-Status 241.1 integer',
        'ATTRIBUTE IP-Port-Limit-Info 241.5 tlv',
        'ATTRIBUTE IP-Port-Type 241.5.1 integer',
        'ATTRIBUTE IP-Port-Limit 241.5.0x2 integer',
        'ATTRIBUTE Long-One 245.1 octets',
      ].join('\n'),
    );
    assert.equal(def(dict, 'Frag-Status').oid, '241.1');
    assert.equal(def(dict, 'IP-Port-Type').oid, '241.5.1');
    assert.equal(def(dict, 'IP-Port-Limit').parent, def(dict, 'IP-Port-Limit-Info'));
    assert.equal(def(dict, 'IP-Port-Limit-Info').children?.get(2)?.name, 'IP-Port-Limit');
    assert.equal(def(dict, 'Long-One').parent, def(dict, 'Extended-Attribute-5'));
  });

  test('26.<vendor>.<type> and <ext>.26.<vendor>.<type> outside vendor blocks', () => {
    const dict = load(
      [
        'VENDOR Cisco 9',
        'VENDOR FreeRADIUS 11344',
        'ATTRIBUTE Cisco-AVPair 26.9.1 string',
        'ATTRIBUTE Cisco-TLV 26.9.2 tlv',
        'ATTRIBUTE Cisco-TLV-Child 26.9.2.1 byte',
        'ATTRIBUTE FR-Evs-Attr 245.26.11344.1 octets',
        'ATTRIBUTE FR-Evs-Attr-2 241.26.11344.7 integer',
      ].join('\n'),
    );
    assert.equal(def(dict, 'Cisco-AVPair').oid, '26.9.1');
    assert.equal(dict.vendorAttribute(9, 1)?.name, 'Cisco-AVPair');
    assert.equal(def(dict, 'Cisco-TLV-Child').oid, '26.9.2.1');
    const evs = def(dict, 'FR-Evs-Attr');
    assert.equal(evs.oid, '245.26.11344.1');
    assert.equal(evs.vendor?.name, 'FreeRADIUS');
    assert.equal(def(dict, 'Extended-Vendor-Specific-5').evsVendors?.get(11344)?.get(1), evs);
    assert.equal(def(dict, 'FR-Evs-Attr-2').oid, '241.26.11344.7');
    failsAt('VENDOR Cisco 9\nATTRIBUTE Cisco-Vendor 26.9 string', 2, /26\.<vendor>\.<number>/);
    failsAt('ATTRIBUTE Unknown-Vendor 26.77.1 string', 1, /unknown vendor 77/);
    failsAt('VENDOR Cisco 9\nATTRIBUTE X 241.26.9 string', 2, /EVS attribute needs/);
  });
});

describe('VALUE', () => {
  test('decimal and hex values, first name wins for printing, later names still resolve', () => {
    const dict = load(
      [
        'ATTRIBUTE Service-Type 6 integer',
        'VALUE Service-Type Login-User 1',
        'VALUE Service-Type Framed-User 0x2',
        'VALUE Service-Type Framed 2',
        'VALUE\tService-Type\t\tAnnex-Thing\t0x06300001',
      ].join('\n'),
    );
    const st = def(dict, 'Service-Type');
    assert.equal(st.values.get('login-user')?.value, 1);
    assert.equal(st.values.get('framed')?.value, 2);
    assert.equal(st.valueNames.get(2), 'Framed-User');
    assert.equal(st.values.get('annex-thing')?.value, 0x06300001);
  });

  test('forward references: a VALUE before its ATTRIBUTE, in the same or another file', () => {
    const dict = load('VALUE Later Yes 1\nATTRIBUTE Later 70 integer\nVALUE Later No 0');
    assert.equal(def(dict, 'Later').values.get('yes')?.value, 1);
    assert.equal(def(dict, 'Later').values.get('no')?.value, 0);
    const dir = tree({
      dictionary: '$INCLUDE values\n$INCLUDE attrs\n',
      values: '# values first\nVALUE Acct-Status-Type Start 1\n',
      attrs: 'ATTRIBUTE Acct-Status-Type 40 integer\n',
    });
    const fromFiles = new Dictionary({ builtin: false });
    loadDictionaryFile(fromFiles, join(dir, 'dictionary'));
    assert.equal(def(fromFiles, 'Acct-Status-Type').values.get('start')?.value, 1);
  });

  test('a VALUE whose attribute never appears fails on its own line', () => {
    failsAt('ATTRIBUTE A 70 integer\n\nVALUE Nowhere Yes 1\nVALUE A B 2', 3, /unknown attribute Nowhere/);
    const dir = tree({ dictionary: '$INCLUDE sub/values\n', 'sub/values': '\n\nVALUE Ghost X 1\n' });
    throwsAt(
      () => loadDictionaryFile(new Dictionary({ builtin: false }), join(dir, 'dictionary')),
      join(dir, 'sub/values'),
      3,
      /unknown attribute Ghost/,
    );
  });

  test('ranges by type, types without values, bad numbers', () => {
    const dict = load(
      [
        'ATTRIBUTE B 70 byte',
        'ATTRIBUTE S 71 short',
        'ATTRIBUTE G 72 signed',
        'ATTRIBUTE L 73 integer64',
        'ATTRIBUTE O 74 octets',
        'VALUE B Max 255',
        'VALUE S Max 65535',
        'VALUE G Minus-One -1',
        'VALUE L Huge 0xFFFFFFFFFFFFFFFF',
        'VALUE L Small 5',
        'VALUE O Cablelabs-Style 3',
      ].join('\n'),
    );
    assert.equal(def(dict, 'B').values.get('max')?.value, 255);
    assert.equal(def(dict, 'G').values.get('minus-one')?.value, -1);
    assert.equal(def(dict, 'L').values.get('huge')?.value, 0xffffffffffffffffn);
    assert.equal(def(dict, 'L').values.get('small')?.value, 5);
    assert.equal(def(dict, 'O').values.get('cablelabs-style')?.value, 3);
    failsAt('ATTRIBUTE B 70 byte\nVALUE B Big 256', 2, /out of range/);
    failsAt('ATTRIBUTE S 70 short\nVALUE S Big 65536', 2, /out of range/);
    failsAt('ATTRIBUTE I 70 integer\nVALUE I Big 4294967296', 2, /out of range/);
    failsAt('ATTRIBUTE I 70 integer\nVALUE I Neg -1', 2, /out of range/);
    failsAt('ATTRIBUTE I 70 string\nVALUE I Name 1', 2, /cannot have values/);
    failsAt('ATTRIBUTE I 70 integer\nVALUE I Name one', 2, /bad value number one/);
    failsAt('ATTRIBUTE I 70 integer\nVALUE I Name', 2, /VALUE needs/);
    // Checked when a forward reference is resolved too, on the VALUE's line.
    failsAt('VALUE B Big 256\nATTRIBUTE B 70 byte', 1, /out of range/);
  });

  test('Server-Config values are skipped; VALUE-ALIAS shares values', () => {
    const dict = load(
      [
        'VALUE Server-Config Whatever 1',
        'ATTRIBUTE A 70 integer',
        'ATTRIBUTE B 71 integer',
        'VALUE-ALIAS B A',
        'VALUE A Yes 1',
      ].join('\n'),
    );
    assert.equal(def(dict, 'B').values.get('yes')?.value, 1);
    failsAt('ATTRIBUTE A 70 integer\nVALUE-ALIAS A Nope', 2, /unknown attribute Nope/);
    failsAt('ATTRIBUTE A 70 integer\nATTRIBUTE B 71 string\nVALUE-ALIAS A B', 3, /differ in type/);
  });
});

describe('VENDOR and BEGIN-VENDOR', () => {
  test('formats 1,1 / 2,2 / 4,0 / 1,1,c / 2,1, with numbers above 255 where the format allows', () => {
    const dict = load(
      [
        'VENDOR Plain 100',
        'VENDOR Explicit 101 format=1,1',
        'VENDOR Wide 102 format=2,2',
        'VENDOR Flat 103 format=4,0',
        'VENDOR Cont 104 format=1,1,c',
        'VENDOR Mixed 105 format=2,1',
        'BEGIN-VENDOR Wide',
        'ATTRIBUTE Wide-Big 0x1234 integer',
        'END-VENDOR Wide',
        'BEGIN-VENDOR Flat',
        'ATTRIBUTE Flat-Huge 70000 string',
        'ATTRIBUTE Flat-Max 4294967295 string',
        'END-VENDOR Flat',
        'BEGIN-VENDOR Mixed',
        'ATTRIBUTE Mixed-Big 65535 octets',
        'END-VENDOR Mixed',
        'BEGIN-VENDOR Plain',
        'ATTRIBUTE Plain-Zero 0 string',
        'ATTRIBUTE Plain-Max 255 string',
        'END-VENDOR Plain',
      ].join('\n'),
    );
    const layout = (name: string) => {
      const v = dict.vendor(name);
      assert.ok(v, name);
      return [v.typeSize, v.lengthSize, v.continuation];
    };
    assert.deepEqual(layout('Plain'), [1, 1, false]);
    assert.deepEqual(layout('Explicit'), [1, 1, false]);
    assert.deepEqual(layout('Wide'), [2, 2, false]);
    assert.deepEqual(layout('Flat'), [4, 0, false]);
    assert.deepEqual(layout('Cont'), [1, 1, true]);
    assert.deepEqual(layout('Mixed'), [2, 1, false]);
    assert.equal(def(dict, 'Wide-Big').oid, '26.102.4660');
    assert.equal(dict.vendorAttribute(103, 70000)?.name, 'Flat-Huge');
    assert.equal(def(dict, 'Flat-Max').number, 4294967295);
    assert.equal(def(dict, 'Mixed-Big').number, 65535);
    assert.equal(def(dict, 'Plain-Zero').oid, '26.100.0');
    failsAt(
      'VENDOR Plain 100\nBEGIN-VENDOR Plain\nATTRIBUTE Big 256 string\nEND-VENDOR Plain',
      3,
      /out of range 0..255/,
    );
    failsAt(
      'VENDOR W 102 format=2,2\nBEGIN-VENDOR W\nATTRIBUTE Big 65536 string',
      3,
      /out of range 0..65535/,
    );
  });

  test('USR, Lucent and Starent get the layouts FreeRADIUS assumes when format= is missing', () => {
    const dict = load('VENDOR USR 429\nVENDOR Lucent 4846\nVENDOR Starent 8164');
    assert.equal(dict.vendor('USR')?.typeSize, 4);
    assert.equal(dict.vendor('USR')?.lengthSize, 0);
    assert.equal(dict.vendor('Lucent')?.typeSize, 2);
    assert.equal(dict.vendor('Lucent')?.lengthSize, 1);
    assert.equal(dict.vendor('Starent')?.lengthSize, 2);
  });

  test('bad VENDOR lines', () => {
    failsAt('VENDOR Bad 9 format=3,1', 1, /bad vendor format/);
    failsAt('VENDOR Bad 9 format=1,3', 1, /bad vendor format/);
    failsAt('VENDOR Bad 9 format=1', 1, /bad vendor format/);
    failsAt('VENDOR Bad 9 format=2,1,c', 1, /continuations/);
    failsAt('VENDOR Bad 9 layout=1,1', 1, /bad vendor format/);
    failsAt('VENDOR Bad 0', 1, /out of range/);
    failsAt('VENDOR Bad 16777216', 1, /out of range/);
    failsAt('VENDOR Bad nine', 1, /bad vendor id/);
    failsAt('VENDOR Bad', 1, /VENDOR needs/);
  });

  test('block attributes belong to the vendor; an old-style trailing vendor name works too', () => {
    const dict = load(
      [
        'VENDOR Acme 4242',
        'begin-vendor acme', // keywords and vendor names are case-insensitive
        'ATTRIBUTE Acme-Name 1 string',
        'ATTRIBUTE Acme-Secret 2 string encrypt=2',
        'end-vendor Acme',
        'ATTRIBUTE Acme-Old-Style 3 integer Acme',
        'ATTRIBUTE Top-Again 70 integer',
      ].join('\n'),
    );
    assert.equal(def(dict, 'Acme-Name').oid, '26.4242.1');
    assert.equal(def(dict, 'Acme-Name').vendor?.name, 'Acme');
    assert.equal(def(dict, 'Acme-Secret').flags.encrypt, 2);
    assert.equal(def(dict, 'Acme-Old-Style').oid, '26.4242.3');
    assert.equal(def(dict, 'Top-Again').oid, '70');
    failsAt('VENDOR A 9\nBEGIN-VENDOR A\nATTRIBUTE X 3 integer A\nEND-VENDOR A', 3, /vendor flag/);
  });

  test('block errors: unknown vendor, mismatched or missing END, nesting', () => {
    failsAt('BEGIN-VENDOR Nobody', 1, /unknown vendor Nobody/);
    failsAt(
      'VENDOR A 9\nVENDOR B 10\nBEGIN-VENDOR A\nEND-VENDOR B',
      4,
      /does not match BEGIN-VENDOR A \(line 3\)/,
    );
    failsAt('VENDOR A 9\nEND-VENDOR A', 2, /does not match any open block/);
    failsAt('VENDOR A 9\nBEGIN-VENDOR A\nATTRIBUTE X 1 string\n', 2, /BEGIN-VENDOR A has no matching END/);
    failsAt('VENDOR A 9\nVENDOR B 10\nBEGIN-VENDOR A\nBEGIN-VENDOR B', 4, /BEGIN-VENDOR inside/);
    failsAt('VENDOR A 9\nBEGIN-VENDOR A format=1,1', 2, /unknown attribute 1,1/);
    failsAt('VENDOR A 9\nBEGIN-VENDOR A format=User-Name', 2, /not of type evs/);
    failsAt('VENDOR A 9\nBEGIN-VENDOR A style=X', 2, /bad BEGIN-VENDOR option/);
  });

  test('format=Extended-Vendor-Specific-N puts the block under 24N.26 (RFC 6929 §2.4)', () => {
    const dict = load(
      [
        'VENDOR FreeRADIUS 11344',
        'BEGIN-VENDOR FreeRADIUS format=Extended-Vendor-Specific-5',
        'ATTRIBUTE FreeRADIUS-802.1X-Anonce 1 octets',
        'ATTRIBUTE FreeRADIUS-Evs-Tlv 2 tlv',
        'ATTRIBUTE FreeRADIUS-Evs-Tlv-Child 2.1 integer',
        'END-VENDOR FreeRADIUS',
        'BEGIN-VENDOR FreeRADIUS parent=Extended-Vendor-Specific-1',
        'ATTRIBUTE FreeRADIUS-Short-Evs 1 integer',
        'END-VENDOR FreeRADIUS',
        'BEGIN-VENDOR FreeRADIUS',
        'ATTRIBUTE FreeRADIUS-Plain 1 integer',
        'END-VENDOR FreeRADIUS',
      ].join('\n'),
    );
    const anonce = def(dict, 'FreeRADIUS-802.1X-Anonce');
    assert.equal(anonce.oid, '245.26.11344.1');
    assert.equal(anonce.parent, def(dict, 'Extended-Vendor-Specific-5'));
    assert.equal(def(dict, 'FreeRADIUS-Evs-Tlv-Child').oid, '245.26.11344.2.1');
    assert.equal(def(dict, 'FreeRADIUS-Short-Evs').oid, '241.26.11344.1');
    assert.equal(def(dict, 'FreeRADIUS-Plain').oid, '26.11344.1');
    failsAt('VENDOR F 11344\nBEGIN-VENDOR F format=Extended-Vendor-Specific-9', 2, /unknown attribute/);
  });
});

describe('BEGIN-TLV', () => {
  test('nested TLV blocks inside a vendor block number children in the parent space', () => {
    const dict = load(
      [
        'VENDOR WiMAX 24757 format=1,1,c',
        'BEGIN-VENDOR WiMAX',
        'ATTRIBUTE WiMAX-Capability 1 tlv',
        'BEGIN-TLV WiMAX-Capability',
        'ATTRIBUTE WiMAX-Release 1 string',
        'ATTRIBUTE WiMAX-Inner 2 tlv',
        'BEGIN-TLV WiMAX-Inner',
        'ATTRIBUTE WiMAX-Deep 3 byte',
        'VALUE WiMAX-Deep Yes 1',
        'END-TLV WiMAX-Inner',
        'ATTRIBUTE WiMAX-After-Inner 4 integer',
        'END-TLV WiMAX-Capability',
        'ATTRIBUTE WiMAX-Dotted 1.5 short',
        'ATTRIBUTE WiMAX-Top 2 byte',
        'END-VENDOR WiMAX',
      ].join('\n'),
    );
    const cap = def(dict, 'WiMAX-Capability');
    assert.equal(cap.type, 'tlv');
    assert.deepEqual([...(cap.children?.keys() ?? [])], [1, 2, 4, 5]);
    assert.equal(def(dict, 'WiMAX-Release').oid, '26.24757.1.1');
    assert.equal(def(dict, 'WiMAX-Deep').oid, '26.24757.1.2.3');
    assert.equal(def(dict, 'WiMAX-Deep').parent, def(dict, 'WiMAX-Inner'));
    assert.equal(def(dict, 'WiMAX-Deep').values.get('yes')?.value, 1);
    assert.equal(def(dict, 'WiMAX-After-Inner').oid, '26.24757.1.4');
    assert.equal(def(dict, 'WiMAX-Dotted').oid, '26.24757.1.5');
    assert.equal(def(dict, 'WiMAX-Top').oid, '26.24757.2');
  });

  test('a TLV block at top level (RFC 6930 style) and inside an extended attribute', () => {
    const dict = load(
      [
        'ATTRIBUTE IPv6-6rd-Configuration 173 tlv',
        'BEGIN-TLV IPv6-6rd-Configuration',
        'ATTRIBUTE IPv6-6rd-IPv4MaskLen 1 byte',
        'END-TLV IPv6-6rd-Configuration',
        'ATTRIBUTE Ext-Tlv 241.9 tlv',
        'BEGIN-TLV Ext-Tlv',
        'ATTRIBUTE Ext-Tlv-Child 1 ipaddr',
        'END-TLV Ext-Tlv',
      ].join('\n'),
    );
    assert.equal(def(dict, 'IPv6-6rd-IPv4MaskLen').oid, '173.1');
    assert.equal(def(dict, 'Ext-Tlv-Child').oid, '241.9.1');
  });

  test('a TLV under a vendor of another format (DHCP option 82 style) loads and round-trips', () => {
    // The vendor's format sizes the VSA header only; the TLV's children are 1,1 inside it.
    const dict = new Dictionary().loadText(
      [
        'VENDOR Wide 9 format=2,1',
        'BEGIN-VENDOR Wide',
        'ATTRIBUTE Wide-Relay 82 tlv',
        'ATTRIBUTE Wide-Circuit 82.1 octets',
        'ATTRIBUTE Wide-Remote 82.2 string',
        'END-VENDOR Wide',
      ].join('\n'),
    );
    const req = new AccessRequest('s3cret', { dictionary: dict, messageAuthenticator: false })
      .add('Wide-Circuit', Buffer.from('0a0b', 'hex'))
      .add('Wide-Remote', 'r1');
    const wire = req.encode();
    // 26, len, vendor 9, then type 82 in two bytes, one length byte, then the children.
    assert.equal(wire.subarray(20).toString('hex'), '1a11000000090052' + '0b' + '01040a0b' + '02047231');
    const back = decodeRequest('s3cret', wire, { dictionary: dict });
    assert.deepEqual(back.get('Wide-Circuit'), Buffer.from('0a0b', 'hex'));
    assert.equal(back.get('Wide-Remote'), 'r1');
  });

  test('TLV errors', () => {
    failsAt('BEGIN-TLV Nothing', 1, /unknown attribute Nothing/);
    failsAt('BEGIN-TLV User-Name', 1, /not of type tlv/);
    failsAt(
      'ATTRIBUTE T 70 tlv\nATTRIBUTE U 71 tlv\nBEGIN-TLV T\nEND-TLV U',
      4,
      /does not match BEGIN-TLV T/,
    );
    failsAt('ATTRIBUTE T 70 tlv\n\nBEGIN-TLV T\n', 3, /BEGIN-TLV T has no matching END/);
    failsAt('ATTRIBUTE T 70 tlv\nBEGIN-TLV T\nATTRIBUTE C 256 string\nEND-TLV T', 3, /out of range 0..255/);
    failsAt('ATTRIBUTE T 70 tlv\nBEGIN-TLV T\nATTRIBUTE C 0 string\nEND-TLV T', 3, /number 0/);
    failsAt(
      'VENDOR A 9\nATTRIBUTE T 70 tlv\nBEGIN-TLV T\nBEGIN-VENDOR A',
      4,
      /BEGIN-VENDOR inside BEGIN-TLV T/,
    );
  });
});

describe('redefinitions', () => {
  test('same number under two names: the latest wins for number lookups, both names resolve', () => {
    const dict = load(
      'VENDOR J 2636\nATTRIBUTE J-Profile 26.2636.11 string\nATTRIBUTE J-Profiles 26.2636.11 string',
    );
    assert.equal(dict.vendorAttribute(2636, 11)?.name, 'J-Profiles');
    assert.equal(def(dict, 'J-Profile').oid, '26.2636.11');
    assert.equal(def(dict, 'J-Profiles').oid, '26.2636.11');
  });

  test('same name redefined: the latest definition wins; values of a repeated definition are kept', () => {
    const dict = load(
      [
        'ATTRIBUTE Digest-Response 103 string',
        'ATTRIBUTE Digest-Response 206 string',
        'ATTRIBUTE Service-Type 6 integer',
        'VALUE Service-Type Login-User 1',
        'ATTRIBUTE Service-Type 6 integer',
      ].join('\n'),
    );
    assert.equal(def(dict, 'Digest-Response').oid, '206');
    assert.equal(def(dict, 'Service-Type').values.get('login-user')?.value, 1);
  });

  test('a name moved to another number leaves its old number unknown: decoded, it re-encodes byte-exact', () => {
    // FreeRADIUS's tree: rfc5090 names Digest-Response 103, iana then 206. Decoding 103 as
    // Digest-Response re-encoded it as 206; Digest-URI (109, then 1066 internal) was not sent at all.
    const dict = load(
      [
        'ATTRIBUTE Digest-Response 103 string',
        'ATTRIBUTE Digest-URI 109 string',
        'ATTRIBUTE Digest-Response 206 string',
        'ATTRIBUTE Digest-URI 1066 string',
        'VENDOR V 9999',
        'ATTRIBUTE V-Old 26.9999.1 string',
        'ATTRIBUTE V-Old 26.9999.2 string',
      ].join('\n'),
    );
    assert.equal(dict.attributeByCode(103), undefined);
    assert.equal(dict.attributeByCode(109), undefined);
    assert.equal(dict.vendorAttribute(9999, 1), undefined);
    assert.equal(dict.vendorAttribute(9999, 2)?.name, 'V-Old');
    // Sent by number (a peer whose dictionary names them otherwise).
    const request = new AccessRequest('s3cret', { dictionary: dict });
    request.addAttributes(
      ['Attr-103', Buffer.from('abc')],
      ['Attr-109', Buffer.from('def')],
      ['Attr-26.9999.1', Buffer.from('ghi')],
    );
    const decoded = decodeRequest('s3cret', request.encode(), { dictionary: dict });
    // Message-Authenticator (80) is not in this small dictionary.
    const sent = (p: Packet) => p.attributes.entries.filter((e) => e.def.oid !== '80');
    assert.deepEqual(
      sent(decoded).map((e) => e.def.name),
      ['Attr-103', 'Attr-109', 'Attr-26.9999.1'],
    );
    const again = sent(decodeRequest('s3cret', decoded.encode(), { dictionary: dict }));
    assert.deepEqual(
      again.map((e) => [e.def.oid, Buffer.from(e.value as Buffer).toString()]),
      [
        ['103', 'abc'],
        ['109', 'def'],
        ['26.9999.1', 'ghi'],
      ],
    );
  });

  test('a VALUE name moved to another number: the old number no longer decodes to it', () => {
    // The built-in RFC 2548 values of MS-MPPE-Encryption-Types are 2, 4 and 6; FreeRADIUS's
    // dictionary.microsoft renumbers the first two to 1 and 2. 4 decoded as RC4-128bit-Allowed,
    // which re-encoded as 2.
    const dict = new Dictionary();
    const types = def(dict, 'MS-MPPE-Encryption-Types');
    assert.equal(types.valueNames.get(4), 'RC4-128bit-Allowed');
    dict.loadText(
      [
        'VALUE MS-MPPE-Encryption-Types RC4-40bit-Allowed 1',
        'VALUE MS-MPPE-Encryption-Types RC4-128bit-Allowed 2',
        'VALUE MS-MPPE-Encryption-Types RC4-40or128-bit-Allowed 6',
        'VALUE MS-MPPE-Encryption-Types Also-Four 4',
        'VALUE MS-MPPE-Encryption-Types Four 4',
        'VALUE MS-MPPE-Encryption-Types Also-Four 8',
      ].join('\n'),
      TEXT,
    );
    const after = def(dict, 'MS-MPPE-Encryption-Types');
    for (const [number, name] of after.valueNames) {
      assert.equal(after.values.get(name.toLowerCase())?.value, number, `${number} decodes to ${name}`);
    }
    assert.equal(after.valueNames.get(1), 'RC4-40bit-Allowed');
    assert.equal(after.valueNames.get(2), 'RC4-128bit-Allowed');
    // Also-Four left 4: the other name 4 has takes its place.
    assert.equal(after.valueNames.get(4), 'Four');
    assert.equal(after.valueNames.get(8), 'Also-Four');
  });

  test('a container redefined under another name keeps the children already in it', () => {
    const dict = load(
      [
        'ATTRIBUTE Frag-Status 241.1 integer',
        'ATTRIBUTE Extended-Type-1 241 extended',
        'ATTRIBUTE Other 241.2 byte',
      ].join('\n'),
    );
    const ext = dict.attributeByCode(241);
    assert.equal(ext?.name, 'Extended-Type-1');
    assert.equal(ext?.children?.get(1)?.name, 'Frag-Status');
    assert.equal(ext?.children?.get(2)?.name, 'Other');
    assert.equal(ext?.children?.get(26)?.type, 'evs');
  });

  test('loading into the built-in dictionary redefines its attributes without error', () => {
    const dict = new Dictionary();
    const before = def(dict, 'User-Name');
    dict.loadText('ATTRIBUTE User-Name 1 string\nVALUE Service-Type My-Own 200', TEXT);
    assert.equal(def(dict, 'User-Name').oid, before.oid);
    assert.equal(def(dict, 'Service-Type').values.get('my-own')?.value, 200);
  });
});

describe('lexical details', () => {
  test('comments anywhere, blank lines, tabs, CRLF, a byte-order mark, lower-case keywords', () => {
    const text = [
      '\uFEFF# a comment line',
      '',
      '   ',
      '\tATTRIBUTE\tTabbed\t\t70\tinteger\t# trailing comment',
      'attribute Lower 71 string#glued comment',
      'ATTRIBUTE Flagged 72 string has_tag # comment after flags',
      'value Tabbed One 1',
      '#ATTRIBUTE Commented-Out 73 string',
      '   # indented comment',
    ].join('\r\n');
    const dict = load(text);
    assert.equal(def(dict, 'Tabbed').number, 70);
    assert.equal(def(dict, 'Lower').type, 'string');
    assert.equal(def(dict, 'Flagged').flags.hasTag, true);
    assert.equal(def(dict, 'Tabbed').values.get('one')?.value, 1);
    assert.equal(dict.attribute('Commented-Out'), undefined);
    // Line numbers count CRLF lines.
    failsAt('# one\r\n\r\nATTRIBUTE Ok 70 string\r\nBOGUS line\r\n', 4, /unknown keyword BOGUS/);
  });

  test('FreeRADIUS 4 keywords are refused by name', () => {
    failsAt('PROTOCOL RADIUS 1', 1, /unknown keyword PROTOCOL/);
    failsAt('\nBEGIN-PROTOCOL RADIUS', 2, /unknown keyword BEGIN-PROTOCOL/);
    failsAt('FLAGS internal', 1, /unknown keyword FLAGS/);
  });
});

describe('$INCLUDE', () => {
  test('relative to the including file, nested directories, absolute paths, $INCLUDE- of missing files', () => {
    const dir = tree({
      dictionary: [
        '$INCLUDE sub/dictionary.one',
        '$INCLUDE- dictionary.missing',
        '$-INCLUDE also.missing',
      ].join('\n'),
      'sub/dictionary.one': '$INCLUDE dictionary.two\nATTRIBUTE One 70 string\n',
      'sub/dictionary.two': 'ATTRIBUTE Two 71 string\n',
      'other/abs': 'ATTRIBUTE Abs 72 string\n',
    });
    writeFileSync(
      join(dir, 'sub/dictionary.one'),
      `$INCLUDE dictionary.two\n$INCLUDE ${join(dir, 'other/abs')}\n`,
      {
        flag: 'a',
      },
    );
    const dict = new Dictionary({ builtin: false });
    assert.equal(dict.load(join(dir, 'dictionary')), dict);
    assert.equal(def(dict, 'One').number, 70);
    assert.equal(def(dict, 'Two').number, 71);
    assert.equal(def(dict, 'Abs').number, 72);
  });

  test('a file included twice (not in a cycle) is read once', () => {
    const dir = tree({
      dictionary: '$INCLUDE a\n$INCLUDE b\n',
      a: '$INCLUDE common\nATTRIBUTE A 70 integer\n',
      b: '$INCLUDE common\nATTRIBUTE B 71 integer\n',
      common: 'VENDOR Common 9\nBEGIN-VENDOR Common\nATTRIBUTE Common-X 1 string\nEND-VENDOR Common\n',
    });
    const dict = new Dictionary({ builtin: false });
    dict.load(join(dir, 'dictionary'));
    assert.equal(def(dict, 'Common-X').oid, '26.9.1');
    assert.equal(def(dict, 'B').number, 71);
  });

  test('loadText anchors includes at the directory of its file name', () => {
    const dir = tree({ 'dictionary.extra': 'ATTRIBUTE Extra 70 string\n' });
    const dict = new Dictionary({ builtin: false });
    loadDictionaryText(dict, '$INCLUDE dictionary.extra', join(dir, 'virtual.dict'));
    assert.equal(def(dict, 'Extra').number, 70);
  });

  test('block state does not leak into included files', () => {
    const dir = tree({
      dictionary: 'VENDOR V 9\nBEGIN-VENDOR V\n$INCLUDE inner\nATTRIBUTE V-Attr 1 string\nEND-VENDOR V\n',
      inner: 'ATTRIBUTE Plain 70 string\n',
    });
    const dict = new Dictionary({ builtin: false });
    dict.load(join(dir, 'dictionary'));
    assert.equal(def(dict, 'Plain').oid, '70');
    assert.equal(def(dict, 'V-Attr').oid, '26.9.1');
  });

  test('a missing $INCLUDE fails on the including line; a missing or unreadable top file on line 0', () => {
    const dir = tree({ dictionary: '# first\n$INCLUDE nowhere\n' });
    const top = join(dir, 'dictionary');
    throwsAt(() => new Dictionary({ builtin: false }).load(top), top, 2, /cannot read .*nowhere.*ENOENT/);
    const missing = join(dir, 'no-such-file');
    throwsAt(() => new Dictionary({ builtin: false }).load(missing), missing, 0, /cannot read .*ENOENT/);
    throwsAt(() => new Dictionary({ builtin: false }).load(dir), dir, 0, /not a regular file/);
    const sub = tree({ dictionary: '$INCLUDE .\n' });
    throwsAt(
      () => new Dictionary({ builtin: false }).load(join(sub, 'dictionary')),
      join(sub, 'dictionary'),
      1,
      /not a regular file/,
    );
    failsAt('$INCLUDE', 1, /needs arguments/);
    failsAt('$INCLUDE a b', 1, /exactly one file name/);
  });

  test('errors inside an included file name that file and line', () => {
    const dir = tree({
      dictionary: '$INCLUDE sub/bad\n',
      'sub/bad': 'ATTRIBUTE Ok 70 string\n\nATTRIBUTE Bad 71 nosuchtype\n',
    });
    throwsAt(
      () => new Dictionary({ builtin: false }).load(join(dir, 'dictionary')),
      join(dir, 'sub/bad'),
      3,
      /unknown type nosuchtype/,
    );
  });

  test('cycles are errors at the $INCLUDE that closes them', () => {
    const dir = tree({
      dictionary: '$INCLUDE a\n',
      a: 'ATTRIBUTE A 70 string\n$INCLUDE b\n',
      b: '\n\n$INCLUDE a\n',
      self: '$INCLUDE self\n',
    });
    throwsAt(
      () => new Dictionary({ builtin: false }).load(join(dir, 'dictionary')),
      join(dir, 'b'),
      3,
      /\$INCLUDE cycle: .*a -> .*b -> .*a$/,
    );
    throwsAt(
      () => new Dictionary({ builtin: false }).load(join(dir, 'self')),
      join(dir, 'self'),
      1,
      /\$INCLUDE cycle/,
    );
  });

  test('with root set, includes may not leave it (by .., absolute path or symlink)', () => {
    const outside = tree({ secret: 'ATTRIBUTE Outside 70 string\n' });
    const dir = tree({
      dictionary: '$INCLUDE inside\n',
      inside: 'ATTRIBUTE Inside 70 string\n',
      dotdot: `# escape\n$INCLUDE ../${basename(outside)}/secret\n`,
      absolute: `$INCLUDE ${join(outside, 'secret')}\n`,
      optional: '$INCLUDE- ../nowhere/at/all\n',
      linked: '$INCLUDE link\n',
    });
    symlinkSync(join(outside, 'secret'), join(dir, 'link'));
    const root = { root: dir };
    const dict = new Dictionary({ builtin: false });
    dict.load(join(dir, 'dictionary'), root);
    assert.equal(def(dict, 'Inside').number, 70);
    const fresh = () => new Dictionary({ builtin: false });
    throwsAt(
      () => fresh().load(join(dir, 'dotdot'), root),
      join(dir, 'dotdot'),
      2,
      /outside the dictionary root/,
    );
    throwsAt(
      () => fresh().load(join(dir, 'absolute'), root),
      join(dir, 'absolute'),
      1,
      /outside the dictionary root/,
    );
    throwsAt(
      () => fresh().load(join(dir, 'optional'), root),
      join(dir, 'optional'),
      1,
      /outside the dictionary root/,
    );
    throwsAt(
      () => fresh().load(join(dir, 'linked'), root),
      join(dir, 'linked'),
      1,
      /outside the dictionary root/,
    );
    throwsAt(
      () => fresh().load(join(outside, 'secret'), root),
      join(outside, 'secret'),
      0,
      /outside the dictionary root/,
    );
    // Without root, the same files load.
    fresh().load(join(dir, 'linked'));
    throwsAt(
      () => fresh().load(join(dir, 'dictionary'), { root: join(dir, 'missing') }),
      join(dir, 'dictionary'),
      0,
      /root/,
    );
  });
});

describe('errors', () => {
  test('anything the model refuses comes back as a DictionaryError with the line', () => {
    failsAt('VENDOR P 9\nATTRIBUTE P-Big 26.9.300 string', 2, /out of range/);
    failsAt('ATTRIBUTE C 241.26.1 string', 1, /EVS attribute needs/);
    failsAt('ATTRIBUTE C 1.1.1 string', 1, /cannot have children/);
  });
});

const FREERADIUS = '/usr/share/freeradius/dictionary';

describe('FreeRADIUS 3.2 dictionaries', () => {
  const skip = existsSync(FREERADIUS) ? false : `${FREERADIUS} is absent (install freeradius-common)`;

  test('load the whole Debian dictionary with every $INCLUDE', { skip }, (t) => {
    const dict = new Dictionary();
    const start = performance.now();
    dict.load(FREERADIUS);
    t.diagnostic(`loaded in ${(performance.now() - start).toFixed(1)} ms`);

    const avpair = def(dict, 'Cisco-AVPair');
    assert.equal(avpair.oid, '26.9.1');
    assert.equal(avpair.type, 'string');

    const capability = def(dict, 'WiMAX-Capability');
    assert.equal(capability.type, 'tlv');
    assert.ok((capability.children?.size ?? 0) > 0);
    assert.equal(def(dict, 'WiMAX-Release').parent, capability);
    assert.equal(dict.vendor('WiMAX')?.continuation, true);

    assert.equal(def(dict, 'MS-MPPE-Send-Key').flags.encrypt, 2);
    assert.equal(def(dict, 'MS-MPPE-Send-Key').oid, '26.311.16');
    assert.equal(def(dict, 'MS-CHAP-Response').flags.length, 50);
    assert.equal(def(dict, 'Tunnel-Password').flags.hasTag, true);
    assert.equal(def(dict, 'EAP-Message').flags.concat, true);
    assert.equal(def(dict, 'FreeRADIUS-802.1X-Anonce').oid, '245.26.11344.1');
    assert.equal(def(dict, 'FreeRADIUS-Statistics-Type').oid, '26.11344.127');
    assert.equal(def(dict, 'FreeRADIUS-Statistics-Type').values.get('all')?.value, 0x1f);
    assert.equal(def(dict, 'IP-Port-Type').oid, '241.5.1');
    assert.equal(dict.vendor('USR')?.typeSize, 4);
    assert.equal(dict.vendor('Lucent')?.typeSize, 2);
    assert.equal(def(dict, 'Juniper-Junosspace-Profile').type, 'string');
    assert.equal(def(dict, '3GPP-IMSI').oid, '26.10415.1');
    assert.equal(def(dict, 'Cleartext-Password').flags.virtual, true);
    assert.equal(def(dict, 'Service-Type').values.get('framed-user')?.value, 2);
    assert.ok([...dict.attributes()].length > 7000);
  });
});

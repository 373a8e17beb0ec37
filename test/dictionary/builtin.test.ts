import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { AttributeDef } from '../../src/dictionary/definitions.js';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { BUILTIN_TABLES, installTable } from '../../src/dictionary/builtin/index.js';
import type { BuiltinTable } from '../../src/dictionary/builtin/table.js';

/** A dictionary holding only the built-in tables, installed one by one. */
function builtinDictionary(): Dictionary {
  const dict = new Dictionary({ builtin: false });
  for (const table of BUILTIN_TABLES) installTable(dict, table);
  return dict;
}

function def(dict: Dictionary, name: string): AttributeDef {
  const d = dict.attribute(name);
  assert.ok(d, `${name} is defined`);
  return d;
}

function value(dict: Dictionary, attribute: string, name: string): number | bigint | undefined {
  return def(dict, attribute).values.get(name.toLowerCase())?.value;
}

describe('built-in tables', () => {
  test('every table installs into a fresh dictionary after the tables before it', () => {
    for (let i = 0; i < BUILTIN_TABLES.length; i++) {
      const dict = new Dictionary({ builtin: false });
      for (let j = 0; j < i; j++) installTable(dict, BUILTIN_TABLES[j]);
      assert.doesNotThrow(() => installTable(dict, BUILTIN_TABLES[i]), BUILTIN_TABLES[i].source);
      for (const [, name] of BUILTIN_TABLES[i].attributes) assert.ok(dict.attribute(name), name);
    }
  });

  test('each table names the RFC it is written from', () => {
    for (const table of BUILTIN_TABLES) assert.match(table.source, /^RFC \d{4}$/);
    const sources = BUILTIN_TABLES.map((t) => t.source);
    assert.equal(new Set(sources).size, sources.length, 'one table per RFC');
  });

  test('new Dictionary() holds the same attributes as the tables', () => {
    const dict = new Dictionary();
    for (const table of BUILTIN_TABLES) {
      for (const [, name, type] of table.attributes) assert.equal(dict.attribute(name)?.type, type, name);
    }
  });

  test('no two built-in attributes share a name or a number', () => {
    const names = new Map<string, string>();
    for (const table of BUILTIN_TABLES) {
      for (const [, name] of table.attributes) {
        const key = name.toLowerCase();
        assert.ok(!names.has(key), `${name} in ${table.source} and ${names.get(key)}`);
        names.set(key, table.source);
      }
    }
    const dict = builtinDictionary();
    const oids = new Map<string, string>();
    for (const d of dict.attributes()) {
      assert.ok(!oids.has(d.oid), `${d.name} and ${oids.get(d.oid)} both at ${d.oid}`);
      oids.set(d.oid, d.name);
    }
    assert.equal(oids.size, names.size);
  });

  test('a value name means one number across tables', () => {
    const seen = new Map<string, number>();
    for (const table of BUILTIN_TABLES) {
      for (const [attr, values] of Object.entries(table.values ?? {})) {
        for (const [name, n] of Object.entries(values)) {
          const key = `${attr}/${name}`.toLowerCase();
          const old = seen.get(key);
          assert.ok(old === undefined || old === n, `${attr} ${name}: ${old} and ${n}`);
          seen.set(key, n);
        }
      }
    }
  });
});

describe('spot checks per RFC', () => {
  const dict = builtinDictionary();

  test('RFC 2865', () => {
    assert.equal(def(dict, 'User-Name').oid, '1');
    assert.equal(def(dict, 'User-Password').flags.encrypt, 1);
    assert.equal(def(dict, 'Vendor-Specific').type, 'vsa');
    assert.equal(def(dict, 'Login-LAT-Port').number, 63);
    assert.equal(def(dict, 'NAS-IP-Address').type, 'ipaddr');
    assert.equal(value(dict, 'Service-Type', 'Framed-User'), 2);
    assert.equal(value(dict, 'Service-Type', 'Callback-Administrative'), 11);
    assert.equal(value(dict, 'Framed-Protocol', 'PPP'), 1);
    assert.equal(value(dict, 'Framed-Routing', 'Broadcast-Listen'), 3);
    assert.equal(value(dict, 'Framed-Compression', 'Van-Jacobson-TCP-IP'), 1);
    assert.equal(value(dict, 'Login-Service', 'TCP-Clear-Quiet'), 8);
    assert.equal(value(dict, 'Termination-Action', 'RADIUS-Request'), 1);
    assert.equal(value(dict, 'NAS-Port-Type', 'Wireless-802.11'), 19);
    // Printing uses the first name given to a number.
    assert.equal(def(dict, 'Service-Type').valueNames.get(1), 'Login-User');
    assert.equal(dict.attributeByCode(17), undefined, '17 is unassigned in RFC 2865');
  });

  test('RFC 2866 and RFC 2867', () => {
    assert.equal(def(dict, 'Acct-Status-Type').number, 40);
    assert.equal(value(dict, 'Acct-Status-Type', 'Interim-Update'), 3);
    assert.equal(value(dict, 'Acct-Status-Type', 'Accounting-On'), 7);
    assert.equal(value(dict, 'Acct-Status-Type', 'Accounting-Off'), 8);
    assert.equal(value(dict, 'Acct-Status-Type', 'Tunnel-Link-Reject'), 14);
    assert.equal(value(dict, 'Acct-Authentic', 'Remote'), 3);
    assert.equal(value(dict, 'Acct-Terminate-Cause', 'User-Request'), 1);
    assert.equal(value(dict, 'Acct-Terminate-Cause', 'Host-Request'), 18);
    assert.equal(def(dict, 'Acct-Session-Id').type, 'string');
    assert.equal(def(dict, 'Acct-Tunnel-Packets-Lost').number, 86);
  });

  test('RFC 2868: every tunnel attribute is tagged', () => {
    for (const name of [
      'Tunnel-Type',
      'Tunnel-Medium-Type',
      'Tunnel-Client-Endpoint',
      'Tunnel-Server-Endpoint',
      'Tunnel-Password',
      'Tunnel-Private-Group-ID',
      'Tunnel-Assignment-ID',
      'Tunnel-Preference',
      'Tunnel-Client-Auth-ID',
      'Tunnel-Server-Auth-ID',
    ]) {
      assert.equal(def(dict, name).flags.hasTag, true, name);
    }
    assert.equal(def(dict, 'Tunnel-Password').flags.encrypt, 2);
    assert.equal(def(dict, 'Tunnel-Password').number, 69);
    assert.equal(def(dict, 'Tunnel-Type').flags.encrypt, 0);
    assert.equal(value(dict, 'Tunnel-Type', 'L2TP'), 3);
    assert.equal(value(dict, 'Tunnel-Type', 'VLAN'), 13, 'RFC 3580');
    assert.equal(value(dict, 'Tunnel-Medium-Type', 'IEEE-802'), 6);
    assert.equal(value(dict, 'Tunnel-Medium-Type', 'E.164-NSAP'), 15);
  });

  test('RFC 2869', () => {
    const eap = def(dict, 'EAP-Message');
    assert.equal(eap.number, 79);
    assert.equal(eap.type, 'octets');
    assert.equal(eap.flags.concat, true);
    assert.equal(def(dict, 'Message-Authenticator').type, 'octets');
    assert.equal(def(dict, 'Message-Authenticator').number, 80);
    assert.equal(def(dict, 'Event-Timestamp').type, 'date');
    assert.equal(def(dict, 'Acct-Interim-Interval').number, 85);
    assert.equal(value(dict, 'Prompt', 'No-Echo'), 0);
    assert.equal(value(dict, 'ARAP-Zone-Access', 'Zone-Filter-Exclusive'), 4);
  });

  test('RFC 3162, RFC 4818 and RFC 6911 IPv6 types', () => {
    assert.equal(def(dict, 'NAS-IPv6-Address').type, 'ipv6addr');
    assert.equal(def(dict, 'Framed-Interface-Id').type, 'ifid');
    assert.equal(def(dict, 'Framed-IPv6-Prefix').type, 'ipv6prefix');
    assert.equal(def(dict, 'Framed-IPv6-Prefix').number, 97);
    assert.equal(def(dict, 'Login-IPv6-Host').type, 'ipv6addr');
    assert.equal(def(dict, 'Delegated-IPv6-Prefix').type, 'ipv6prefix');
    assert.equal(def(dict, 'Delegated-IPv6-Prefix').number, 123);
    assert.equal(def(dict, 'Framed-IPv6-Address').number, 168);
    assert.equal(def(dict, 'Framed-IPv6-Address').type, 'ipv6addr');
    assert.equal(def(dict, 'DNS-Server-IPv6-Address').type, 'ipv6addr');
    assert.equal(def(dict, 'Route-IPv6-Information').type, 'ipv6prefix');
    assert.equal(def(dict, 'Stateful-IPv6-Address-Pool').number, 172);
  });

  test('RFC 3580 values', () => {
    assert.equal(value(dict, 'NAS-Port-Type', 'Token-Ring'), 20);
    assert.equal(value(dict, 'NAS-Port-Type', 'FDDI'), 21);
    assert.equal(value(dict, 'Acct-Terminate-Cause', 'Port-Administratively-Disabled'), 22);
  });

  test('RFC 4372, RFC 4675 and RFC 4849', () => {
    assert.equal(def(dict, 'Chargeable-User-Identity').number, 89);
    assert.equal(def(dict, 'Egress-VLANID').type, 'integer');
    assert.equal(def(dict, 'Egress-VLANID').number, 56);
    assert.equal(value(dict, 'Ingress-Filters', 'Enabled'), 1);
    assert.equal(value(dict, 'Ingress-Filters', 'Disabled'), 2);
    assert.equal(def(dict, 'Egress-VLAN-Name').number, 58);
    assert.equal(def(dict, 'User-Priority-Table').type, 'octets');
    assert.equal(def(dict, 'NAS-Filter-Rule').number, 92);
  });

  test('RFC 5090', () => {
    assert.equal(def(dict, 'Digest-Response').number, 103);
    assert.equal(def(dict, 'Digest-HA1').number, 121);
    assert.equal(def(dict, 'SIP-AOR').number, 122);
  });

  test('RFC 5176: Error-Cause and every value of §3.5', () => {
    const ec = def(dict, 'Error-Cause');
    assert.equal(ec.number, 101);
    assert.equal(ec.type, 'integer');
    const numbers = [201, 202, 401, 402, 403, 404, 405, 406, 407, 501, 502, 503, 504, 505, 506, 507, 508];
    for (const n of numbers) assert.ok(ec.valueNames.has(n), `Error-Cause ${n}`);
    assert.equal(value(dict, 'Error-Cause', 'Session-Context-Not-Found'), 503);
    assert.equal(value(dict, 'Error-Cause', 'Multiple-Session-Selection-Unsupported'), 508);
    assert.equal(value(dict, 'Error-Cause', 'Request-Not-Routable'), 502);
    assert.equal(ec.valueNames.get(502), 'Proxy-Request-Not-Routable');
    assert.equal(value(dict, 'Service-Type', 'Authorize-Only'), 17);
  });

  test('RFC 5580 and RFC 6572', () => {
    assert.equal(def(dict, 'Operator-Name').number, 126);
    assert.equal(def(dict, 'Operator-Name').type, 'string');
    assert.equal(def(dict, 'Location-Information').type, 'octets');
    assert.equal(value(dict, 'Location-Capable', 'NAS-Location'), 8);
    assert.equal(value(dict, 'Requested-Location-Info', 'Future-Requests'), 16);
    assert.equal(def(dict, 'Mobile-Node-Identifier').number, 145);
    assert.equal(def(dict, 'PMIP6-Home-HN-Prefix').type, 'ipv6prefix');
    assert.equal(def(dict, 'PMIP6-Home-IPv4-HoA').type, 'ipv4prefix');
    assert.equal(def(dict, 'PMIP6-Visited-Interface-ID').type, 'ifid');
    assert.equal(def(dict, 'PMIP6-Visited-IPv4-Gateway').number, 162);
  });

  test('RFC 6929 extended spaces', () => {
    for (let i = 0; i < 6; i++) {
      const top = def(dict, i < 4 ? `Extended-Type-${i + 1}` : `Long-Extended-Type-${i - 3}`);
      assert.equal(top.number, 241 + i);
      assert.equal(top.type, i < 4 ? 'extended' : 'long-extended');
      const evs = def(dict, `Extended-Vendor-Specific-${i + 1}`);
      assert.equal(evs.oid, `${241 + i}.26`);
      assert.equal(evs.type, 'evs');
      assert.equal(evs.parent, top);
      assert.equal(top.children?.get(26), evs);
    }
  });

  test('RFC 7268', () => {
    assert.equal(def(dict, 'EAP-Key-Name').number, 102);
    assert.equal(def(dict, 'Allowed-Called-Station-Id').number, 174);
    assert.equal(def(dict, 'EAPoL-Announcement').flags.concat, true);
    assert.equal(def(dict, 'WLAN-RF-Band').number, 190);
    assert.equal(def(dict, 'Mobility-Domain-Id').type, 'integer');
  });

  test('RFC 7499 and RFC 7930 in the 241 space', () => {
    const frag = def(dict, 'Frag-Status');
    assert.equal(frag.oid, '241.1');
    assert.equal(frag.parent?.name, 'Extended-Type-1');
    assert.equal(value(dict, 'Frag-Status', 'More-Data-Request'), 3);
    assert.equal(def(dict, 'Proxy-State-Length').oid, '241.2');
    assert.equal(value(dict, 'Service-Type', 'Additional-Authorization'), 19);
    assert.equal(def(dict, 'Response-Length').oid, '241.3');
    assert.equal(def(dict, 'Original-Packet-Code').oid, '241.4');
    assert.equal(value(dict, 'Error-Cause', 'Response-Too-Big'), 601);
  });

  test('RFC 2548 Microsoft attributes', () => {
    const ms = dict.vendor('Microsoft');
    assert.equal(ms?.id, 311);
    assert.equal(dict.vendor(311)?.isStandardFormat, true);
    const send = def(dict, 'MS-MPPE-Send-Key');
    assert.equal(send.oid, '26.311.16');
    assert.equal(send.vendor, ms);
    assert.equal(send.flags.encrypt, 2);
    assert.equal(def(dict, 'MS-MPPE-Recv-Key').flags.encrypt, 2);
    assert.equal(def(dict, 'MS-MPPE-Recv-Key').number, 17);
    assert.equal(def(dict, 'MS-CHAP-MPPE-Keys').flags.encrypt, 1);
    assert.equal(def(dict, 'MS-CHAP-MPPE-Keys').number, 12);
    assert.equal(dict.vendorAttribute(311, 1)?.name, 'MS-CHAP-Response');
    assert.equal(dict.vendorAttribute(311, 2)?.name, 'MS-CHAP-Error');
    assert.equal(dict.vendorAttribute(311, 11)?.name, 'MS-CHAP-Challenge');
    assert.equal(dict.vendorAttribute(311, 25)?.name, 'MS-CHAP2-Response');
    assert.equal(dict.vendorAttribute(311, 26)?.name, 'MS-CHAP2-Success');
    assert.equal(dict.vendorAttribute(311, 33)?.name, 'MS-ARAP-Challenge');
    assert.equal(def(dict, 'MS-Primary-DNS-Server').type, 'ipaddr');
    assert.equal(value(dict, 'MS-MPPE-Encryption-Policy', 'Encryption-Required'), 2);
    assert.equal(value(dict, 'MS-MPPE-Encryption-Types', 'RC4-40or128-bit-Allowed'), 6);
    assert.equal(value(dict, 'MS-Acct-Auth-Type', 'MS-CHAP-2'), 4);
    assert.equal(value(dict, 'MS-Acct-EAP-Type', 'TLS'), 13);
    assert.equal(value(dict, 'MS-ARAP-Password-Change-Reason', 'Password-Too-Short'), 4);
  });
});

// ---------------------------------------------------------------------------------------------
// Cross-check against FreeRADIUS's installed dictionaries, read with a deliberately small parser.

const FREERADIUS_DIR = '/usr/share/freeradius';

/**
 * Built-in attributes whose type knowingly differs from FreeRADIUS's, with the reason. The key is
 * the attribute name; the value says why the built-in table keeps its own choice.
 */
const TYPE_DIFFERENCES: ReadonlyMap<string, string> = new Map<string, string>([
  ['Framed-IPX-Network', 'RFC 2865 §5.23: a four-octet IPX network number, not an IPv4 address'],
  ['MS-CHAP-Error', 'RFC 2548 §2.1.5: a binary Ident octet precedes the text; octets keep it byte-exact'],
  ['MS-CHAP-Domain', 'RFC 2548 §2.1.4: a binary Ident octet precedes the text; octets keep it byte-exact'],
]);

/** Built-in attributes whose flags (has_tag, encrypt, concat) knowingly differ from FreeRADIUS's. */
const FLAG_DIFFERENCES: ReadonlyMap<string, string> = new Map<string, string>([]);

/**
 * Built-in attributes that FreeRADIUS names differently at the same number (beyond letter case,
 * which lookups ignore). The built-in name is the one the RFC uses.
 */
const NAME_DIFFERENCES: ReadonlyMap<string, string> = new Map<string, string>([
  ['MS-MPPE-Encryption-Types', 'RFC 2548 §2.4.5 title'],
  ['MS-ARAP-Password-Change-Reason', 'RFC 2548 §2.6.3 title'],
  ['Extended-Type-1', 'RFC 6929 §3.1'],
  ['Extended-Type-2', 'RFC 6929 §3.2'],
  ['Extended-Type-3', 'RFC 6929 §3.3'],
  ['Extended-Type-4', 'RFC 6929 §3.4'],
  ['Long-Extended-Type-1', 'RFC 6929 §3.5'],
  ['Long-Extended-Type-2', 'RFC 6929 §3.6'],
]);

/** Named values (`attribute/value`) whose number knowingly differs from FreeRADIUS's. */
const VALUE_DIFFERENCES: ReadonlyMap<string, string> = new Map<string, string>([
  ['MS-MPPE-Encryption-Types/RC4-40bit-Allowed', 'RFC 2548 §2.4.5: the L bit is bit 1 (0x2)'],
  ['MS-MPPE-Encryption-Types/RC4-128bit-Allowed', 'RFC 2548 §2.4.5: the S bit is bit 2 (0x4)'],
]);

interface ForeignAttribute {
  file: string;
  oid: string;
  type: string;
  hasTag: boolean;
  encrypt: number;
  concat: boolean;
}

interface ForeignDictionaries {
  attributes: Map<string, ForeignAttribute>;
  /** Full numeric path → name. */
  names: Map<string, string>;
  /** Lower-case `attribute/value name` → number. */
  values: Map<string, number>;
}

/** Reads the ATTRIBUTE, VALUE and vendor lines of FreeRADIUS's RFC and Microsoft dictionaries. */
function readFreeRadius(dir: string): ForeignDictionaries {
  const files = readdirSync(dir).filter((f) => /^dictionary\.(rfc\d+|microsoft)$/.test(f));
  const attributes = new Map<string, ForeignAttribute>();
  const names = new Map<string, string>();
  const values = new Map<string, number>();
  for (const file of files) {
    const vendors = new Map<string, number>();
    let vendor: number | undefined;
    for (const raw of readFileSync(join(dir, file), 'latin1').split('\n')) {
      const words = raw.replace(/#.*/, '').trim().split(/\s+/);
      const keyword = words[0];
      if (keyword === 'VENDOR' && words.length >= 3) vendors.set(words[1], Number(words[2]));
      else if (keyword === 'BEGIN-VENDOR') vendor = vendors.get(words[1]);
      else if (keyword === 'END-VENDOR') vendor = undefined;
      else if (keyword === 'VALUE' && words.length >= 4) {
        values.set(`${words[1]}/${words[2]}`.toLowerCase(), Number(words[3]));
      } else if (keyword === 'ATTRIBUTE' && words.length >= 4) {
        const [, name, number, type, flags = ''] = words;
        if (!/^(0x[0-9a-f]+|\d+)(\.\d+)*$/i.test(number)) continue;
        const oid = number.startsWith('0x') ? String(Number(number)) : number;
        const encrypt = /encrypt=(\d)/.exec(flags);
        const full = vendor === undefined ? oid : `26.${vendor}.${oid}`;
        names.set(full, name);
        attributes.set(name, {
          file,
          oid: full,
          type: type.replace(/\[.*$/, ''),
          hasTag: /\bhas_tag\b/.test(flags),
          encrypt: encrypt ? Number(encrypt[1]) : 0,
          concat: /\bconcat\b/.test(flags),
        });
      }
    }
  }
  return { attributes, names, values };
}

describe('cross-check with FreeRADIUS dictionaries', () => {
  const present = existsSync(FREERADIUS_DIR);
  const skip = present ? false : `${FREERADIUS_DIR} is absent, nothing to compare against`;
  if (!present) console.log(`# skipping FreeRADIUS cross-check: ${FREERADIUS_DIR} is absent`);
  const foreign = present
    ? readFreeRadius(FREERADIUS_DIR)
    : { attributes: new Map(), names: new Map(), values: new Map() };
  const dict = builtinDictionary();
  const tableOf = new Map<string, BuiltinTable>();
  for (const table of BUILTIN_TABLES) for (const [, name] of table.attributes) tableOf.set(name, table);

  test('the FreeRADIUS files were read', { skip }, () => {
    assert.ok(foreign.attributes.size > 100, `${foreign.attributes.size} attributes read`);
    assert.ok(foreign.attributes.has('User-Name'));
  });

  test('numbers and base types agree for every shared name', { skip }, () => {
    const problems: string[] = [];
    let compared = 0;
    for (const d of dict.attributes()) {
      const other = foreign.attributes.get(d.name);
      if (!other) continue;
      compared++;
      const where = `${d.name} (${tableOf.get(d.name)?.source} / ${other.file})`;
      if (other.oid !== d.oid) problems.push(`${where}: number ${d.oid} vs ${other.oid}`);
      if (other.type !== d.type && !TYPE_DIFFERENCES.has(d.name)) {
        problems.push(`${where}: type ${d.type} vs ${other.type}`);
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(compared > 150, `${compared} attributes compared`);
  });

  test('attributes at shared numbers have the same name, but for letter case', { skip }, () => {
    const problems: string[] = [];
    for (const d of dict.attributes()) {
      const other = foreign.names.get(d.oid);
      if (other === undefined || NAME_DIFFERENCES.has(d.name)) continue;
      if (other.toLowerCase() !== d.name.toLowerCase()) problems.push(`${d.oid}: ${d.name} vs ${other}`);
    }
    assert.deepEqual(problems, []);
  });

  test('tag, hiding and concat flags agree for every shared name', { skip }, () => {
    const problems: string[] = [];
    for (const d of dict.attributes()) {
      const other = foreign.attributes.get(d.name);
      if (!other || FLAG_DIFFERENCES.has(d.name)) continue;
      const ours = `has_tag=${d.flags.hasTag} encrypt=${d.flags.encrypt} concat=${d.flags.concat}`;
      const theirs = `has_tag=${other.hasTag} encrypt=${other.encrypt} concat=${other.concat}`;
      if (ours !== theirs) problems.push(`${d.name}: ${ours} vs ${theirs}`);
    }
    assert.deepEqual(problems, []);
  });

  test('value names shared with FreeRADIUS have the same numbers', { skip }, () => {
    const problems: string[] = [];
    for (const d of dict.attributes()) {
      for (const v of d.values.values()) {
        const key = `${d.name}/${v.name}`;
        const n = foreign.values.get(key.toLowerCase());
        if (n === undefined || VALUE_DIFFERENCES.has(key)) continue;
        if (BigInt(n) !== BigInt(v.value)) problems.push(`${d.name} ${v.name}: ${v.value} vs ${n}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('documented differences name built-in attributes', { skip }, () => {
    for (const name of [...TYPE_DIFFERENCES.keys(), ...FLAG_DIFFERENCES.keys(), ...NAME_DIFFERENCES.keys()]) {
      assert.ok(dict.attribute(name), `${name} is built in`);
    }
    for (const key of VALUE_DIFFERENCES.keys()) {
      const [attr, name] = key.split('/');
      assert.ok(dict.attribute(attr)?.values.has(name.toLowerCase()), `${key} is built in`);
    }
  });
});

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCOUNTING_REQUEST,
  AccessRequest,
  type AttributeDef,
  type AttributeEntry,
  type AttributeValue,
  COA_REQUEST,
  createPacket,
  Dictionary,
  decodeRequest,
  decodeResponse,
  type Packet,
} from '../../src/index.js';

const FREERADIUS = '/usr/share/freeradius/dictionary';
const skip = existsSync(FREERADIUS) ? false : `${FREERADIUS} is absent (install freeradius-common to run)`;
if (skip) console.log(`# roundtrip-dictionaries: skipped: ${skip}`);

/** Types whose value is other attributes: they have no sample value of their own. */
const CONTAINERS = new Set(['tlv', 'vsa', 'extended', 'long-extended', 'evs']);

/**
 * Attributes left out on purpose, with the reason. Besides these, a name whose number a later
 * definition took over (an alias such as `Client-Id` for NAS-IP-Address, or `X-Ascend-*` numbers
 * reused by RFCs) decodes under the later name: those are checked by the weaker "shadowed" test.
 */
const EXCLUDED: Readonly<Record<string, string>> = {
  'Message-Authenticator':
    'the packet encoder computes it over the whole packet (any sample value is replaced); the vector tests cover it',
};

let loaded: Dictionary | undefined;
function freeradius(): Dictionary {
  loaded ??= new Dictionary().load(FREERADIUS);
  return loaded;
}

/** The definition that decoding finds at `def`'s place on the wire. */
function slotOwner(dict: Dictionary, def: AttributeDef): AttributeDef | undefined {
  const parent = def.parent;
  if (parent?.evsVendors) return parent.evsVendors.get(def.vendor?.id ?? -1)?.get(def.number);
  if (parent) return parent.children?.get(def.number);
  if (def.vendor) return dict.vendorAttribute(def.vendor.id, def.number);
  return dict.attributeByCode(def.number);
}

function firstValueName(def: AttributeDef): string | undefined {
  for (const v of def.values.values()) return v.name;
  return undefined;
}

/** A valid sample value of the attribute's type. */
function sample(def: AttributeDef): AttributeValue {
  const n = def.flags.length;
  switch (def.type) {
    case 'string':
      return 'abc';
    case 'octets':
    case 'abinary':
      return n === undefined ? Buffer.from([1, 2, 0xfe]) : Buffer.alloc(n, 0x5a);
    case 'ipaddr':
      return '192.0.2.1';
    case 'ipv6addr':
      return '2001:db8::1';
    case 'ipv6prefix':
      return '2001:db8::/32';
    case 'ipv4prefix':
      return '192.0.2.0/24';
    case 'ifid':
      return '0011:2233:4455:6677';
    case 'integer':
      // A tagged integer has 24 bits for its value (RFC 2868 §3.1).
      return firstValueName(def) ?? (def.flags.hasTag ? 0x123456 : 0x12345678);
    case 'integer64':
      return 0x0123456789abcdefn;
    case 'date':
      return new Date(1_700_000_000_000);
    case 'byte':
      return firstValueName(def) ?? 0xab;
    case 'short':
      return firstValueName(def) ?? 0xabcd;
    case 'signed':
      return firstValueName(def) ?? -123456;
    case 'ether':
      return '00:11:22:33:44:55';
    case 'combo-ip':
      return '192.0.2.2';
    default:
      throw new Error(`no sample for ${def.type}`);
  }
}

function sameValue(a: AttributeValue, b: AttributeValue): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (a instanceof Date && b instanceof Date)
    return Math.floor(a.getTime() / 1000) === Math.floor(b.getTime() / 1000);
  return a === b;
}

function show(v: AttributeValue | undefined): string {
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

interface Candidates {
  checked: AttributeDef[];
  shadowed: AttributeDef[];
}

function candidates(dict: Dictionary): Candidates {
  const checked: AttributeDef[] = [];
  const shadowed: AttributeDef[] = [];
  for (const def of dict.attributes()) {
    if (CONTAINERS.has(def.type) || def.flags.virtual || EXCLUDED[def.name]) continue;
    if (slotOwner(dict, def) === def) checked.push(def);
    else shadowed.push(def);
  }
  return { checked, shadowed };
}

function payload(packet: Packet): AttributeEntry[] {
  return packet.attributes.entries.filter((e) => e.def.name !== 'Message-Authenticator');
}

/** Checks that `got` holds exactly `want` (name, value, tag); returns a failure text or undefined. */
function compare(want: AttributeDef[], got: AttributeEntry[]): string | undefined {
  if (got.length !== want.length) {
    return `sent ${want.map((d) => d.name).join(', ')}; got ${got.map((e) => `${e.def.name}=${show(e.value)}`).join(', ')}`;
  }
  for (let i = 0; i < want.length; i++) {
    const def = want[i];
    const e = got[i];
    const tag = def.flags.hasTag ? 1 : undefined;
    if (e.def.name !== def.name || !sameValue(e.value, sample(def)) || e.tag !== tag) {
      return `${def.name} (${def.oid} ${def.type}): sent ${show(sample(def))} tag ${tag}, got ${e.def.name}=${show(e.value)} tag ${e.tag}`;
    }
  }
  return undefined;
}

function report(what: string, total: number, failures: string[]): void {
  assert.equal(
    failures.length,
    0,
    `${failures.length} of ${total} ${what} failed; the first 30:\n${failures.slice(0, 30).join('\n')}`,
  );
}

const SECRET = 's3cret-for-dictionaries';

function newRequest(dict: Dictionary): Packet {
  const req = new AccessRequest(SECRET, { identifier: 9, dictionary: dict });
  req.add('User-Name', 'dictionary-test');
  req.encode();
  return req;
}

describe('every attribute of the FreeRADIUS dictionaries round-trips', { skip }, () => {
  test('the dictionaries load and give a few thousand attributes to check', (t) => {
    const { checked, shadowed } = candidates(freeradius());
    assert.ok(checked.length > 1000, `${checked.length} attributes`);
    for (const name of Object.keys(EXCLUDED)) assert.ok(freeradius().attribute(name), `${name} exists`);
    t.diagnostic(`${checked.length} attributes checked, ${shadowed.length} shadowed names`);
  });

  test('each alone in an Access-Accept (encrypt=1/2/3 hidden with the request authenticator)', () => {
    const dict = freeradius();
    const { checked } = candidates(dict);
    const req = newRequest(dict);
    const failures: string[] = [];
    for (const def of checked) {
      try {
        const reply = req.createReply(ACCESS_ACCEPT);
        reply.attributes.add(def.name, sample(def), def.flags.hasTag ? 1 : undefined);
        const bytes = reply.encode();
        const got = decodeResponse(SECRET, bytes, req, { dictionary: dict });
        const bad = compare([def], payload(got));
        if (bad) failures.push(bad);
        // Without random salts the decoded reply re-encodes to the same bytes.
        else if (def.flags.encrypt !== 2 && !got.encode().equals(bytes))
          failures.push(`${def.name}: decoded reply does not re-encode byte-exact`);
      } catch (err) {
        failures.push(
          `${def.name} (${def.oid} ${def.type}): ${(err as Error).name}: ${(err as Error).message}`,
        );
      }
    }
    report('attributes', checked.length, failures);
  });

  test('each alone in an Access-Request, Accounting-Request and CoA-Request', () => {
    const dict = freeradius();
    const { checked } = candidates(dict);
    const failures: string[] = [];
    for (const code of [1, ACCOUNTING_REQUEST, COA_REQUEST]) {
      for (const def of checked) {
        try {
          const p = createPacket(code, SECRET, { dictionary: dict });
          p.add(def.name, sample(def), def.flags.hasTag ? 1 : undefined);
          const bad = compare([def], payload(decodeRequest(SECRET, p.encode(), { dictionary: dict })));
          if (bad) failures.push(`code ${code}: ${bad}`);
        } catch (err) {
          failures.push(`code ${code}: ${def.name}: ${(err as Error).name}: ${(err as Error).message}`);
        }
      }
    }
    report('attribute/code pairs', checked.length * 3, failures);
  });

  test('25 at a time in one reply, in dictionary order (TLV and VSA grouping)', () => {
    const dict = freeradius();
    const { checked } = candidates(dict);
    const req = newRequest(dict);
    const failures: string[] = [];
    for (let i = 0; i < checked.length; i += 25) {
      const batch = checked.slice(i, i + 25);
      try {
        const reply = req.createReply(ACCESS_ACCEPT);
        for (const def of batch)
          reply.attributes.add(def.name, sample(def), def.flags.hasTag ? 1 : undefined);
        const bad = compare(
          batch,
          payload(decodeResponse(SECRET, reply.encode(), req, { dictionary: dict })),
        );
        if (bad) failures.push(`batch at ${i}: ${bad}`);
      } catch (err) {
        failures.push(
          `batch at ${i} (${batch[0].name}...): ${(err as Error).name}: ${(err as Error).message}`,
        );
      }
    }
    report('batches', Math.ceil(checked.length / 25), failures);
  });

  test('shadowed names encode, and what arrives decodes the same after a re-encode', (t) => {
    const dict = freeradius();
    const { shadowed } = candidates(dict);
    const req = newRequest(dict);
    const failures: string[] = [];
    for (const def of shadowed) {
      const owner = slotOwner(dict, def);
      if (owner && owner.name.toLowerCase() === def.name.toLowerCase() && owner.type !== def.type)
        failures.push(`${def.name}: redefined with another type under the same name`);
      try {
        const reply = req.createReply(ACCESS_ACCEPT);
        reply.attributes.add(def.name, sample(def), def.flags.hasTag ? 1 : undefined);
        const bytes = reply.encode();
        const got = decodeResponse(SECRET, bytes, req, { dictionary: dict });
        const first = payload(got);
        if (first.length === 0) failures.push(`${def.name}: nothing decoded`);
        // What arrived is stable: decoding the re-encoded packet gives the same attributes.
        const again = payload(decodeResponse(SECRET, got.encode(), req, { dictionary: dict }));
        const text = (list: AttributeEntry[]) =>
          list.map((e) => `${e.def.name}=${show(e.value)}:${e.tag}`).join();
        if (text(again) !== text(first)) failures.push(`${def.name}: ${text(first)} became ${text(again)}`);
      } catch (err) {
        failures.push(
          `${def.name} (${def.oid} ${def.type}): ${(err as Error).name}: ${(err as Error).message}`,
        );
      }
    }
    t.diagnostic(`shadowed: ${shadowed.map((d) => d.name).join(', ')}`);
    report('shadowed names', shadowed.length, failures);
  });

  test('a 600-byte long-extended EVS value from the FreeRADIUS dictionary round-trips', (t) => {
    const dict = freeradius();
    const def = dict.attribute('FreeRADIUS-802.1X-Anonce');
    if (def?.parent?.parent?.type !== 'long-extended') return t.skip('no long-extended EVS attribute here');
    const req = newRequest(dict);
    const value = Buffer.alloc(600);
    for (let i = 0; i < value.length; i++) value[i] = i & 0xff;
    const reply = req.createReply(ACCESS_ACCEPT, [[def.name, value]]);
    assert.deepEqual(decodeResponse(SECRET, reply.encode(), req, { dictionary: dict }).get(def.name), value);
  });

  test('what decoding finds at every number encodes back to that number, and every value name to its value', () => {
    // Each attribute decoding can find at a place on the wire, and each value name it can print,
    // must be the one encoding uses for that name: otherwise a decoded packet, sent on, changes
    // (FreeRADIUS's tree moves Digest-Response from 103 to 206, and MS-MPPE-Encryption-Types'
    // value names from 2 and 4 to 1 and 2).
    const dict = freeradius();
    const failures: string[] = [];
    let seen = 0;
    const visit = (def: AttributeDef | undefined): void => {
      if (!def) return;
      seen++;
      const named = dict.attribute(def.name);
      if (named?.oid !== def.oid)
        failures.push(`${def.oid} decodes as ${def.name}, which encodes as ${named?.oid}`);
      for (const [number, name] of def.valueNames) {
        const value = def.values.get(name.toLowerCase())?.value;
        if (value !== number)
          failures.push(`${def.name} ${number} decodes as ${name}, which encodes as ${value}`);
      }
      for (const child of def.children?.values() ?? []) visit(child);
      for (const space of def.evsVendors?.values() ?? []) for (const child of space.values()) visit(child);
    };
    for (let code = 1; code < 256; code++) visit(dict.attributeByCode(code));
    for (const vendor of dict.vendors.values()) for (const def of vendor.attributes.values()) visit(def);
    assert.ok(seen > 5000, `${seen} attributes reached`);
    assert.deepEqual(failures, []);
  });
});

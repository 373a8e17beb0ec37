// `aioradius dict`: what the dictionary says about an attribute.
import type { AttributeDef, VendorDef } from '../dictionary/definitions.js';
import { Dictionary } from '../dictionary/dictionary.js';
import { commandFailed, parseCommandLine, SHARED_OPTIONS, stringList, UsageError } from './args.js';
import { dictionaryHint } from './format.js';

/** Help text of `aioradius dict`. */
export const USAGE = `Usage: aioradius dict NAME|NUMBER|OID... [options]

Shows an attribute's definition (name, oid, type, flags, vendor, parent) and its named values.
NAME is case-insensitive; NUMBER is a top-level attribute (1..255); OID is a full path such
as 26.311.16 (Microsoft's MS-MPPE-Send-Key) or 241.1. A vendor name or 26.VENDOR shows the
vendor and its attributes.

Options:
  -D, --dictionary PATH   load a FreeRADIUS-format dictionary over the built-in one (repeatable)
      --json              print JSON
  -h, --help              this text

Exit status: 0 when every query was found, 1 when one was not, 2 on bad usage.`;

const OPTIONS = {
  dictionary: SHARED_OPTIONS.dictionary,
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs `aioradius dict`; returns the exit status. */
export async function run(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('expected an attribute name, number or oid');
    const dictionary = new Dictionary();
    const dictPaths = stringList(values, 'dictionary');
    for (const p of dictPaths) dictionary.load(p);
    let status = 0;
    for (const query of positionals) {
      const found = findAttribute(dictionary, query);
      if (found) {
        process.stdout.write(
          values.json ? `${JSON.stringify(attributeJson(found))}\n` : `${describeAttribute(found)}\n`,
        );
        continue;
      }
      const vendor = findVendor(dictionary, query);
      if (vendor) {
        process.stdout.write(
          values.json ? `${JSON.stringify(vendorJson(vendor))}\n` : `${describeVendor(vendor)}\n`,
        );
        continue;
      }
      // As test and send do: the built-in dictionary has few vendors, FreeRADIUS's has hundreds.
      const hint = dictPaths.length ? '' : ` (${dictionaryHint()})`;
      process.stderr.write(`aioradius dict: unknown attribute ${JSON.stringify(query)}${hint}\n`);
      status = 1;
    }
    return status;
  } catch (err) {
    return commandFailed('dict', err);
  }
}

/** An attribute by name, top-level number, or oid (`26.311.16`); undefined when unknown. */
export function findAttribute(dictionary: Dictionary, query: string): AttributeDef | undefined {
  const q = query.trim();
  if (/^\d+$/.test(q)) return dictionary.attributeByCode(Number(q)) ?? findByOid(dictionary, q);
  if (/^\d+(\.\d+)+$/.test(q)) return findByOid(dictionary, q);
  return dictionary.attribute(q);
}

function findByOid(dictionary: Dictionary, oid: string): AttributeDef | undefined {
  for (const def of dictionary.attributes()) if (def.oid === oid) return def;
  return undefined;
}

/** A vendor by name, id, or `26.<id>`. */
function findVendor(dictionary: Dictionary, query: string): VendorDef | undefined {
  const m = /^(?:26\.)?(\d+)$/.exec(query);
  if (m && query.startsWith('26.')) return dictionary.vendor(Number(m[1]));
  return /^\d+$/.test(query) ? undefined : dictionary.vendor(query);
}

function flagWords(def: AttributeDef): string[] {
  const f = def.flags;
  const words: string[] = [];
  if (f.encrypt) words.push(`encrypt=${f.encrypt}`);
  if (f.hasTag) words.push('has_tag');
  if (f.concat) words.push('concat');
  if (f.array) words.push('array');
  if (f.virtual) words.push('virtual');
  if (f.length !== undefined) words.push(`length=${f.length}`);
  return words;
}

/** Human-readable definition of an attribute, FreeRADIUS dictionary style, then details. */
export function describeAttribute(def: AttributeDef): string {
  const flags = flagWords(def);
  const type = def.flags.length !== undefined ? `${def.type}[${def.flags.length}]` : def.type;
  const lines = [
    `ATTRIBUTE\t${def.name}\t${def.number}\t${type}${flags.length ? `\t${flags.join(',')}` : ''}`,
  ];
  lines.push(`  oid:     ${def.oid}`);
  lines.push(`  type:    ${type}`);
  lines.push(`  flags:   ${flags.length ? flags.join(', ') : '(none)'}`);
  if (def.vendor) lines.push(`  vendor:  ${def.vendor.name} (${def.vendor.id})`);
  if (def.parent) lines.push(`  parent:  ${def.parent.name} (${def.parent.oid})`);
  if (def.children?.size) {
    lines.push(`  children:`);
    for (const child of [...def.children.values()].sort((a, b) => a.number - b.number))
      lines.push(`    ${child.number}\t${child.name}\t${child.type}`);
  }
  if (def.values.size) {
    lines.push('  values:');
    const sorted = [...def.values.values()].sort((a, b) =>
      a.value < b.value ? -1 : a.value > b.value ? 1 : 0,
    );
    for (const v of sorted) lines.push(`    ${v.name} = ${v.value}`);
  }
  return lines.join('\n');
}

function attributeJson(def: AttributeDef) {
  return {
    name: def.name,
    number: def.number,
    oid: def.oid,
    type: def.type,
    flags: flagWords(def),
    vendor: def.vendor ? { id: def.vendor.id, name: def.vendor.name } : null,
    parent: def.parent ? def.parent.name : null,
    children: def.children ? [...def.children.values()].map((c) => c.name) : [],
    values: Object.fromEntries([...def.values.values()].map((v) => [v.name, Number(v.value)])),
  };
}

function describeVendor(vendor: VendorDef): string {
  const format = `${vendor.typeSize},${vendor.lengthSize}${vendor.continuation ? ',c' : ''}`;
  const lines = [`VENDOR\t${vendor.name}\t${vendor.id}\tformat=${format}`];
  for (const a of [...vendor.attributes.values()].sort((x, y) => x.number - y.number))
    lines.push(`  ${a.number}\t${a.name}\t${a.type}`);
  return lines.join('\n');
}

function vendorJson(vendor: VendorDef) {
  return {
    vendor: vendor.name,
    id: vendor.id,
    attributes: [...vendor.attributes.values()].map((a) => ({
      name: a.name,
      number: a.number,
      type: a.type,
    })),
  };
}

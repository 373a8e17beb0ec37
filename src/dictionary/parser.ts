import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { DictionaryError } from '../errors.js';
import type { AttributeDef, VendorDef } from './definitions.js';
import type { Dictionary } from './dictionary.js';
import { ATTRIBUTE_TYPES, type AttributeFlags, type AttributeType, type EncryptMethod } from './types.js';

/** Options for loading dictionary files. */
export interface LoadOptions {
  /** When set, `$INCLUDE` may not reach outside this directory (for untrusted paths). */
  root?: string;
}

/** Loads a FreeRADIUS-format dictionary file into `dict`, following `$INCLUDE`s. */
export function loadDictionaryFile(dict: Dictionary, path: string, options: LoadOptions = {}): void {
  const loader = new Loader(dict, options, path);
  const file = resolve(path);
  const real = loader.realFile(file, undefined);
  loader.checkRoot(real, file, undefined);
  loader.readFile(file, real, undefined);
  loader.finish();
}

/** Loads FreeRADIUS-format dictionary text into `dict`; `fileName` names it in errors and anchors `$INCLUDE`s. */
export function loadDictionaryText(
  dict: Dictionary,
  text: string,
  fileName: string,
  options: LoadOptions = {},
): void {
  const loader = new Loader(dict, options, fileName);
  loader.parse(text, fileName, dirname(resolve(fileName)), resolve(fileName));
  loader.finish();
}

/** Type names FreeRADIUS 3.2 accepts besides the canonical ones (case does not matter). */
const TYPE_ALIASES: Readonly<Record<string, AttributeType>> = {
  uint8: 'byte',
  uint16: 'short',
  uint32: 'integer',
  int32: 'signed',
  uint64: 'integer64',
  cidr: 'ipv4prefix',
};

const TYPES = new Map<string, AttributeType>([
  ...ATTRIBUTE_TYPES.map((t): [string, AttributeType] => [t, t]),
  ...Object.entries(TYPE_ALIASES),
]);

/** Types that may carry the `array` flag (as FreeRADIUS 3.2 allows). */
const ARRAY_TYPES: ReadonlySet<AttributeType> = new Set([
  'ipaddr',
  'ipv6addr',
  'byte',
  'short',
  'integer',
  'date',
  'string',
]);

/** Ranges of the integer types that may have named VALUEs. */
const VALUE_RANGES: Partial<Record<AttributeType, readonly [bigint, bigint]>> = {
  byte: [0n, 0xffn],
  short: [0n, 0xffffn],
  integer: [0n, 0xffffffffn],
  signed: [-0x80000000n, 0x7fffffffn],
  integer64: [0n, 0xffffffffffffffffn],
  date: [0n, 0xffffffffn],
};

/** Vendors whose layout FreeRADIUS assumes when their VENDOR line gives no `format=`. */
const DEFAULT_FORMATS: ReadonlyMap<number, readonly [1 | 2 | 4, 0 | 1 | 2]> = new Map([
  [429, [4, 0]], // USR
  [4846, [2, 1]], // Lucent
  [8164, [2, 2]], // Starent
]);

/** Characters FreeRADIUS allows in attribute names. */
const NAME_RE = /^[A-Za-z0-9_./-]+$/;
const NAME_MAX = 127;
const NUMBER_RE = /^(?:0[xX][0-9a-fA-F]+|[0-9]+)$/;
const SPACES_RE = /[ \t\r\f\v]+/;
/** Bound on `$INCLUDE` nesting (FreeRADIUS's own files nest two deep). */
const MAX_DEPTH = 64;

/** A problem on the current line; the line loop turns it into a DictionaryError. */
class LineError extends Error {}

function fail(reason: string): never {
  throw new LineError(reason);
}

/** An open BEGIN-VENDOR or BEGIN-TLV block. */
type Block =
  | { kind: 'vendor'; name: string; line: number; vendor: VendorDef; evs: readonly number[] | undefined }
  | { kind: 'tlv'; name: string; line: number; def: AttributeDef };

/** Where an included file was named. */
interface Origin {
  file: string;
  line: number;
}

/** A VALUE whose attribute was not defined yet (FreeRADIUS allows forward references). */
interface PendingValue extends Origin {
  attribute: string;
  name: string;
  value: bigint;
}

interface PendingAlias extends Origin {
  attribute: string;
  source: string;
}

/** One top-level load: the include stack, files already read, and forward references. */
class Loader {
  private readonly dict: Dictionary;
  private readonly root: string | undefined;
  private readonly lexicalRoot: string | undefined;
  private readonly stack: string[] = [];
  private readonly loaded = new Set<string>();
  private readonly pending: PendingValue[] = [];
  private readonly aliases: PendingAlias[] = [];

  constructor(dict: Dictionary, options: LoadOptions, what: string) {
    this.dict = dict;
    if (options.root !== undefined) {
      this.lexicalRoot = resolve(options.root);
      try {
        this.root = realpathSync(this.lexicalRoot);
      } catch (err) {
        throw new DictionaryError(what, 0, `root ${this.lexicalRoot} is not readable: ${errorText(err)}`);
      }
    }
  }

  /** The real path of `file`, or a DictionaryError naming where it was included from. */
  realFile(file: string, from: Origin | undefined): string {
    try {
      return realpathSync(file);
    } catch (err) {
      throw readError(file, from, err);
    }
  }

  /** Refuses a file outside `options.root`. */
  checkRoot(real: string, file: string, from: Origin | undefined): void {
    if (this.root !== undefined && !within(this.root, real)) {
      const where = from ?? { file, line: 0 };
      throw new DictionaryError(
        where.file,
        where.line,
        `${file} is outside the dictionary root ${this.root}`,
      );
    }
  }

  /** Reads and parses one file unless it was already read in this load. */
  readFile(file: string, real: string, from: Origin | undefined): void {
    if (this.stack.includes(real)) {
      const chain = [...this.stack.slice(this.stack.indexOf(real)), real].join(' -> ');
      const where = from ?? { file, line: 0 };
      throw new DictionaryError(where.file, where.line, `$INCLUDE cycle: ${chain}`);
    }
    // FreeRADIUS reads each file once per load; a second $INCLUDE of it is a no-op.
    if (this.loaded.has(real)) return;
    let text: string;
    try {
      if (!statSync(real).isFile()) throw new Error('not a regular file');
      text = readFileSync(real, 'utf8');
    } catch (err) {
      throw readError(file, from, err);
    }
    this.parse(text, file, dirname(file), real);
  }

  /** Parses dictionary text; `dir` anchors relative `$INCLUDE`s, `real` identifies the file for cycles. */
  parse(text: string, file: string, dir: string, real: string): void {
    this.stack.push(real);
    this.loaded.add(real);
    const blocks: Block[] = [];
    // A byte-order mark would otherwise glue itself to the first keyword.
    const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i];
      const hash = line.indexOf('#');
      if (hash >= 0) line = line.slice(0, hash);
      const argv = line.split(SPACES_RE);
      if (argv[0] === '') argv.shift();
      if (argv.length > 0 && argv[argv.length - 1] === '') argv.pop();
      if (argv.length === 0) continue;
      try {
        this.directive(argv, blocks, { file, line: i + 1 }, dir);
      } catch (err) {
        if (err instanceof DictionaryError) throw err;
        throw new DictionaryError(file, i + 1, errorText(err));
      }
    }
    const open = blocks.at(-1);
    if (open) {
      const what = open.kind === 'vendor' ? 'BEGIN-VENDOR' : 'BEGIN-TLV';
      throw new DictionaryError(
        file,
        open.line,
        `${what} ${open.name} has no matching END at the end of the file`,
      );
    }
    this.stack.pop();
  }

  /** Resolves forward-referenced VALUEs and VALUE-ALIASes once every file is read. */
  finish(): void {
    for (const p of this.pending) {
      const def = this.dict.attribute(p.attribute);
      if (!def)
        throw new DictionaryError(p.file, p.line, `VALUE ${p.name} for unknown attribute ${p.attribute}`);
      try {
        addValue(def, p.name, p.value);
      } catch (err) {
        throw new DictionaryError(p.file, p.line, errorText(err));
      }
    }
    for (const a of this.aliases) {
      const target = this.dict.attribute(a.attribute);
      const source = this.dict.attribute(a.source);
      if (!target || !source) {
        throw new DictionaryError(
          a.file,
          a.line,
          `VALUE-ALIAS: unknown attribute ${target ? a.source : a.attribute}`,
        );
      }
      if (target.type !== source.type) {
        throw new DictionaryError(
          a.file,
          a.line,
          `VALUE-ALIAS: ${a.attribute} and ${a.source} differ in type`,
        );
      }
      for (const v of source.values.values()) target.addValue(v.name, v.value);
    }
  }

  private directive(argv: string[], blocks: Block[], at: Origin, dir: string): void {
    const keyword = argv[0].toUpperCase();
    if (argv.length === 1) fail(`${argv[0]} needs arguments`);
    switch (keyword) {
      case 'ATTRIBUTE':
        this.attribute(argv, blocks);
        break;
      case 'VALUE':
        this.value(argv, at);
        break;
      case 'VENDOR':
        this.vendor(argv);
        break;
      case 'BEGIN-VENDOR':
        this.beginVendor(argv, blocks, at.line);
        break;
      case 'END-VENDOR':
        endBlock(argv, blocks, 'vendor', this.dict);
        break;
      case 'BEGIN-TLV':
        this.beginTlv(argv, blocks, at.line);
        break;
      case 'END-TLV':
        endBlock(argv, blocks, 'tlv', this.dict);
        break;
      case '$INCLUDE':
        this.include(argv, dir, at, false);
        break;
      case '$INCLUDE-':
      case '$-INCLUDE':
        this.include(argv, dir, at, true);
        break;
      case 'VALUE-ALIAS':
        if (argv.length !== 3)
          fail('VALUE-ALIAS needs an attribute and the attribute whose values it shares');
        this.aliases.push({ attribute: argv[1], source: argv[2], ...at });
        break;
      default:
        fail(`unknown keyword ${argv[0]}`);
    }
  }

  private include(argv: string[], dir: string, at: Origin, optional: boolean): void {
    if (argv.length !== 2) fail(`${argv[0]} needs exactly one file name`);
    if (this.stack.length >= MAX_DEPTH) fail(`$INCLUDEs nested deeper than ${MAX_DEPTH} files`);
    const file = resolve(dir, argv[1]);
    let real: string;
    try {
      real = realpathSync(file);
    } catch (err) {
      // Refuse a path outside the root before telling whether it exists.
      const outside =
        this.root !== undefined && !within(this.root, file) && !within(this.lexicalRoot ?? '', file);
      if (outside) this.checkRoot(file, file, at);
      if (optional && isMissing(err)) return;
      throw readError(file, at, err);
    }
    this.checkRoot(real, file, at);
    this.readFile(file, real, at);
  }

  private vendor(argv: string[]): void {
    if (argv.length < 3 || argv.length > 4)
      fail('VENDOR needs a name, a number and optionally format=t,l[,c]');
    const name = argv[1];
    const id = parseNumber(argv[2], 'vendor id');
    // RFC 2865 §5.26: the high-order octet of the Vendor-Id is 0.
    if (id < 1 || id > 0xffffff) fail(`vendor id ${argv[2]} out of range 1..16777215`);
    let typeSize: 1 | 2 | 4 = 1;
    let lengthSize: 0 | 1 | 2 = 1;
    let continuation = false;
    if (argv.length === 4) {
      const m = /^format=([124]),([012])(,c)?$/i.exec(argv[3]);
      if (!m) fail(`bad vendor format ${argv[3]}: expected format=t,l or format=1,1,c with t 1|2|4, l 0|1|2`);
      typeSize = Number(m[1]) as 1 | 2 | 4;
      lengthSize = Number(m[2]) as 0 | 1 | 2;
      continuation = m[3] !== undefined;
      if (continuation && (typeSize !== 1 || lengthSize !== 1))
        fail('only format=1,1 vendors can have continuations');
    } else {
      const known = DEFAULT_FORMATS.get(id);
      if (known) [typeSize, lengthSize] = known;
    }
    this.dict.addVendor(id, name, typeSize, lengthSize, continuation);
  }

  private beginVendor(argv: string[], blocks: Block[], line: number): void {
    if (argv.length > 3) fail('BEGIN-VENDOR takes a vendor name and optionally format=<evs attribute>');
    if (blocks.length > 0) fail(`BEGIN-VENDOR inside ${blockName(blocks[blocks.length - 1])}`);
    const vendor = this.dict.vendor(argv[1]);
    if (!vendor) fail(`unknown vendor ${argv[1]}`);
    let evs: number[] | undefined;
    if (argv.length === 3) {
      // RFC 6929 §2.4: format=Extended-Vendor-Specific-N puts the block under that attribute.
      const m = /^(?:format|parent)=(.+)$/i.exec(argv[2]);
      if (!m) fail(`bad BEGIN-VENDOR option ${argv[2]}: expected format=<evs attribute>`);
      const def = this.dict.attribute(m[1]);
      if (!def) fail(`BEGIN-VENDOR ${argv[1]}: unknown attribute ${m[1]}`);
      if (def.type !== 'evs') fail(`BEGIN-VENDOR ${argv[1]}: ${def.name} is not of type evs`);
      evs = spacePath(def);
    }
    blocks.push({ kind: 'vendor', name: argv[1], line, vendor, evs });
  }

  private beginTlv(argv: string[], blocks: Block[], line: number): void {
    if (argv.length !== 2) fail('BEGIN-TLV takes one attribute name');
    const def = this.dict.attribute(argv[1]);
    if (!def) fail(`BEGIN-TLV: unknown attribute ${argv[1]}`);
    if (def.type !== 'tlv') fail(`BEGIN-TLV: ${def.name} is not of type tlv`);
    blocks.push({ kind: 'tlv', name: argv[1], line, def });
  }

  private attribute(argv: string[], blocks: Block[]): void {
    if (argv.length < 4 || argv.length > 5)
      fail('ATTRIBUTE needs a name, a number, a type and optionally flags');
    const name = argv[1];
    checkName(name);
    const numbers = argv[2].split('.').map((n) => parseNumber(n, 'attribute number'));
    const { type, length } = parseType(argv[3]);
    const block = blocks.at(-1);
    let vendor: VendorDef | undefined;
    let evs: readonly number[] | undefined;
    let path: number[];
    if (block?.kind === 'tlv') {
      vendor = block.def.vendor;
      evs = evsPath(block.def);
      path = [...spacePath(block.def), ...numbers];
    } else if (block?.kind === 'vendor') {
      vendor = block.vendor;
      evs = block.evs;
      path = numbers;
    } else {
      ({ vendor, evs, path } = this.topLevel(numbers));
    }
    const flags: Partial<AttributeFlags> = {};
    if (length !== undefined) flags.length = length;
    if (argv.length === 5) {
      const oldStyleVendor = parseFlags(argv[4], flags, this.dict);
      if (oldStyleVendor) {
        if (block || numbers.length > 1 || vendor)
          fail(`vendor flag ${argv[4]} only allowed on a plain top-level number`);
        vendor = oldStyleVendor;
      }
    }
    checkPlacement(name, type, flags, vendor, path, blocks.length > 0 || numbers.length > 1);

    // A repeated name or number is a redefinition: the latest one wins (dictionaries are layered).
    this.dict.addAttribute({ name, path, type, flags, vendor: vendor?.id, evs });
  }

  /** A top-level number: `N`, `N.M...` under a TLV or extended attribute, `26.V.A...` or `241.26.V.A...`. */
  private topLevel(numbers: number[]): { vendor?: VendorDef; evs?: readonly number[]; path: number[] } {
    if (numbers.length === 1) return { path: numbers };
    const top = this.dict.attributeByCode(numbers[0]);
    if (numbers[0] === 26 && (top === undefined || top.type === 'vsa')) {
      if (numbers.length < 3) fail(`${numbers.join('.')}: a vendor attribute needs 26.<vendor>.<number>`);
      return { vendor: this.vendorById(numbers[1]), path: numbers.slice(2) };
    }
    const child = top?.children?.get(numbers[1]);
    if (child?.evsVendors && numbers.length > 2) {
      if (numbers.length < 4)
        fail(`${numbers.join('.')}: an EVS attribute needs ${numbers[0]}.26.<vendor>.<number>`);
      return { vendor: this.vendorById(numbers[2]), evs: numbers.slice(0, 2), path: numbers.slice(3) };
    }
    return { path: numbers };
  }

  private vendorById(id: number): VendorDef {
    return this.dict.vendor(id) ?? fail(`unknown vendor ${id}`);
  }

  private value(argv: string[], at: Origin): void {
    if (argv.length !== 4) fail('VALUE needs an attribute, a name and a number');
    const [, attribute, name, text] = argv;
    // Old dictionaries name this pseudo-attribute; FreeRADIUS skips it.
    if (attribute.toLowerCase() === 'server-config') return;
    if (name.length > NAME_MAX) fail(`value name longer than ${NAME_MAX} characters`);
    const negative = text.startsWith('-');
    const digits = negative ? text.slice(1) : text;
    if (!NUMBER_RE.test(digits)) fail(`bad value number ${text}`);
    const value = negative ? -BigInt(digits) : BigInt(digits);
    const def = this.dict.attribute(attribute);
    if (def) addValue(def, name, value);
    else this.pending.push({ attribute, name, value, ...at });
  }
}

function endBlock(argv: string[], blocks: Block[], kind: Block['kind'], dict: Dictionary): void {
  const keyword = kind === 'vendor' ? 'END-VENDOR' : 'END-TLV';
  if (argv.length !== 2) fail(`${keyword} takes one name`);
  const open = blocks.at(-1);
  const matches =
    open?.kind === kind &&
    (open.kind === 'vendor'
      ? dict.vendor(argv[1])?.id === open.vendor.id
      : dict.attribute(argv[1]) === open.def);
  if (!matches) fail(`${keyword} ${argv[1]} does not match ${open ? blockName(open) : 'any open block'}`);
  blocks.pop();
}

function blockName(block: Block): string {
  return `${block.kind === 'vendor' ? 'BEGIN-VENDOR' : 'BEGIN-TLV'} ${block.name} (line ${block.line})`;
}

function checkName(name: string): void {
  if (!NAME_RE.test(name)) fail(`bad attribute name ${name}: allowed are letters, digits and _ . / -`);
  if (name.length > NAME_MAX) fail(`attribute name longer than ${NAME_MAX} characters`);
  // Attr-<oid> names the attributes a dictionary does not know.
  if (/^attr-/i.test(name)) fail(`attribute name ${name}: the Attr- prefix is reserved`);
}

function parseNumber(text: string, what: string): number {
  if (!NUMBER_RE.test(text)) fail(`bad ${what} ${text}`);
  const n = Number(text);
  if (n > 0xffffffff) fail(`${what} ${text} is too large`);
  return n;
}

function parseType(text: string): { type: AttributeType; length?: number } {
  const m = /^octets\[(.*)\]$/i.exec(text);
  if (m) {
    const length = /^[0-9]+$/.test(m[1]) ? Number(m[1]) : 0;
    if (length < 1 || length > 253) fail(`bad octets length ${text}: expected 1..253`);
    return { type: 'octets', length };
  }
  const type = TYPES.get(text.toLowerCase());
  if (!type) fail(`unknown type ${text}`);
  return { type };
}

/** Parses the comma-separated flags into `flags`; returns the vendor of an old-style `ATTRIBUTE ... Vendor` line. */
function parseFlags(text: string, flags: Partial<AttributeFlags>, dict: Dictionary): VendorDef | undefined {
  const keys = text.split(',').filter((k) => k !== '');
  for (const key of keys) {
    const lower = key.toLowerCase();
    if (lower === 'has_tag' || lower === 'has_tag=1') flags.hasTag = true;
    else if (lower.startsWith('encrypt=')) {
      const method = key.slice(8);
      if (!/^[0-3]$/.test(method)) fail(`bad flag ${key}: expected encrypt=1, 2 or 3`);
      flags.encrypt = Number(method) as EncryptMethod;
    } else if (lower === 'array') flags.array = true;
    else if (lower === 'concat') flags.concat = true;
    else if (lower === 'virtual') flags.virtual = true;
    else if (lower === 'secret') {
      // Only tells FreeRADIUS to hide the value in logs; nothing changes on the wire.
    } else if (keys.length === 1) {
      return dict.vendor(key) ?? fail(`unknown flag ${key}`);
    } else fail(`unknown flag ${key}`);
  }
  return undefined;
}

/** The placement and flag combinations FreeRADIUS 3.2 refuses, so the codec never meets them. */
function checkPlacement(
  name: string,
  type: AttributeType,
  flags: Partial<AttributeFlags>,
  vendor: VendorDef | undefined,
  path: readonly number[],
  nested: boolean,
): void {
  const number = path[path.length - 1];
  const topLevel = !vendor && path.length === 1;
  const internal = topLevel && number > 255;
  if (number === 0 && (!vendor || path.length > 1)) fail(`attribute ${name}: number 0 is not allowed`);
  if (type === 'extended' || type === 'long-extended') {
    // RFC 6929 §2.1: the extended spaces are top-level attributes 241..246.
    if (!topLevel || number < 241 || number > 255)
      fail(`attribute ${name}: type ${type} must be a top-level 241..255`);
  }
  if (type === 'evs' && (vendor || path.length !== 2 || number !== 26)) {
    fail(`attribute ${name}: type evs must be number 26 of an extended attribute`);
  }
  if (type === 'vsa' && !topLevel) fail(`attribute ${name}: type vsa must be a top-level attribute`);
  if (flags.hasTag && type !== 'string' && type !== 'integer') {
    fail(`attribute ${name}: has_tag only for string and integer`);
  }
  if (flags.array && !ARRAY_TYPES.has(type))
    fail(`attribute ${name}: type ${type} cannot have the array flag`);
  if (flags.encrypt === 3 && type !== 'string') fail(`attribute ${name}: encrypt=3 only for string`);
  if (flags.encrypt === 1 && type !== 'string' && !(type === 'octets' && flags.length !== undefined)) {
    fail(`attribute ${name}: encrypt=1 only for string or octets[N]`);
  }
  if (flags.concat) {
    if (type !== 'octets') fail(`attribute ${name}: concat only for octets`);
    if (vendor) fail(`attribute ${name}: vendor attributes cannot have the concat flag`);
    if (nested) fail(`attribute ${name}: concat only for plain top-level attributes`);
    if (flags.hasTag || flags.array || flags.encrypt || flags.length !== undefined) {
      fail(`attribute ${name}: concat cannot be combined with other flags`);
    }
  }
  if (flags.length !== undefined && (flags.hasTag || flags.array || (flags.encrypt ?? 0) > 1)) {
    fail(`attribute ${name}: octets[N] cannot be combined with has_tag, array or encrypt=2|3`);
  }
  if (flags.virtual && !internal)
    fail(`attribute ${name}: only server-side attributes (above 255) can be virtual`);
}

function addValue(def: AttributeDef, name: string, value: bigint): void {
  const range = VALUE_RANGES[def.type];
  // FreeRADIUS also lets octets attributes name values (dictionary.cablelabs does).
  if (!range && def.type !== 'octets')
    fail(`VALUE ${name}: attribute ${def.name} of type ${def.type} cannot have values`);
  if (range && (value < range[0] || value > range[1])) {
    fail(`VALUE ${name} = ${value} is out of range for ${def.name} (${def.type})`);
  }
  const safe = value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER);
  def.addValue(name, safe ? Number(value) : value);
}

/** An attribute's numeric path inside its space (top level, vendor or EVS vendor). */
function spacePath(def: AttributeDef): number[] {
  const path = [def.number];
  for (let d = def.parent; d && !d.evsVendors; d = d.parent) path.push(d.number);
  return path.reverse();
}

/** The path of the EVS attribute an attribute lives under, if any. */
function evsPath(def: AttributeDef): number[] | undefined {
  for (let d = def.parent; d; d = d.parent) if (d.evsVendors) return spacePath(d);
  return undefined;
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function readError(file: string, from: Origin | undefined, err: unknown): DictionaryError {
  const reason = `cannot read ${file}: ${errorText(err)}`;
  return from ? new DictionaryError(from.file, from.line, reason) : new DictionaryError(file, 0, reason);
}

function errorText(err: unknown): string {
  // Node's fs messages end with the syscall and the path, which the caller already names.
  return err instanceof Error ? err.message.replace(/, \w+ '.*'$/, '') : String(err);
}

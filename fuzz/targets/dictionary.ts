// Fuzz target: the FreeRADIUS-format dictionary parser (loadDictionaryText) on arbitrary text,
// on top of the built-in dictionary. `$INCLUDE`s are confined to an empty directory, so the
// input cannot make the parser read the machine's files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { loadDictionaryText } from '../../src/dictionary/parser.js';
import { typed } from './common.js';

// Under `npm run fuzz` a directory fuzz/run.mjs made (and removes: libFuzzer ends the process
// without exit handlers); loaded by a test, one of its own, removed when the process exits.
const given = process.env.AIORADIUS_FUZZ_SCRATCH;
const root = given ?? mkdtempSync(join(tmpdir(), 'aioradius-fuzz-dict-'));
const file = join(root, 'dictionary');
if (given === undefined) process.once('exit', () => rmSync(root, { recursive: true, force: true }));

export function fuzz(input: Buffer): void {
  const dict = new Dictionary();
  typed(() => loadDictionaryText(dict, input.toString('utf8'), file, { root }));
}

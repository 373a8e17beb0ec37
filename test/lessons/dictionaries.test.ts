// Lesson "dictionaries": every dictionary file FreeRADIUS ships that FreeRADIUS's own library
// loads, we load. The main dictionary (with the ~220 files it $INCLUDEs) and the syntax rows (vendor
// blocks, names starting with a digit, types, format=, dotted OIDs, $INCLUDE roots, CRLF) are in
// test/dictionary/parser.test.ts; here, the files the main dictionary leaves out are loaded alone
// and on top of it, and radclient (libfreeradius) is the judge of whether each one should load.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Dictionary, DictionaryError } from '../../src/index.js';
import { findBinary, runCommand, skipUnless } from '../helpers/peers.js';

const DIR = '/usr/share/freeradius';
const MAIN = join(DIR, 'dictionary');
const skip =
  skipUnless('radclient') || (existsSync(MAIN) ? false : `${MAIN} is absent (install freeradius-common)`);

/** dictionary.* files in DIR that the main dictionary does not $INCLUDE (directly or through another file). */
function leftOut(): string[] {
  if (!existsSync(MAIN)) return [];
  const included = new Set<string>();
  const pending = [MAIN];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    for (const m of readFileSync(file, 'latin1').matchAll(/^\$INCLUDE-?\s+(\S+)/gm)) {
      const path = m[1].startsWith('/') ? m[1] : join(DIR, m[1]);
      if (!included.has(path) && existsSync(path)) {
        included.add(path);
        pending.push(path);
      }
    }
  }
  return readdirSync(DIR)
    .filter((f) => f.startsWith('dictionary.') && !included.has(join(DIR, f)))
    .sort();
}

/** Known differences from libfreeradius, each a bug of ours. */
const TODO: Record<string, string> = {};

describe('lesson: dictionaries', { skip, timeout: 120_000 }, () => {
  let work = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'aioradius-dict-'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Whether libfreeradius loads `files` in order: radclient -D reads them, then fails on its input. */
  async function freeradiusLoads(files: string[]): Promise<{ loads: boolean; text: string }> {
    const dir = await mkdtemp(join(work, 'raddb-'));
    await writeFile(join(dir, 'dictionary'), files.map((f) => `$INCLUDE ${f}\n`).join(''));
    const r = await runCommand(
      findBinary('radclient') ?? 'radclient',
      ['-D', dir, '127.0.0.1:9', 'auth', 'unused-secret'],
      // An unknown attribute name: radclient stops right after loading the dictionaries.
      { input: 'No-Such-Attribute-Anywhere = 1\n', timeoutMs: 20_000 },
    );
    const text = r.stdout + r.stderr;
    if (/dict_init/.test(text)) return { loads: false, text };
    assert.match(text, /No-Such-Attribute-Anywhere/, `radclient said something unexpected: ${text}`);
    return { loads: true, text };
  }

  /** Loads `files` in order into one new Dictionary; the error, if any. */
  function ourLoad(files: string[]): unknown {
    try {
      const dict = new Dictionary();
      for (const f of files) dict.load(f);
      return undefined;
    } catch (e) {
      return e;
    }
  }

  const files = leftOut();
  test('some files are left out of the main dictionary', () => {
    assert.ok(files.length > 0);
  });

  for (const file of files) {
    test(`${file}: loads alone and on top of the main dictionary wherever FreeRADIUS does`, {
      todo: TODO[file],
    }, async () => {
      const path = join(DIR, file);
      for (const [how, list] of [
        ['alone', [path]],
        ['on top of the main dictionary', [MAIN, path]],
      ] as const) {
        const expected = await freeradiusLoads([...list]);
        const error = ourLoad([...list]);
        if (expected.loads)
          assert.equal(error, undefined, `${how}: FreeRADIUS loads it; we say: ${String(error)}`);
        else if (error !== undefined) {
          // FreeRADIUS refuses it too: ours must say where. (Files FreeRADIUS refuses only for names
          // the main dictionary already has load here: a later definition replaces an earlier one.)
          assert.ok(
            error instanceof DictionaryError,
            `${how}: ${expected.text.trim()}; we say: ${String(error)}`,
          );
          assert.equal(error.file, path, how);
          assert.ok(error.line > 0, how);
        }
      }
    });
  }
});

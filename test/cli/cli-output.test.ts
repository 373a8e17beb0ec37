// What `aioradius test` and `send` print of a reply: MS-CHAP-Error as its text, vendor attributes
// by name once their dictionary is loaded (by number without it), and the hint to load one when
// the input names an attribute the built-in dictionary lacks.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  type AttributesSet,
  authenticate,
  Dictionary,
  ntPasswordHash,
  type RequestContext,
} from '../../src/index.js';
import { AbstractRadiusServer } from '../../src/server/abstract-server.js';
import { type RunResult, runCommand } from '../helpers/peers.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const FR_DICTIONARY = '/usr/share/freeradius/dictionary';
const SECRET = 'testing123';

function cli(args: string[], input?: string): Promise<RunResult> {
  return runCommand(process.execPath, [MAIN, ...args], { input, timeoutMs: 30_000 });
}

class Server extends AbstractRadiusServer {
  validateNas() {
    return SECRET;
  }
  override handleAuthPacket(_attributes: AttributesSet, context: RequestContext) {
    const result = authenticate(context.packet, { ntHash: ntPasswordHash('alicepw') });
    if (!result.ok) return [result.attributes, ACCESS_REJECT] as const;
    // A Cisco VSA (vendor 9, type 1) only a loaded dictionary names.
    return [[...result.attributes, ['Cisco-AVPair', 'shell:priv-lvl=15']], ACCESS_ACCEPT] as const;
  }
}

describe('aioradius test: what a reply prints', {
  skip: existsSync(FR_DICTIONARY) ? false : `no ${FR_DICTIONARY}`,
}, () => {
  let server: Server;
  let target: string;
  before(async () => {
    const dictionary = new Dictionary();
    dictionary.load(FR_DICTIONARY);
    server = new Server('127.0.0.1', { authPort: 0, dictionary });
    const info = await server.start();
    target = `127.0.0.1:${info.authPort}`;
  });
  after(async () => server?.close());

  test('MS-CHAP-Error of a Reject prints as its text', async () => {
    const r = await cli(['test', 'alice', 'wrong', target, SECRET, '-m', 'mschapv2', '-r', '0']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /MS-CHAP-Error = "\\[0-7]{3}E=691 R=0 C=[0-9A-F]{32} V=3[^"]*"/);
  });

  test('a vendor attribute prints by name with -D, by number without', async () => {
    const named = await cli([
      'test',
      'alice',
      'alicepw',
      target,
      SECRET,
      '-m',
      'mschapv2',
      '-D',
      FR_DICTIONARY,
    ]);
    assert.equal(named.code, 0, named.stdout + named.stderr);
    assert.match(named.stdout, /Cisco-AVPair = "shell:priv-lvl=15"/);
    assert.match(named.stdout, /MS-CHAP2-Success = "\\[0-7]{3}S=[0-9A-F]{40}"/);
    // MPPE keys are secrets: hidden, as in JSON and as MS-CHAP-MPPE-Keys is.
    assert.match(named.stdout, /MS-MPPE-Send-Key = <hidden>/);
    assert.match(named.stdout, /MS-MPPE-Recv-Key = <hidden>/);
    const numbered = await cli(['test', 'alice', 'alicepw', target, SECRET, '-m', 'mschapv2']);
    assert.equal(numbered.code, 0, numbered.stdout + numbered.stderr);
    assert.match(numbered.stdout, /MS-MPPE-Send-Key = <hidden>/);
    assert.match(numbered.stdout, /Attr-26\.9\.1 = 0x7368656c6c3a707269762d6c766c3d3135/);
  });

  test('a mistyped attribute name: the error names the one probably meant, not a dictionary to load', async () => {
    const r = await cli(['send', target, 'auth', SECRET], 'User-Nme = "alice"\n');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown attribute: User-Nme \(did you mean User-Name\?\)/);
    assert.doesNotMatch(r.stderr, /vendor attributes/);
  });

  test('-x lists what goes on the wire: a server-side attribute (Packet-Type) is not in it', async () => {
    const r = await cli(
      ['send', target, 'auth', SECRET, '-D', FR_DICTIONARY, '-x'],
      'Packet-Type = Access-Request\nUser-Name = alice\nUser-Password = alicepw\n',
    );
    assert.notEqual(r.code, 2, r.stderr);
    assert.match(r.stdout, /User-Name = "alice"/);
    assert.doesNotMatch(r.stdout, /Packet-Type/);
  });

  test('an attribute the built-in dictionary lacks: the error says to load one', async () => {
    const r = await cli(['send', target, 'auth', SECRET], 'User-Name = a\nCisco-AVPair = "x"\n');
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /unknown attribute: Cisco-AVPair \(vendor attributes need their dictionary: -D \/usr\/share\/freeradius\/dictionary/,
    );
    const ok = await cli(
      ['send', target, 'auth', SECRET, '-D', FR_DICTIONARY, '-q'],
      'User-Name = a\nCisco-AVPair = "x"\n',
    );
    assert.notEqual(ok.code, 2, ok.stderr);
  });
});

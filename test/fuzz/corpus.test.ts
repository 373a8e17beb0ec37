// Replays fuzz/corpus (the seeds, and every input that was once a fuzzing finding) through the fuzz
// targets of fuzz/targets without the fuzzer: each input must pass (a malformed one may only raise
// RadiusError, and deferred decoding must agree with eager decoding).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import * as attributeList from '../../fuzz/targets/attribute-list.js';
import * as decodeRequest from '../../fuzz/targets/decode-request.js';
import * as decodeResponse from '../../fuzz/targets/decode-response.js';
import * as dictionary from '../../fuzz/targets/dictionary.js';

const TARGETS: Record<string, (input: Buffer) => void> = {
  'decode-request': decodeRequest.fuzz,
  'decode-response': decodeResponse.fuzz,
  dictionary: dictionary.fuzz,
  'attribute-list': attributeList.fuzz,
};

const corpus = new URL('../../../fuzz/corpus/', import.meta.url);

describe('fuzz corpus', () => {
  for (const [name, fuzz] of Object.entries(TARGETS)) {
    test(`${name}: every input of fuzz/corpus/${name} passes`, () => {
      const dir = new URL(`${name}/`, corpus);
      const files = readdirSync(dir);
      if (files.length === 0) throw new Error(`no seeds in ${dir.pathname}`);
      for (const file of files) {
        try {
          fuzz(readFileSync(new URL(file, dir)));
        } catch (err) {
          throw new Error(`fuzz/corpus/${name}/${file}: ${(err as Error).stack}`);
        }
      }
    });
  }
});

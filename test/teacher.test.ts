// Guards on what a user can get wrong (issue 25): a --ki-teacher of another model family, label
// set or tokenizer is refused naming the difference (how many token ids differ); a larger teacher
// is plain distillation; mistyped flags and presets get a did-you-mean (one line, exit 2, not
// the list of every preset); the growth methods' refusals name every alternative from the registry.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { closest } from '../src/cli/common.ts';
import { getMethod, methodNames } from '../src/grow/index.ts';
import { preset, presetNames, withDims } from '../src/models/index.ts';
import { trainWordPiece } from '../src/tokenize/index.ts';
import { teacherKind, vocabularyDifference } from '../src/train/index.ts';
import { parameterCount } from '../src/models/index.ts';

const whales = trainWordPiece(['the whale swam in the sea', 'a ship and a whale', 'the sea was calm'], { vocabSize: 60, minFrequency: 1 });
const speeches = trainWordPiece(['the union is strong', 'my fellow citizens', 'the state of the union'], { vocabSize: 60, minFrequency: 1 });
const bert = (hidden: number) => withDims(preset('bert-tiny', { vocab_size: 60 }), { layers: 2, hidden, heads: 2, ffn: 2 * hidden });
const side = (config: ReturnType<typeof bert>, tokenizer = whales) => ({ config, tokenizer, tokenizerFile: 'teacher/tokenizer.json' });

test('vocabularies: the ids whose tokens differ, out of the larger vocabulary', () => {
  assert.deepEqual(vocabularyDifference(whales, whales), { differing: 0, of: whales.vocabSize });
  const d = vocabularyDifference(whales, speeches);
  assert.ok(d.differing > 0 && d.differing <= d.of, JSON.stringify(d));
  let count = 0;
  for (let id = 0; id < d.of; id++) if (whales.idToToken(id) !== speeches.idToToken(id)) count++;
  assert.equal(d.differing, count);
});

test('a teacher with another tokenizer or model family is refused, naming the difference; a larger one is distillation', () => {
  const { differing, of } = vocabularyDifference(whales, speeches);
  assert.throws(() => teacherKind('runs/moby', side(bert(32)), side(bert(64), speeches)), new RegExp(`^Error: --ki-teacher runs/moby has another tokenizer: ${differing} of ${of} token ids mean different tokens than in the run's; .*--tokenizer teacher/tokenizer\\.json`));
  const gpt2 = withDims(preset('gpt2-tiny', { vocab_size: 60 }), { layers: 2, hidden: 32, heads: 2, ffn: 64 });
  assert.throws(() => teacherKind('runs/gpt', side(gpt2 as ReturnType<typeof bert>), side(bert(64))), /--ki-teacher runs\/gpt is a gpt2 model but the student is bert/);
  assert.throws(() => teacherKind('runs/moby', { ...side(bert(32)), tokenizer: null }, side(bert(64))), /has no tokenizer\.json/);
  assert.ok(parameterCount(bert(32)) < parameterCount(bert(64)));
  assert.equal(teacherKind('runs/small', side(bert(32)), side(bert(64))), 'knowledge inheritance');
  assert.equal(teacherKind('runs/large', side(bert(64)), side(bert(32))), 'distillation');
});

test('did-you-mean: presets by edit distance, only when close', () => {
  assert.equal(closest('bert-tinny', presetNames), 'bert-tiny');
  assert.equal(closest('gpt2-tiny', presetNames), 'gpt2-tiny');
  assert.equal(closest('zzz', presetNames), null);
});

test('ligo train: a mistyped flag or preset is one line with the suggestion, exit 2', () => {
  const ligo = (...args: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'ligo.js'), 'train', ...args], { encoding: 'utf8' });
  const flag = ligo('--stpes', '3', '--out', 'never-created');
  assert.equal(flag.status, 2);
  assert.equal(flag.stderr, "ligo train: error: unknown option '--stpes' (did you mean --steps?)\n");
  const config = ligo('--config', 'bert-tinny', '--data', 'sotu', '--out', join(import.meta.dirname, 'never-created'));
  assert.equal(config.status, 2);
  assert.equal(config.stderr, 'ligo train: error: --config bert-tinny is neither a preset nor a file: did you mean bert-tiny? (`ligo presets` lists the presets)\n');
});

test('width-only and depth-only refusals name every registered method that grows the other dimension', () => {
  const c = preset('bert-tiny');
  const deeper = withDims(c, { layers: 4, hidden: 256, heads: 4, ffn: 1024 });
  const depthMethods = methodNames().filter((n) => getMethod(n).grows.depth);
  assert.throws(() => getMethod('hypercloning').grow(new Map(), c, deeper, { seed: 0 }), (e: Error) => e.message.includes(`use a depth method (${depthMethods.join(', ')}; \`ligo methods\` lists them)`));
  const widthMethods = methodNames().filter((n) => getMethod(n).grows.width);
  assert.throws(() => getMethod('stackbert').grow(new Map(), c, deeper, { seed: 0 }), (e: Error) => e.message.includes(`use a width method (${widthMethods.join(', ')}; \`ligo methods\` lists them)`));
});

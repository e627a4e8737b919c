// Experiments: spec validation (one-line errors naming the field, defaults, the hash), and the
// runner end to end on a tiny spec (scratch + LiGO on a slice-sized BERT): every leg runs once;
// a second call trains nothing (logs unchanged); a leg interrupted mid-training resumes from its
// checkpoint without growing again while finished legs stay untouched; a directory holding
// another spec is refused.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ExperimentError, GROWTH_FILE, SpecError, grownDir, legDir, parseSpec, prepareExperimentData, readSpec, runExperiment, smallDir, specHash, trainDir } from '../src/experiment/index.ts';
import { LOG_FILE, readRunLog } from '../src/train/index.ts';
import { LIGO_OPERATOR_FILE, layoutFor, ligoCostFlops, readLigoOperator } from '../src/grow/ligo/ligo.ts';
import { GROW_FILE, readGrowRecord } from '../src/grow/index.ts';
import { bert, tinySpec, tinyTraining as training } from './run-fixtures.ts';

const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-experiment-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function specError(mutate: (s: Record<string, any>) => void, message: RegExp): void {
  const s = tinySpec();
  mutate(s);
  assert.throws(() => parseSpec(s), (e: Error) => e instanceof SpecError && message.test(e.message) && !e.message.includes('\n'), message.source);
}

test('spec validation: one-line errors that name the field', () => {
  specError((s) => delete s.data, /^spec\.data: required \(one of sotu, brown, moby-dick, all, mnist, fashion-mnist\)$/);
  specError((s) => (s.small.training.steps = 0), /^spec\.small\.training\.steps: must be an integer >= 1, got 0$/);
  specError((s) => (s.large.training.lr = 'fast'), /^spec\.large\.training\.lr: must be a number in \(0, 10\], got "fast"$/);
  specError((s) => (s.large.traning = {}), /^spec\.large\.traning: unknown field; spec\.large takes config, training$/);
  specError((s) => (s.tokenizer = { vocabSize: 256, path: 'x.json' }), /^spec\.tokenizer: give exactly one of vocabSize/);
  specError((s) => s.methods.push({ name: 'stak' }), /^spec\.methods\[2\]\.name: must be one of scratch, stackbert, .*ligo, got "stak"$/);
  specError((s) => s.methods.push({ name: 'ligo' }), /^spec\.methods\[2\]\.label: 'ligo' is used twice/);
  specError((s) => (s.methods = [{ name: 'ligo' }]), /^spec\.methods: needs exactly one plain \{ "name": "scratch" \}/);
  specError((s) => (s.methods[0].options = { steps: 2 }), /^spec\.methods\[0\]\.options: scratch takes no options/);
  specError((s) => (s.large.config = bert(0)), /^spec\.large\.config: bert config: /);
  specError((s) => (s.small.config = bert(3)), /^spec\.large\.config: cannot shrink num_hidden_layers from 3 to 2/);
  specError((s) => (s.seqLen = 64), /^spec\.seqLen: .*longer than the model's 32 positions/);
  specError((s) => (s.small.config = 'vit-tiny'), /^spec\.small\.config: vit models take images but spec\.data moby-dick is text data/);
  specError((s) => (s.data = 'mnist'), /^spec\.tokenizer: mnist is image data: leave tokenizer out/);
  specError((s) => (s.methods[1].training = { warmupSteps: 99 }), /^spec\.methods\[1\]\.training\.warmupSteps: warmupSteps 99 is longer than the run's steps 4: warmup must end by the last update$/);
  specError((s) => (s.methods[1].training = { stesp: 1 }), /^spec\.methods\[1\]\.training\.stesp: unknown field/);
  specError((s) => s.methods.push({ name: 'net2net+stak' }), /^spec\.methods\[2\]\.name: must be one of stackbert, .*, got "stak"$/);
  specError((s) => (s.methods[0].ki = { alpha: 2 }), /^spec\.methods\[0\]\.ki\.alpha: must be a number in \[0, 1\], got 2$/);
});

test("parsing a spec only parses: its growth methods are tried when the experiment starts, before anything is written", async () => {
  const cases: [(s: Record<string, any>) => void, RegExp][] = [
    [(s) => (s.methods[1].options = { stpes: 2 }), /^spec\.methods\[1\]: ligo: unknown option 'stpes'/],
    [(s) => s.methods.push({ name: 'stackbert' }) && (s.large.config = bert(2, 64)), /^spec\.methods\[2\]: stackbert grows depth only, but hidden_size changes 32 -> 64/],
    [(s) => s.methods.push({ name: 'stackbert+ligo' }), /^spec\.methods\[2\]: 'stackbert\+ligo': stackbert does not grow the width/],
  ];
  const dir = join(tmp, 'refused');
  for (const [mutate, message] of cases) {
    const s = tinySpec();
    mutate(s);
    const spec = parseSpec(s);
    const refused = (e: Error) => e instanceof SpecError && message.test(e.message) && !e.message.includes('\n');
    assert.throws(() => runExperiment(spec, dir), refused, message.source);
    await assert.rejects(prepareExperimentData(spec, dir), refused, message.source);
    assert.ok(!fs.existsSync(dir), 'refused before the run directory is made');
  }
});

test('spec defaults are filled in; the hash ignores key order and changes with any value', () => {
  const s = parseSpec(tinySpec());
  assert.deepEqual(s.methods[1], { name: 'ligo', label: 'ligo', options: { steps: 2 }, ki: null });
  assert.equal(s.large.training.decay, 'linear');
  assert.equal(s.large.training.warmupSteps, 0);
  assert.equal(s.seed, 0);
  const reordered = Object.fromEntries(Object.entries(tinySpec()).reverse());
  assert.equal(specHash(parseSpec(reordered)), specHash(s));
  const changed = tinySpec();
  changed.large.training = { ...training, lr: 1e-3 };
  assert.notEqual(specHash(parseSpec(changed)), specHash(s));
  const file = join(tmp, 'spec.json');
  fs.writeFileSync(file, '{ "name": ');
  assert.throws(() => readSpec(file), /spec\.json: not valid JSON/);
});

const logText = (runDir: string) => fs.readFileSync(join(runDir, LOG_FILE), 'utf8');
const legs = (dir: string) => [trainDir(smallDir(dir)), trainDir(legDir(dir, 'scratch')), trainDir(legDir(dir, 'ligo'))];

test('the runner runs each leg once, then reuses them: a second call trains nothing', () => {
  const dir = join(tmp, 'run');
  const spec = parseSpec(tinySpec());
  const first = runExperiment(spec, dir);
  assert.deepEqual(first.ran, ['small', 'scratch', 'ligo']);
  assert.ok(!fs.existsSync(join(legDir(dir, 'ligo'), GROWTH_FILE)), 'the growth cost is written once, to grow.json');
  const record = readGrowRecord(grownDir(legDir(dir, 'ligo')))!;
  const growth = record.cost;
  assert.equal(growth.operatorSteps, 2);
  assert.equal(growth.operatorLosses?.length, 2);
  // Its provenance: every option resolved, the target, data, tokenizer, batch and length, the code.
  assert.deepEqual(record.optionsGiven, { steps: 2 });
  assert.deepEqual([record.options.steps, record.options.lr, record.options.mode, record.options.depthInit], [2, 1e-3, 'code', 'stackbert_noisy']);
  assert.deepEqual([record.data, record.batchSize, record.seqLen, record.fromStep], ['moby-dick', training.batchSize, spec.seqLen, 4]);
  assert.deepEqual(record.target, JSON.parse(fs.readFileSync(join(grownDir(legDir(dir, 'ligo')), 'config.json'), 'utf8')));
  assert.equal(record.tokenizer?.vocabSize, 256);
  assert.match(record.code?.version ?? '', /^\d+\.\d+\.\d+/);
  assert.ok(growth.wallSeconds > 0);
  const operator = readLigoOperator(join(grownDir(legDir(dir, 'ligo')), LIGO_OPERATOR_FILE));
  assert.deepEqual([operator.largeConfig.model_type, operator.settings.mode], ['bert', 'code'], 'the learned operator is saved beside the grown checkpoint');
  // Its cost as recorded: two operator steps on the large model's own batches (4 x 16), exactly.
  const layout = layoutFor(operator.smallConfig, operator.largeConfig, operator.settings);
  const expected = ligoCostFlops(layout, operator.largeConfig, [0, 1].map(() => ({ batchSize: training.batchSize, seqLen: spec.seqLen })));
  assert.deepEqual([growth.flopsElectra, growth.flopsSixN], [expected.flopsElectra, expected.flopsSixN]);
  for (const runDir of legs(dir)) {
    const records = readRunLog(join(runDir, LOG_FILE));
    assert.equal(records.filter((r) => r.type === 'train').length, 4);
    assert.deepEqual(records.filter((r) => r.type === 'eval').map((r) => r.step), [0, 2, 4]);
  }
  const logs = legs(dir).map(logText);
  const second = runExperiment(spec, dir);
  assert.deepEqual(second.ran, []);
  assert.deepEqual(second.reused, ['small', 'scratch', 'ligo']);
  assert.deepEqual(legs(dir).map(logText), logs, 'a second call must not touch the training logs');
});

test('a leg interrupted mid-training resumes from its checkpoint; its growth and the finished legs are reused', () => {
  const dir = join(tmp, 'interrupted');
  const spec = parseSpec(tinySpec());
  const crash = { onStep: (r: { step: number }) => { if (r.step === 3) throw new Error('simulated crash'); } };
  assert.throws(() => runExperiment(spec, dir, { observer: (leg) => (leg === 'ligo' ? crash : undefined) }), /simulated crash/);
  const growthFile = join(grownDir(legDir(dir, 'ligo')), GROW_FILE);
  const grownAt = fs.statSync(growthFile).mtimeMs;
  const finished = legs(dir).slice(0, 2).map(logText);
  const lines: string[] = [];
  const again = runExperiment(spec, dir, { log: (l) => lines.push(l) });
  assert.deepEqual(again.ran, ['ligo']);
  assert.deepEqual(again.reused, ['small', 'scratch']);
  assert.equal(fs.statSync(growthFile).mtimeMs, grownAt, 'the growth must not run again');
  assert.ok(!lines.some((l) => l.startsWith('ligo: growing')), lines.join('\n'));
  assert.deepEqual(legs(dir).slice(0, 2).map(logText), finished);
  const records = readRunLog(join(trainDir(legDir(dir, 'ligo')), LOG_FILE));
  assert.deepEqual(records.filter((r) => r.type === 'resume').map((r) => r.step), [2]);
  assert.deepEqual(records.filter((r) => r.type === 'train').map((r) => r.step), [1, 2, 3, 4]);
});

test('a spec that only adds methods extends a finished run: the new legs run, the others are reused', () => {
  const dir = join(tmp, 'extended');
  runExperiment(parseSpec(tinySpec()), dir);
  const more = tinySpec();
  more.methods.push({ name: 'stackbert' });
  const again = runExperiment(parseSpec(more), dir);
  assert.deepEqual([again.ran, again.reused], [['stackbert'], ['small', 'scratch', 'ligo']]);
  assert.equal(JSON.parse(fs.readFileSync(join(dir, 'spec.json'), 'utf8')).hash, specHash(parseSpec(more)));
  const changed = tinySpec();
  changed.methods[1].options.steps = 3;
  assert.throws(() => runExperiment(parseSpec(changed), dir), /holds a run of another spec .*first difference: spec\.methods/);
});

test('a run directory holding another spec, or other files, is refused', () => {
  const changed = tinySpec();
  changed.large.training = { ...training, steps: 6 };
  assert.throws(() => runExperiment(parseSpec(changed), join(tmp, 'run')), (e: Error) => e instanceof ExperimentError && /holds a run of another spec .*first difference: spec\.large\.training\.steps/.test(e.message));
  const other = join(tmp, 'other');
  fs.mkdirSync(other);
  fs.writeFileSync(join(other, 'notes.txt'), 'mine');
  assert.throws(() => runExperiment(parseSpec(tinySpec()), other), /is not empty and holds no experiment/);
  assert.throws(() => runExperiment(parseSpec(tinySpec()), join(other, 'notes.txt')), /exists and is not a directory/);
});

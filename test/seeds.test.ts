// Repeated seeds and the unigram (no-context) reference line: the unigram cross-entropy on a
// hand-computed case; `seeds` in specs (one seed hashes as `seed`); the report of a hand-written
// two-seed run (per-seed savings against each seed's own scratch, mean/sd/min/max, "ahead beyond
// the seed spread" only without overlap, the band and the unigram line in the SVG); a tiny
// two-seed spec run end to end (each seed its own legs and unigram.json; mean and spread
// reported) and extended by a third seed; a two-seed run in progress, whose report names each seed's unfinished legs; and a causal LM's unigram line recomputed by hand from its token windows. (Image
// data's line, the class prior, is checked in experiment-methods.test.ts.)

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DONE_FILE, SpecError, UNIGRAM_FILE, claimDir, legDir, parseSpec, runExperiment, seedRoots, smallDir, specHash, trainDir, unigramCrossEntropy, type UnigramRecord } from '../src/experiment/index.ts';
import { compareSpreads, lineChartSvg, methodProgress, pairedDifference, pairedText, readCurves, reportTables, spread, studentTCdf, studentTQuantile, summarise, summariseRun, unfinishedLegs, writeReport } from '../src/report/index.ts';
import { LOG_FILE } from '../src/train/index.ts';
import { TokenStream, buildTokenShards, loadCorpus, splitDocuments } from '../src/data/index.ts';
import { loadTokenizer } from '../src/tokenize/index.ts';
import { tinySpec, tinyTraining, writeFakeRun } from './run-fixtures.ts';

const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-seeds-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const close = (a: number | undefined, b: number, what: string) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
const read = (path: string) => fs.readFileSync(path, 'utf8');

test('unigram cross-entropy: add-one smoothed training frequencies over the ids that can be targets, ignored positions skipped', () => {
  // ids 0..3, id 3 excluded (a special token): N = 3 + 1 + 0 = 4, K = 3, p = 4/7, 2/7, 1/7.
  const r = unigramCrossEntropy([3, 1, 0, 5], [0, -100, 2, 0, 1], new Set([3]));
  assert.equal(r.targets, 4);
  close(r.loss, -(2 * Math.log(4 / 7) + Math.log(1 / 7) + Math.log(2 / 7)) / 4, 'loss');
  // No exclusions: N = 4, K = 2, p = 3/6, 3/6: ln 2 per target.
  close(unigramCrossEntropy([2, 2], [0, 1, 1]).loss, Math.log(2), 'uniform');
  assert.throws(() => unigramCrossEntropy([3, 1, 0, 5], [3], new Set([3])), /target 3 is outside/);
  assert.throws(() => unigramCrossEntropy([1, 1], [-100]), /no targets/);
});

test('spec seeds: a list runs each seed; one seed normalises to `seed` and hashes as before', () => {
  const one = parseSpec(tinySpec());
  const listed = parseSpec({ ...tinySpec(), seeds: [0] });
  assert.deepEqual([listed.seed, listed.seeds], [0, undefined]);
  assert.equal(specHash(listed), specHash(one));
  const two = parseSpec({ ...tinySpec(), seeds: [3, 1] });
  assert.deepEqual([two.seed, two.seeds], [3, [3, 1]]);
  assert.notEqual(specHash(two), specHash(one));
  for (const [seeds, message] of [
    [[], /^spec\.seeds: must be a non-empty array of integers >= 0, got \[\]$/],
    [[0, 1.5], /^spec\.seeds: must be a non-empty array/],
    [[2, 2], /^spec\.seeds: must not repeat a seed, got \[2,2\]$/],
  ] as const) {
    assert.throws(() => parseSpec({ ...tinySpec(), seeds }), (e: Error) => e instanceof SpecError && message.test(e.message));
  }
  assert.throws(() => parseSpec({ ...tinySpec(), seed: 1, seeds: [1, 2] }), /^SpecError: spec\.seeds: give seed or seeds, not both$/);
});

test('spreads: mean, sample sd, min, max; ahead only when the ranges do not overlap', () => {
  const s = spread([1, 2, 4])!;
  close(s.mean, 7 / 3, 'mean');
  close(s.sd, Math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2), 'sd');
  assert.deepEqual([s.min, s.max, s.n], [1, 4, 3]);
  assert.equal(spread([]), null);
  const low = spread([1, 2])!;
  const high = spread([2.5, 3])!;
  assert.equal(compareSpreads(low, high, true), 'ahead');
  assert.equal(compareSpreads(low, high, false), 'behind');
  assert.equal(compareSpreads(low, spread([2, 3])!, true), 'within', 'touching ranges overlap');
});

test('the SVG draws a band as a translucent polygon and reference lines dotted, with legend entries', () => {
  const svg = lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ label: 'a', points: [[0, 3], [1, 2]], band: { lower: [2.8, 1.9], upper: [3.2, 2.1] } }], refLines: [{ y: 4, label: 'unigram, no context (4.000)' }] });
  assert.match(svg, /<polygon class="band" data-label="a" [^>]*fill-opacity="0\.18"/);
  assert.match(svg, /<line class="ref-line" [^>]*stroke-dasharray="2 3"/);
  assert.match(svg, /<g class="legend-ref">/);
  assert.ok(svg.includes('unigram, no context (4.000)'));
});

test('a two-seed run: savings per seed against its own scratch, then mean and spread; ahead only beyond the spread', () => {
  const dir = writeFakeRun(join(tmp, 'fake-seeds'), [0, 1]);
  const { summary, tables } = writeReport(dir);
  assert.deepEqual(summary.seeds, [0, 1]);
  assert.deepEqual(summary.perSeed.map((s) => s.targetLoss), [5, 5.05], 'each seed its own target');
  const [scratch, ligo, stack, ki] = summary.methods;
  assert.deepEqual([scratch!.finalValLoss!.min, scratch!.finalValLoss!.max], [5, 5.05]);
  // ligo: growth 2e9 (seed 0) and 4e9 (seed 1) + 2.5e10 of training vs scratch's 4e10.
  const saved = ligo!.savingsWithoutSmall.flopsElectra!;
  close(saved.mean, 0.3, 'mean saved');
  close(saved.sd, Math.sqrt(2 * 0.025 ** 2), 'sd saved');
  close(saved.min, 0.275, 'min saved');
  close(ligo!.growthShare.flopsElectra!.mean, 0.075, 'growth share: 5% and 10% of scratch FLOPs');
  assert.deepEqual([stack!.reached, stack!.seeds, stack!.savingsWithoutSmall.flopsElectra], [0, 2, null]);
  close(ki!.savingsWithoutSmall.flopsElectra!.mean, 0.75, 'ki');
  const verdict = (a: string, b: string) => {
    const { paired: _paired, ...ranges } = summary.comparisons.find((c) => c.a === a && c.b === b)!;
    return ranges;
  };
  assert.deepEqual(verdict('scratch', 'ligo'), { a: 'scratch', b: 'ligo', finalValLoss: 'behind', savings: 'behind' });
  assert.deepEqual(verdict('scratch', 'stackbert'), { a: 'scratch', b: 'stackbert', finalValLoss: 'ahead', savings: 'ahead' }, 'reached in every seed vs in none');
  assert.deepEqual(verdict('ligo', 'ki'), { a: 'ligo', b: 'ki', finalValLoss: 'within', savings: 'behind' });
  assert.equal(summary.pairedSeeds, false, 'the seeds\' unigram lines differ and no validation seed is recorded: an older, unpaired run');

  const md = read(join(dir, 'results.md'));
  assert.ok(md.includes(tables));
  assert.match(md, /^\| ligo \| 2 \| 4\.6250 ± 0\.0354 \[4\.6000, 4\.6500\] \| 2\.80e\+10 ± 1\.4e\+9 \[2\.70e\+10, 2\.90e\+10\] \| 30\.0% ± 3\.5 \[27\.5%, 32\.5%\] \|/m);
  assert.match(md, /^\| stackbert \| 2 \(0 reached\) \| /m);
  assert.match(md, /Unigram \(no-context\) loss: 6\.1000 \(mean of the seeds' lines\)/);
  assert.match(md, /These seeds did NOT score one validation set/);
  assert.match(md, /^- scratch − stackbert: savings no seed where both reached the target \(scratch reached it in 2 of 2 seeds where one did\); final loss .*\(not paired: see above\); ranges: final loss scratch ahead of stackbert beyond the seed spread, savings scratch ahead of stackbert beyond the seed spread$/m);
  assert.match(md, /^- ligo − ki: savings −\d+\.\d points \[95% CI .*\], ligo saves more in 0 of 2 seeds: (ki ahead|within \(the interval holds zero\)); final loss .*; ranges: final loss within the seed spread, savings ki ahead of ligo beyond the seed spread$/m);
  assert.match(md, /^## Seed 1$/m);
  const json = JSON.parse(read(join(dir, 'results.json')));
  assert.deepEqual(json.seeds, [0, 1]);
  close(json.unigramLoss, 6.1, 'results.json unigramLoss');
  assert.equal(json.perSeed.length, 2);
  close(json.methods[1].spread.savingsWithoutSmall.flopsElectra.max, 0.325, 'results.json spread');
  const svg = read(join(dir, 'plots/loss-vs-flops.svg'));
  assert.equal(svg.match(/<polygon class="band"/g)?.length, 4, 'a band per method');
  assert.equal(svg.match(/<line class="ref-line"/g)?.length, 1, 'the unigram line');
  assert.ok(svg.includes('unigram, no context (6.100)'));
});

test('paired comparisons: the 95% t quantiles, and per-seed differences with their interval, sign count and verdict', () => {
  // Student-t 0.975 quantiles from the standard tables.
  for (const [df, t] of [[1, 12.7062], [2, 4.3027], [4, 2.7764], [9, 2.2622], [29, 2.0452]] as const) close(Number(studentTQuantile(0.975, df).toFixed(4)), t, `t(0.975, ${df})`);
  close(studentTCdf(0, 5), 0.5, 'symmetric');
  // Savings of a vs b in 4 seeds: differences 0.05, 0.07, 0.03, 0.05 (mean 0.05, sd 0.01633).
  const d = pairedDifference([0.35, 0.37, 0.33, 0.4], [0.3, 0.3, 0.3, 0.35], true);
  close(d.mean!, 0.05, 'mean');
  const half = 3.182446305284263 * (Math.sqrt(0.0008 / 3) / 2);
  close(d.low!, 0.05 - half, 'low');
  close(d.high!, 0.05 + half, 'high');
  assert.deepEqual([d.aBetter, d.compared, d.verdict], [4, 4, 'ahead']);
  // Losses: lower is better; a larger interval that holds zero is 'within'.
  assert.equal(pairedDifference([5.0, 5.1, 4.9], [5.05, 5.0, 4.95], false).verdict, 'within');
  assert.equal(pairedDifference([5.1, 5.2, 5.15], [5.0, 5.08, 5.06], false).verdict, 'behind');
  // A seed where only one reached the target counts in the sign count, not in the differences.
  const missed = pairedDifference([0.3, null, 0.2], [0.1, 0.2, null], true);
  assert.deepEqual([missed.diffs.length, missed.aBetter, missed.compared, missed.verdict], [1, 2, 3, null]);
  assert.deepEqual(pairedDifference([null], [null], true), { diffs: [], mean: null, low: null, high: null, aBetter: 0, compared: 0, verdict: null });
});

test('a run whose seeds recorded one validation seed is paired: the tables lead with the paired verdicts', () => {
  const dir = writeFakeRun(join(tmp, 'fake-seeds-paired'), [0, 1, 2]);
  for (const seed of [0, 1, 2]) fs.writeFileSync(join(dir, 'seeds', String(seed), UNIGRAM_FILE), JSON.stringify({ loss: 6, targets: 100, trainingTargets: 1000, validationSeed: 0 }));
  const { summary, tables } = writeReport(dir);
  assert.equal(summary.pairedSeeds, true);
  assert.match(tables, /Every seed scored the same validation set, so the paired verdict is the one to read\./);
  const c = summary.comparisons.find((x) => x.a === 'ligo' && x.b === 'ki')!;
  const ligo = summary.perSeed.map((s) => s.methods.find((m) => m.label === 'ligo')!.savingsWithoutSmall!.flopsElectra);
  const ki = summary.perSeed.map((s) => s.methods.find((m) => m.label === 'ki')!.savingsWithoutSmall!.flopsElectra);
  assert.deepEqual(c.paired!.savings, pairedDifference(ligo, ki, true));
  assert.ok(tables.includes(`- ligo − ki: savings ${pairedText(c.paired!.savings, 'ligo', 'ki', 'savings')}; final loss ${pairedText(c.paired!.finalValLoss, 'ligo', 'ki', 'loss')}; ranges:`));
  assert.equal(JSON.parse(read(join(dir, 'results.json'))).pairedSeeds, true);
});

test('a given target (ligo report --target) applies to every seed of a multi-seed run', () => {
  const dir = writeFakeRun(join(tmp, 'fake-seeds-target'), [0, 1]);
  const summary = summariseRun(readCurves(dir), 5.1);
  assert.deepEqual(summary.seeds, [0, 1]);
  assert.deepEqual(summary.perSeed.map((s) => s.targetLoss), [5.1, 5.1], 'one target for both seeds');
  const ligo = summary.methods.find((m) => m.label === 'ligo')!;
  assert.equal(ligo.reached, 2);
  const tables = reportTables(summary);
  assert.match(tables, /^Seeds: 0, 1\. Each seed's savings are measured against its own scratch run \(target: the given validation loss 5\.1000 for every seed; scratch's final is 5\.0250 ± 0\.0354 \[5\.0000, 5\.0500\]/);
  assert.match(reportTables(summariseRun(readCurves(dir))), /target: that seed's scratch final validation loss/);
});

test('a multi-seed run in progress: the tables, results.md and results.json name every unfinished leg of every seed, and a method says which of its seeds are not done', () => {
  const dir = writeFakeRun(join(tmp, 'fake-seeds-progress'), [0, 1]);
  const [seed0, seed1] = seedRoots(readCurves(dir).spec, dir).map((r) => r.root);
  const finish = (legPath: string) => fs.writeFileSync(join(legPath, DONE_FILE), JSON.stringify({ step: 40, valLoss: 5, flopsElectra: 4e10, flopsSixN: 6e10, wallSeconds: 20 }));
  for (const label of ['scratch', 'ligo', 'stackbert', 'ki']) finish(legDir(seed0!, label));
  [smallDir(seed0!), smallDir(seed1!), legDir(seed1!, 'scratch')].forEach(finish);
  fs.appendFileSync(join(trainDir(legDir(seed1!, 'ligo')), LOG_FILE), `${JSON.stringify({ type: 'train', step: 20, loss: 6, lr: 1e-3, gradNorm: 1, tokens: 100, tokensPerSecond: 10, flopsElectra: 2e10, flopsSixN: 3e10, wallSeconds: 10 })}\n`);
  const line = 'In progress: seed 1: ligo (stopped at step 20 of 40), stackbert (not started), ki (not started). Their numbers are as far as they got; run the experiment again to finish them.';
  const { tables } = writeReport(dir, { html: true });
  assert.equal(tables.split('\n')[0], line);
  assert.ok(read(join(dir, 'results.md')).includes(`\n${line}\n`));
  assert.deepEqual(JSON.parse(read(join(dir, 'results.json'))).inProgress, [
    { seed: 1, leg: 'ligo', state: 'stopped', step: 20, steps: 40 },
    { seed: 1, leg: 'stackbert', state: 'not started', step: 0, steps: 40 },
    { seed: 1, leg: 'ki', state: 'not started', step: 0, steps: 40 },
  ]);
  const legs = unfinishedLegs(dir, readCurves(dir).spec);
  assert.equal(methodProgress(legs, 'ligo'), 'in progress: seed 1 stopped at step 20 of 40');
  assert.equal(methodProgress(legs, 'scratch'), null, 'both seeds of scratch are done');
  const page = read(join(dir, 'report.html'));
  assert.ok(page.includes(`<p class="note" id="in-progress"><b>In progress</b>${line.slice('In progress'.length)}</p>`), 'the page says it before its tables');
  assert.ok(page.includes('<span class="ref in-progress">in progress: seed 1 stopped at step 20 of 40</span>'), "ligo's row names its unfinished seed");
  assert.ok(!/data-label="scratch"><th scope="row">[^\n]*in-progress/.test(page), "scratch's row is done");

  for (const label of ['ligo', 'stackbert', 'ki']) finish(legDir(seed1!, label));
  assert.doesNotMatch(writeReport(dir).tables, /In progress/);
  assert.deepEqual(JSON.parse(read(join(dir, 'results.json'))).inProgress, []);
});

test('a one-seed run directory without unigram.json still reports, saying the line is not recorded', () => {
  const dir = writeFakeRun(join(tmp, 'fake-one'));
  writeReport(dir);
  const json = JSON.parse(read(join(dir, 'results.json')));
  assert.deepEqual([json.seeds, json.unigramLoss, json.targetLoss, json.methods[1].spread.finalValLoss.n], [[0], null, 5, 1]);
  assert.match(read(join(dir, 'results.md')), /Unigram \(no-context\) loss: not recorded/);
  assert.doesNotMatch(read(join(dir, 'plots/loss-vs-flops.svg')), /ref-line|class="band"/);
});

test('a tiny two-seed spec runs end to end: every leg once per seed, a unigram line per seed, mean and spread reported', () => {
  const dir = join(tmp, 'run');
  const spec = parseSpec({ ...tinySpec(), seeds: [0, 1] });
  const run = runExperiment(spec, dir);
  assert.deepEqual(run.ran, ['seed 0/small', 'seed 0/scratch', 'seed 0/ligo', 'seed 1/small', 'seed 1/scratch', 'seed 1/ligo']);
  const root = (seed: number) => join(dir, 'seeds', String(seed));
  const unigram = [0, 1].map((s) => JSON.parse(read(join(root(s), UNIGRAM_FILE))) as UnigramRecord);
  for (const u of unigram) assert.ok(u.loss > 0 && u.loss < Math.log(256) && u.targets > 0 && u.trainingTargets > u.targets, JSON.stringify(u));
  assert.deepEqual(unigram[1], unigram[0], 'both seeds score the experiment\'s one validation set (masked with seed 0)');
  assert.equal(unigram[0]!.validationSeed, 0);
  const done = (s: number) => JSON.parse(read(join(legDir(root(s), 'scratch'), 'done.json'))).valLoss;
  assert.notEqual(done(0), done(1), 'the seed changes the run');
  const { summary, tables } = writeReport(dir);
  assert.equal(summary.pairedSeeds, true);
  assert.deepEqual(summary.methods.map((m) => [m.label, m.seeds]), [['scratch', 2], ['ligo', 2]]);
  assert.match(tables, /^\| scratch \| 2 \| \d\.\d{4} ± \d\.\d{4} \[/m);
  assert.match(tables, new RegExp(`Unigram \\(no-context\\) loss: ${((unigram[0]!.loss + unigram[1]!.loss) / 2).toFixed(4)}`));
  const json = JSON.parse(read(join(dir, 'results.json')));
  close(json.unigramLoss, (unigram[0]!.loss + unigram[1]!.loss) / 2, 'results.json unigramLoss');
  assert.match(read(join(dir, 'plots/loss-vs-flops.svg')), /class="ref-line"/);
  const again = runExperiment(spec, dir);
  assert.deepEqual([again.ran, again.reused.length], [[], 6]);
  // More seeds after the held ones extend the run (the finished seeds reused, the new one paired
  // with them); seeds in another order, or fewer, are another spec.
  const wider = parseSpec({ ...tinySpec(), seeds: [0, 1, 2] });
  const extended = runExperiment(wider, dir);
  assert.deepEqual([extended.ran, extended.reused.length], [['seed 2/small', 'seed 2/scratch', 'seed 2/ligo'], 6]);
  assert.deepEqual(JSON.parse(read(join(root(2), UNIGRAM_FILE))), unigram[0], 'the added seed scores the same validation set');
  assert.equal(JSON.parse(read(join(dir, 'spec.json'))).hash, specHash(wider));
  assert.equal(writeReport(dir).summary.seeds.length, 3);
  for (const seeds of [[1, 0, 2, 3], [0, 1], [0, 2, 1, 3]]) assert.throws(() => runExperiment(parseSpec({ ...tinySpec(), seeds }), dir), /holds a run of another spec .*first difference: spec\.seed/, JSON.stringify(seeds));
  const oneSeed = join(tmp, 'one-seed-first');
  claimDir(oneSeed, parseSpec(tinySpec()));
  assert.throws(() => claimDir(oneSeed, wider), /holds a run of another spec .*first difference: spec\.seeds/, 'a one-seed directory (legs in DIR itself) does not extend to several seeds');
  // A seed root started by an older ligo (its own validation masks, no validationSeed recorded) is not continued.
  fs.writeFileSync(join(root(1), UNIGRAM_FILE), JSON.stringify({ loss: unigram[1]!.loss + 0.01, targets: 1, trainingTargets: 1 }));
  fs.rmSync(join(legDir(root(1), 'ligo'), 'done.json'));
  assert.throws(() => runExperiment(wider, dir), /was started by an older ligo that masked seed 1's validation set with that seed; .*run the spec into a new --out directory/);
});

test('a one-seed spec keeps its layout and records its unigram line in the run directory', () => {
  const dir = join(tmp, 'one');
  runExperiment(parseSpec(tinySpec()), dir);
  const u = JSON.parse(read(join(dir, UNIGRAM_FILE))) as UnigramRecord;
  assert.ok(!fs.existsSync(join(dir, 'seeds')));
  const { tables } = writeReport(dir);
  assert.match(tables, new RegExp(`Unigram \\(no-context\\) loss: ${u.loss.toFixed(4)}, .*Final loss below it, in nats; negative: above it: scratch -?\\d\\.\\d{3}, ligo`));
  assert.match(tables, /\| ligo \| .* \| \d+\.\d% \|$/m, 'the growth share column');
  assert.match(read(join(dir, 'plots/loss-vs-flops.svg')), /class="ref-line"/);
});

test('causal LM: the unigram line scores every next token of the validation windows against the training windows\' tokens after their first', () => {
  const gpt2 = { model_type: 'gpt2', n_layer: 1, n_embd: 32, n_head: 2, n_positions: 32 };
  const dir = join(tmp, 'gpt2');
  const seqLen = 16;
  const batchSize = 4;
  runExperiment(parseSpec({ ...tinySpec(), tokenizer: { vocabSize: 300 }, small: { config: gpt2, training: tinyTraining }, large: { config: { ...gpt2, n_layer: 2 }, training: { ...tinyTraining, batchSize } }, methods: [{ name: 'scratch' }] }), dir);
  const u = JSON.parse(read(join(dir, UNIGRAM_FILE))) as UnigramRecord;
  // By hand, from the token windows themselves.
  const tokenizer = loadTokenizer(join(dir, 'tokenizer.json'));
  const split = splitDocuments(loadCorpus('moby-dick'));
  const windows = (docs: typeof split.train, count?: number) => {
    const stream = new TokenStream(buildTokenShards(docs, tokenizer, join(dir, 'token-cache')), { windowLength: seqLen, batchSize: 1 });
    const out = Array.from({ length: count ?? stream.windowCount }, (_, i) => [...stream.window(i).tokens].slice(1));
    stream.close();
    return out.flat();
  };
  const counts = new Array<number>(tokenizer.vocabSize).fill(0);
  for (const t of windows(split.train)) counts[t]!++;
  const targets = windows(split.validation, 2 * batchSize); // evalBatches 2
  const total = counts.reduce((a, c) => a + c, 0);
  const byHand = -targets.reduce((a, t) => a + Math.log((counts[t]! + 1) / (total + tokenizer.vocabSize)), 0) / targets.length;
  assert.deepEqual([u.targets, u.trainingTargets], [targets.length, total]);
  close(u.loss, byHand, 'unigram loss');
});

test('on savings a seed that missed the target counts as worse than any that reached it', () => {
  const cost = (x: number) => ({ flopsElectra: x, flopsSixN: x, wallSeconds: x });
  const row = (label: string, saved: number | null) => ({ label, method: label, finalValLoss: 5, reach: saved === null ? null : cost(1), costWithoutSmall: saved === null ? null : cost(1), costWithSmall: saved === null ? null : cost(1), savingsWithoutSmall: saved === null ? null : cost(saved), savingsWithSmall: saved === null ? null : cost(saved), growthShare: cost(0), headStart: null });
  // Per seed: a saves 0.25-0.30 in every seed; b 0.05-0.10 but misses seed 2; c 0.20-0.35 but misses seed 2; d never reaches.
  const table: Record<string, (number | null)[]> = { scratch: [0, 0, 0], a: [0.25, 0.3, 0.28], b: [0.05, 0.1, null], c: [0.2, 0.35, null], d: [null, null, null] };
  const perSeed = [0, 1, 2].map((seed) => ({ seed, unigramLoss: null, reference: 'scratch', targetLoss: 5, small: cost(0), methods: Object.entries(table).map(([label, v]) => row(label, v[seed]!)) }));
  const { comparisons } = summarise(perSeed as unknown as Parameters<typeof summarise>[0]);
  const savings = (a: string, b: string) => comparisons.find((c) => c.a === a && c.b === b)!.savings;
  assert.equal(savings('a', 'b'), 'ahead', "b's best (0.10) is below a's worst (0.25); its miss is worse still");
  assert.equal(savings('a', 'c'), 'within', "c's best seed (0.35) beats a's worst");
  assert.equal(savings('a', 'd'), 'ahead');
  assert.equal(savings('b', 'd'), 'within', 'both missed seed 2');
});

// The report: savings on hand-made curves (interpolation, not reached, growth and small-model
// costs, both FLOP conventions and wall time), nice tick values, the SVG chart (one polyline per
// method, the dashed target line), the PNG, writeReport on a hand-written run directory, and the
// `ligo report`, `ligo inspect` and `ligo experiment` commands (output, exit codes).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { aboveUnigramWarning, againstSeeded, computeSavings, savingsTables, firstReach, lineChartSvg, niceTicks, pairedDifference, pairedText, spread, svgToPng, tickLabels, titleLines, writeReport, type MethodSpread } from '../src/report/index.ts';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { modelFor, preset, type BertConfig } from '../src/models/index.ts';
import { trainWordPiece } from '../src/tokenize/index.ts';
import { curve, fakeCurves, fakeSmall, writeFakeRun, zero } from './run-fixtures.ts';

const ROOT = join(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-report-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const curves = fakeCurves;
const small = fakeSmall;

const close = (a: number | undefined, b: number, what: string) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('first reach interpolates linearly between validation points and takes the first crossing', () => {
  const r = firstReach(curve([7, 4.9, 5.3, 5.0]), 5.0)!;
  const t = 2 / 2.1;
  close(r.step, 10 + 10 * t, 'step');
  close(r.flopsElectra, 1e10 + 1e10 * t, 'electra');
  close(r.flopsSixN, 1.5e10 + 1.5e10 * t, '6N');
  close(r.wallSeconds, 5 + 5 * t, 'wall');
  assert.deepEqual(firstReach(curve([4]), 5), { step: 10, flopsElectra: 1e10, flopsSixN: 1.5e10, wallSeconds: 5 });
  assert.equal(firstReach(curve([7, 6]), 5), null);
});

test('savings where every model ends above the unigram line come after a plain warning', () => {
  assert.equal(aboveUnigramWarning(6.665, 'scratch', [{ label: 'scratch', loss: 6.1 }, { label: 'ligo', loss: 6.0 }]), null);
  assert.equal(aboveUnigramWarning(null, 'scratch', [{ label: 'scratch', loss: 7.2 }]), null);
  assert.match(aboveUnigramWarning(6.665, 'scratch', [{ label: 'scratch', loss: 7.14 }, { label: 'ligo', loss: 7.4 }])!, /^WARNING: scratch, the reference, ends at or above the unigram \(no-context\) line 6\.665 \(scratch 7\.140, ligo 7\.400\): no model has learned more than token frequencies, so the savings below do not measure growth/);
  assert.match(aboveUnigramWarning(6.665, 'scratch', [{ label: 'scratch', loss: 6.1 }, { label: 'mslt', loss: 6.7 }])!, /^WARNING: some methods end at or above .*\(mslt 6\.700\)/);
  const s = computeSavings(curves, 'scratch', small);
  assert.match(savingsTables(s, 4.9), /^WARNING: scratch, the reference, ends at or above the unigram \(no-context\) line 4\.900 \(scratch 5\.000, stackbert 5\.100\)[^\n]*\n\nTarget: /);
  assert.doesNotMatch(savingsTables(s, 6), /WARNING/);
});

test("head start: the share of scratch's FLOPs at which scratch first reaches a method's first validation loss", () => {
  const s = computeSavings(curves, 'scratch', small);
  const at = (label: string) => s.methods.find((m) => m.label === label)!.headStart;
  close(at('ligo')!, 0.5, 'ligo starts at 6.0, where scratch is at 2e10 of 4e10 FLOPs');
  close(at('stackbert')!, 0.375, 'stackbert starts at 6.5, halfway between scratch\'s first two points');
  assert.equal(at('ki'), null, 'ki starts below scratch\'s final loss: beyond its budget');
  assert.match(writeReport(writeFakeRun(join(tmp, 'head-start'))).tables, /Head start: .*: ligo 50\.0%, stackbert 37\.5%, ki beyond\.$/m);
});

test('savings: target = scratch final loss; growth charged; small pretraining charged only in the with-small variant', () => {
  const s = computeSavings(curves, 'scratch', small);
  assert.equal(s.targetLoss, 5.0);
  const [scratch, ligo, stack, ki] = s.methods;
  assert.deepEqual(scratch!.savingsWithoutSmall, zero);
  close(scratch!.costWithSmall?.flopsElectra, 4e10, 'scratch cost');
  // ligo reaches 5.0 halfway between steps 20 (5.2) and 30 (4.8): training 2.5e10 / 3.75e10 / 12.5 s, plus growth.
  close(ligo!.reach?.step, 25, 'ligo step');
  close(ligo!.costWithoutSmall?.flopsElectra, 2.7e10, 'ligo electra');
  close(ligo!.savingsWithoutSmall?.flopsElectra, 1 - 2.7e10 / 4e10, 'ligo saved electra');
  close(ligo!.savingsWithoutSmall?.flopsSixN, 1 - 4.05e10 / 6e10, 'ligo saved 6N');
  close(ligo!.savingsWithoutSmall?.wallSeconds, 1 - 15.5 / 20, 'ligo saved wall');
  close(ligo!.savingsWithSmall?.flopsElectra, 1 - 3.7e10 / 4e10, 'ligo saved electra with small');
  close(ligo!.savingsWithSmall?.flopsSixN, 1 - 5.55e10 / 6e10, 'ligo saved 6N with small');
  close(ligo!.savingsWithSmall?.wallSeconds, 1 - 19.5 / 20, 'ligo saved wall with small');
  assert.equal(stack!.reach, null);
  assert.equal(stack!.savingsWithoutSmall, null);
  assert.equal(stack!.savingsWithSmall, null);
  close(ki!.savingsWithoutSmall?.flopsElectra, 0.75, 'reached at the first point');
  close(ki!.savingsWithSmall?.flopsElectra, 0.5, 'reached at the first point, small charged');
  assert.deepEqual(scratch!.costWithSmall, scratch!.costWithoutSmall, 'scratch does not use the small model and is not charged for it');
});

test('nice ticks: round steps covering the range; large values scaled by a power of 1000', () => {
  assert.deepEqual(niceTicks(0, 3.7e12), [0, 1e12, 2e12, 3e12, 4e12]);
  assert.deepEqual(niceTicks(5.12, 7.9), [5, 5.5, 6, 6.5, 7, 7.5, 8]);
  assert.deepEqual(niceTicks(0, 0.83), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(tickLabels([0, 1e12, 2e12]), { labels: ['0', '1', '2'], power: 12 });
  assert.deepEqual(tickLabels([5, 5.5, 6]), { labels: ['5.0', '5.5', '6.0'], power: 0 });
});

test('the SVG has one polyline per method and the dashed target line; the PNG is a PNG', () => {
  const svg = lineChartSvg({ title: 'loss vs FLOPs', xLabel: 'FLOPs', yLabel: 'loss', series: curves.map((c) => ({ label: c.label, points: c.points.map((p): [number, number] => [p.flopsElectra, p.valLoss]) })), target: { y: 5, label: 'scratch final loss' } });
  assert.equal(svg.match(/<polyline /g)?.length, curves.length);
  for (const c of curves) assert.ok(svg.includes(`data-label="${c.label}"`), c.label);
  assert.match(svg, /<line class="target" [^>]*stroke-dasharray="6 4"/);
  const png = svgToPng(svg);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.toString('ascii', 12, 16), 'IHDR');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1440, 900]);
});

const fakeRun = () => writeFakeRun(join(tmp, 'run'));

test('a title too long for the chart wraps at spaces, and the plot moves down to make room', () => {
  const title = 'seeded-gpt2-width-depth: validation loss vs training FLOPs (mean of 3 seeds, band: min-max)';
  const lines = titleLines(title, 720);
  assert.ok(lines.length === 2, `two lines, got ${JSON.stringify(lines)}`);
  assert.equal(lines.join(' '), title);
  for (const line of lines) assert.ok(line.length * 9 <= 720 - 24, `${line.length} characters fit 720 px`);
  assert.deepEqual(titleLines('loss vs FLOPs', 720), ['loss vs FLOPs']);
  const chart = (t: string) => lineChartSvg({ title: t, xLabel: 'x', yLabel: 'y', series: [{ label: 'a', points: [[0, 1], [1, 0]] }] });
  const long = chart(title), short = chart('short');
  assert.equal((long.match(/class="title"/g) ?? []).length, 2);
  assert.equal((short.match(/class="title"/g) ?? []).length, 1);
  const top = (svg: string) => Number(/<rect x="[\d.]+" y="([\d.]+)"[^>]*fill="none" stroke="#000"\/>/.exec(svg)?.[1]);
  assert.ok(top(long) >= top(short) + 19, `the plot starts at ${top(long)} under a two-line title, ${top(short)} under one`);
});

test('writeReport re-derives the savings, results.json, results.md and the plots from the logs', () => {
  const dir = fakeRun();
  const report = writeReport(dir);
  assert.deepEqual(report.savings, computeSavings(curves, 'scratch', small));
  const json = JSON.parse(fs.readFileSync(join(dir, 'results.json'), 'utf8'));
  assert.equal(json.targetLoss, 5);
  const md = fs.readFileSync(join(dir, 'results.md'), 'utf8');
  assert.match(md, /\| ligo \| 4\.6000 \| 25 \| 2\.70e\+10 \| 32\.5% \| 4\.05e\+10 \| 32\.5% \| 15\.5 s \| 22\.5% \|/);
  assert.match(md, /\| stackbert \| 5\.1000 \| not reached \|/);
  for (const f of ['plots/loss-vs-flops.svg', 'plots/loss-vs-flops.png', 'plots/loss-vs-wall-time.svg', 'plots/loss-vs-wall-time.png']) assert.ok(report.files.includes(f) && fs.statSync(join(dir, f)).size > 1000, f);
  const svg = fs.readFileSync(join(dir, 'plots/loss-vs-flops.svg'), 'utf8');
  assert.equal(svg.match(/<polyline /g)?.length, 4);
});

function ligo(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ligo.js'), ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('ligo report prints the tables; ligo inspect summarises a checkpoint; bad input exits 2 with one line', () => {
  const report = ligo('report', fakeRun());
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /Target: scratch's final validation loss, 5\.0000/);
  assert.match(report.stdout, /wrote .*results\.md/);
  const target = ligo('report', fakeRun(), '--target', '4.7');
  assert.equal(target.code, 0, target.stderr);
  assert.match(target.stdout, /^Target: a given validation loss \(scratch's final is 5\.0000; savings only where scratch reaches the target\), 4\.7000\./);
  assert.match(target.stdout, /^\| scratch \| 5\.0000 \| not reached \|/m);
  assert.match(target.stdout, /^\| ligo \| 4\.6000 \| 35 \| 3\.70e\+10 \| – \|/m, 'ligo reaches 4.7 halfway from step 30 (4.8) to 40 (4.6): 3.5e10 + 2e9 growth');
  assert.doesNotMatch(target.stdout, /wrote/);

  const config = preset<BertConfig>('bert-tiny', { vocab_size: 64, max_position_embeddings: 32, num_hidden_layers: 2, hidden_size: 32, num_attention_heads: 2, intermediate_size: 64 });
  const model = modelFor(config);
  const ckpt = join(tmp, 'ckpt');
  const tokenizer = trainWordPiece(['the cat sat on the mat', 'a dog and a cat'], { vocabSize: 40, minFrequency: 1 }).toJSON();
  saveCheckpoint(ckpt, { config, tensors: model.flatten(model.initParams(config, 1)), tokenizer });
  const inspect = ligo('inspect', ckpt, '--seq-len', '16');
  assert.equal(inspect.code, 0, inspect.stderr);
  const params = model.flatten(model.initParams(config, 1)).reduce((n, [, t]) => n + t.size, 0);
  assert.match(inspect.stdout, /^model +bert \(BertForMaskedLM\): 2 layers, hidden 32, 2 heads of 16, FFN 64, vocabulary 64, 32 positions$/m);
  assert.match(inspect.stdout, new RegExp(`^parameters +${params.toLocaleString('en')} in \\d+ tensors$`, 'm'));
  assert.match(inspect.stdout, /^FLOPs\/token +training, sequence of 16: [\d.]+e\+\d+ \(ELECTRA convention\), [\d.]+e\+\d+ \(6N convention\)$/m);
  assert.match(inspect.stdout, /^tokenizer +wordpiece, \d+ tokens$/m);

  for (const [args, message] of [
    [['inspect', join(tmp, 'nowhere')], /^ligo inspect: error: .*nowhere: checkpoint directory not found$/],
    [['inspect', join(tmp, 'run')], /^ligo inspect: error: .*run is neither a checkpoint/],
    [['inspect', ckpt, '--seq-len', '64'], /^ligo inspect: error: sequence length 64 is longer than the model's 32 positions$/],
    [['report', tmp], /^ligo report: error: .* holds no experiment/],
    [['report', tmp, '--target', 'low'], /^ligo report: error: option '--target <loss>' argument 'low' is invalid/],
    [['experiment', join(tmp, 'missing.json')], /^ligo experiment: error: .*missing\.json: file not found$/],
    [['demo', '--out'], /^ligo demo: error: option '--out <dir>' argument missing$/],
  ] as const) {
    const r = ligo(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.trim(), message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('againstSeeded places a one-seed run inside, above or below a seeded run\'s range', () => {
  const costs = (x: number | null) => ({ flopsElectra: x === null ? null : spread([x]), flopsSixN: null, wallSeconds: null });
  const method = (label: string, saved: number[] | null, seeds = saved?.length ?? 1): MethodSpread => ({
    label,
    method: label,
    seeds,
    reached: saved ? saved.length : 0,
    finalValLoss: null,
    costToTarget: costs(null),
    savingsWithoutSmall: { flopsElectra: saved ? spread(saved) : null, flopsSixN: null, wallSeconds: null },
    savingsWithSmall: costs(null),
    growthShare: costs(null),
    headStart: null,
  });
  const run = { reference: 'scratch', seeds: [0], pairedSeeds: true, unigramLoss: null, perSeed: [], comparisons: [], methods: [method('scratch', [0]), method('ligo', [0.5]), method('bert2bert-aki', [0.2]), method('mslt', null)] };
  const seeded = {
    experiment: 'seeded-row',
    seeds: [0, 1, 2],
    methods: [method('scratch', [0, 0, 0]), method('ligo', [0.3, 0.35, 0.4]), method('bert2bert-aki', [0.1, 0.2, 0.25]), method('mslt', null, 3)].map((spread) => ({ label: spread.label, spread })),
    comparisons: [
      { a: 'scratch', b: 'ligo', finalValLoss: null, savings: 'behind' as const },
      { a: 'ligo', b: 'bert2bert-aki', finalValLoss: null, savings: 'ahead' as const },
    ],
  };
  const lines = againstSeeded(run, seeded);
  assert.deepEqual(lines, [
    'ligo: 50.0% saved here (above the seeds\' range); seeded-row: mean 35.0%, range 30.0% to 40.0% over the 3 of 3 seeds that reached scratch\'s loss',
    'bert2bert-aki: 20.0% saved here (inside the seeds\' range); seeded-row: mean 18.3%, range 10.0% to 25.0% over the 3 of 3 seeds that reached scratch\'s loss',
    'mslt: scratch\'s loss not reached here; seeded-row: scratch\'s loss not reached in any of 3 seeds',
    'seeded-row: ligo vs bert2bert-aki on savings: ligo ahead of bert2bert-aki beyond the seed spread (seeds not paired)',
  ]);
  // A seeded run whose seeds scored one validation set is read seed by seed.
  const paired = pairedDifference([0.3, 0.35, 0.4], [0.1, 0.2, 0.25], true);
  const loss = pairedDifference([5.80, 5.81, 5.79], [5.82, 5.831, 5.809], false);
  const pairedLines = againstSeeded(run, { ...seeded, pairedSeeds: true, comparisons: [{ ...seeded.comparisons[1]!, paired: { finalValLoss: loss, savings: paired } }] });
  assert.equal(pairedLines.at(-1), `seeded-row: ligo − bert2bert-aki, paired over its seeds: savings ${pairedText(paired, 'ligo', 'bert2bert-aki', 'savings')}; final loss ${pairedText(loss, 'ligo', 'bert2bert-aki', 'loss')}`);
  assert.match(pairedLines.at(-1)!, /savings \+16\.7 points \[95% CI \+9\.5, \+23\.8\], ligo saves more in 3 of 3 seeds: ligo ahead; final loss −0\.0200 nats \[95% CI −0\.0\d+, −0\.0\d+\], ligo lower in 3 of 3 seeds: ligo ahead$/);
});

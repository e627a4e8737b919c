// Savings, lineage and provenance from plain runs, as the README tour makes them (a 1-layer BERT
// on moby-dick, a few steps each): `ligo train` a small model, `ligo grow` it with LiGO, train the
// grown model and a scratch one. grow.json records every resolved option, the target, data,
// tokenizer, batch, sequence length, the small checkpoint's step and the code version;
// `ligo inspect --json` gives the chain (trained <- grown <- trained); `ligo report RUN... --json`
// charges the grown run the operator's FLOPs as grow.json has them and, under --charge-small's
// variant, the small run's FLOPs at the step grown, measured against the scratch run's final loss
// or --target; runs on other data are refused in one line (exit 2); a resumed run has its resume
// step; a run whose lock a live process holds is labelled in progress; an older grow.json (cost
// as { steps, flops: { electra, sixN } }) still reads; the page of several runs goes to a new
// folder beside them. run.json records --from resolved, so a run resumes, reports and shows its
// lineage from any directory, and an older run.json (paths as typed) reads as before.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TRAIN_DEFAULTS, runTrainOptions, type TrainRunOptions } from '../src/cli/train.ts';
import { readGrowRecord } from '../src/grow/index.ts';
import { LOCK_FILE, LOG_FILE, readRunLog, type TrainRecord } from '../src/train/index.ts';
import { bert } from './run-fixtures.ts';

const ROOT = join(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-report-runs-'));
const at = (name: string) => join(tmp, 'runs', name);

function ligo(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'ligo.js'), ...args], { encoding: 'utf8', cwd: tmp, env: { ...process.env, NO_COLOR: '1' } });
}

async function train(out: string, over: Partial<TrainRunOptions>): Promise<void> {
  const stderr = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
  await runTrainOptions({ ...TRAIN_DEFAULTS, data: 'moby-dick', steps: 4, batchSize: 4, seqLen: 16, lr: 3e-3, warmup: 0, evalEvery: 2, evalBatches: 1, saveEvery: 2, ...over }, out, { stderr });
}

const trainRecords = (dir: string) => readRunLog(join(dir, LOG_FILE)).filter((r): r is TrainRecord => r.type === 'train');

before(async () => {
  fs.mkdirSync(join(tmp, 'runs'), { recursive: true });
  fs.writeFileSync(join(tmp, 'small.json'), JSON.stringify({ ...bert(1), vocab_size: 256, architectures: ['BertForMaskedLM'] }));
  await train(at('small'), { config: join(tmp, 'small.json'), tokenizer: undefined });
  const grown = ligo('grow', '--from', 'runs/small', '--layers', '2', '--method', 'ligo', '--data', 'moby-dick', '--batch-size', '4', '--seq-len', '16', '--option', 'steps=2', '--out', 'runs/grown-ligo');
  assert.equal(grown.status, 0, grown.stderr);
  await train(at('large-ligo'), { from: at('grown-ligo') });
  fs.writeFileSync(join(tmp, 'large.json'), JSON.stringify(JSON.parse(fs.readFileSync(join(at('grown-ligo'), 'config.json'), 'utf8'))));
  await train(at('large-scratch'), { config: join(tmp, 'large.json'), tokenizer: join(at('small'), 'tokenizer.json'), steps: 2, schedule: 'constant' });
  await train(at('large-scratch'), { config: join(tmp, 'large.json'), tokenizer: join(at('small'), 'tokenizer.json'), steps: 4, schedule: 'constant' }); // a resume at step 2
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('grow.json records every resolved option, the target, data, tokenizer, batch, sequence length, the small checkpoint and the code version', () => {
  const r = readGrowRecord(at('grown-ligo'))!;
  assert.deepEqual(r.optionsGiven, { steps: 2 });
  assert.deepEqual([r.options.steps, r.options.lr, r.options.warmupSteps, r.options.mode, r.options.batchSize], [2, 1e-3, 5, 'code', null], 'defaults filled');
  assert.deepEqual([r.data, r.batchSize, r.seqLen, r.from, r.fromStep], ['moby-dick', 4, 16, 'runs/small', 4]);
  assert.equal(r.fromCheckpoint, join(at('small'), 'checkpoints', 'step-000004'));
  assert.deepEqual(r.target, JSON.parse(fs.readFileSync(join(at('grown-ligo'), 'config.json'), 'utf8')));
  assert.equal(r.tokenizer?.sha256.length, 64);
  assert.match(r.code?.commit ?? 'no checkout', /^[0-9a-f]{40}$|^no checkout$/);
  assert.equal(r.cost.operatorSteps, 2);
  assert.ok(r.cost.flopsElectra > 0 && r.cost.wallSeconds > 0 && r.cost.operatorLosses?.length === 2);
});

test('ligo inspect: the lineage chain, in text and --json; the FLOPs per token at the length trained', () => {
  const text = ligo('inspect', 'runs/large-ligo');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^FLOPs\/token +training, sequence of 16 \(as trained, run\.json\)/m);
  assert.match(text.stdout, /^lineage +runs\/large-ligo: trained to step 4 on moby-dick .*, starting from .*grown-ligo$/m);
  assert.match(text.stdout, /^ +<- runs\/grown-ligo: grown by ligo from runs\/small\/checkpoints\/step-000004 \(step 4\) on moby-dick \(batch 4, sequence 16\), seed 0 with steps=2, 23 more at their defaults/m);
  assert.match(text.stdout, /^ +<- runs\/small: trained to step 4 on moby-dick .*, from scratch$/m);
  const json = JSON.parse(ligo('inspect', 'runs/large-ligo', '--json').stdout);
  assert.deepEqual(json.lineage.map((n: { kind: string }) => n.kind), ['trained', 'grown', 'trained']);
});

test('ligo report RUN...: the grown run is charged its operator and, in the with-small variant, the small model up to the step grown; --target; --json', () => {
  const r = ligo('report', 'runs/small', 'runs/large-ligo', 'runs/large-scratch', '--json');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const run = (label: string) => report.runs.find((x: { label: string }) => x.label === label);
  const grow = readGrowRecord(at('grown-ligo'))!.cost;
  const small = trainRecords(at('small')).at(-1)!;
  assert.deepEqual(run('large-ligo').growth, { flopsElectra: grow.flopsElectra, flopsSixN: grow.flopsSixN, wallSeconds: grow.wallSeconds });
  assert.deepEqual(run('large-ligo').small, { flopsElectra: small.flopsElectra, flopsSixN: small.flopsSixN, wallSeconds: small.wallSeconds });
  assert.deepEqual(run('small').smallOf, ['large-ligo']);
  assert.deepEqual(run('large-scratch').resumedAt, [2]);
  assert.equal(report.savings.reference, 'large-scratch');
  assert.deepEqual(report.savings.methods.map((m: { label: string }) => m.label), ['large-ligo', 'large-scratch'], 'the small model is not a method');
  const ligoRow = report.savings.methods[0];
  if (ligoRow.reach) {
    assert.equal(ligoRow.costWithoutSmall.flopsElectra, ligoRow.reach.flopsElectra + grow.flopsElectra);
    assert.equal(ligoRow.costWithSmall.flopsElectra, ligoRow.reach.flopsElectra + grow.flopsElectra + small.flopsElectra);
  }
  const text = ligo('report', 'runs/small', 'runs/large-ligo', 'runs/large-scratch');
  assert.match(text.stdout, /^- large-ligo: grown by ligo \(2 operator steps\); growth .*; small model runs\/small to step 4: .*, not charged$/m);
  assert.match(text.stdout, /^\| large-ligo \| ligo \| \d\.\d{4} \| (\d+|not reached) \| \d\.\d\de\+\d+ \| \d\.\d\de\+\d+ \(not charged\) \|/m);
  const target = JSON.parse(ligo('report', 'runs/large-ligo', 'runs/large-scratch', '--target', '9', '--json').stdout);
  assert.equal(target.savings.targetLoss, 9);
});

test('runs on other data are refused in one line; a run whose lock a live process holds is in progress; the page of several runs goes beside them', async () => {
  fs.cpSync(at('large-scratch'), at('other-data'), { recursive: true });
  const flags = JSON.parse(fs.readFileSync(join(at('other-data'), 'run.json'), 'utf8'));
  fs.writeFileSync(join(at('other-data'), 'run.json'), JSON.stringify({ ...flags, data: 'sotu' }));
  const refused = ligo('report', 'runs/large-scratch', 'runs/other-data');
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /^ligo report: error: runs\/large-scratch and runs\/other-data were trained on different data \(moby-dick vs sotu\)/);
  assert.equal(refused.stderr.trim().split('\n').length, 1);
  const holder = spawn('sleep', ['30']);
  try {
    fs.writeFileSync(join(at('large-ligo'), LOCK_FILE), JSON.stringify({ pid: holder.pid }));
    const r = ligo('report', 'runs/large-ligo', 'runs/large-scratch', '--html');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^large-ligo .* in progress: running, step 4 of 4$/m);
    const page = fs.readFileSync(join(tmp, 'runs', 'report-large-ligo+large-scratch', 'report.html'), 'utf8');
    assert.match(page, /<h1>Training runs large-ligo, large-scratch \(in progress\)<\/h1>/);
    assert.match(page, /id="lineage"/);
    assert.match(page, /<line class="event"[^>]*><title>large-scratch resumed at step 2<\/title>/);
  } finally {
    holder.kill();
    fs.rmSync(join(at('large-ligo'), LOCK_FILE), { force: true });
  }
});

test('run.json records --from and the other paths resolved: a run started with relative paths resumes, reports and shows its lineage from another directory; an older run.json with relative paths still reads from its own', () => {
  const started = ligo('train', '--from', 'runs/grown-ligo', '--data', 'moby-dick', '--out', 'runs/relative', '--steps', '2', '--batch-size', '4', '--seq-len', '16', '--eval-every', '2', '--eval-batches', '1', '--schedule', 'constant');
  assert.equal(started.status, 0, started.stderr);
  const runFile = join(at('relative'), 'run.json');
  assert.equal(JSON.parse(fs.readFileSync(runFile, 'utf8')).from, at('grown-ligo'));
  const elsewhere = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'ligo.js'), ...args], { encoding: 'utf8', cwd: os.tmpdir(), env: { ...process.env, NO_COLOR: '1' } });
  const resumed = elsewhere('train', '--out', at('relative'), '--steps', '4');
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /^resuming at step 2 of 4 /m);
  const kinds = (r: ReturnType<typeof ligo>) => JSON.parse(r.stdout).lineage.map((n: { kind: string }) => n.kind);
  assert.deepEqual(kinds(elsewhere('inspect', at('relative'), '--json')), ['trained', 'grown', 'trained']);
  const report = JSON.parse(elsewhere('report', at('relative'), at('large-scratch'), '--json').stdout);
  assert.equal(report.runs.find((r: { label: string }) => r.label === 'relative').growth.flopsElectra, readGrowRecord(at('grown-ligo'))!.cost.flopsElectra, 'charged its growth');

  fs.writeFileSync(runFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(runFile, 'utf8')), from: 'runs/grown-ligo' })); // as older ligo wrote it
  assert.deepEqual(kinds(ligo('inspect', 'runs/relative', '--json')), ['trained', 'grown', 'trained'], 'read relative to the working directory, as before');
  const nothing = ligo('train', '--from', 'runs/grown-ligo', '--out', 'runs/relative', '--steps', '4');
  assert.equal(nothing.status, 0, nothing.stderr);
  assert.match(nothing.stderr, /^nothing to do: runs\/relative has already reached step 4 of 4; raise --steps to train further; no file was changed$/m, 'the same --from, typed as before');
});

test('an older grow.json (cost as steps and flops.electra / flops.sixN, options as given) still reads', () => {
  const dir = join(tmp, 'old-grown');
  fs.mkdirSync(dir);
  fs.writeFileSync(join(dir, 'grow.json'), JSON.stringify({ method: 'ligo', from: 'x', seed: 0, options: { steps: 100 }, functionPreserving: false, cost: { steps: 100, wallSeconds: 8.1, flops: { electra: 3.5e11, sixN: 4.6e11 } } }));
  const r = readGrowRecord(dir)!;
  assert.deepEqual([r.cost.flopsElectra, r.cost.flopsSixN, r.cost.wallSeconds, r.cost.operatorSteps], [3.5e11, 4.6e11, 8.1, 100]);
  assert.deepEqual([r.optionsGiven, r.code, r.fromCheckpoint], [{ steps: 100 }, null, null]);
});

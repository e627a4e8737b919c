// Ctrl-C on real processes (`node bin/ligo.js ...`, src/cli/interrupt.ts): the first is answered
// at once, even while the command is inside a step that blocks (a checkpoint write held by the
// test hook LIGO_TEST_PAUSE_IN_CHECKPOINT), saying it stops after the current step and that a
// second Ctrl-C quits without saving; the second quits with a message, no lock, and an earlier
// checkpoint from which the printed resume command runs; killing `ligo` itself ends the command. `ligo grow` stops LiGO's operator steps
// and its tokenising the same way and leaves no --out; tokenising your own data in `ligo train`
// stops with nothing cached, and what a second Ctrl-C leaves half-built is removed by the next
// run, saying so. `ligo experiment` stops a training leg as `ligo train` does (the
// printed command resumes it) and a LiGO growth as `ligo grow` does, keeping finished legs. A reader that goes away (`ligo ... | head`) ends a command cleanly:
// exit code 141, no stack trace, no lock.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { modelFor, preset, withDims } from '../src/models/index.ts';
import { trainWordPiece } from '../src/tokenize/index.ts';
import { CHECKPOINTS_DIR } from '../src/train/index.ts';
import { DONE_FILE, grownDir, legDir, trainDir } from '../src/experiment/index.ts';
import { bert, tinySpec, tinyTraining } from './run-fixtures.ts';

const repo = join(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-interrupt-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const configPath = join(tmp, 'tiny-bert.json');
fs.writeFileSync(configPath, JSON.stringify({ model_type: 'bert', vocab_size: 512, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64 }));
const trainArgs = (out: string, steps = 24) => ['train', '--config', configPath, '--data', 'moby-dick', '--out', out, '--steps', String(steps), '--batch-size', '8', '--seq-len', '32', '--eval-every', '6', '--save-every', '6', '--eval-batches', '2', '--log-every', '1'];

const FIRST = 'ligo: stopping after the current step and saving a checkpoint; press Ctrl-C again to quit at once without saving';

interface Run {
  child: ChildProcess;
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function start(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['bin/ligo.js', ...args], { cwd: repo, env: { ...process.env, LIGO_TOKEN_CACHE: join(tmp, 'token-cache'), ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, stderr: () => stderr, exit };
}

async function waitFor(what: string, cond: () => boolean, run: Run): Promise<void> {
  let exited = false;
  void run.exit.then(() => (exited = true));
  const t0 = Date.now();
  while (!cond()) {
    if (exited) assert.fail(`the command exited before ${what}: ${run.stderr()}`);
    if (Date.now() - t0 > 60_000) assert.fail(`timed out waiting for ${what}: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The process bin/ligo.js runs the command in. */
const commandPid = (run: Run) => Number(fs.readFileSync(`/proc/${run.child.pid}/task/${run.child.pid}/children`, 'utf8').trim());
const checkpoints = (out: string) => (fs.existsSync(join(out, CHECKPOINTS_DIR)) ? fs.readdirSync(join(out, CHECKPOINTS_DIR)) : []);
const pausedIn = (out: string) => checkpoints(out).some((n) => n.startsWith('.tmp-') && fs.existsSync(join(out, CHECKPOINTS_DIR, n, 'PAUSED')));

test('train: the first Ctrl-C is answered while a step still runs; the second quits with a message, no lock, and a checkpoint the printed command resumes from', async () => {
  const out = join(tmp, 'train-twice');
  const run = start(trainArgs(out), { LIGO_TEST_PAUSE_IN_CHECKPOINT: '12' }); // the step-12 checkpoint blocks for 60 s
  await waitFor('the pause inside the step-12 checkpoint', () => pausedIn(out), run);
  run.child.kill('SIGINT');
  await waitFor('the answer to the first Ctrl-C', () => run.stderr().includes(FIRST), run);
  assert.ok(pausedIn(out), 'answered while the command was still inside its step');
  run.child.kill('SIGINT');
  const r = await run.exit;
  assert.equal(r.signal, 'SIGINT', r.stderr);
  const last = r.stderr.trim().split('\n').at(-1)!;
  const m = /^ligo: quit without saving; resume from the last checkpoint with: (ligo train --out (\S+))$/.exec(last);
  assert.ok(m, `last line: ${last}`);
  assert.equal(m[2], out);
  assert.ok(!fs.existsSync(join(out, 'lock')), 'no lock is left');
  assert.ok(checkpoints(out).includes('step-000006'), `checkpoints: ${checkpoints(out).join(', ')}`);
  const resumed = await start(m[1]!.split(' ').slice(1)).exit; // the printed command, `ligo` being bin/ligo.js
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /^resuming at step 6 of 24 /m);
});

test('ligo killed with SIGKILL: the command it runs ends too (within a step), its lock left as a killed run leaves it', async () => {
  const out = join(tmp, 'killed');
  const run = start(trainArgs(out, 100_000));
  await waitFor('a few steps', () => /^step 3\//m.test(run.stderr()), run);
  const command = JSON.parse(fs.readFileSync(join(out, 'lock'), 'utf8')).pid as number;
  run.child.kill('SIGKILL');
  await run.exit;
  const alive = () => {
    try {
      process.kill(command, 0);
      return true;
    } catch {
      return false;
    }
  };
  const t0 = Date.now();
  while (alive() && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
  assert.ok(!alive(), `process ${command} still runs`);
  assert.ok(fs.existsSync(join(out, 'lock')));
});

const words = ['whale', 'sea', 'ship', 'captain', 'harpoon', 'sail', 'deck', 'storm', 'island', 'voyage'];
const paragraph = (i: number, length: number) => Array.from({ length }, (_, j) => words[((Math.imul(i + 1, 2654435761) ^ Math.imul(j + 1, 40503)) >>> 0) % words.length]).join(' ');
/** A text file of `docs` paragraphs of `length` words. */
function corpus(name: string, docs: number, length: number): string {
  const path = join(tmp, name);
  fs.writeFileSync(path, Array.from({ length: docs }, (_, i) => paragraph(i, length)).join('\n\n'));
  return path;
}
const tokenizer = trainWordPiece(words, { vocabSize: 100, minFrequency: 1 });

// A small BERT with that tokenizer, to grow with LiGO on a small corpus.
const small = join(tmp, 'small');
const smallConfig = withDims(preset('bert-tiny', { vocab_size: 100, max_position_embeddings: 40 }), { layers: 2, hidden: 32, heads: 2, ffn: 64 });
saveCheckpoint(small, { config: smallConfig, tensors: modelFor(smallConfig).flatten(modelFor(smallConfig).initParams(smallConfig, 1)), tokenizer: tokenizer.toJSON() });
const growData = corpus('grow.txt', 400, 30);
const growArgs = (out: string) => ['grow', '--from', small, '--method', 'ligo', '--layers', '4', '--data', growData, '--batch-size', '4', '--seq-len', '16', '--option', 'steps=1000000', '--out', out];

test('grow: Ctrl-C stops LiGO after the current operator step, says so at once, writes nothing (exit 130)', async () => {
  const out = join(tmp, 'grow-once');
  const run = start(growArgs(out));
  await waitFor('the operator steps', () => run.stderr().includes('operator steps'), run);
  run.child.kill('SIGINT');
  const r = await run.exit;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /^ligo: stopping after the current step; nothing will be written; press Ctrl-C again to quit at once$/m);
  assert.match(r.stderr.trim().split('\n').at(-1)!, new RegExp(`^stopped; nothing was written to ${out}; run the same command again to grow$`));
  assert.ok(!fs.existsSync(out), 'no --out (nor its token cache) is left');
});

test('grow: a second Ctrl-C quits at once, saying so, and leaves no --out', async () => {
  const out = join(tmp, 'grow-twice');
  const run = start(growArgs(out));
  await waitFor('the operator steps', () => run.stderr().includes('operator steps'), run);
  process.kill(commandPid(run), 'SIGSTOP'); // held inside a step: the first Ctrl-C cannot finish before the second
  run.child.kill('SIGINT');
  await waitFor('the answer to the first Ctrl-C', () => run.stderr().includes('ligo: stopping'), run);
  run.child.kill('SIGINT');
  const r = await run.exit;
  assert.equal(r.signal, 'SIGINT', r.stderr);
  assert.match(r.stderr.trim().split('\n').at(-1)!, /^ligo: quit; nothing was written$/);
  assert.ok(!fs.existsSync(out), 'no --out (nor its token cache) is left');
});

test('train on your own data: Ctrl-C while tokenising stops with nothing cached and no run directory (exit 130)', async () => {
  const data = corpus('big.txt', 4_000, 150); // ~3.5 MB: a second or more to tokenise
  const tokenizerFile = join(tmp, 'tokenizer.json');
  fs.writeFileSync(tokenizerFile, JSON.stringify(tokenizer.toJSON()));
  const out = join(tmp, 'own-stopped');
  const cache = join(tmp, 'own-cache');
  const run = start(['train', '--config', configPath, '--data', data, '--tokenizer', tokenizerFile, '--out', out, '--steps', '2', '--seq-len', '32', '--cache-dir', cache]);
  await waitFor('the tokenising', () => /^tokenising /m.test(run.stderr()), run);
  run.child.kill('SIGINT');
  const r = await run.exit;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /stopped while preparing the data \(nothing was cached\)/);
  assert.ok(!fs.existsSync(out), 'the run directory this command created is removed');
  assert.deepEqual(fs.existsSync(cache) ? fs.readdirSync(cache) : [], [], 'nothing (not even a partial entry) in the token cache');
});

test('train on your own data: a second Ctrl-C while tokenising quits at once; its half-built entry is never read, and the next run removes it, saying so', async () => {
  const data = corpus('big-killed.txt', 4_000, 150);
  const tokenizerFile = join(tmp, 'tokenizer-killed.json');
  fs.writeFileSync(tokenizerFile, JSON.stringify(tokenizer.toJSON()));
  const cache = join(tmp, 'own-killed-cache');
  const args = ['train', '--config', configPath, '--data', data, '--tokenizer', tokenizerFile, '--out', join(tmp, 'own-killed'), '--steps', '2', '--seq-len', '32', '--cache-dir', cache];
  const run = start(args);
  await waitFor('the tokenising', () => /^tokenising /m.test(run.stderr()), run);
  process.kill(commandPid(run), 'SIGSTOP'); // held while tokenising: the second Ctrl-C kills it there
  run.child.kill('SIGINT');
  await waitFor('the answer to the first Ctrl-C', () => run.stderr().includes('ligo: stopping'), run);
  run.child.kill('SIGINT');
  assert.equal((await run.exit).signal, 'SIGINT');
  const partials = fs.readdirSync(cache).filter((n) => n.includes('.partial-'));
  assert.equal(partials.length, 1, 'the killed build leaves its half-built entry beside the cache');
  assert.deepEqual(fs.readdirSync(cache).filter((n) => !n.includes('.partial-')), [], 'and no entry a run could read');
  const again = await start(args).exit;
  assert.equal(again.code, 0, again.stderr);
  assert.ok(again.stderr.split('\n').includes(`token cache ${cache}: removed a half-built entry that a killed run left (${partials[0]}); no run had read it`), again.stderr);
  assert.match(again.stderr, /^tokenising /m);
  assert.deepEqual(fs.readdirSync(cache).filter((n) => n.includes('.partial-')), []);
});

test('a reader that goes away (| head): exit 141 without a stack trace; a training run stops with a checkpoint and no lock', async () => {
  const listing = spawn(process.execPath, ['bin/ligo.js', 'presets'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  listing.stdout!.destroy();
  let err = '';
  listing.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise((resolve) => listing.on('exit', (c) => resolve(c)));
  assert.equal(code, 141, err);
  assert.doesNotMatch(err, /Error|at /);

  const out = join(tmp, 'piped');
  const run = start(trainArgs(out, 100_000));
  await waitFor('a few steps', () => /^step 3\//m.test(run.stderr()), run);
  run.child.stderr!.destroy();
  const r = await run.exit;
  assert.equal(r.code, 141);
  assert.ok(!fs.existsSync(join(out, 'lock')), 'no lock is left');
  assert.ok(checkpoints(out).some((n) => /^step-\d+$/.test(n)), `a checkpoint at the step reached: ${checkpoints(out).join(', ')}`);
});

// `ligo experiment` on a tiny spec (scratch, and LiGO with an operator that would run for ever).
const experimentSpec = (name: string, large: Record<string, unknown>, methods: unknown[] = [{ name: 'scratch' }]) => {
  const path = join(tmp, `${name}.json`);
  fs.writeFileSync(path, JSON.stringify({ ...tinySpec(), name, large: { config: bert(2), training: { ...tinyTraining, ...large } }, methods }));
  return path;
};
const scratchRun = (out: string) => trainDir(legDir(out, 'scratch'));
const locks = (out: string) => [join(out, 'lock'), join(scratchRun(out), 'lock')].filter((p) => fs.existsSync(p));
const resumeLine = (stderr: string) => /resume with: (ligo experiment (\S+) --out (\S+))$/.exec(stderr.trim().split('\n').at(-1)!);

test('experiment: Ctrl-C in a training leg stops after the current step with a checkpoint, no lock and no done.json (exit 130); the printed command resumes it', async () => {
  const spec = experimentSpec('exp-stop', { steps: 100_000, evalEvery: 50_000, saveEvery: 50_000 });
  const out = join(tmp, 'exp-stop');
  const run = start(['experiment', spec, '--out', out]);
  await waitFor('a few steps of the scratch leg', () => /^step 25\//m.test(run.stderr()), run);
  run.child.kill('SIGINT');
  const r = await run.exit;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, new RegExp(`^${FIRST}$`, 'm'));
  const m = resumeLine(r.stderr);
  assert.ok(m, `last line: ${r.stderr.trim().split('\n').at(-1)}`);
  assert.deepEqual([m[2], m[3]], [spec, out]);
  const step = Number(/stopped scratch at step (\d+); checkpoint /.exec(r.stderr)?.[1]);
  assert.ok(step >= 25, r.stderr);
  assert.deepEqual(checkpoints(scratchRun(out)), [`step-${String(step).padStart(6, '0')}`]);
  assert.deepEqual(locks(out), [], 'no lock is left');
  assert.ok(!fs.existsSync(join(legDir(out, 'scratch'), DONE_FILE)), 'the leg is not marked done');
  const report = await start(['report', out]).exit; // the command the stop line names
  assert.equal(report.code, 0, report.stderr);
  assert.match(fs.readFileSync(join(out, 'results.md'), 'utf8'), /scratch/);

  const again = start(m[1]!.split(' ').slice(1));
  await waitFor('the resume', () => new RegExp(`^resuming at step ${step} of 100,?000 `, 'm').test(again.stderr()), again);
  again.child.kill('SIGINT');
  assert.equal((await again.exit).code, 130);
});

test('experiment: a second Ctrl-C quits at once with no lock and an earlier checkpoint, from which the printed command finishes the run', async () => {
  const spec = experimentSpec('exp-twice', { steps: 24, evalEvery: 6, saveEvery: 6 });
  const out = join(tmp, 'exp-twice');
  const run = start(['experiment', spec, '--out', out], { LIGO_TEST_PAUSE_IN_CHECKPOINT: '12' });
  await waitFor('the pause inside the step-12 checkpoint', () => pausedIn(scratchRun(out)), run);
  run.child.kill('SIGINT');
  await waitFor('the answer to the first Ctrl-C', () => run.stderr().includes(FIRST), run);
  assert.ok(pausedIn(scratchRun(out)), 'answered while the command was still inside its step');
  run.child.kill('SIGINT');
  const r = await run.exit;
  assert.equal(r.signal, 'SIGINT', r.stderr);
  const last = r.stderr.trim().split('\n').at(-1)!;
  assert.equal(last, `ligo: quit without saving; resume from the last checkpoint with: ligo experiment ${spec} --out ${out}`);
  assert.deepEqual(locks(out), [], 'no lock is left');
  assert.ok(checkpoints(scratchRun(out)).includes('step-000006'), checkpoints(scratchRun(out)).join(', '));
  const resumed = await start(['experiment', spec, '--out', out]).exit;
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /^resuming at step 6 of 24 /m);
  assert.ok(fs.existsSync(join(legDir(out, 'scratch'), DONE_FILE)));
});

test("experiment: Ctrl-C during LiGO's operator steps stops after the current one, writes no grown model and keeps the finished legs (exit 130)", async () => {
  const spec = experimentSpec('exp-grow', {}, [{ name: 'scratch' }, { name: 'ligo', options: { steps: 1_000_000 } }]);
  const out = join(tmp, 'exp-grow');
  const run = start(['experiment', spec, '--out', out]);
  await waitFor('the growth', () => /\] ligo: growing with ligo$/m.test(run.stderr()), run);
  run.child.kill('SIGINT');
  const r = await run.exit;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /^ligo: stopping ligo's growth after the current operator step \(nothing of it is written\); press Ctrl-C again to quit at once$/m);
  assert.equal(r.stderr.trim().split('\n').at(-1), `stopped before ligo trained (a growth in progress is redone); the legs finished so far: ligo report ${out}; resume with: ligo experiment ${spec} --out ${out}`);
  assert.ok(!fs.existsSync(grownDir(legDir(out, 'ligo'))), 'no grown model');
  assert.ok(fs.existsSync(join(legDir(out, 'scratch'), DONE_FILE)), 'the scratch leg stays done');
  assert.ok(!fs.existsSync(join(out, 'lock')));
});

// Crash safety of `ligo train`, with real processes: a run killed with SIGKILL after its first
// checkpoint, and one killed while writing a checkpoint (held there by the test hook
// LIGO_TEST_PAUSE_IN_CHECKPOINT), both resume and produce exactly the uninterrupted run's loss
// curve (train and eval records of train.jsonl); a second run on a locked directory refuses.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CHECKPOINTS_DIR, LOG_FILE, readRunLog, type LogRecord } from '../src/train/index.ts';

const repo = join(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-resume-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const configPath = join(tmp, 'tiny-bert.json');
fs.writeFileSync(configPath, JSON.stringify({ model_type: 'bert', vocab_size: 512, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64 }));
const STEPS = 24;
const args = (out: string) => ['bin/ligo.js', 'train', '--config', configPath, '--data', 'moby-dick', '--out', out, '--steps', String(STEPS), '--batch-size', '8', '--seq-len', '32', '--lr', '3e-3', '--warmup', '2', '--eval-every', '6', '--save-every', '6', '--eval-batches', '2', '--seed', '7'];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function start(out: string, env: Record<string, string> = {}): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, args(out), { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, exit };
}

async function waitFor(what: string, cond: () => boolean, exit: Promise<Exit>): Promise<void> {
  let done: Exit | null = null;
  void exit.then((e) => (done = e));
  const t0 = Date.now();
  while (!cond()) {
    if (done) assert.fail(`the run exited before ${what}: ${JSON.stringify(done)}`);
    if (Date.now() - t0 > 60_000) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ckptRoot = (out: string) => join(out, CHECKPOINTS_DIR);
const names = (out: string) => (fs.existsSync(ckptRoot(out)) ? fs.readdirSync(ckptRoot(out)) : []);
const pausedIn = (out: string) => names(out).some((n) => n.startsWith('.tmp-') && fs.existsSync(join(ckptRoot(out), n, 'PAUSED')));

/** The deterministic part of the log: train and eval records without timings. */
function curve(out: string): unknown[] {
  return readRunLog(join(out, LOG_FILE))
    .filter((r): r is Extract<LogRecord, { type: 'train' | 'eval' }> => r.type === 'train' || r.type === 'eval')
    .map((r) => (r.type === 'train' ? [r.step, r.loss, r.lr, r.gradNorm, r.flopsElectra, r.flopsSixN, r.tokens] : ['eval', r.step, r.valLoss]));
}

/** Backends of the log's start and resume records (the curves can only match on one backend). */
const backends = (out: string) => readRunLog(join(out, LOG_FILE)).flatMap((r) => (r.type === 'start' || r.type === 'resume' ? [String(r.backend)] : []));

function assertSameCurve(out: string): void {
  assert.deepEqual(curve(out), curve(reference), `backends: reference ${backends(reference).join(', ')}, resumed ${backends(out).join(', ')}`);
}

async function finish(out: string): Promise<void> {
  const r = await start(out).exit;
  assert.equal(r.code, 0, r.stderr);
}

const reference = join(tmp, 'uninterrupted');

test('uninterrupted reference run', async () => {
  await finish(reference);
  assert.equal(curve(reference).filter((r) => Array.isArray(r) && r[0] !== 'eval').length, STEPS);
});

test('killed while writing a checkpoint (and a second run refused by the lock): resume reproduces the loss curve exactly', async () => {
  const out = join(tmp, 'killed-in-write');
  const run = start(out, { LIGO_TEST_PAUSE_IN_CHECKPOINT: '12' });
  await waitFor('the pause inside the step-12 checkpoint', () => pausedIn(out), run.exit);

  const second = await start(out).exit;
  assert.equal(second.code, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`in use by process ${run.child.pid}`));

  run.child.kill('SIGKILL');
  assert.equal((await run.exit).signal, 'SIGKILL');
  assert.ok(names(out).includes('step-000006') && !names(out).includes('step-000012'), `checkpoints: ${names(out).join(', ')}`);
  assert.ok(fs.existsSync(join(out, 'lock')), 'a killed run leaves its lock behind');
  await finish(out);
  assertSameCurve(out);
  assert.deepEqual(names(out), [`step-0000${STEPS}`], 'leftovers of the interrupted write are removed');
});

test('killed between checkpoints after the first one: resume reproduces the loss curve exactly', async () => {
  const out = join(tmp, 'killed-after-first');
  const run = start(out, { LIGO_TEST_PAUSE_IN_CHECKPOINT: '18' }); // never finishes on its own
  await waitFor('the first checkpoint', () => names(out).includes('step-000006'), run.exit);
  run.child.kill('SIGKILL');
  assert.equal((await run.exit).signal, 'SIGKILL');
  await finish(out);
  assertSameCurve(out);
});

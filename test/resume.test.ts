// Crash safety of `ligo train`, with real processes: a run killed with SIGKILL after its first
// checkpoint, and one killed while writing a checkpoint (held there by the test hook
// LIGO_TEST_PAUSE_IN_CHECKPOINT), both resume and produce exactly the uninterrupted run's loss
// curve (train and eval records of train.jsonl); a second run on a locked directory refuses.
// Ctrl-C (SIGINT) and SIGTERM stop a run cleanly: a checkpoint at the step reached, the lock
// released, one line with the resume command, exit code 130 / 143; a second Ctrl-C while that
// checkpoint is being written ends the process at once. Resuming says so, and refuses changed
// settings.

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

function start(out: string, env: Record<string, string> = {}, extra: string[] = []): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [...args(out), ...extra], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
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

const trainSteps = (out: string) => (fs.existsSync(join(out, LOG_FILE)) ? readRunLog(join(out, LOG_FILE)).filter((r) => r.type === 'train').length : 0);

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal}: checkpoint at the step reached, lock released, one line to resume, exit ${code}; the resumed run reproduces the curve`, async () => {
    const out = join(tmp, `stopped-${signal}`);
    const run = start(out);
    await waitFor('three updates', () => trainSteps(out) >= 3, run.exit);
    run.child.kill(signal);
    const r = await run.exit;
    assert.equal(r.code, code, r.stderr);
    const last = r.stderr.trim().split('\n').at(-1)!;
    const m = /^stopped at step (\d+) of 24; checkpoint (\S+); resume with: ligo train --out (\S+)$/.exec(last);
    assert.ok(m, `last line: ${last}`);
    const step = Number(m[1]);
    assert.ok(step >= 3 && step < STEPS, last);
    assert.equal(m[2], join(ckptRoot(out), `step-${String(step).padStart(6, '0')}`));
    assert.ok(names(out).includes(`step-${String(step).padStart(6, '0')}`), `checkpoints: ${names(out).join(', ')}`);
    assert.equal(m[3], out);
    assert.ok(!fs.existsSync(join(out, 'lock')), 'the lock is released');
    const resumed = await start(out).exit;
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`^resuming at step ${step} of 24 from .*step-${String(step).padStart(6, '0')}$`, 'm'));
    assertSameCurve(out);
  });
}

test('a second Ctrl-C while the stop checkpoint is written ends the process at once; the last complete checkpoint stays', async () => {
  const out = join(tmp, 'second-ctrl-c');
  const run = start(out, { LIGO_TEST_PAUSE_IN_CHECKPOINT: 'stop' });
  await waitFor('the first checkpoint and an update after it', () => names(out).includes('step-000006') && trainSteps(out) >= 7, run.exit); // the stop checkpoint is then a new one
  run.child.kill('SIGINT');
  await waitFor('the pause inside the stop checkpoint', () => pausedIn(out), run.exit);
  const t0 = Date.now();
  run.child.kill('SIGINT');
  const r = await run.exit;
  assert.equal(r.signal, 'SIGINT', JSON.stringify(r));
  assert.ok(Date.now() - t0 < 10_000, 'at once, not after the 60 s pause');
  assert.ok(names(out).some((n) => /^step-\d+$/.test(n)), `a complete checkpoint remains: ${names(out).join(', ')}`);
  await finish(out);
  assertSameCurve(out);
});

test('resuming with a changed setting is refused in one line naming it; impossible settings are refused', async () => {
  const out = join(tmp, 'killed-after-first'); // a finished run from above
  for (const [flags, name] of [[['--batch-size', '4'], '--batch-size'], [['--lr', '0.001'], '--lr'], [['--schedule', 'cosine'], '--schedule'], [['--seq-len', '16'], '--seq-len']] as const) {
    const r = await start(out, {}, [...flags]).exit;
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^ligo train: error: ${out} was started with ${name} \\S+, not ${flags[1]}: .*--allow-change`));
  }
  const allowed = await start(out, {}, ['--lr', '0.001', '--allow-change']).exit;
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stderr, new RegExp(`^${out}: resuming with --lr 0.003 -> 0.001$`, 'm'));
  const fresh = join(tmp, 'impossible');
  const r = await start(fresh, {}, ['--warmup', '30']).exit;
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^ligo train: error: --warmup 30 is longer than the run's --steps 24/);
  assert.ok(!fs.existsSync(fresh), 'a refused run leaves no directory behind');
});

// Crash safety of `ligo train`, with real processes: a run killed with SIGKILL after its first
// checkpoint, and one killed while writing a checkpoint (held there by the test hook
// LIGO_TEST_PAUSE_IN_CHECKPOINT), both resume and produce exactly the uninterrupted run's loss
// curve (train and eval records of train.jsonl); a second run on a locked directory refuses.
// Ctrl-C (SIGINT) and SIGTERM stop a run cleanly: a checkpoint at the step reached, the lock
// released, one line with the resume command, exit code 130 / 143; a second Ctrl-C while that
// checkpoint is being written ends the process at once. Resuming says so, with the learning rate
// it resumes at, and refuses changed settings (every one named), a higher --steps under a
// decaying schedule included, and a lower --steps than the step reached; a resume with nothing to
// do changes no file. Never losing a run: with the checkpoints deleted a run is refused and its
// log kept until --restart; a truncated newest checkpoint is skipped for the one before (the
// curve still matches); --keep-checkpoints sets how many are kept.

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
  const child = spawn(process.execPath, [...args(out), ...extra], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], detached: true }); // its own process group: killGroup kills ligo and the command it runs
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, exit };
}

/**
 * SIGKILL to the run's process group: bin/ligo.js and the process it runs the command in (as a
 * crash or the OOM killer would end them); resolves once the group is gone (the command's process
 * is reaped by init, a moment after bin/ligo.js).
 */
async function killGroup(run: { child: ChildProcess; exit: Promise<Exit> }): Promise<Exit> {
  process.kill(-run.child.pid!, 'SIGKILL');
  const exit = await run.exit;
  const groupAlive = () => {
    try {
      return process.kill(-run.child.pid!, 0);
    } catch {
      return false;
    }
  };
  while (groupAlive()) await new Promise((r) => setTimeout(r, 5));
  return exit;
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
  const owner = JSON.parse(fs.readFileSync(join(out, 'lock'), 'utf8')).pid; // the command's process, which bin/ligo.js started
  assert.match(second.stderr, new RegExp(`in use by process ${owner}`));

  assert.equal((await killGroup(run)).signal, 'SIGKILL');
  assert.ok(names(out).includes('step-000006') && !names(out).includes('step-000012'), `checkpoints: ${names(out).join(', ')}`);
  assert.ok(fs.existsSync(join(out, 'lock')), 'a killed run leaves its lock behind');
  await finish(out);
  assertSameCurve(out);
  assert.deepEqual(names(out), ['step-000018', `step-0000${STEPS}`], 'leftovers of the interrupted write are removed; the newest two checkpoints are kept');
});

test('killed between checkpoints after the first one: resume reproduces the loss curve exactly', async () => {
  const out = join(tmp, 'killed-after-first');
  const run = start(out, { LIGO_TEST_PAUSE_IN_CHECKPOINT: '18' }); // never finishes on its own
  await waitFor('the first checkpoint', () => names(out).includes('step-000006'), run.exit);
  assert.equal((await killGroup(run)).signal, 'SIGKILL');
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
    assert.match(resumed.stderr, new RegExp(`^resuming at step ${step} of 24 from .*step-${String(step).padStart(6, '0')}, learning rate \\S+$`, 'm'));
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

/** Every file under `dir` with its bytes and modification time, to show a command changed none. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .map((p) => [p, `${fs.statSync(p).mtimeMs} ${fs.readFileSync(p).toString('base64')}`]),
  );
}

/** One line on stderr, exit code 2, matching `pattern` after 'ligo train: error: '. */
function assertRefused(r: Exit, pattern: string): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^ligo train: error: ${pattern}`));
}

const trainRecords = (out: string) => readRunLog(join(out, LOG_FILE)).filter((r): r is Extract<LogRecord, { type: 'train' }> => r.type === 'train');

test('resuming with changed settings is refused in one line naming every one; a lower --steps is refused; a finished run with nothing to do changes no file', async () => {
  const out = join(tmp, 'killed-after-first'); // a finished run from above
  for (const [flags, name] of [[['--batch-size', '4'], '--batch-size'], [['--lr', '0.001'], '--lr'], [['--schedule', 'cosine'], '--schedule'], [['--seq-len', '16'], '--seq-len']] as const) {
    assertRefused(await start(out, {}, [...flags]).exit, `${out} was started with ${name} \\S+, not ${flags[1]}: .*--allow-change`);
  }
  assertRefused(await start(out, {}, ['--batch-size', '4', '--lr', '0.001', '--seq-len', '16']).exit, `${out} was started with --batch-size 8, not 4, and --seq-len 32, not 16, and --lr 0.003, not 0.001: resuming with a different --batch-size, --seq-len and --lr changes the run; add --allow-change`);
  const before = snapshot(out);
  assertRefused(await start(out, {}, ['--steps', '20', '--allow-change']).exit, `${out} has already reached step 24; --steps 20 would end it before that: give --steps 24 or more`);
  for (const extra of [[], ['--lr', '0.001', '--allow-change']]) {
    const r = await start(out, {}, extra).exit;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, `nothing to do: ${out} has already reached step 24 of 24${extra.length > 0 ? ' (--lr 0.003 -> 0.001 not applied)' : ''}; raise --steps to train further; no file was changed\n`);
  }
  assert.deepEqual(snapshot(out), before, 'no file of the run changed');
});

test('a higher --steps under a decaying schedule is refused, saying how the learning rate would jump; with --allow-change it resumes at that rate; under a constant schedule it continues', async () => {
  const out = join(tmp, 'killed-after-first'); // finished at step 24 with a linear decay
  const last = trainRecords(out).at(-1)!;
  assertRefused(await start(out, {}, ['--steps', '30']).exit, `${out} was started with --steps 24, not 30: --steps 30 moves the end of its linear decay to step 30: the learning rate goes from ${last.lr.toExponential(2)} at step 24 to (\\S+) at step 25; add --allow-change`);
  const allowed = await start(out, {}, ['--steps', '30', '--allow-change']).exit;
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stderr, new RegExp(`^${out}: resuming with --steps 24 -> 30$`, 'm'));
  const next = trainRecords(out).find((r) => r.step === 25)!;
  assert.ok(next.lr > last.lr, `the stretched decay raises the rate: ${last.lr} -> ${next.lr}`);
  assert.match(allowed.stderr, new RegExp(`^resuming at step 24 of 30 from .*step-000024, learning rate ${next.lr.toExponential(2)}$`, 'm'));

  const constant = join(tmp, 'constant');
  const first = await start(constant, {}, ['--schedule', 'constant', '--steps', '12']).exit;
  assert.equal(first.code, 0, first.stderr);
  const more = await start(constant, {}, ['--steps', '18']).exit; // args() repeats the run's other flags
  assert.equal(more.code, 0, more.stderr);
  assert.match(more.stderr, new RegExp(`^resuming at step 12 of 18 from .*step-000012, learning rate 3.00e-3$`, 'm'));
  assert.deepEqual(new Set(trainRecords(constant).map((r) => r.lr).slice(2)), new Set([0.003]), 'after warmup, one rate throughout');
});

test('checkpoints deleted: refused in one line saying what was found, the log untouched; --restart deletes the log, says so and trains from step 0', async () => {
  const out = join(tmp, 'checkpoints-deleted');
  await finish(out);
  fs.rmSync(ckptRoot(out), { recursive: true });
  const before = snapshot(out);
  assertRefused(await start(out).exit, `${out}/train.jsonl records 24 steps but ${out}/checkpoints does not exist: nothing to resume from; start over with \`ligo train --out ${out} --restart\``);
  fs.mkdirSync(ckptRoot(out));
  assertRefused(await start(out, {}, ['--steps', '30']).exit, `${out}/train.jsonl records 24 steps but ${out}/checkpoints holds no complete checkpoint: `);
  fs.rmdirSync(ckptRoot(out));
  assert.deepEqual(snapshot(out), before, 'the log and run.json are untouched');
  const restarted = await start(out, {}, ['--restart']).exit;
  assert.equal(restarted.code, 0, restarted.stderr);
  assert.match(restarted.stderr, new RegExp(`^restarting ${out} from step 0: deleted ${out}/train.jsonl \\(24 steps\\)$`, 'm'));
  assertSameCurve(out);
  assert.ok(!('restart' in JSON.parse(fs.readFileSync(join(out, 'run.json'), 'utf8'))), 'run.json keeps settings, not --restart');
});

test('newest checkpoint truncated: the resume skips it, saying why, continues from the one before and reproduces the curve', async () => {
  const out = join(tmp, 'truncated');
  const run = start(out, { LIGO_TEST_PAUSE_IN_CHECKPOINT: '18' });
  await waitFor('the pause inside the step-18 checkpoint', () => pausedIn(out), run.exit);
  await killGroup(run);
  assert.deepEqual(names(out).filter((n) => n.startsWith('step-')), ['step-000006', 'step-000012']);
  const model = join(ckptRoot(out), 'step-000012', 'model.safetensors');
  fs.truncateSync(model, fs.statSync(model).size - 100);
  const r = await start(out).exit;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^skipped checkpoint ${ckptRoot(out)}/step-000012: ${model}: .*truncated.*; moved to ${ckptRoot(out)}/unusable-step-000012$`, 'm'));
  assert.match(r.stderr, new RegExp(`^resuming at step 6 of 24 from ${ckptRoot(out)}/step-000006, learning rate \\S+$`, 'm'));
  assertSameCurve(out);
  assert.deepEqual(names(out), ['step-000018', 'step-000024', 'unusable-step-000012']);
});

test('--keep-checkpoints 1 keeps only the newest, and run.json records it', async () => {
  const out = join(tmp, 'keep-one');
  const r = await start(out, {}, ['--keep-checkpoints', '1']).exit;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(out), ['step-000024']);
  assert.equal(JSON.parse(fs.readFileSync(join(out, 'run.json'), 'utf8')).keepCheckpoints, 1);
});

test('impossible settings are refused, leaving no directory behind', async () => {
  const fresh = join(tmp, 'impossible');
  const r = await start(fresh, {}, ['--warmup', '30']).exit;
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^ligo train: error: --warmup 30 is longer than the run's --steps 24/);
  assert.ok(!fs.existsSync(fresh), 'a refused run leaves no directory behind');
});

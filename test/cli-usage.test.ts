// The command line as a user meets it, end to end through bin/ligo.js: one convention for exit
// codes and streams (an unknown command is a usage error, exit 2, in one line); discoverable
// options (`ligo methods`, `ligo presets`, `ligo grow --method NAME --help`, each method's options
// from its own option list); refusals instead of quiet surprises (a growth that does not grow, a
// checkpoint path that is a file, a directory above a run) that leave no --out behind; and
// `ligo grow --method ligo` at tiny size: it learns the operator, shows its steps on stderr and
// writes the grown checkpoint with the operator's cost. The command's process asks glibc's malloc
// for huge pages (GLIBC_TUNABLES), keeping what the user set.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { modelFor, preset, presetNames, withDims } from '../src/models/index.ts';
import { getMethod, methodNames } from '../src/grow/index.ts';
import { trainWordPiece } from '../src/tokenize/index.ts';
import { loadCorpus, splitDocuments } from '../src/data/index.ts';

const ROOT = join(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-cli-usage-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function ligo(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ligo.js'), ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, LIGO_BACKEND: 'reference' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function oneLineError(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
}

// A tiny BERT with a tokenizer trained on moby-dick, as `ligo train` would leave it.
const texts = splitDocuments(loadCorpus('moby-dick')).train.map((d) => d.text);
const tokenizer = trainWordPiece(texts, { vocabSize: 300 });
const small = withDims(preset('bert-tiny', { vocab_size: 300, max_position_embeddings: 32 }), { layers: 2, hidden: 16, heads: 2, ffn: 32 });
const smallDir = join(tmp, 'small');
saveCheckpoint(smallDir, { config: small, tensors: modelFor(small).flatten(modelFor(small).initParams(small, 1)), tokenizer: tokenizer.toJSON() });

test('no command or an unknown one: exit 2; the unknown one in one line with the suggestion', () => {
  const none = ligo();
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Usage: ligo/);
  oneLineError(ligo('trian'), /^ligo: error: unknown command 'trian' \(did you mean train\?\); run `ligo --help` for usage$/);
});

test('ligo methods lists every method with its options, defaults and meaning; ligo grow --method NAME --help shows them too', () => {
  const r = ligo('methods');
  assert.equal(r.code, 0, r.stderr);
  for (const name of methodNames()) {
    assert.match(r.stdout, new RegExp(`^${name}: `, 'm'), name);
    for (const o of Object.keys(getMethod(name).options ?? {})) assert.match(r.stdout, new RegExp(`^    ${o}=\\S+ +\\S`, 'm'), `${name} ${o}`);
  }
  const one = ligo('methods', 'ligo');
  assert.match(one.stdout, /^    mode=code +'code': .*'full'/m);
  assert.match(one.stdout, /^    steps=100 +operator training steps/m);
  const help = ligo('grow', '--method', 'ligo', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Examples/m);
  assert.match(help.stdout, /^    mode=code /m);
  assert.doesNotMatch(help.stdout, /default: \[\]/);
  oneLineError(ligo('methods', 'stakbert'), /^ligo methods: error: unknown growth method 'stakbert': use one of stackbert, /);
});

test('ligo presets lists every preset with its sizes', () => {
  const r = ligo('presets');
  assert.equal(r.code, 0, r.stderr);
  for (const name of presetNames) assert.match(r.stdout, new RegExp(`^${name} +\\w+ +\\d+ +\\d+ +\\d+ +\\d+ +[\\d.]+M `, 'm'), name);
  assert.match(r.stdout, /^bert-12L-768H +bert +12 +768 +12 +3072 /m);
});

test('refusals: no larger target, a file for a directory, a directory above the checkpoints; nothing left in --out', () => {
  const out = join(tmp, 'refused');
  oneLineError(ligo('grow', '--from', smallDir, '--method', 'stackbert', '--out', out), /^ligo grow: error: the target 2L-16H-2A-32F is the small model's own size: give a larger one with --to .* --layers/);
  oneLineError(ligo('grow', '--from', join(smallDir, 'config.json'), '--method', 'stackbert', '--layers', '4', '--out', out), new RegExp(`is a file; a checkpoint is a directory: did you mean ${smallDir}\\?$`));
  oneLineError(ligo('inspect', tmp), new RegExp(`^ligo inspect: error: ${tmp} is neither a checkpoint .*: did you mean ${smallDir}\\?$`));
  oneLineError(ligo('grow', '--from', smallDir, '--method', 'ligo', '--layers', '4', '--out', out), /give --data/);
  assert.ok(!fs.existsSync(out), 'no --out directory left behind');
  const widthMethods = methodNames().filter((n) => getMethod(n).grows.width);
  const depthOnly = ligo('grow', '--from', smallDir, '--method', 'stackbert', '--hidden', '32', '--out', out);
  assert.equal(depthOnly.code, 2);
  assert.match(depthOnly.stderr, new RegExp(`use a width method \\(${widthMethods.join(', ')};`));
  assert.ok(!fs.existsSync(out));
});

test('ligo grow --method ligo at tiny size: learns the operator with progress on stderr, summary on stdout', () => {
  const out = join(tmp, 'grown-ligo');
  const r = ligo('grow', '--from', smallDir, '--method', 'ligo', '--layers', '4', '--hidden', '32', '--heads', '4', '--ffn', '64', '--data', 'moby-dick', '--batch-size', '2', '--seq-len', '16', '--option', 'steps=4', '--option', 'mode=full', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^growing bert 2L-16H-2A-32F into 4L-32H-4A-64F with ligo on moby-dick: 4 operator steps$/m);
  assert.match(r.stderr, /^growing: step 4\/4 loss \d+\.\d{4}( \d+\.\d (steps\/s|s\/step) eta \S+)?$/m); // a rate and ETA once the steps have taken a second
  assert.match(r.stdout, /^grew bert 2L-16H-2A-32F .* into 4L-32H-4A-64F .* with ligo, seed 0/m);
  assert.match(r.stdout, /^operator cost: 4 steps, /m);
  const record = JSON.parse(fs.readFileSync(join(out, 'grow.json'), 'utf8')) as { method: string; options: Record<string, unknown>; optionsGiven: Record<string, unknown> };
  assert.equal(record.method, 'ligo');
  assert.deepEqual(record.optionsGiven, { steps: 4, mode: 'full' }, 'the options as typed');
  const defaults = Object.fromEntries(Object.entries(getMethod('ligo').options ?? {}).map(([k, o]) => [k, o.default]));
  assert.deepEqual(record.options, { ...defaults, steps: 4, mode: 'full' }, 'every option as the operator ran, defaults filled');
  const inspect = ligo('inspect', out);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.match(inspect.stdout, /^lineage +grown-ligo: grown by ligo from small on moby-dick \(batch 2, sequence 16\), seed 0 with steps=4 mode="full", \d+ more at their defaults .*cost 4 operator steps, /m);
});

test("the command's process gets glibc.malloc.hugetlb=1 added to GLIBC_TUNABLES, unless the user set hugetlb or LIGO_HUGE_PAGES=0", () => {
  // A preload that bin/ligo.js passes on to the command's process (execArgv): there it prints the variable.
  const preload = join(tmp, 'print-tunables.mjs');
  fs.writeFileSync(preload, "if (process.env.LIGO_SUPERVISOR) process.stderr.write(`tunables=${process.env.GLIBC_TUNABLES ?? '(unset)'}\\n`);\n");
  const seen = (env: Record<string, string | undefined>) => {
    const { GLIBC_TUNABLES: _t, LIGO_HUGE_PAGES: _h, ...rest } = process.env;
    const r = spawnSync(process.execPath, ['--import', preload, join(ROOT, 'bin', 'ligo.js'), 'backend'], { cwd: tmp, encoding: 'utf8', env: { ...rest, LIGO_BACKEND: 'reference', ...env } as NodeJS.ProcessEnv });
    assert.equal(r.status, 0, r.stderr);
    return /tunables=(.*)/.exec(r.stderr)?.[1];
  };
  assert.equal(seen({}), 'glibc.malloc.hugetlb=1');
  assert.equal(seen({ GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' }), 'glibc.malloc.tcache_count=0:glibc.malloc.hugetlb=1');
  assert.equal(seen({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }), 'glibc.malloc.hugetlb=0');
  assert.equal(seen({ LIGO_HUGE_PAGES: '0' }), '(unset)');
});

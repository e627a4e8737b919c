// `ligo grow` end to end: spawns `node bin/ligo.js grow ...` on tiny checkpoints written to a
// temp dir; checks what is written (weights, config, copied tokenizer, grow.json, MSG masks,
// LiGO's learned operator), the stacking it did, LiGO's operator rebuilding the grown weights and
// its charged cost, and the refusals: one line on stderr, exit code 2.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../src/io/checkpoint.ts';
import { configFromJSON, modelFor, preset, withDims, type ModelConfig, type Qwen2Config } from '../src/models/index.ts';
import { trainByteLevelBPE, trainWordPiece } from '../src/tokenize/index.ts';
import { loadGrowSchedule } from '../src/grow/index.ts';
import { LIGO_OPERATOR_FILE, layoutFor, learnLigo, ligoCostFlops, materialise, prepareSmall, readLigoOperator } from '../src/grow/ligo/ligo.ts';
import { withBackend } from '../src/tensor/index.ts';
import { assertClose } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-grow-cli-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function writeSmall(name: string, config: ModelConfig, tokenizer?: unknown): string {
  const dir = join(tmp, name);
  const model = modelFor(config);
  saveCheckpoint(dir, { config, tensors: model.flatten(model.initParams(config, 1)), ...(tokenizer ? { tokenizer } : {}) });
  return dir;
}

const tokenizer = trainWordPiece(['the cat sat on the mat', 'a dog and a cat', 'the mat is red'], { vocabSize: 40, minFrequency: 1 }).toJSON();
const bertConfig = withDims(preset('bert-tiny', { vocab_size: 48, max_position_embeddings: 20 }), { layers: 2, hidden: 32, heads: 2, ffn: 64 });
const bertDir = writeSmall('bert', bertConfig, tokenizer);
const gpt2Dir = writeSmall('gpt2', withDims(preset('gpt2-tiny', { vocab_size: 48, n_positions: 16, bos_token_id: 47, eos_token_id: 47 }), { layers: 2, hidden: 32, heads: 2, ffn: 64 }));

function ligo(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ligo.js'), 'grow', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', LIGO_BACKEND: 'reference' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const out = (name: string) => join(tmp, 'out', name);

test('stackbert: writes the grown checkpoint, copies the tokenizer, records the method', () => {
  const r = ligo('--from', bertDir, '--method', 'stackbert', '--layers', '4', '--seed', '3', '--out', out('stack'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /grew bert 2L-32H-2A-64F .* into 4L-32H-2A-64F .* with stackbert, seed 3/);
  assert.match(r.stdout, /wrote .*: model\.safetensors, config\.json, tokenizer\.json, grow\.json/);
  const grown = loadCheckpoint(out('stack'));
  assert.equal(configFromJSON(grown.config).model_type, 'bert');
  assert.equal((grown.config as { num_hidden_layers: number }).num_hidden_layers, 4);
  assert.deepEqual(grown.tokenizer, tokenizer);
  const small = loadCheckpoint(bertDir);
  const key = (l: number) => `bert.encoder.layer.${l}.intermediate.dense.weight`;
  assert.deepEqual(grown.tensors.get(key(2))!.f, small.tensors.get(key(0))!.f);
  assert.deepEqual(grown.tensors.get(key(3))!.f, small.tensors.get(key(1))!.f);
  const record = JSON.parse(fs.readFileSync(join(out('stack'), 'grow.json'), 'utf8'));
  assert.equal(record.method, 'stackbert');
  assert.equal(record.seed, 3);
});

test('a preset as --to gives its sizes to the small config; msg writes its masks and schedule', () => {
  const r = ligo('--from', gpt2Dir, '--to', 'gpt2-tiny', '--method', 'msg', '--layers', '3', '--hidden', '64', '--heads', '4', '--ffn', '128', '--option', 'rampSteps=20', '--out', out('msg'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ramped 0 -> 1 over 20 steps \(grow-masks\.safetensors\)/);
  const config = loadCheckpoint(out('msg')).config as { n_layer: number; n_embd: number; vocab_size: number };
  assert.deepEqual([config.n_layer, config.n_embd, config.vocab_size], [3, 64, 48]);
  const schedule = loadGrowSchedule(out('msg'))!;
  assert.equal(schedule.maskRamp!.steps, 20);
  assert.deepEqual(schedule.maskRamp!.masks.get('transformer.h.1.mlp.c_fc.weight')!.shape, [64, 128]);
});

function refused(args: string[], pattern: RegExp): void {
  const r = ligo(...args);
  assert.equal(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
}

test('refusals: one line on stderr, exit code 2', () => {
  refused(['--from', bertDir, '--method', 'stackbert', '--layers', '1', '--out', out('r1')], /^ligo grow: error: cannot shrink num_hidden_layers from 2 to 1: growth only grows/);
  refused(['--from', bertDir, '--method', 'stackbert', '--to', 'bert-4L-256H', '--out', out('r2')], /stackbert grows depth only, but hidden_size changes 32 -> 256/);
  refused(['--from', bertDir, '--method', 'net2net', '--to', 'gpt2-tiny', '--out', out('r3')], /--to gpt2-tiny is a gpt2 preset but the small model is bert/);
  const roberta = join(tmp, 'roberta.json');
  fs.writeFileSync(roberta, JSON.stringify(withDims(preset('roberta-tiny', { vocab_size: 48 }), { layers: 4, hidden: 32, heads: 2, ffn: 64 })));
  refused(['--from', bertDir, '--method', 'stackbert', '--to', roberta, '--out', out('r4')], /cannot grow bert into roberta/);
  refused(['--from', bertDir, '--method', 'net2net', '--hidden', '48', '--heads', '5', '--out', out('r5')], /hidden_size 48 is not divisible by num_attention_heads 5/);
  refused(['--from', bertDir, '--method', 'grow-it', '--layers', '4', '--out', out('r6')], /unknown growth method 'grow-it': use one of .*stackbert/);
  refused(['--from', bertDir, '--method', 'ligo', '--layers', '4', '--out', out('r7')], /--method ligo learns from the large model's loss: give --data/);
  refused(['--from', join(tmp, 'nowhere'), '--method', 'stackbert', '--out', out('r8')], /checkpoint directory not found/);
  refused(['--from', bertDir, '--method', 'stackbert', '--layers', 'x', '--out', out('r9')], /--layers.*must be an integer/);
  refused(['--from', bertDir, '--method', 'mslt', '--layers', '3', '--option', 'freezeSteps', '--out', out('r10')], /--option freezeSteps: expected key=value/);
  refused(['--from', bertDir, '--method', 'stackbert', '--layers', '3', '--out', out('stack')], /already holds a checkpoint/);
});

test('ligo: learns its operator on the data for the given steps, saves it, and the saved operator rebuilds the grown weights', () => {
  const r = ligo('--from', bertDir, '--method', 'ligo', '--layers', '3', '--hidden', '48', '--heads', '3', '--ffn', '96', '--data', 'moby-dick', '--batch-size', '4', '--seq-len', '16', '--option', 'steps=3', '--out', out('ligo'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /into 3L-48H-3A-96F .* with ligo, seed 0/);
  assert.match(r.stdout, /wrote .*: model\.safetensors, config\.json, tokenizer\.json, ligo-operator\.safetensors, grow\.json/);
  const grown = loadCheckpoint(out('ligo'));
  const largeConfig = configFromJSON(grown.config);
  const op = readLigoOperator(join(out('ligo'), LIGO_OPERATOR_FILE));
  assert.deepEqual(op.largeConfig, largeConfig);
  const layout = layoutFor(bertConfig, largeConfig, op.settings);
  const small = loadCheckpoint(bertDir).tensors;
  withBackend('reference', () => {
    const rebuilt = materialise(layout, op, prepareSmall(layout, small, bertConfig));
    for (const [k, t] of grown.tensors) assertClose(rebuilt.get(k)!.f, t.f, 1e-6, k);
    // The three steps moved the operator away from its initialisation.
    const init = learnLigo(small, bertConfig, largeConfig, { seed: 0, options: { steps: 0 } }).operator;
    const moved = Object.entries(op.params).filter(([k, t]) => t.f.some((x, i) => x !== init.params[k]!.f[i]));
    assert.ok(moved.length > 0, 'the learned operator differs from its initialisation');
  });
  const record = JSON.parse(fs.readFileSync(join(out('ligo'), 'grow.json'), 'utf8'));
  assert.equal(record.method, 'ligo');
  assert.equal(record.cost.operatorSteps, 3);
  const flops = ligoCostFlops(layout, largeConfig, Array.from({ length: 3 }, () => ({ batchSize: 4, seqLen: 16 })));
  assert.deepEqual({ flopsElectra: record.cost.flopsElectra, flopsSixN: record.cost.flopsSixN }, flops, 'the operator steps are charged at the batch shape given');
  assert.deepEqual([record.data, record.batchSize, record.seqLen, record.optionsGiven.steps, record.options.steps, record.options.lr], ['moby-dick', 4, 16, 3, 3, 1e-3], 'what the operator learned on, every option resolved');
});

test('a learning method is checked before any data work: a bad --option on own data not yet tokenised leaves no token cache', () => {
  const corpus = join(tmp, 'corpus.txt');
  fs.writeFileSync(corpus, 'the cat sat on the mat\n\na dog and a cat\n\nthe mat is red\n');
  const cache = join(tmp, 'token-cache-never');
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ligo.js'), 'grow', '--from', bertDir, '--method', 'ligo', '--layers', '3', '--data', corpus, '--option', 'stpes=3', '--out', out('bad-option')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', LIGO_BACKEND: 'reference', LIGO_TOKEN_CACHE: cache } });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^ligo grow: error: ligo: unknown option 'stpes'; known options: .*steps/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(!fs.existsSync(cache), 'nothing was tokenised into the token cache');
  assert.ok(!fs.existsSync(out('bad-option')), 'no --out directory');
});

test('qwen2 end to end: hypercloning with --kv-heads, block expansion and ligo grow a Qwen2ForCausalLM checkpoint, its q/k/v biases with their heads', () => {
  const bpe = trainByteLevelBPE(['the cat sat on the mat', 'a dog and a cat', 'the mat is red'], { vocabSize: 270, minFrequency: 1 });
  const eos = bpe.special.eos!;
  const config = withDims(preset<Qwen2Config>('qwen2-tiny', { vocab_size: bpe.vocabSize, max_position_embeddings: 32, bos_token_id: eos, eos_token_id: eos }), { layers: 2, hidden: 32, heads: 4, ffn: 64 }); // 4 heads of 8 over 2
  const dir = writeSmall('qwen2', config, bpe.toJSON());
  const grownConfig = (name: string) => configFromJSON(loadCheckpoint(out(name)).config) as Qwen2Config;

  const cloned = ligo('--from', dir, '--method', 'hypercloning', '--hidden', '64', '--heads', '8', '--kv-heads', '8', '--out', out('qwen2-cloned'));
  assert.equal(cloned.code, 0, cloned.stderr);
  const c = grownConfig('qwen2-cloned');
  assert.deepEqual([c.model_type, c.architectures[0], c.hidden_size, c.num_attention_heads, c.num_key_value_heads, c.head_dim], ['qwen2', 'Qwen2ForCausalLM', 64, 8, 8, 8]);
  const tensors = loadCheckpoint(out('qwen2-cloned')).tensors;
  assert.deepEqual(['q_proj', 'k_proj', 'v_proj'].map((m) => tensors.get(`model.layers.1.self_attn.${m}.bias`)!.shape), [[64], [64], [64]], 'the q/k/v biases at the grown widths');
  assert.ok(![...tensors.keys()].some((k) => k.endsWith('o_proj.bias')), 'no o_proj bias (Qwen2)');

  const expanded = ligo('--from', dir, '--method', 'block-expansion', '--layers', '4', '--out', out('qwen2-expanded'));
  assert.equal(expanded.code, 0, expanded.stderr);
  assert.equal(grownConfig('qwen2-expanded').num_hidden_layers, 4);

  const learned = ligo('--from', dir, '--method', 'ligo', '--layers', '3', '--hidden', '48', '--heads', '6', '--data', 'moby-dick', '--batch-size', '2', '--seq-len', '16', '--option', 'steps=2', '--out', out('qwen2-ligo'));
  assert.equal(learned.code, 0, learned.stderr);
  assert.match(learned.stdout, /grew qwen2 2L-32H-4A-64F .* into 3L-48H-6A-64F .* with ligo/);
  assert.deepEqual([grownConfig('qwen2-ligo').num_key_value_heads, loadCheckpoint(out('qwen2-ligo')).tensors.get('model.layers.2.self_attn.k_proj.bias')!.shape], [3, [24]], 'two query heads per key/value head kept; the new layer has its biases');

  refused(['--from', dir, '--method', 'net2net', '--hidden', '64', '--out', out('qwen2-wider-heads')], /qwen2 width growth keeps head_dim .*: set the large num_attention_heads to 8 for head_dim 8/);
});

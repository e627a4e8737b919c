// The models against reference logits from scripts/make_model_fixtures.py (plain-PyTorch
// re-implementations of HF's BertForMaskedLM, RobertaForMaskedLM, BertForSequenceClassification,
// RobertaForSequenceClassification, GPT2LMHeadModel, ViTForImageClassification,
// DeiTForImageClassificationWithTeacher, LlamaForCausalLM with grouped-query attention and with
// tied embeddings and biases, Qwen2ForCausalLM untied and tied), plus config validation, checkpoint loading rules
// (including a masked-LM checkpoint under a fresh classification head), HF init statistics,
// dropout determinism and gradient flow.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../src/tensor/index.ts';
import { Rng, Tensor, valueAndGrad } from '../src/tensor/index.ts';
import { CheckpointError, ConfigError, bertHead, configFromJSON, labelNames, modelFor, outputClasses, preset, presetNames, sequenceClassificationConfig, specEntries, validateConfig, type Batch, type BertConfig, type GPT2Config, type LlamaConfig, type ModelConfig, type Qwen2Config, type TextBatch, type ViTConfig } from '../src/models/index.ts';
import { assertClose } from './helpers.ts';
import { loadFixture } from './model-fixtures.ts';

const families = ['bert', 'roberta', 'gpt2', 'vit', 'deit', 'llama', 'qwen2'];
const fixtures = [...families, 'bert-cls', 'roberta-cls', 'llama-tied', 'qwen2-tied', 'llama-rope3'];

for (const name of fixtures) {
  test(`${name}: logits and loss match the PyTorch reference`, () => {
    const f = loadFixture(name);
    const { params, unexpectedKeys } = f.model.paramsFromFlat(f.config, f.flat);
    assert.deepEqual(unexpectedKeys, []);
    const logits = f.model.forward(params, f.config, f.batch);
    assert.deepEqual(logits.shape, f.logits.shape);
    assertClose(logits.f, f.logits.logits, 1e-4, `${name} logits`);
    assertClose([f.model.loss(params, f.config, f.batch).item()], [f.logits.loss], 1e-4, `${name} loss`);
  });
}

test('flatten gives the checkpoint keys back, tied weights once', () => {
  for (const name of fixtures) {
    const f = loadFixture(name);
    const flat = f.model.flatten(f.model.paramsFromFlat(f.config, f.flat).params);
    assert.deepEqual(flat.map(([k]) => k).sort(), [...f.flat.keys()].sort(), name);
    assert.deepEqual(flat.map(([k]) => k), specEntries(f.model.paramSpec(f.config)).map((e) => e.key), name);
  }
});

// ---- checkpoint loading rules -----------------------------------------------------------------

test('tied keys: accepted with or without them, rejected when they differ', () => {
  const f = loadFixture('bert');
  const wordKey = 'bert.embeddings.word_embeddings.weight';
  const word = f.flat.get(wordKey)!;
  const withTied = new Map(f.flat);
  withTied.set('cls.predictions.decoder.weight', T.tensor(word.f, word.shape));
  withTied.set('cls.predictions.decoder.bias', f.flat.get('cls.predictions.bias')!);
  const { params, unexpectedKeys } = f.model.paramsFromFlat(f.config, withTied);
  assert.deepEqual(unexpectedKeys, []);
  assertClose(f.model.forward(params, f.config, f.batch).f, f.logits.logits, 1e-4, 'bert logits with tied keys');

  const aliasOnly = new Map(withTied);
  aliasOnly.delete(wordKey);
  const fromAlias = f.model.paramsFromFlat(f.config, aliasOnly).params;
  assertClose(f.model.forward(fromAlias, f.config, f.batch).f, f.logits.logits, 1e-4, 'bert logits from the decoder key');

  const changed = T.tensor(word.f, word.shape);
  changed.f[3] += 1;
  withTied.set('cls.predictions.decoder.weight', changed);
  assert.throws(() => f.model.paramsFromFlat(f.config, withTied), /cls\.predictions\.decoder\.weight differs from bert\.embeddings\.word_embeddings\.weight/);
});

test('GPT-2: lm_head.weight and the attn.bias buffers of HF checkpoints are accepted', () => {
  const f = loadFixture('gpt2');
  const flat = new Map(f.flat);
  flat.set('lm_head.weight', f.flat.get('transformer.wte.weight')!);
  flat.set('transformer.h.0.attn.bias', T.zeros([1, 1, 12, 12]));
  flat.set('transformer.h.1.attn.masked_bias', T.zeros([]));
  assert.deepEqual(f.model.paramsFromFlat(f.config, flat).unexpectedKeys, []);
});

test('paramsFromFlat: missing and mis-shaped keys are rejected by name, extra keys reported', () => {
  const f = loadFixture('vit');
  const missing = new Map(f.flat);
  missing.delete('vit.encoder.layer.1.output.dense.weight');
  assert.throws(() => f.model.paramsFromFlat(f.config, missing), (e: Error) => e instanceof CheckpointError && /missing key vit\.encoder\.layer\.1\.output\.dense\.weight \(expected \[32, 40\]\)/.test(e.message));
  const misshaped = new Map(f.flat);
  misshaped.set('classifier.weight', T.zeros([7, 32]));
  assert.throws(() => f.model.paramsFromFlat(f.config, misshaped), /key classifier\.weight has shape \[7, 32\], expected \[5, 32\]/);
  const extra = new Map(f.flat);
  extra.set('vit.extra.weight', T.zeros([2]));
  extra.set('vit.pooler.dense.weight', T.zeros([32, 32]));
  assert.deepEqual(f.model.paramsFromFlat(f.config, extra).unexpectedKeys, ['vit.extra.weight']);
  const bertFixture = loadFixture('bert');
  assert.throws(() => f.model.paramsFromFlat(f.config, bertFixture.flat), /missing key vit\.embeddings\.cls_token/);
});

test('sequence classification from a masked-LM checkpoint: encoder carried over, head fresh and seeded, MLM head unexpected', () => {
  for (const name of ['bert', 'roberta'] as const) {
    const mlm = loadFixture(name);
    const config = sequenceClassificationConfig(mlm.config as BertConfig, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(bertHead(config), 'sequence-classification');
    assert.deepEqual(config.architectures, [name === 'bert' ? 'BertForSequenceClassification' : 'RobertaForSequenceClassification']);
    assert.equal(outputClasses(config), 5);
    const model = modelFor(config);
    const { params, unexpectedKeys, initializedKeys } = model.paramsFromFlat(config, mlm.flat, { seed: 4 });
    const mlmHead = [...mlm.flat.keys()].filter((k) => !k.startsWith(`${name}.`)).sort();
    assert.ok(mlmHead.length > 0 && mlmHead.every((k) => k.startsWith(name === 'bert' ? 'cls.predictions.' : 'lm_head.')), mlmHead.join());
    assert.deepEqual(unexpectedKeys, mlmHead);
    const head = name === 'bert' ? ['bert.pooler.dense.weight', 'bert.pooler.dense.bias', 'classifier.weight', 'classifier.bias'] : ['classifier.dense.weight', 'classifier.dense.bias', 'classifier.out_proj.weight', 'classifier.out_proj.bias'];
    assert.deepEqual(initializedKeys, head);
    const flat = new Map(model.flatten(params));
    for (const [k, t] of mlm.flat) if (k.startsWith(`${name}.`)) assert.equal(flat.get(k), t, `${k} is the checkpoint's tensor`);
    const w = flat.get(head[2]!)!;
    assert.deepEqual(w.shape, [5, 32]);
    assert.ok(Math.abs(std(w) - 0.02) < 0.01 && flat.get(head[3]!)!.f.every((v) => v === 0), 'HF init: normal(0, initializer_range), zero bias');
    const again = new Map(model.flatten(model.paramsFromFlat(config, mlm.flat, { seed: 4 }).params));
    const other = new Map(model.flatten(model.paramsFromFlat(config, mlm.flat, { seed: 5 }).params));
    assert.deepEqual(again.get(head[2]!)!.f, w.f);
    assert.notDeepEqual(other.get(head[2]!)!.f, w.f);
    const batch = { ...(mlm.batch as TextBatch), labels: T.tensor([4, 0], [2], 'int32') };
    assert.deepEqual(model.forward(params, config, batch).shape, [2, 5]);
    assert.ok(Number.isFinite(model.loss(params, config, batch).item()));
    // The head the classifier was saved with loads back without fresh keys; an MLM config refuses it.
    const saved = model.paramsFromFlat(config, flat);
    assert.deepEqual([saved.unexpectedKeys, saved.initializedKeys], [[], []]);
    assert.throws(() => mlm.model.paramsFromFlat(mlm.config, flat), /missing key (cls\.predictions|lm_head)\./);
  }
});

test('sequence classification configs: id2label / num_labels as HF has them, checked', () => {
  const f = loadFixture('bert-cls');
  const c = f.config as BertConfig;
  assert.equal(c.num_labels, 3, 'num_labels derived from id2label');
  assert.deepEqual(labelNames(c), ['adventure', 'fiction', 'news']);
  const bert = preset<BertConfig>('bert-tiny');
  assert.equal(bertHead(bert), 'masked-lm');
  const cls = { ...bert, architectures: ['BertForSequenceClassification'] };
  assert.equal(outputClasses({ ...cls, num_labels: undefined }), 2, 'HF default: 2 labels');
  assert.throws(() => validateConfig({ ...cls, num_labels: 1 }), /regression, num_labels 1, is not supported/);
  assert.throws(() => validateConfig({ ...cls, num_labels: 3, id2label: { 0: 'a', 1: 'b' } }), /id2label has 2 labels but num_labels is 3/);
  assert.throws(() => validateConfig({ ...cls, problem_type: 'multi_label_classification' }), /problem_type 'multi_label_classification' is not supported/);
  assert.throws(() => validateConfig({ ...bert, architectures: ['RobertaForSequenceClassification'] }), (e: Error) => e instanceof ConfigError && /architectures names RobertaForSequenceClassification, which is not a bert model: use BertForSequenceClassification/.test(e.message));
  const m = modelFor(f.config);
  const params = m.paramsFromFlat(f.config, f.flat).params;
  assert.throws(() => m.loss(params, f.config, { ...(f.batch as TextBatch), labels: T.zeros([3, 8], 'int32') }), /batch\.labels: must be int32 \[3\]/);
});

// ---- configs ------------------------------------------------------------------------------------

test('configs: validation says what to change', () => {
  const bert = preset<BertConfig>('bert-tiny');
  assert.throws(() => validateConfig({ ...bert, hidden_size: 100, num_attention_heads: 3 }), (e: Error) => e instanceof ConfigError && /hidden_size 100 is not divisible by num_attention_heads 3: change num_attention_heads to a divisor of 100 \(e\.g\. 4\)/.test(e.message));
  assert.throws(() => validateConfig({ ...bert, num_hidden_layers: -2 }), /num_hidden_layers must be a positive integer, got -2/);
  assert.throws(() => validateConfig({ ...bert, hidden_dropout_prob: 1.5 }), /hidden_dropout_prob must be a probability/);
  assert.throws(() => validateConfig({ ...bert, hidden_act: 'swish' as never }), /hidden_act 'swish' is not supported: use one of gelu, gelu_new/);
  assert.throws(() => preset<GPT2Config>('gpt2-tiny', { n_embd: 129 }), /n_embd 129 is not divisible by n_head 2/);
  assert.throws(() => preset<ViTConfig>('vit-tiny', { patch_size: 5 }), /image_size 32 is not a multiple of patch_size 5/);
  assert.throws(() => preset('bert-huge'), (e: Error) => /unknown preset 'bert-huge': use one of bert-tiny, .*gpt2-medium, .*deit-base/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => configFromJSON({ model_type: 'mistral' }), /unknown model_type 'mistral': use one of bert, roberta, gpt2, vit, deit, llama, qwen2/);
});

test('Llama: an untied lm_head is required, a tied one optional; the old rotary buffer is skipped', () => {
  const untied = loadFixture('llama');
  const missing = new Map(untied.flat);
  missing.delete('lm_head.weight');
  assert.throws(() => untied.model.paramsFromFlat(untied.config, missing), /missing key lm_head\.weight \(expected \[48, 32\]\)/);
  const tied = loadFixture('llama-tied');
  assert.ok(!tied.flat.has('lm_head.weight'), 'save_pretrained leaves the tied lm_head out');
  const flat = new Map(tied.flat);
  flat.set('lm_head.weight', tied.flat.get('model.embed_tokens.weight')!);
  flat.set('model.layers.0.self_attn.rotary_emb.inv_freq', T.zeros([8]));
  assert.deepEqual(tied.model.paramsFromFlat(tied.config, flat).unexpectedKeys, []);
});

test('Llama and Qwen2 configs: HF defaults (key/value heads, head_dim) and one-line refusals of what is not implemented', () => {
  const c = configFromJSON({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4 }) as LlamaConfig;
  assert.deepEqual([c.num_key_value_heads, c.head_dim, c.tie_word_embeddings, c.rms_norm_eps, c.rope_theta], [4, 16, false, 1e-6, 10000]);
  const q = configFromJSON({ model_type: 'qwen2', hidden_size: 64, num_attention_heads: 4, sliding_window: 131072 }) as Qwen2Config;
  assert.deepEqual([q.num_key_value_heads, q.head_dim, q.tie_word_embeddings, q.rms_norm_eps, q.rope_theta, q.max_position_embeddings, q.vocab_size], [4, 16, false, 1e-6, 10000, 32768, 151936]);
  assert.equal(q.sliding_window, null, 'as Qwen2Config.__init__: no window without use_sliding_window');
  assert.equal((configFromJSON({ model_type: 'qwen2', hidden_size: 64, num_attention_heads: 4, head_dim: 8 }) as Qwen2Config).head_dim, 8, 'a given head_dim is kept');
  assert.ok(!('layer_types' in configFromJSON({ model_type: 'qwen2', num_hidden_layers: 2, layer_types: ['full_attention', 'full_attention'] })), "layer_types left out (HF derives it; a grown model's would be stale)");
  // transformers v5's rope_parameters in place of rope_theta and rope_scaling (read into them, written back so).
  const v5 = configFromJSON({ model_type: 'qwen2', hidden_size: 64, num_attention_heads: 4, rope_parameters: { rope_type: 'default', rope_theta: 1000000 } }) as Qwen2Config;
  assert.deepEqual([v5.rope_theta, v5.rope_scaling, 'rope_parameters' in v5], [1000000, null, false]);
  assert.equal((configFromJSON({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4, rope_theta: 500000, rope_parameters: { rope_theta: 500000 } }) as LlamaConfig).rope_theta, 500000, 'both, agreeing');
  assert.equal((configFromJSON({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4, rope_parameters: { rope_type: 'default' } }) as LlamaConfig).rope_theta, 10000, "rope_type only: HF's default theta");
  // Llama 3.1's rope scaling, as v4 and v5 files write it (and with the older `type` key).
  const llama3 = { factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
  const scaled = configFromJSON({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4, rope_parameters: { rope_type: 'llama3', rope_theta: 500000, ...llama3 } }) as LlamaConfig;
  assert.deepEqual([scaled.rope_theta, scaled.rope_scaling], [500000, { rope_type: 'llama3', ...llama3 }]);
  assert.deepEqual((configFromJSON({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4, rope_scaling: { type: 'llama3', ...llama3 } }) as LlamaConfig).rope_scaling, { type: 'llama3', ...llama3 });
  const ropeBad: [Record<string, unknown>, RegExp][] = [
    [{ rope_parameters: { rope_type: 'yarn', rope_theta: 500000, factor: 8 } }, /^llama config: rope_scaling \{"rope_type":"yarn","factor":8\} is not supported: only plain rotary embeddings \(rope_scaling null, rope_type 'default'\) and Llama 3\.1's rope_type 'llama3' are implemented$/],
    [{ rope_parameters: { rope_type: 'default', rope_theta: 10000, partial_rotary_factor: 0.5 } }, /rope_scaling \{"rope_type":"default","partial_rotary_factor":0\.5\} is not supported/],
    [{ rope_scaling: { rope_type: 'llama3', ...llama3, factor: 0 } }, /rope_scaling .*: factor must be a positive number$/],
    [{ rope_scaling: { rope_type: 'llama3', ...llama3, high_freq_factor: 1 } }, /rope_scaling .*: high_freq_factor must be greater than low_freq_factor$/],
    [{ rope_scaling: { rope_type: 'llama3', ...llama3, original_max_position_embeddings: 8192.5 } }, /original_max_position_embeddings must be an integer$/],
    [{ rope_scaling: { rope_type: 'llama3', ...llama3, beta_fast: 32 } }, /rope_scaling .*: 'llama3' takes factor, low_freq_factor, high_freq_factor, original_max_position_embeddings, not beta_fast$/],
    [{ rope_theta: 10000, rope_parameters: { rope_theta: 20000 } }, /disagrees with rope_theta 10000: keep one of them$/],
    [{ rope_parameters: 'default' }, /must be an object/],
  ];
  for (const [fields, message] of ropeBad) assert.throws(() => configFromJSON({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4, ...fields }), (e: Error) => e instanceof ConfigError && message.test(e.message) && !e.message.includes('\n'));
  const qwenBad: [Partial<Qwen2Config>, RegExp][] = [
    [{ use_sliding_window: true }, /^qwen2 config: use_sliding_window true is not supported: only full attention is implemented; set it to false$/],
    [{ rope_scaling: { type: 'yarn', factor: 4 } as unknown as null }, /^qwen2 config: rope_scaling \{"type":"yarn","factor":4\} is not supported/],
    [{ num_key_value_heads: 3 }, /num_attention_heads 4 is not a multiple of num_key_value_heads 3/],
    [{ layer_types: ['full_attention', 'sliding_attention'] } as Partial<Qwen2Config>, /^qwen2 config: layer_types .* is not supported: only full attention is implemented/],
  ];
  for (const [fields, message] of qwenBad) assert.throws(() => configFromJSON({ model_type: 'qwen2', hidden_size: 64, num_attention_heads: 4, ...fields }), (e: Error) => e instanceof ConfigError && message.test(e.message) && !e.message.includes('\n'));
  const bad: [Partial<LlamaConfig>, RegExp][] = [
    [{ num_key_value_heads: 3 }, /num_attention_heads 4 is not a multiple of num_key_value_heads 3/],
    [{ head_dim: 7 }, /head_dim 7 is odd: rotary embeddings rotate pairs/],
    [{ rope_scaling: { rope_type: 'linear', factor: 2 } as unknown as null }, /rope_scaling .* is not supported/],
    [{ hidden_act: 'gelu' as 'silu' }, /hidden_act 'gelu' is not supported/],
    [{ attention_dropout: 0.1 }, /attention_dropout 0\.1 is not supported/],
  ];
  for (const [fields, message] of bad) assert.throws(() => configFromJSON({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4, ...fields }), (e: Error) => e instanceof ConfigError && message.test(e.message) && !e.message.includes('\n'));
});

test('configs: HF defaults fill what config.json leaves out', () => {
  const roberta = configFromJSON({ model_type: 'roberta', hidden_size: 64, num_attention_heads: 4 }) as BertConfig;
  assert.equal(roberta.pad_token_id, 1);
  assert.equal(roberta.vocab_size, 50265);
  assert.equal(roberta.layer_norm_eps, 1e-12);
  const vit = configFromJSON({ model_type: 'vit', id2label: { 0: 'a', 1: 'b', 2: 'c' }, transformers_version: '4.40.0' }) as ViTConfig & { transformers_version: string };
  assert.equal(vit.num_labels, 3);
  assert.equal(vit.transformers_version, '4.40.0');
  const bf16 = configFromJSON({ model_type: 'llama', torch_dtype: 'bfloat16', dtype: 'bfloat16' }) as LlamaConfig & { torch_dtype: string; dtype: string };
  assert.deepEqual([bf16.torch_dtype, bf16.dtype], ['float32', 'float32'], 'the weights are read and written as float32, so the config says so');
  assert.ok(!('torch_dtype' in configFromJSON({ model_type: 'llama' })), 'and adds no dtype a file did not name');
  assert.equal((configFromJSON({ model_type: 'gpt2', n_ctx: 256 }) as GPT2Config).n_positions, 256);
});

test('presets: all valid; parameter counts of the HF originals', () => {
  for (const name of presetNames) validateConfig(preset(name));
  const count = (c: ModelConfig) => specEntries(modelFor(c).paramSpec(c)).reduce((n, e) => n + e.spec.shape.reduce((a, b) => a * b, 1), 0);
  assert.equal(count(preset<GPT2Config>('gpt2', { vocab_size: 50257 })), 124_439_808); // HF gpt2
  assert.equal(count(preset<BertConfig>('bert-12L-768H', { vocab_size: 30522 })), 109_514_298); // bert-base-uncased MLM
  assert.equal(count(preset('deit-small')), 22_050_664); // DeiT-S
  assert.equal(count(preset<LlamaConfig>('smollm-135m', { vocab_size: 49152 })), 134_515_008); // HuggingFaceTB/SmolLM-135M
  assert.equal(count(preset<LlamaConfig>('smollm-360m', { vocab_size: 49152 })), 361_821_120); // HuggingFaceTB/SmolLM-360M
  assert.equal(count(preset<LlamaConfig>('llama-1b', { vocab_size: 128256 })), 1_235_814_400); // meta-llama/Llama-3.2-1B
  assert.equal(count(preset<Qwen2Config>('qwen2.5-0.5b', { vocab_size: 151936 })), 494_032_768); // Qwen/Qwen2.5-0.5B
  assert.equal(preset<BertConfig>('roberta-6L-512H').max_position_embeddings, 514);
});

// ---- init, dropout, gradients -----------------------------------------------------------------

const small = {
  bert: () => preset<BertConfig>('bert-tiny', { vocab_size: 40, hidden_size: 16, num_attention_heads: 2, intermediate_size: 24, max_position_embeddings: 16 }),
  roberta: () => preset<BertConfig>('roberta-tiny', { vocab_size: 40, hidden_size: 16, num_attention_heads: 2, intermediate_size: 24, max_position_embeddings: 16 }),
  gpt2: () => preset<GPT2Config>('gpt2-tiny', { vocab_size: 40, n_embd: 16, n_head: 2, n_positions: 16 }),
  vit: () => preset<ViTConfig>('vit-tiny', { hidden_size: 16, num_attention_heads: 2, intermediate_size: 24, image_size: 8, num_labels: 3 }),
  deit: () => preset<ViTConfig>('deit-tiny-distilled', { num_hidden_layers: 2, hidden_size: 16, num_attention_heads: 2, intermediate_size: 24, image_size: 8, patch_size: 4, num_labels: 3 }),
  'bert-cls': () => sequenceClassificationConfig(small.bert(), ['x', 'y', 'z']),
  'roberta-cls': () => sequenceClassificationConfig(small.roberta(), ['x', 'y', 'z']),
  llama: () => preset<LlamaConfig>('llama-tiny', { vocab_size: 40, hidden_size: 16, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4, intermediate_size: 24, max_position_embeddings: 16 }),
  'llama-tied': () => preset<LlamaConfig>('llama-tiny', { vocab_size: 40, hidden_size: 16, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 8, intermediate_size: 24, max_position_embeddings: 16, tie_word_embeddings: true, attention_bias: true, mlp_bias: true }),
  qwen2: () => preset<Qwen2Config>('qwen2-tiny', { vocab_size: 40, hidden_size: 16, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4, intermediate_size: 24, max_position_embeddings: 16 }),
};

function smallBatch(config: ModelConfig, rng: Rng): Batch {
  if (config.model_type === 'vit' || config.model_type === 'deit') {
    const n = 2 * config.num_channels * config.image_size ** 2;
    return { pixelValues: T.tensor(Array.from({ length: n }, () => rng.normal()), [2, config.num_channels, config.image_size, config.image_size]), labels: T.tensor([0, 2], [2], 'int32') };
  }
  const ids = Array.from({ length: 12 }, () => 3 + rng.int(30));
  const labels = ids.map((id, i) => (i % 3 === 1 ? id : -100));
  const seqLabels = (config.model_type === 'bert' || config.model_type === 'roberta') && bertHead(config as BertConfig) === 'sequence-classification';
  return { inputIds: T.tensor(ids, [2, 6], 'int32'), attentionMask: T.tensor([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0], [2, 6], 'int32'), labels: seqLabels ? T.tensor([2, 0], [2], 'int32') : T.tensor(labels, [2, 6], 'int32') };
}

function std(t: Tensor): number {
  const d = t.f;
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]! * d[i]!;
  return Math.sqrt(s / d.length);
}

test('init: HF statistics (normal 0.02, zero biases, LayerNorm ones, GPT-2 scaled c_proj), seeded', () => {
  const config = preset<GPT2Config>('gpt2-tiny', { vocab_size: 512, n_layer: 2 });
  const model = modelFor(config);
  const flat = new Map(model.flatten(model.initParams(config, 1)));
  assert.ok(Math.abs(std(flat.get('transformer.wte.weight')!) - 0.02) < 0.001);
  assert.ok(Math.abs(std(flat.get('transformer.h.0.mlp.c_fc.weight')!) - 0.02) < 0.001);
  assert.ok(Math.abs(std(flat.get('transformer.h.0.mlp.c_proj.weight')!) - 0.02 / Math.sqrt(4)) < 0.0008);
  assert.ok(flat.get('transformer.ln_f.weight')!.f.every((v) => v === 1));
  assert.ok(flat.get('transformer.h.1.attn.c_attn.bias')!.f.every((v) => v === 0));
  const again = new Map(model.flatten(model.initParams(config, 1)));
  const other = new Map(model.flatten(model.initParams(config, 2)));
  assert.deepEqual(again.get('transformer.wpe.weight')!.f, flat.get('transformer.wpe.weight')!.f);
  assert.notDeepEqual(other.get('transformer.wpe.weight')!.f, flat.get('transformer.wpe.weight')!.f);

  const roberta = small.roberta();
  const rp = new Map(modelFor(roberta).flatten(modelFor(roberta).initParams(roberta, 0)));
  const padRow = (t: Tensor) => t.f.slice(roberta.pad_token_id * 16, (roberta.pad_token_id + 1) * 16);
  assert.ok(padRow(rp.get('roberta.embeddings.word_embeddings.weight')!).every((v) => v === 0), 'padding_idx row is zero');
  assert.ok(padRow(rp.get('roberta.embeddings.position_embeddings.weight')!).every((v) => v === 0), 'position padding_idx row is zero');
});

test('init: Llama as LlamaPreTrainedModel._init_weights (every Linear and the embeddings normal 0.02, RMSNorm ones), untied lm_head drawn; Qwen2 adds zero q/k/v biases', () => {
  const config = preset<LlamaConfig>('llama-tiny', { vocab_size: 512 });
  const model = modelFor(config);
  const flat = new Map(model.flatten(model.initParams(config, 1)));
  for (const key of ['model.embed_tokens.weight', 'model.layers.0.self_attn.k_proj.weight', 'model.layers.1.mlp.down_proj.weight', 'lm_head.weight']) assert.ok(Math.abs(std(flat.get(key)!) - 0.02) < 0.002, key);
  assert.ok(flat.get('model.norm.weight')!.f.every((v) => v === 1));
  assert.deepEqual(flat.get('model.layers.0.self_attn.k_proj.weight')!.shape, [32, 64], 'two key/value heads of 16');
  assert.ok(![...flat.keys()].some((k) => k.endsWith('.bias')), 'no biases by default');

  const qwen = preset<Qwen2Config>('qwen2-tiny', { vocab_size: 512 });
  const qflat = new Map(modelFor(qwen).flatten(modelFor(qwen).initParams(qwen, 1)));
  const biases = [...qflat.keys()].filter((k) => k.endsWith('.bias'));
  assert.deepEqual(biases, [0, 1].flatMap((l) => ['q', 'k', 'v'].map((m) => `model.layers.${l}.self_attn.${m}_proj.bias`)), 'Qwen2: q/k/v biases only, as modeling_qwen2.py');
  assert.ok(biases.every((k) => qflat.get(k)!.f.every((v) => v === 0)), 'biases zero');
  assert.deepEqual(qflat.get('model.layers.0.self_attn.k_proj.bias')!.shape, [32], 'two key/value heads of 16');
});

test('dropout: off is deterministic; on is seeded', () => {
  const config = small.bert();
  const model = modelFor(config);
  const params = model.initParams(config, 3);
  const batch = smallBatch(config, new Rng(4)) as TextBatch;
  const a = model.forward(params, config, batch).f;
  assert.deepEqual(model.forward(params, config, batch).f, a);
  const d1 = model.forward(params, config, batch, { dropout: model.trainDropout(config, new Rng(9)) }).f;
  const d2 = model.forward(params, config, batch, { dropout: model.trainDropout(config, new Rng(9)) }).f;
  assert.deepEqual(d1, d2);
  assert.notDeepEqual(d1, a);
});

for (const name of Object.keys(small)) {
  test(`${name}: the loss has a non-zero gradient for every parameter`, () => {
    const config = small[name as keyof typeof small]();
    const model = modelFor(config);
    const entries = model.flatten(model.initParams(config, 5));
    const params = model.paramsFromFlat(config, new Map(entries)).params;
    const batch = smallBatch(config, new Rng(6));
    const { loss, grads } = valueAndGrad(() => model.loss(params, config, batch, { dropout: model.trainDropout(config, new Rng(7)) }), entries.map(([, t]) => t));
    assert.ok(Number.isFinite(loss.item()));
    const dead = entries.filter((_, i) => !grads[i]!.f.some((v) => v !== 0)).map(([k]) => k);
    assert.deepEqual(dead, []);
  });
}

// The masked-LM loss runs the head on the labelled positions only (labelledRows): its value and
// every gradient equal cross-entropy over the logits of every position, the HF definition.
for (const name of ['bert', 'roberta']) {
  test(`${name}: the MLM loss on the labelled rows equals the loss over every position's logits, with its gradients`, () => {
    const f = loadFixture(name);
    const entries = [...f.flat];
    const params = f.model.paramsFromFlat(f.config, new Map(entries)).params;
    const batch = f.batch as TextBatch;
    const wrt = entries.map(([, t]) => t);
    const labelled = valueAndGrad(() => f.model.loss(params, f.config, batch), wrt);
    const everyPosition = valueAndGrad(() => T.crossEntropy(f.model.forward(params, f.config, batch), batch.labels!), wrt);
    assert.ok(batch.labels!.i.some((l) => l === -100) && batch.labels!.i.some((l) => l !== -100), 'the fixture has labelled and ignored positions');
    assertClose([labelled.loss.item()], [everyPosition.loss.item()], 1e-6, `${name} loss`);
    entries.forEach(([key], i) => assertClose(labelled.grads[i]!.f, everyPosition.grads[i]!.f, 1e-5, `${name} d/d ${key}`));
  });
}

test('inputs are checked with messages that name the field', () => {
  const config = small.gpt2();
  const model = modelFor(config);
  const params = model.initParams(config, 0);
  assert.throws(() => model.forward(params, config, { inputIds: T.tensor([1, 99], [1, 2], 'int32') }), /gpt2: batch\.inputIds: id 99 at flat index 1 is outside \[0, vocab_size 40\)/);
  assert.throws(() => model.forward(params, config, { inputIds: T.zeros([1, 17], 'int32') }), /sequence length 17 exceeds n_positions 16/);
  assert.throws(() => model.loss(params, config, { inputIds: T.zeros([1, 4], 'int32') }), /batch\.labels is required/);
});

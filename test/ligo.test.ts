// LiGO (src/grow/ligo/): Proposition 1 (StackBERT, Interpolation and Net2Net are LiGO with
// particular coefficients) checked tensor by tensor against the fixed operators, in both orders;
// the operator's gradient against central finite differences; 'code' mode keeping old neurons
// exactly; the saved operator round trip; the MLM head tied to the residual-stream matrix; the
// two orders (depth-first / width-first) differing in general and agreeing with shared width
// matrices; applyFlops against the engine's matmuls; the operator-learning options (their
// table, batch size / sequence length and their FLOPs, dropout, per-group learning rates); the
// parameter count of the paper's BERT-Small -> BERT-Base setting; and 100 operator steps on
// real text (Moby Dick, causal LM) lowering the large model's validation loss well below that of
// the operator's initialisation.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { modelFor, preset, type BertConfig, type GPT2Config, type LlamaConfig, type ModelConfig, type Qwen2Config, type TextBatch, type ViTConfig } from '../src/models/index.ts';
import { Rng, getBackend, tensor, tidy, useBackend, valueAndGrad, withBackend, type Tensor } from '../src/tensor/index.ts';
import { TokenStream, buildTokenShards, causalLmBatch, loadCorpus, splitDocuments, type TokenShards } from '../src/data/index.ts';
import { trainWordPiece } from '../src/tokenize/index.ts';
import { AdamW } from '../src/optim/adamw.ts';
import { interpolation } from '../src/grow/interpolate.ts';
import { stackbert } from '../src/grow/stack.ts';
import { net2net } from '../src/grow/net2net.ts';
import { initOperator } from '../src/grow/ligo/init.ts';
import { saveLigoOperator } from '../src/grow/ligo/io.ts';
import { applyFlops, applyOperator, paramShapes, widthName, type LigoParams, type LigoSettings } from '../src/grow/ligo/operator.ts';
import { layoutFor, learnLigo, ligoCostFlops, materialise, prepareSmall, readLigoOperator } from '../src/grow/ligo/ligo.ts';
import { ligoDefaults, ligoLr, ligoOptionDefs, parseLigoOptions } from '../src/grow/ligo/options.ts';
import { operatorBatches } from '../src/grow/ligo/batches.ts';
import { getMethod } from '../src/grow/registry.ts';
import { assertClose, randint } from './helpers.ts';

const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const bert = (o: Partial<BertConfig> = {}) => preset<BertConfig>('bert-tiny', { vocab_size: 40, hidden_size: 16, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...o });
const roberta = (o: Partial<BertConfig> = {}) => preset<BertConfig>('roberta-tiny', { vocab_size: 40, hidden_size: 16, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 18, ...o });
const gpt2 = (o: Partial<GPT2Config> = {}) => preset<GPT2Config>('gpt2-tiny', { vocab_size: 40, n_embd: 16, n_head: 2, n_positions: 16, bos_token_id: 39, eos_token_id: 39, ...o });
/** One key/value head per query head (MHA) unless `o` says otherwise. */
const llama = (o: Partial<LlamaConfig> = {}) => preset<LlamaConfig>('llama-tiny', { vocab_size: 40, hidden_size: 16, num_attention_heads: 2, num_key_value_heads: 2, head_dim: 8, intermediate_size: 32, max_position_embeddings: 16, bos_token_id: 39, eos_token_id: 39, ...o });
/** Qwen2: Llama with q/k/v biases; two query heads per key/value head unless `o` says otherwise. */
const qwen2 = (o: Partial<Qwen2Config> = {}) => preset<Qwen2Config>('qwen2-tiny', { vocab_size: 40, hidden_size: 16, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4, intermediate_size: 32, max_position_embeddings: 16, bos_token_id: 39, eos_token_id: 39, ...o });
const vit = (o: Partial<ViTConfig> = {}) => preset<ViTConfig>('vit-tiny', { hidden_size: 16, num_attention_heads: 2, intermediate_size: 32, image_size: 8, patch_size: 4, num_labels: 3, ...o });

/** HF init, biases drawn too (HF starts them at zero, which would hide how an operator grows them). */
function smallModel(config: ModelConfig, seed = 1): Map<string, Tensor> {
  const model = modelFor(config);
  const rng = new Rng(seed + 50);
  return new Map(model.flatten(model.initParams(config, seed)).map(([k, t]) => [k, k.endsWith('.bias') ? tensor(Array.from(t.f, () => 0.1 * rng.normal()), t.shape) : t]));
}

function assertSameModel(actual: Map<string, Tensor>, expected: Map<string, Tensor>, tol: number): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [k, t] of expected) {
    const a = actual.get(k)!;
    assert.deepEqual(a.shape, t.shape, `${k} shape`);
    if (tol === 0) assert.deepEqual(Array.from(a.f), Array.from(t.f), k);
    else assertClose(a.f, t.f, tol, k);
  }
}

const grownByLigo = (small: Map<string, Tensor>, sc: ModelConfig, lc: ModelConfig, options: Record<string, unknown>, seed = 7) => learnLigo(small, sc, lc, { seed, options: { steps: 0, ...options } }).result.params;

describe('Proposition 1: fixed operators are special cases of LiGO', () => {
  const families: [string, ModelConfig, (layers: number) => ModelConfig][] = [
    ['bert', bert(), (n) => bert({ num_hidden_layers: n })],
    ['gpt2', gpt2(), (n) => gpt2({ n_layer: n })],
    ['vit', vit(), (n) => vit({ num_hidden_layers: n })],
    ['llama', llama(), (n) => llama({ num_hidden_layers: n })],
    ['llama (grouped-query)', llama({ num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4 }), (n) => llama({ num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4, num_hidden_layers: n })],
    ['qwen2 (grouped-query, q/k/v biases)', qwen2(), (n) => qwen2({ num_hidden_layers: n })],
  ];
  for (const [name, sc, deeper] of families) {
    for (const mode of ['code', 'full'] as const) {
      test(`${name} (${mode}): depth one-hot on l mod L1 == StackBERT, on floor(l L1 / L2) == Interpolation, bit for bit`, () => {
        const small = smallModel(sc);
        const lc = deeper(5);
        assertSameModel(grownByLigo(small, sc, lc, { initFrom: 'stackbert', mode }), stackbert.grow(small, sc, lc, { seed: 7 }).params, 0);
        assertSameModel(grownByLigo(small, sc, lc, { initFrom: 'interpolation', mode }), interpolation.grow(small, sc, lc, { seed: 7 }).params, 0);
      });
    }
  }

  const wider: [string, ModelConfig, ModelConfig, ModelConfig][] = [
    ['bert, more heads', bert(), bert({ hidden_size: 24, num_attention_heads: 3, intermediate_size: 48 }), bert({ hidden_size: 24, num_attention_heads: 3, intermediate_size: 48, num_hidden_layers: 4 })],
    ['bert, wider heads', bert(), bert({ hidden_size: 24, intermediate_size: 40 }), bert({ hidden_size: 24, intermediate_size: 40, num_hidden_layers: 3 })],
    ['gpt2, more heads', gpt2(), gpt2({ n_embd: 24, n_head: 3 }), gpt2({ n_embd: 24, n_head: 3, n_layer: 3 })],
    ['vit, wider heads', vit(), vit({ hidden_size: 32, intermediate_size: 48 }), vit({ hidden_size: 32, intermediate_size: 48, num_hidden_layers: 4 })],
    ['llama, more heads', llama(), llama({ hidden_size: 24, num_attention_heads: 3, num_key_value_heads: 3, intermediate_size: 48 }), llama({ hidden_size: 24, num_attention_heads: 3, num_key_value_heads: 3, intermediate_size: 48, num_hidden_layers: 3 })],
    ['llama (grouped-query), more heads in key/value groups', llama({ num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4 }), llama({ hidden_size: 32, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 4, intermediate_size: 48 }), llama({ hidden_size: 32, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 4, intermediate_size: 48, num_hidden_layers: 3 })],
    ['llama (grouped-query), 2 -> 1 query heads per key/value head', llama({ num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4 }), llama({ hidden_size: 24, num_attention_heads: 6, num_key_value_heads: 6, head_dim: 4, intermediate_size: 48 }), llama({ hidden_size: 24, num_attention_heads: 6, num_key_value_heads: 6, head_dim: 4, intermediate_size: 48, num_hidden_layers: 3 })],
    ['qwen2 (grouped-query, q/k/v biases), more heads in key/value groups', qwen2(), qwen2({ hidden_size: 32, num_attention_heads: 8, num_key_value_heads: 4, intermediate_size: 48 }), qwen2({ hidden_size: 32, num_attention_heads: 8, num_key_value_heads: 4, intermediate_size: 48, num_hidden_layers: 3 })],
  ];
  for (const [name, sc, wide, wideDeep] of wider) {
    test(`${name}: width matrices from Net2Net's copies (inputs divided by counts) == Net2Net, also when deepened`, () => {
      const small = smallModel(sc);
      for (const lc of [wide, wideDeep]) {
        for (const seed of [3, 4]) assertSameModel(grownByLigo(small, sc, lc, { initFrom: 'net2net' }, seed), net2net.grow(small, sc, lc, { seed }).params, 1e-6);
      }
    });
  }

  test("width-first (the paper's order) with Net2Net's per-small-layer maps == Net2Net too, when deepened", () => {
    const sc = bert();
    const small = smallModel(sc);
    const lc = bert({ hidden_size: 24, num_attention_heads: 3, intermediate_size: 48, num_hidden_layers: 4 });
    assertSameModel(grownByLigo(small, sc, lc, { initFrom: 'net2net', order: 'width-first' }, 3), net2net.grow(small, sc, lc, { seed: 3 }).params, 1e-6);
  });

  test("initFrom 'net2net' refuses settings that cannot express it", () => {
    const small = smallModel(bert());
    assert.throws(() => grownByLigo(small, bert(), bert({ hidden_size: 24, num_attention_heads: 3 }), { initFrom: 'net2net', mode: 'code' }), /needs mode 'full' and tieInputs false/);
  });
});

/** A tiny masked-LM batch: every third position is a target. */
function textBatch(rng: Rng, config: { vocab_size: number }, b: number, t: number): TextBatch {
  const inputIds = randint(rng, [b, t], config.vocab_size);
  const labels = tensor(Array.from(inputIds.i, (id, i) => (i % 3 === 0 ? id : -100)), [b, t], 'int32');
  return { inputIds, labels };
}

function toFloat64(m: Map<string, Tensor>): Map<string, Tensor> {
  return new Map([...m].map(([k, t]) => [k, tensor(t.f, t.shape, 'float64')]));
}

describe("the operator's gradient matches central finite differences (float64, reference backend)", () => {
  const cases: [string, ModelConfig, ModelConfig, LigoSettings][] = [
    ['bert, code, tied', bert({ hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2 }), bert({ hidden_size: 12, num_attention_heads: 3, intermediate_size: 16, num_hidden_layers: 3 }), { mode: 'code', tieInputs: true, order: 'depth-first' }],
    ['bert, full, untied', bert({ hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1 }), bert({ hidden_size: 12, num_attention_heads: 3, intermediate_size: 16, num_hidden_layers: 2 }), { mode: 'full', tieInputs: false, order: 'depth-first' }],
    ['gpt2 (fused qkv), code, tied', gpt2({ n_embd: 8, n_inner: 12, n_layer: 1 }), gpt2({ n_embd: 12, n_head: 3, n_inner: 16, n_layer: 2 }), { mode: 'code', tieInputs: true, order: 'depth-first' }],
    ['llama (grouped-query, untied lm_head), full, untied', llama({ hidden_size: 8, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 4, intermediate_size: 12, num_hidden_layers: 1 }), llama({ hidden_size: 16, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4, intermediate_size: 16, num_hidden_layers: 2 }), { mode: 'full', tieInputs: false, order: 'depth-first' }],
    ['llama (tied embeddings), code, tied, width-first', llama({ hidden_size: 8, num_attention_heads: 2, head_dim: 4, intermediate_size: 12, num_hidden_layers: 1, tie_word_embeddings: true }), llama({ hidden_size: 12, num_attention_heads: 3, num_key_value_heads: 3, head_dim: 4, intermediate_size: 16, num_hidden_layers: 2, tie_word_embeddings: true }), { mode: 'code', tieInputs: true, order: 'width-first' }],
    ['qwen2 (grouped-query, q/k/v biases), full, untied, width-first', qwen2({ hidden_size: 8, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 4, intermediate_size: 12, num_hidden_layers: 1 }), qwen2({ hidden_size: 16, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4, intermediate_size: 16, num_hidden_layers: 2 }), { mode: 'full', tieInputs: false, order: 'width-first' }],
    ['bert, full, tied, width-first', bert({ hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2 }), bert({ hidden_size: 12, num_attention_heads: 3, intermediate_size: 16, num_hidden_layers: 3 }), { mode: 'full', tieInputs: true, order: 'width-first' }],
  ];
  for (const [name, sc, lc, settings] of cases) {
    test(name, () =>
      withBackend('reference', () => {
        const rng = new Rng(5);
        const layout = layoutFor(sc, lc, settings);
        const stacks = prepareSmall(layout, toFloat64(smallModel(sc)), sc);
        const params = initOperator(layout, { depth: 'stackbert_noisy', width: 'rand', noise: 0.03 }, 2, 'float64');
        const batch = textBatch(rng, lc as { vocab_size: number }, 2, 6);
        const model = modelFor(lc);
        const loss = () => model.loss(model.paramsFromFlat(lc, new Map(applyOperator(layout, params, stacks))).params, lc, batch);
        const names = Object.keys(params);
        const { grads } = valueAndGrad(loss, names.map((n) => params[n]!));
        names.forEach((n, k) => {
          const p = params[n]!.f;
          const picks = Array.from({ length: 4 }, () => rng.int(p.length));
          const h = 1e-6;
          const numeric = picks.map((i) => {
            const orig = p[i]!;
            p[i] = orig + h;
            const up = tidy(() => loss().item());
            p[i] = orig - h;
            const down = tidy(() => loss().item());
            p[i] = orig;
            return (up - down) / (2 * h);
          });
          assertClose(picks.map((i) => grads[k]!.f[i]!), numeric, 1e-6, `d loss / d ${n}`);
        });
        assert.ok(grads.some((g) => g.f.some((x) => x !== 0)));
      }),
    );
  }
});

test("'code' mode keeps every old neuron: the first D1 coordinates are the small model's (depth-mixed) values after training", () => {
  const sc = bert({ num_hidden_layers: 2 });
  const lc = bert({ hidden_size: 24, num_attention_heads: 3, intermediate_size: 48, num_hidden_layers: 3 });
  const small = smallModel(sc);
  const rng = new Rng(8);
  const { operator, result } = learnLigo(small, sc, lc, { seed: 3, options: { steps: 5, lr: 1e-2 }, batches: () => textBatch(rng, lc, 4, 8) });
  const p = operator.params;
  assert.deepEqual(p[widthName('hidden')]!.shape, [8, 16], 'only the new rows are learned');
  assert.deepEqual(p[widthName('layers.2.ffn')]!.shape, [16, 32]);
  const large = result.params;
  // Outside the layers the old coordinates are the small tensors themselves.
  const word = 'bert.embeddings.word_embeddings.weight';
  for (let v = 0; v < 40; v++) assert.deepEqual(Array.from(large.get(word)!.f.subarray(v * 24, v * 24 + 16)), Array.from(small.get(word)!.f.subarray(v * 16, (v + 1) * 16)));
  assert.deepEqual(Array.from(large.get('bert.embeddings.LayerNorm.weight')!.f.subarray(0, 16)), Array.from(small.get('bert.embeddings.LayerNorm.weight')!.f));
  // In layer l, W'[:D1, :D1] = sum_j w[l][j] W_j with the trained depth coefficients.
  const module = 'intermediate.dense.weight';
  const w = p[`depth.${module}`]!.f; // [3, 2]
  for (let l = 0; l < 3; l++) {
    const grown = large.get(`bert.encoder.layer.${l}.${module}`)!.f; // [48, 24]
    const expected: number[] = [];
    const actual: number[] = [];
    for (let o = 0; o < 32; o++) {
      for (let i = 0; i < 16; i++) {
        actual.push(grown[o * 24 + i]!);
        expected.push(w[l * 2]! * small.get(`bert.encoder.layer.0.${module}`)!.f[o * 16 + i]! + w[l * 2 + 1]! * small.get(`bert.encoder.layer.1.${module}`)!.f[o * 16 + i]!);
      }
    }
    assertClose(actual, expected, 1e-6, `layer ${l} old block`);
  }
  assert.notDeepEqual(Array.from(p[`depth.${module}`]!.f), [1, 0, 0, 1, 1, 0], 'the coefficients trained');
});

test('the operator saves and loads as safetensors with its settings and configs', () => {
  const sc = gpt2();
  const lc = gpt2({ n_embd: 24, n_head: 3, n_layer: 3 });
  const small = smallModel(sc);
  const { operator, result } = learnLigo(small, sc, lc, { seed: 5, options: { steps: 0, mode: 'full', tieInputs: false } });
  const path = join(tmp, 'op.safetensors');
  saveLigoOperator(path, operator);
  const loaded = readLigoOperator(path);
  assert.deepEqual(loaded.settings, { mode: 'full', tieInputs: false, order: 'depth-first' });
  assert.deepEqual(loaded.smallConfig, sc);
  assert.deepEqual(loaded.largeConfig, lc);
  assert.deepEqual(Object.keys(loaded.params).sort(), Object.keys(operator.params).sort());
  for (const [k, t] of Object.entries(operator.params)) assert.deepEqual(Array.from(loaded.params[k]!.f), Array.from(t.f), k);
  const layout = layoutFor(sc, lc, loaded.settings);
  assertSameModel(materialise(layout, loaded, prepareSmall(layout, small, sc)), result.params, 0);
  // A file for other configs is refused with the tensor that does not fit.
  saveLigoOperator(path, { ...operator, largeConfig: gpt2({ n_embd: 32, n_head: 4, n_layer: 3 }) });
  assert.throws(() => readLigoOperator(path), /operator tensor width\.\S+ has shape/);
});

test("applyFlops is the multiply-adds the engine's matmuls perform when building the large model, for both orders and modes", () => {
  const inner = getBackend();
  let counted = 0;
  const counting = new Proxy(inner, { get: (t, prop, r) => (prop === 'matmul' ? (a: never, b: never, c: never, args: { batch: number; m: number; n: number; k: number }) => ((counted += 2 * args.batch * args.m * args.n * args.k), t.matmul(a, b, c, args as never)) : Reflect.get(t, prop, r)) });
  for (const [sc, lc] of [
    [bert({ num_hidden_layers: 2 }), bert({ hidden_size: 24, num_attention_heads: 3, intermediate_size: 48, num_hidden_layers: 3 })],
    [gpt2(), gpt2({ n_embd: 24, n_head: 3, n_layer: 4 })],
  ] as const) {
    const small = smallModel(sc);
    for (const mode of ['code', 'full'] as const) {
      for (const order of ['depth-first', 'width-first'] as const) {
        const layout = layoutFor(sc, lc, { mode, tieInputs: true, order });
        const op = { settings: layout.settings, smallConfig: sc, largeConfig: lc, params: initOperator(layout, { depth: 'stackbert_noisy', width: 'rand', noise: 0.03 }, 1, 'float32') };
        const stacks = prepareSmall(layout, small, sc);
        counted = 0;
        useBackend(counting);
        try {
          materialise(layout, op, stacks);
        } finally {
          useBackend(inner);
        }
        assert.equal(applyFlops(layout), counted, `${sc.model_type} ${mode} ${order}`);
      }
    }
  }
});

test('bert-6L-512H -> bert-12L-768H learns 30,016,640 coefficients in code mode, 90,047,616 in full mode', () => {
  const count = (mode: 'code' | 'full') => paramShapes(layoutFor(preset('bert-6L-512H'), preset('bert-12L-768H'), { mode, tieInputs: true, order: 'depth-first' })).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
  // The MLM head shares the residual matrix (no 256x512 / 768x512 head matrix of its own).
  assert.equal(count('code'), 30_147_712 - 256 * 512);
  assert.equal(count('full'), 90_440_832 - 768 * 512);
});

test('BERT/RoBERTa MLM head: the transform output and its LayerNorm grow with the residual-stream (word embedding) matrix, as the tied decoder needs', () => {
  for (const [sc, lc, head] of [
    [bert(), bert({ hidden_size: 24, num_attention_heads: 3, intermediate_size: 48 }), 'cls.predictions.transform'],
    [roberta(), roberta({ hidden_size: 24, num_attention_heads: 3, intermediate_size: 48 }), 'lm_head'],
  ] as const) {
    for (const tieInputs of [true, false]) {
      const layout = layoutFor(sc, lc, { mode: 'full', tieInputs, order: 'depth-first' });
      const groups = (key: string) => layout.entries.find((e) => e.key === key)!.axes.map((a) => a.groups.join('+'));
      const word = `${sc.model_type}.embeddings.word_embeddings.weight`;
      const norm = head === 'lm_head' ? 'lm_head.layer_norm' : `${head}.LayerNorm`;
      assert.deepEqual(groups(word), ['hidden']);
      assert.deepEqual(groups(`${head}.dense.weight`), tieInputs ? ['hidden', 'hidden'] : ['hidden', 'hidden.in']);
      assert.deepEqual(groups(`${head}.dense.bias`), ['hidden']);
      // The norm feeds the decoder (the word embeddings' transpose): it consumes their width.
      assert.deepEqual(groups(`${norm}.weight`), [tieInputs ? 'hidden' : 'hidden.in']);
      assert.ok(!layout.width.some((g) => g.name.startsWith('head')), 'no separate head matrix');
    }
  }
});

test("the two orders: depth-first and width-first differ with per-layer width matrices, agree when every layer's are the same", () => {
  const sc = bert({ num_hidden_layers: 2 });
  const lc = bert({ hidden_size: 24, num_attention_heads: 3, intermediate_size: 48, num_hidden_layers: 3 });
  const small = smallModel(sc);
  for (const mode of ['code', 'full'] as const) {
    const layout = (order: 'depth-first' | 'width-first') => layoutFor(sc, lc, { mode, tieInputs: true, order });
    const depthFirst = layout('depth-first');
    const widthFirst = layout('width-first');
    const grown = (l: typeof depthFirst, params: LigoParams) => materialise(l, { settings: l.settings, smallConfig: sc, largeConfig: lc, params }, prepareSmall(l, small, sc));
    const a = initOperator(depthFirst, { depth: 'stackbert_noisy', width: 'rand', noise: 0.3 }, 4, 'float32');
    const b = initOperator(widthFirst, { depth: 'stackbert_noisy', width: 'rand', noise: 0.3 }, 5, 'float32');
    // Same depth coefficients and residual matrix; per-layer matrices drawn independently.
    for (const k of Object.keys(a)) if (!k.startsWith('width.layers.')) b[k] = a[k]!;
    assert.deepEqual(Object.keys(b).filter((k) => k.startsWith('width.layers.')).map((k) => k.split('.')[2]).sort(), ['0', '0', '0', '0', '1', '1', '1', '1'], 'width-first: matrices per small layer');
    const differ = Math.max(...[...grown(depthFirst, a)].map(([k, t]) => Math.max(...t.f.map((x, i) => Math.abs(x - grown(widthFirst, b).get(k)!.f[i]!)))));
    assert.ok(differ > 1e-2, `${mode}: the orders should differ, max difference ${differ}`);
    // Every layer's matrices set to layer 0's: the two orders are the same operator.
    const shared = (p: LigoParams) => Object.fromEntries(Object.entries(p).map(([k, t]) => [k, k.startsWith('width.layers.') ? a[k.replace(/layers\.\d+\./, 'layers.0.')]! : t]));
    assertSameModel(grown(widthFirst, shared(b)), grown(depthFirst, shared(a)), 1e-5);
  }
});

describe("operator learning's options", () => {
  const sc = bert({ num_hidden_layers: 1 });
  const lc = bert({ hidden_size: 24, num_attention_heads: 3, intermediate_size: 48, num_hidden_layers: 2, hidden_dropout_prob: 0.1 });
  const small = smallModel(sc);
  const given = (seed: number) => {
    const rng = new Rng(seed);
    return () => textBatch(rng, lc, 4, 10);
  };

  test('every option has a default, a valid-value description and a one-line meaning; the method lists them', () => {
    assert.equal(getMethod('ligo').options, ligoOptionDefs);
    for (const [k, d] of Object.entries(ligoOptionDefs)) {
      assert.ok(d.meaning.length > 10 && !d.meaning.includes('\n'), k);
      assert.ok(d.check(d.default), `${k}: its default ${JSON.stringify(d.default)} is valid`);
    }
    assert.deepEqual(parseLigoOptions({}), ligoDefaults);
    assert.equal(ligoDefaults.dropout, true);
    assert.throws(() => parseLigoOptions({ batchSize: 0 }), /option batchSize must be null or a positive integer, got 0/);
    assert.throws(() => parseLigoOptions({ order: 'sideways' }), /option order must be 'depth-first', 'width-first'/);
  });

  test('batchSize / seqLen: rows gathered from consecutive given batches, positions cut; FLOPs counted at that shape', () => {
    const rng = new Rng(1);
    const parts = Array.from({ length: 3 }, () => textBatch(rng, lc, 4, 10));
    const cut = tidy(() => {
      const b = operatorBatches((i) => parts[i]!, { batchSize: 6, seqLen: 7 })(0) as TextBatch;
      return { shape: [...b.inputIds.shape], ids: Array.from(b.inputIds.i), labels: Array.from(b.labels!.i) };
    });
    assert.deepEqual(cut.shape, [6, 7]);
    const rows = (t: Tensor, r: number) => Array.from(t.i.subarray(r * 10, r * 10 + 7));
    assert.deepEqual(cut.ids, [0, 1, 2, 3].map((r) => rows(parts[0]!.inputIds, r)).concat([0, 1].map((r) => rows(parts[1]!.inputIds, r))).flat());
    assert.deepEqual(cut.labels.slice(4 * 7, 5 * 7), rows(parts[1]!.labels!, 0));
    assert.throws(() => tidy(() => operatorBatches((i) => parts[i]!, { batchSize: null, seqLen: 11 })(0)), /seqLen 11 is longer than the batches given \(10 tokens\)/);

    const run = (options: Record<string, unknown>) => {
      const { flopsElectra, flopsSixN } = learnLigo(small, sc, lc, { seed: 3, options: { steps: 2, ...options }, batches: given(2) }).result.cost!;
      return { flopsElectra, flopsSixN };
    };
    const layout = layoutFor(sc, lc, { mode: 'code', tieInputs: true, order: 'depth-first' });
    assert.deepEqual(run({}), ligoCostFlops(layout, lc, [{ batchSize: 4, seqLen: 10 }, { batchSize: 4, seqLen: 10 }]));
    assert.deepEqual(run({ batchSize: 6, seqLen: 7 }), ligoCostFlops(layout, lc, [{ batchSize: 6, seqLen: 7 }, { batchSize: 6, seqLen: 7 }]));
  });

  test("dropout: on by default at the large config's rate, off with dropout false, nothing to drop at rate 0", () => {
    const firstLoss = (config: ModelConfig, options: Record<string, unknown>) => learnLigo(small, sc, config, { seed: 3, options: { steps: 1, ...options }, batches: given(2) }).losses[0]!;
    const noDropout = firstLoss(lc, { dropout: false });
    assert.notEqual(firstLoss(lc, {}), noDropout);
    const still = bert({ hidden_size: 24, num_attention_heads: 3, intermediate_size: 48, num_hidden_layers: 2, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 });
    assert.equal(firstLoss(still, {}), firstLoss(still, { dropout: false }));
  });

  test("schedule 'linear': warmup, then a linear decay that reaches 0 after the last step; 'constant' stays at the peak", () => {
    const o = parseLigoOptions({ steps: 10, warmupSteps: 2, lr: 1e-3, schedule: 'linear' });
    assert.deepEqual([0, 1, 2, 6, 9].map((s) => Number(ligoLr(o, 'width', s).toPrecision(6))), [5e-4, 1e-3, 1e-3, 5e-4, 1.25e-4]);
    assert.equal(ligoLr(parseLigoOptions({ steps: 10, warmupSteps: 2 }), 'depth', 9), 1e-3);
  });

  test('keepBest: held-out batches measured before, every evalEvery steps and after; the best operator is used and its measurements charged', () => {
    // A learning rate this large makes the operator worse than where it started: the initial operator is kept.
    const options = { steps: 4, lr: 5, keepBest: true, heldOutBatches: 2, evalEvery: 2, dropout: false };
    const r = learnLigo(small, sc, lc, { seed: 3, options, batches: given(2) });
    const sel = r.result.selection!;
    assert.deepEqual(sel.heldOutLosses.map((h) => h.step), [0, 2, 4]);
    const best = sel.heldOutLosses.reduce((a, b) => (b.loss < a.loss ? b : a));
    assert.equal(sel.keptStep, best.step);
    const init = learnLigo(small, sc, lc, { seed: 3, options: { steps: 0 } }).operator.params;
    const kept = Object.keys(init).every((k) => r.operator.params[k]!.f.every((x, i) => x === init[k]!.f[i]));
    assert.equal(kept, sel.keptStep === 0, 'the kept coefficients are those of the kept step');
    assert.ok(sel.heldOutLosses.some((h) => h.step > 0 && h.loss > sel.heldOutLosses[0]!.loss), `lr 5 made it worse: ${JSON.stringify(sel.heldOutLosses)}`);
    const layout = layoutFor(sc, lc, { mode: 'code', tieInputs: true, order: 'depth-first' });
    const shape = { batchSize: 4, seqLen: 10 };
    assert.deepEqual([r.result.cost!.flopsElectra, r.result.cost!.flopsSixN], Object.values(ligoCostFlops(layout, lc, [shape, shape, shape, shape], { evaluations: 3, shapes: [shape, shape] })));
    assert.equal(learnLigo(small, sc, lc, { seed: 3, options: { steps: 2 }, batches: given(2) }).result.selection, undefined, 'off by default');
  });

  test('widthLr / depthLr: each group learns at its own rate', () => {
    const learned = (options: Record<string, unknown>) => learnLigo(small, sc, lc, { seed: 3, options: { steps: 3, lr: 1e-2, ...options }, batches: given(2) }).operator.params;
    const init = learnLigo(small, sc, lc, { seed: 3, options: { steps: 0 } }).operator.params;
    const moved = (p: LigoParams, prefix: string) => Object.keys(p).filter((k) => k.startsWith(prefix)).some((k) => p[k]!.f.some((x, i) => Math.abs(x - init[k]!.f[i]!) > 1e-6));
    const frozenDepth = learned({ depthLr: 1e-12 });
    assert.equal(moved(frozenDepth, 'depth.'), false);
    assert.equal(moved(frozenDepth, 'width.'), true);
    const frozenWidth = learned({ widthLr: 1e-12 });
    assert.equal(moved(frozenWidth, 'width.'), false);
    assert.equal(moved(frozenWidth, 'depth.'), true);
  });
});

// ---- learning on real text -------------------------------------------------------------------
// GPT-2 (causal LM: every position is a target) rather than BERT's masked LM: at a size that
// trains in seconds, a BERT small model barely gets past unigram statistics, leaving LiGO
// nothing to transfer; a tiny GPT-2 learns context in 200 steps.

interface TextData {
  train: TokenShards;
  validation: TokenShards;
}

function mobyDick(vocabSize: number): TextData {
  const split = splitDocuments(loadCorpus('moby-dick'));
  const train = split.train.slice(0, 20);
  const tokenizer = trainWordPiece(train.map((d) => d.text), { vocabSize });
  const cache = join(tmp, 'cache');
  return { train: buildTokenShards(train, tokenizer, cache), validation: buildTokenShards(split.validation, tokenizer, cache) };
}

/** Causal-LM batches of 8 x 32 tokens from a seeded stream. */
function lmBatches(shards: TokenShards, seed: number): { next: () => TextBatch; close: () => void } {
  const stream = new TokenStream(shards, { windowLength: 32, batchSize: 8, seed });
  return { next: () => causalLmBatch(stream.nextBatch()), close: () => stream.close() };
}

function meanLoss(config: ModelConfig, flat: Map<string, Tensor>, batches: TextBatch[]): number {
  const model = modelFor(config);
  const params = model.paramsFromFlat(config, flat).params;
  return batches.reduce((s, b) => s + tidy(() => model.loss(params, config, b).item()), 0) / batches.length;
}

/** The small model: AdamW steps from its random init. */
function pretrain(config: ModelConfig, shards: TokenShards, steps: number): Map<string, Tensor> {
  const model = modelFor(config);
  const flat = new Map(model.flatten(model.initParams(config, 1)));
  const params = model.paramsFromFlat(config, flat).params;
  const names = [...flat.keys()];
  const opt = new AdamW(names.map((name) => ({ name, tensor: flat.get(name)!, decay: flat.get(name)!.rank > 1 })), { weightDecay: 0.01 });
  const batches = lmBatches(shards, 1);
  for (let step = 0; step < steps; step++) {
    tidy(() => {
      const batch = batches.next();
      const { grads } = valueAndGrad(() => model.loss(params, config, batch), names.map((n) => flat.get(n)!));
      opt.update(grads, 1e-2);
    });
  }
  batches.close();
  return flat;
}

test('100 LiGO steps (default options) on Moby Dick lower the large GPT-2 validation loss well below its LiGO-initialised value', () => {
  const data = mobyDick(200);
  const sc = gpt2({ vocab_size: 200, n_embd: 32, n_positions: 64, bos_token_id: 0, eos_token_id: 0 });
  const lc = gpt2({ vocab_size: 200, n_embd: 48, n_head: 3, n_layer: 6, n_positions: 64, bos_token_id: 0, eos_token_id: 0 });
  const small = pretrain(sc, data.train, 200);
  const validation = lmBatches(data.validation, 0);
  const val = Array.from({ length: 4 }, () => validation.next());
  validation.close();
  const grow = (steps: number) => {
    const batches = lmBatches(data.train, 2);
    const run = learnLigo(small, sc, lc, { seed: 11, options: { steps }, batches: () => batches.next() });
    batches.close();
    return run;
  };
  const smallLoss = meanLoss(sc, small, val);
  const initLoss = meanLoss(lc, grow(0).result.params, val);
  const trained = grow(100);
  const trainedLoss = meanLoss(lc, trained.result.params, val);
  const l = trained.losses;
  const cost = trained.result.cost!;
  console.log(`ligo on moby-dick: small 2L-32H ${smallLoss.toFixed(3)}; large 6L-48H at LiGO init ${initLoss.toFixed(3)} -> after 100 steps ${trainedLoss.toFixed(3)} (train ${l[0]!.toFixed(3)} -> ${l[l.length - 1]!.toFixed(3)}; ${cost.flopsSixN.toExponential(2)} FLOPs (6N), ${cost.wallSeconds.toFixed(1)} s)`);
  assert.ok(trainedLoss < initLoss - 0.1, `validation loss ${initLoss} -> ${trainedLoss}`);
  assert.equal(cost.steps, 100);
});

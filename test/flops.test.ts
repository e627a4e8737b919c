// FLOPs accounting (src/flops.ts): the ELECTRA convention against closed forms written out by
// hand and the ELECTRA paper's own BERT-Base figure; the 6N convention against the matmul FLOPs
// the engine actually runs in one forward + backward step, counted by wrapping the backend; both
// under a layer usage (skipped layers, token-dropped middle layers).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preset, modelFor, sequenceClassificationConfig, type BertConfig, type ForwardOptions, type LayerUse, type ModelConfig, type Batch, type LlamaConfig, type Qwen2Config, type ViTConfig } from '../src/models/index.ts';
import { Rng, getBackend, tensor, useBackend, valueAndGrad } from '../src/tensor/index.ts';
import { MLM_OUTPUT_FRACTION, electraForwardTerms, sixNTerms, trainFlopsPerExample, trainFlopsPerStep, trainFlopsPerToken, vitPatches } from '../src/flops.ts';
import { countingBackend } from './helpers.ts';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

test('ELECTRA convention: BERT-Base (12L-768H, vocab 30522), T = 128, equals the closed form', () => {
  const c = preset('bert-12L-768H', { vocab_size: 30522 });
  const [h, i, s, a, v, L] = [768, 3072, 128, 12, 30522, 12];
  // get_block_flops per token, its 20 terms collected by hand (attn LayerNorm is 5, not 5h, as upstream).
  const block = 8 * h * h + 4 * h * i + 4 * h * s + 10 * s * a + 9 * i + 20 * h + 5;
  const embedding = 2 * h * v + 2 * h * (s + 2) + 2 * h + 5 * h + 4 * h;
  const output = 2 * h * v + 2 * h * h + h + 8 * h + 5 * h + 5 * v + 2 * v;
  const perToken = 2 * (L * block + embedding + 0.15625 * output);
  assert.equal(MLM_OUTPUT_FRACTION, 0.15625);
  assert.ok(rel(trainFlopsPerToken(c, s).flopsElectra, perToken) < 1e-12);
  assert.ok(rel(trainFlopsPerStep(c, { batchSize: 256, seqLen: s }).flopsElectra, 256 * s * perToken) < 1e-12);
  const terms = electraForwardTerms(c, s);
  assert.deepEqual(Object.keys(terms), ['embeddings', 'blocks', 'output']);
});

test("ELECTRA convention reproduces the ELECTRA paper's BERT-Base pre-training cost (6.4e19 FLOPs)", () => {
  // ELECTRA Table 1: BERT-Base, 1M steps of 256 x 512 tokens.
  const c = preset('bert-12L-768H', { vocab_size: 30522 });
  const flops = 1e6 * trainFlopsPerStep(c, { batchSize: 256, seqLen: 512 }).flopsElectra;
  assert.ok(Math.abs(flops / 6.4e19 - 1) < 0.01, `${flops.toExponential(3)}`);
});

test('6N convention: BERT-Base closed form (6 x matmul params per token + 12 L T d)', () => {
  const c = preset('bert-12L-768H', { vocab_size: 30522 });
  const [h, i, T, v, L] = [768, 3072, 128, 30522, 12];
  const matmulParams = L * (4 * h * h + 2 * h * i);
  const headParams = MLM_OUTPUT_FRACTION * (h * h + v * h); // the MLM head on the labelled share of the positions
  assert.equal(trainFlopsPerToken(c, T).flopsSixN, 6 * (matmulParams + headParams) + 12 * L * T * h);
});

test('ELECTRA convention: GPT-2 puts every position through the output; ViT only CLS through the classifier', () => {
  const g = preset('gpt2-tiny', { vocab_size: 512 });
  const [h, v, T] = [128, 512, 64];
  assert.equal(electraForwardTerms(g, T).output, T * (5 * h + 2 * h * v + 5 * v + 2 * v));
  const vit = preset<ViTConfig>('vit-tiny');
  const [d, labels] = [128, 10];
  const S = vitPatches(vit) + 1;
  assert.equal(electraForwardTerms(vit, 0).output, S * 5 * d + 2 * d * labels + labels + 7 * labels);
});

function countedStepFlops(config: ModelConfig, batch: Batch, pass: ForwardOptions = {}): number {
  const model = modelFor(config);
  const params = model.initParams(config, 0);
  const wrt = model.flatten(params).map(([, t]) => t);
  const prev = getBackend();
  const counter = countingBackend(prev);
  useBackend(counter.backend);
  try {
    valueAndGrad(() => model.loss(params, config, batch, { dropout: model.trainDropout(config, new Rng(1)), ...pass }), wrt);
  } finally {
    useBackend(prev);
  }
  return counter.flops();
}

function ids(rng: Rng, B: number, T: number, vocab: number, labels: boolean) {
  const draw = () => tensor(Array.from({ length: B * T }, () => 5 + rng.int(vocab - 5)), [B, T], 'int32');
  const inputIds = draw();
  // Labelled: 5 positions in every 32 (MLM_OUTPUT_FRACTION, the share 6N counts the MLM head on).
  const lab = labels ? tensor(Array.from(draw().data, (x, k) => (k % 32 < 5 ? x : -100)), [B, T], 'int32') : inputIds;
  return { inputIds, labels: lab };
}

// Tolerance 0: the 6N count is exact for the matmuls the engine runs (the MLM head runs on the
// labelled positions, 5 in 32 here, the share 6N counts), with one stated difference:
// ViT's patch projection takes no input gradient (pixels are data), so the engine does
// 4 instead of 6 FLOPs per patch-projection parameter and patch.
test('6N matmul + attention FLOPs equal the engine matmul FLOPs of one training step, exactly', () => {
  const rng = new Rng(3);
  const B = 3;
  const T = 32; // a multiple of 32: see ids()
  const bert = preset<BertConfig>('bert-tiny', { vocab_size: 97, hidden_size: 32, intermediate_size: 48, num_attention_heads: 2, max_position_embeddings: 32 });
  const counted = countedStepFlops(bert, ids(rng, B, T, 97, true));
  const s = sixNTerms(bert, T);
  assert.equal(counted, B * (s.matmul + s.attention));
  assert.equal(counted, B * trainFlopsPerExample(bert, T).flopsSixN);

  const roberta = preset<BertConfig>('roberta-tiny', { vocab_size: 97, hidden_size: 32, intermediate_size: 48, num_attention_heads: 2, max_position_embeddings: 40 });
  assert.equal(countedStepFlops(roberta, ids(rng, B, T, 97, true)), B * trainFlopsPerExample(roberta, T).flopsSixN);

  for (const base of [bert, roberta]) {
    const cls = sequenceClassificationConfig(base, ['a', 'b', 'c']);
    const batch = { inputIds: ids(rng, B, T, 97, false).inputIds, labels: tensor([0, 2, 1], [B], 'int32') };
    assert.equal(countedStepFlops(cls, batch), B * trainFlopsPerExample(cls, T).flopsSixN, `${base.model_type} sequence classification`);
  }

  const gpt2 = preset('gpt2-tiny', { vocab_size: 89, n_embd: 32, n_inner: 40, n_head: 4, n_positions: 32, bos_token_id: 88, eos_token_id: 88 });
  assert.equal(countedStepFlops(gpt2, ids(rng, B, T, 89, false)), B * trainFlopsPerExample(gpt2, T).flopsSixN);

  // Llama: grouped-query k/v at the key/value heads' width, the gated feed-forward's three products, an untied lm_head.
  const llama = preset<LlamaConfig>('llama-tiny', { vocab_size: 89, hidden_size: 32, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8, intermediate_size: 40, max_position_embeddings: 32, bos_token_id: 88, eos_token_id: 88 });
  assert.equal(countedStepFlops(llama, ids(rng, B, T, 89, false)), B * trainFlopsPerExample(llama, T).flopsSixN);
  const qwen2 = preset<Qwen2Config>('qwen2-tiny', { vocab_size: 89, hidden_size: 32, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8, intermediate_size: 40, max_position_embeddings: 32, bos_token_id: 88, eos_token_id: 88 });
  assert.equal(countedStepFlops(qwen2, ids(rng, B, T, 89, false)), B * trainFlopsPerExample(qwen2, T).flopsSixN, 'qwen2 (biases are not matmul work)');

  for (const name of ['vit-tiny', 'deit-tiny-distilled']) {
    const vit = preset<ViTConfig>(name, { hidden_size: 24, intermediate_size: 40, num_attention_heads: 3, num_hidden_layers: 2, image_size: 8, patch_size: 4, num_channels: 2, num_labels: 5 });
    const pixels = tensor(Array.from({ length: B * 2 * 64 }, () => rng.normal()), [B, 2, 8, 8]);
    const labels = tensor([0, 3, 4], [B], 'int32');
    const noInputGrad = 2 * vitPatches(vit) * (2 * 4 * 4) * 24;
    assert.equal(countedStepFlops(vit, { pixelValues: pixels, labels }), B * (trainFlopsPerExample(vit, 0).flopsSixN - noInputGrad), name);
  }
});

test('ELECTRA convention: Qwen2 is Llama plus the q/k/v bias adds, none on o_proj or the feed-forward', () => {
  const shape = { vocab_size: 89, hidden_size: 32, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8, intermediate_size: 40, max_position_embeddings: 32 };
  const T = 16;
  const llama = electraForwardTerms(preset<LlamaConfig>('llama-tiny', shape), T);
  const qwen2 = electraForwardTerms(preset<Qwen2Config>('qwen2-tiny', shape), T);
  const qkvWidth = 4 * 8 + 2 * 2 * 8;
  assert.equal(qwen2.blocks! - llama.blocks!, 2 * T * qkvWidth, 'two layers, T tokens, one add per q/k/v output');
  assert.deepEqual([qwen2.embeddings, qwen2.output], [llama.embeddings, llama.output]);
  const attentionBias = electraForwardTerms(preset<LlamaConfig>('llama-tiny', { ...shape, attention_bias: true }), T);
  assert.equal(attentionBias.blocks! - qwen2.blocks!, 2 * T * 32, "Llama's attention_bias adds o_proj's too");
});

const bertSmall = preset<BertConfig>('bert-tiny', { vocab_size: 97, hidden_size: 32, intermediate_size: 48, num_attention_heads: 2, num_hidden_layers: 4, max_position_embeddings: 32 });

test('layer usage, ELECTRA convention: a layer over t tokens costs one layer of a sequence of t; a skipped one nothing', () => {
  const T = 16;
  const oneLayer = (t: number) => electraForwardTerms({ ...bertSmall, num_hidden_layers: 1 }, t).blocks!;
  const used = electraForwardTerms(bertSmall, T, { layerTokens: [T, 0, 5, T] });
  assert.equal(used.blocks, 2 * oneLayer(T) + oneLayer(5));
  const full = electraForwardTerms(bertSmall, T);
  assert.equal(used.embeddings, full.embeddings);
  assert.equal(used.output, full.output);
  assert.deepEqual(electraForwardTerms(bertSmall, T, { layerTokens: [T, T, T, T] }), full);
  assert.throws(() => trainFlopsPerStep(bertSmall, { batchSize: 1, seqLen: T, layerTokens: [T, T] }), /2 layer token counts for a model with 4 layers/);
});

// The 6N count under a layer usage is still exactly the engine's matmul work: skipped layers run
// nothing, a token-dropped layer runs its linear layers on K rows and attention on K x K scores.
test('layer usage, 6N convention: equals the engine matmul FLOPs with skipped layers and dropped tokens, exactly', () => {
  const rng = new Rng(5);
  const B = 3;
  const T = 32; // a multiple of 32: see ids()
  const uses = (runs: boolean[]): LayerUse[] => runs.map((run, i) => ({ run, keepProb: 1 - 0.1 * i }));
  const keep = tensor([0, 1, 4, 9, 15, 2, 3, 5, 7, 8, 0, 6, 10, 11, 12], [B, 5], 'int32');
  const batch = ids(rng, B, T, 97, true);
  const perExample = (c: ModelConfig, layerTokens: number[]) => B * trainFlopsPerExample(c, T, layerTokens).flopsSixN;
  assert.equal(countedStepFlops(bertSmall, batch, { layers: uses([true, false, true, true]) }), perExample(bertSmall, [T, 0, T, T]));
  assert.equal(countedStepFlops(bertSmall, batch, { tokenKeep: keep }), perExample(bertSmall, [T, T, 5, T]));
  assert.equal(countedStepFlops(bertSmall, batch, { tokenKeep: keep, layers: uses([false, true, false, true]) }), perExample(bertSmall, [0, T, 0, T]));

  const gpt2 = preset('gpt2-tiny', { vocab_size: 89, n_embd: 32, n_inner: 40, n_head: 4, n_layer: 3, n_positions: 32, bos_token_id: 88, eos_token_id: 88 });
  assert.equal(countedStepFlops(gpt2, ids(rng, B, T, 89, false), { layers: uses([false, true, true]) }), perExample(gpt2, [0, T, T]));

  const vit = preset<ViTConfig>('vit-tiny', { hidden_size: 24, intermediate_size: 40, num_attention_heads: 3, num_hidden_layers: 3, image_size: 8, patch_size: 4, num_channels: 2, num_labels: 5 });
  const pixels = tensor(Array.from({ length: B * 2 * 64 }, () => rng.normal()), [B, 2, 8, 8]);
  const noInputGrad = 2 * vitPatches(vit) * (2 * 4 * 4) * 24; // as above: pixels take no gradient
  const S = vitPatches(vit) + 1;
  assert.equal(countedStepFlops(vit, { pixelValues: pixels, labels: tensor([0, 3, 4], [B], 'int32') }, { layers: uses([true, true, false]) }), B * (trainFlopsPerExample(vit, 0, [S, S, 0]).flopsSixN - noInputGrad));
});

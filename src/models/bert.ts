// BertForMaskedLM and its RoBERTa variant RobertaForMaskedLM, mirroring transformers'
// modeling_bert.py / modeling_roberta.py: embeddings (word + token type + position, LayerNorm,
// dropout), post-LN encoder layers (bert-layer.ts), and the MLM head (dense, activation,
// LayerNorm, decoder tied to the word embeddings plus its own bias).
//
// RoBERTa differs in its keys (`roberta.*`, `lm_head.dense/layer_norm/bias`), its position ids
// (create_position_ids_from_input_ids: padding tokens get padding_idx = pad_token_id, the others
// padding_idx + 1, 2, ...), its head activation (always exact GELU; BERT's head uses hidden_act)
// and its padding_idx on the position embeddings. token_type_embeddings is kept (HF's roberta has
// it, with type_vocab_size 1).
//
// With `architectures: ['BertForSequenceClassification']` (or RobertaForSequenceClassification)
// the same encoder (bertEncode) carries HF's sequence-classification head instead:
// - BERT: BertPooler (`bert.pooler.dense` + tanh on the [CLS] state), dropout, `classifier`
//   [num_labels, hidden];
// - RoBERTa: RobertaClassificationHead on the <s> state, no pooler: dropout, `classifier.dense`,
//   tanh, dropout, `classifier.out_proj` [num_labels, hidden].
// Dropout there is classifier_dropout, or the hidden dropout when it is null. Logits are
// [B, num_labels]; loss() is cross-entropy against labels [B] (single-label classification).
// Loading a masked-LM checkpoint into a classification config keeps the encoder weights,
// initialises the head fresh (seeded; reported as initializedKeys, `bert.pooler.*` too when the
// checkpoint has none) and reports the MLM head keys as unexpected.
//
// Training passes can skip layers and tokens (ForwardOptions; src/train/layer-drop.ts and
// token-drop.ts): a skipped layer is the identity, unscaled (these layers are post-LN: their
// output is normalised, there is no residual branch for a 1 / keep-probability factor to
// restore); with tokenKeep the middle layers (tokenDropMiddle) see only the kept positions and
// their attention mask, and the dropped positions rejoin before the last layer with the state
// they had before the middle layers (Hou et al., ACL 2022, without the official code's one
// transition layer in which kept tokens attend to all).
//
// Tied weights live once, at the word embeddings and the head's bias; the decoder keys
// (`cls.predictions.decoder.*`, `lm_head.decoder.*`) are optional when loading. Not applied:
// attention-probability dropout (no such dropout in the fused kernel), and nn.Embedding's
// frozen padding_idx row (the pad row gets a gradient here; forward results are unaffected).

import * as T from '../tensor/index.ts';
import { Rng, type Tensor } from '../tensor/index.ts';
import { dropout, flattenParams, gatherTokens, labelledRows, layerNorm, linear, scatterTokens, type DropoutCtx, type LayerNormParams, type LinearParams } from '../nn/index.ts';
import { bertHead, numLabels, validateConfig, type BertConfig } from './config.ts';
import { bertLayer, bertLayerSpec, type BertLayerParams, type BertLayerShape } from './bert-layer.ts';
import { activation, checkIds, checkShaped, layerUses, requireLabels, type ForwardOptions, type Model, type TextBatch } from './common.ts';
import { FIXED, consumes, embeddingSpec, initTree, layerNormSpec, layerStack, linearSpec, loadTree, zerosSpec, type LoadOptions, type LoadRules, type SpecTree } from './params.ts';

export interface BertEmbeddingsParams {
  word_embeddings: { weight: Tensor }; // [vocab_size, hidden]
  position_embeddings: { weight: Tensor }; // [max_position_embeddings, hidden]
  token_type_embeddings: { weight: Tensor }; // [type_vocab_size, hidden]
  LayerNorm: LayerNormParams;
}

export interface BertBodyParams {
  embeddings: BertEmbeddingsParams;
  encoder: { layer: BertLayerParams[] };
}

export interface BertForMaskedLMParams {
  bert: BertBodyParams;
  cls: { predictions: { bias: Tensor; transform: { dense: LinearParams; LayerNorm: LayerNormParams } } };
}

export interface RobertaForMaskedLMParams {
  roberta: BertBodyParams;
  lm_head: { bias: Tensor; dense: LinearParams; layer_norm: LayerNormParams };
}

export interface BertForSequenceClassificationParams {
  bert: BertBodyParams & { pooler: { dense: LinearParams } }; // pooler.dense [hidden, hidden]
  classifier: LinearParams; // [num_labels, hidden]
}

export interface RobertaForSequenceClassificationParams {
  roberta: BertBodyParams;
  classifier: { dense: LinearParams; out_proj: LinearParams }; // [hidden, hidden], [num_labels, hidden]
}

export type BertMaskedLMParams = BertForMaskedLMParams | RobertaForMaskedLMParams;
export type BertSequenceClassificationParams = BertForSequenceClassificationParams | RobertaForSequenceClassificationParams;
export type BertParams = BertMaskedLMParams | BertSequenceClassificationParams;

function layerShape(c: BertConfig): BertLayerShape {
  return { hidden: c.hidden_size, heads: c.num_attention_heads, intermediate: c.intermediate_size, layerNormEps: c.layer_norm_eps, hiddenAct: c.hidden_act };
}

function bodySpec(c: BertConfig): SpecTree<BertBodyParams> {
  const std = c.initializer_range;
  const roberta = c.model_type === 'roberta';
  return {
    embeddings: {
      word_embeddings: { weight: embeddingSpec(c.vocab_size, c.hidden_size, std, c.pad_token_id) },
      position_embeddings: { weight: embeddingSpec(c.max_position_embeddings, c.hidden_size, std, roberta ? c.pad_token_id : undefined) },
      token_type_embeddings: { weight: embeddingSpec(c.type_vocab_size, c.hidden_size, std) },
      LayerNorm: layerNormSpec(c.hidden_size),
    },
    encoder: { layer: layerStack(c.num_hidden_layers, () => bertLayerSpec(layerShape(c), std)) },
  };
}

export function bertSpec(c: BertConfig): SpecTree<BertParams> {
  const h = c.hidden_size;
  if (bertHead(c) === 'sequence-classification') {
    // BERT's pooler + classifier, RoBERTa's classifier.dense + out_proj.
    const dense = linearSpec(h, h, c.initializer_range, { out: 'hidden', in: 'hidden' });
    const out = linearSpec(numLabels(c), h, c.initializer_range, { out: 'fixed', in: 'hidden' });
    if (c.model_type === 'roberta') return { roberta: bodySpec(c), classifier: { dense, out_proj: out } };
    return { bert: { ...bodySpec(c), pooler: { dense } }, classifier: out };
  }
  // The MLM head: a transform (dense + LayerNorm, which feeds the decoder tied to the word
  // embeddings, so it consumes their width) and the decoder's own bias over the vocabulary.
  const dense = linearSpec(h, h, c.initializer_range, { out: 'hidden', in: 'hidden' });
  const norm = layerNormSpec(h, consumes('hidden'));
  const bias = zerosSpec([c.vocab_size], 'bias', [FIXED]);
  if (c.model_type === 'roberta') return { roberta: bodySpec(c), lm_head: { bias, dense, layer_norm: norm } };
  return { bert: bodySpec(c), cls: { predictions: { bias, transform: { dense, LayerNorm: norm } } } };
}

function loadRules(c: BertConfig): LoadRules {
  if (bertHead(c) === 'sequence-classification') {
    const buffers = new RegExp(`^${c.model_type}\\.embeddings\\.(position_ids|token_type_ids)$`);
    if (c.model_type === 'roberta') return { tied: {}, ignore: [buffers, /^roberta\.pooler\./], initMissing: [/^classifier\./] };
    return { tied: {}, ignore: [buffers], initMissing: [/^bert\.pooler\./, /^classifier\./] };
  }
  if (c.model_type === 'roberta') {
    return {
      tied: { 'lm_head.decoder.weight': 'roberta.embeddings.word_embeddings.weight', 'lm_head.decoder.bias': 'lm_head.bias' },
      ignore: [/^roberta\.embeddings\.(position_ids|token_type_ids)$/, /^roberta\.pooler\./],
    };
  }
  return {
    tied: { 'cls.predictions.decoder.weight': 'bert.embeddings.word_embeddings.weight', 'cls.predictions.decoder.bias': 'cls.predictions.bias' },
    ignore: [/^bert\.embeddings\.(position_ids|token_type_ids)$/, /^bert\.pooler\./],
  };
}

/** The encoder of either variant, whatever its key names. */
function bodyOf(p: BertParams, c: BertConfig): BertBodyParams {
  if (c.model_type === 'roberta') {
    if (!('roberta' in p)) throw new TypeError('bert: config says roberta but the params have bert.* keys');
    return p.roberta;
  }
  if (!('bert' in p)) throw new TypeError('bert: config says bert but the params have roberta.* keys');
  return p.bert;
}

/** The MLM head of either variant. */
function mlmHead(p: BertParams, c: BertConfig): { dense: LinearParams; norm: LayerNormParams; bias: Tensor } {
  if ('lm_head' in p) return { dense: p.lm_head.dense, norm: p.lm_head.layer_norm, bias: p.lm_head.bias };
  if ('cls' in p) return { dense: p.cls.predictions.transform.dense, norm: p.cls.predictions.transform.LayerNorm, bias: p.cls.predictions.bias };
  throw new TypeError(`${c.model_type}: config says masked LM but the params have a classification head (set architectures to match)`);
}

/** BERT: 0..T-1 as int32 [T]; RoBERTa: HF's create_position_ids_from_input_ids, int32 [B, T]. */
function positionIds(c: BertConfig, ids: Tensor): Tensor {
  const [B, Tn] = ids.shape as [number, number];
  const last = c.model_type === 'roberta' ? c.pad_token_id + Tn : Tn - 1;
  if (last >= c.max_position_embeddings) throw new RangeError(`${c.model_type}: sequence length ${Tn} needs position ${last}, beyond max_position_embeddings ${c.max_position_embeddings}`);
  if (c.model_type !== 'roberta') return T.tensor(Array.from({ length: Tn }, (_, t) => t), [Tn], 'int32');
  const pad = c.pad_token_id;
  const out = T.empty([B, Tn], 'int32');
  const src = ids.i;
  const dst = out.i;
  for (let b = 0; b < B; b++) {
    let count = 0;
    for (let t = 0; t < Tn; t++) {
      const k = b * Tn + t;
      dst[k] = src[k] === pad ? pad : pad + ++count;
    }
  }
  return out;
}

function embed(p: BertEmbeddingsParams, c: BertConfig, batch: TextBatch, drop: DropoutCtx | null): Tensor {
  const [B, Tn] = checkIds(`${c.model_type}: batch.inputIds`, batch.inputIds, c.vocab_size, 'vocab_size');
  const given = checkShaped(`${c.model_type}: batch.tokenTypeIds`, batch.tokenTypeIds, [B, Tn]);
  if (given) checkIds(`${c.model_type}: batch.tokenTypeIds`, given, c.type_vocab_size, 'type_vocab_size');
  const types = given ?? T.zeros([B, Tn], 'int32');
  const words = T.embedding(p.word_embeddings.weight, batch.inputIds); // [B, T, C]
  const withTypes = T.add(words, T.embedding(p.token_type_embeddings.weight, types)); // [B, T, C]
  const x = T.add(withTypes, T.embedding(p.position_embeddings.weight, positionIds(c, batch.inputIds))); // [B, T, C]
  return dropout(layerNorm(p.LayerNorm, x, c.layer_norm_eps), drop);
}

/**
 * Token dropping's middle layers, [start, end) of `layers`: those after the first half and
 * before the last (empty below 3 layers). Every other layer processes every token.
 */
export function tokenDropMiddle(layers: number): { start: number; end: number } {
  const start = Math.floor(layers / 2);
  return { start, end: Math.max(start, layers - 1) };
}

/** mask int32 [B, T] at each sequence's positions keep [B, K]: int32 [B, K]. */
function gatherMask(mask: Tensor, keep: Tensor): Tensor {
  const [B, Tn] = mask.shape as [number, number];
  const K = keep.shape[1]!;
  const out = T.empty([B, K], 'int32');
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) out.i[b * K + k] = mask.i[b * Tn + keep.i[b * K + k]!]!;
  return out;
}

/** The encoder's final hidden states [B, T, hidden]: embeddings and layers, no head. */
export function bertEncode(body: BertBodyParams, c: BertConfig, batch: TextBatch, opts: ForwardOptions = {}): Tensor {
  const drop = opts.dropout ?? null;
  const [B, Tn] = batch.inputIds.shape as [number, number];
  const keyMask = checkShaped(`${c.model_type}: batch.attentionMask`, batch.attentionMask, [B, Tn]);
  const shape = layerShape(c);
  const layers = body.encoder.layer;
  const uses = layerUses(c.model_type, opts, layers.length);
  const keep = opts.tokenKeep ?? null;
  const middle = tokenDropMiddle(layers.length);
  if (keep && middle.start === middle.end) throw new RangeError(`${c.model_type}: token dropping needs at least 3 layers (a middle one), the model has ${layers.length}`);
  let h = embed(body.embeddings, c, batch, drop); // [B, T, C]
  let all = h; // every token's state when the middle layers begin
  let mask = keyMask;
  for (let i = 0; i < layers.length; i++) {
    if (keep && i === middle.start) {
      all = h;
      h = gatherTokens(h, keep); // [B, K, C]
      mask = keyMask && gatherMask(keyMask, keep);
    }
    if (keep && i === middle.end) {
      h = scatterTokens(all, h, keep); // [B, T, C]: dropped tokens rejoin with their state from before the middle
      mask = keyMask;
    }
    if (uses[i]!.run) h = bertLayer(layers[i]!, shape, h, mask, drop);
  }
  return h;
}

function mlmLogits(p: BertParams, c: BertConfig, h: Tensor): Tensor {
  const head = mlmHead(p, c);
  const act = c.model_type === 'roberta' ? 'gelu' : c.hidden_act;
  const t = layerNorm(head.norm, activation(linear(head.dense, h), act), c.layer_norm_eps); // [..., C]
  return T.linear(t, bodyOf(p, c).embeddings.word_embeddings.weight, head.bias, 'out_in'); // [..., vocab]
}

/** HF's BertForSequenceClassification / RobertaClassificationHead on the first token's state. */
function classifierLogits(p: BertParams, c: BertConfig, h: Tensor, drop: DropoutCtx | null): Tensor {
  if (!('classifier' in p)) throw new TypeError(`${c.model_type}: config says sequence classification but the params have an MLM head (set architectures to match)`);
  const [B, , C] = h.shape as [number, number, number];
  const first = T.reshape(T.slice(h, 1, 0, 1), [B, C]); // [CLS] / <s>: [B, C]
  const clsDrop = drop && { p: c.classifier_dropout ?? drop.p, rng: drop.rng };
  if ('roberta' in p) {
    const x = T.tanh(linear(p.classifier.dense, dropout(first, clsDrop))); // [B, C]
    return linear(p.classifier.out_proj, dropout(x, clsDrop)); // [B, L]
  }
  const pooled = T.tanh(linear(p.bert.pooler.dense, first)); // [B, C]
  return linear(p.classifier, dropout(pooled, clsDrop)); // [B, L]
}

/** MLM logits [B, T, vocab_size], or class logits [B, num_labels] for a sequence-classification config. */
export function bertForward(p: BertParams, c: BertConfig, batch: TextBatch, opts: ForwardOptions = {}): Tensor {
  const h = bertEncode(bodyOf(p, c), c, batch, opts); // [B, T, C]
  return bertHead(c) === 'sequence-classification' ? classifierLogits(p, c, h, opts.dropout ?? null) : mlmLogits(p, c, h);
}

/**
 * Class logits [B, L] and the targets as given, or for masked LM the MLM head on the labelled
 * positions only: the same loss as over every position's logits, without the [B, T, vocab] ones
 * (at BERT-Base 32 x 128, 500 MB and a fifth of a training step's matmuls).
 */
function bertLossLogits(p: BertParams, c: BertConfig, batch: TextBatch, targets: Tensor, opts: ForwardOptions = {}): { logits: Tensor; targets: Tensor } {
  if (bertHead(c) === 'sequence-classification') return { logits: bertForward(p, c, batch, opts), targets };
  const labelled = labelledRows(bertEncode(bodyOf(p, c), c, batch, opts), targets); // [K, C], [K]
  return { logits: mlmLogits(p, c, labelled.rows), targets: labelled.targets };
}

export const bertModel: Model<BertConfig, BertParams, TextBatch> = {
  paramSpec: bertSpec,
  initParams(c, seed) {
    validateConfig(c);
    return initTree<BertParams>(bertSpec(c), new Rng(seed));
  },
  forward: bertForward,
  loss(p, c, batch, opts) {
    const shape = bertHead(c) === 'sequence-classification' ? [batch.inputIds.shape[0]!] : batch.inputIds.shape;
    const { logits, targets } = bertLossLogits(p, c, batch, requireLabels(`${c.model_type} loss`, batch.labels, shape), opts);
    return T.crossEntropy(logits, targets);
  },
  lossLogits: bertLossLogits,
  paramsFromFlat(c, flat, opts?: LoadOptions) {
    validateConfig(c);
    const what = bertHead(c) === 'sequence-classification' ? `${c.model_type} sequence classification` : c.model_type;
    return loadTree<BertParams>(bertSpec(c), flat, loadRules(c), `paramsFromFlat (${what})`, opts);
  },
  flatten: (p) => flattenParams(p),
  trainDropout: (c, rng) => ({ p: c.hidden_dropout_prob, rng }),
};

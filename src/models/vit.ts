// ViTForImageClassification, mirroring transformers' modeling_vit.py, and its DeiT variant
// DeiTForImageClassificationWithTeacher (modeling_deit.py), chosen by model_type:
//
// - 'vit': keys `vit.*`; embeddings = [CLS, patches] + position_embeddings [1, N+1, D];
//   `classifier` on the final CLS state.
// - 'deit': HF's DeiT names: keys `deit.*`, a `deit.embeddings.distillation_token` after CLS,
//   position_embeddings [1, N+2, D], and two heads, `cls_classifier` (CLS) and
//   `distillation_classifier` (distillation token), whose logits are averaged as HF does at
//   inference. loss() is cross-entropy of that average against the labels (HF's WithTeacher model
//   has no loss; there is no teacher here).
//
// The patch embedding is HF's Conv2d with stride = kernel = patch_size, computed as patches
// (reshape/permute) times the [D, C, p, p] weight viewed as [D, C*p*p]. Layers are pre-LN:
// layernorm_before -> attention -> residual, layernorm_after -> intermediate -> output ->
// residual; then `layernorm`. Init as ViT/DeiT _init_weights but with a plain normal for
// HF's trunc_normal (cut at +-2, i.e. 100 std: the same in practice); DeiT's CLS, distillation
// and position embeddings start at zero as in HF. Attention-probability dropout is not applied.
// Progressive layer dropping (ForwardOptions.layers) as in gpt2.ts: a skipped layer is the
// identity, a running one scales its residual branches by 1 / keep probability.

import * as T from '../tensor/index.ts';
import { Rng, ShapeError, type Tensor } from '../tensor/index.ts';
import { addResidual, dropout, flattenParams, layerNorm, linear, selfAttention, type DropoutCtx, type LayerNormParams, type LinearParams, type SelfAttentionParams } from '../nn/index.ts';
import { validateConfig, type ViTConfig } from './config.ts';
import { activation, layerUses, requireLabels, scaleBranch, type ForwardOptions, type ImageBatch, type LayerUse, type Model } from './common.ts';
import { FIXED, initTree, layerNormSpec, layerStack, linearSpec, loadTree, normalSpec, produces, zerosSpec, type LoadRules, type SpecTree } from './params.ts';

export interface ViTLayerParams {
  attention: { attention: SelfAttentionParams; output: { dense: LinearParams } };
  intermediate: { dense: LinearParams };
  output: { dense: LinearParams };
  layernorm_before: LayerNormParams;
  layernorm_after: LayerNormParams;
}

export interface ViTBodyParams {
  embeddings: {
    cls_token: Tensor; // [1, 1, D]
    distillation_token?: Tensor; // [1, 1, D] (deit only)
    position_embeddings: Tensor; // [1, N + 1 (+1 for deit), D]
    patch_embeddings: { projection: LinearParams }; // weight [D, C, p, p], bias [D]
  };
  encoder: { layer: ViTLayerParams[] };
  layernorm: LayerNormParams;
}

export interface ViTForImageClassificationParams {
  vit: ViTBodyParams;
  classifier: LinearParams; // [num_labels, D]
}

export interface DeiTWithTeacherParams {
  deit: ViTBodyParams;
  cls_classifier: LinearParams; // [num_labels, D]
  distillation_classifier: LinearParams; // [num_labels, D]
}

export type ViTParams = ViTForImageClassificationParams | DeiTWithTeacherParams;

const numPatches = (c: ViTConfig) => (c.image_size / c.patch_size) ** 2;

function layerSpec(c: ViTConfig): SpecTree<ViTLayerParams> {
  const D = c.hidden_size;
  const std = c.initializer_range;
  return {
    attention: {
      attention: { query: linearSpec(D, D, std, { out: 'q', in: 'hidden' }), key: linearSpec(D, D, std, { out: 'k', in: 'hidden' }), value: linearSpec(D, D, std, { out: 'v', in: 'hidden' }) },
      output: { dense: linearSpec(D, D, std, { out: 'hidden', in: 'v' }) },
    },
    intermediate: { dense: linearSpec(c.intermediate_size, D, std, { out: 'ffn', in: 'hidden' }) },
    output: { dense: linearSpec(D, c.intermediate_size, std, { out: 'hidden', in: 'ffn' }) },
    layernorm_before: layerNormSpec(D),
    layernorm_after: layerNormSpec(D),
  };
}

function bodySpec(c: ViTConfig): SpecTree<ViTBodyParams> {
  const D = c.hidden_size;
  const std = c.initializer_range;
  const deit = c.model_type === 'deit';
  const toHidden = [FIXED, FIXED, produces('hidden')];
  const tokenSpec = () => (deit ? zerosSpec([1, 1, D], 'token', toHidden) : normalSpec([1, 1, D], std, 'token', toHidden));
  const positions = numPatches(c) + (deit ? 2 : 1);
  return {
    embeddings: {
      cls_token: tokenSpec(),
      ...(deit ? { distillation_token: tokenSpec() } : {}),
      position_embeddings: deit ? zerosSpec([1, positions, D], 'embedding', toHidden) : normalSpec([1, positions, D], std, 'embedding', toHidden),
      patch_embeddings: {
        projection: { weight: normalSpec([D, c.num_channels, c.patch_size, c.patch_size], std, 'weight', [produces('hidden'), FIXED, FIXED, FIXED]), bias: zerosSpec([D], 'bias', [produces('hidden')]) },
      },
    },
    encoder: { layer: layerStack(c.num_hidden_layers, () => layerSpec(c)) },
    layernorm: layerNormSpec(D),
  };
}

export function vitSpec(c: ViTConfig): SpecTree<ViTParams> {
  const head = () => linearSpec(c.num_labels, c.hidden_size, c.initializer_range, { out: 'fixed', in: 'hidden' });
  if (c.model_type === 'deit') return { deit: bodySpec(c), cls_classifier: head(), distillation_classifier: head() };
  return { vit: bodySpec(c), classifier: head() };
}

const loadRules = (c: ViTConfig): LoadRules => ({ tied: {}, ignore: [new RegExp(`^${c.model_type}\\.pooler\\.`)] });

/** pixels [B, C, H, W] -> patch embeddings [B, N, D] (HF's strided Conv2d, flattened). */
function patchEmbed(p: LinearParams, c: ViTConfig, pixels: Tensor): Tensor {
  const [B, C, H, W] = pixels.shape as [number, number, number, number];
  if (pixels.rank !== 4 || C !== c.num_channels || H !== c.image_size || W !== c.image_size) {
    throw new ShapeError(`${c.model_type}: batch.pixelValues must be [batch, ${c.num_channels}, ${c.image_size}, ${c.image_size}], got [${pixels.shape.join(', ')}]`);
  }
  const ps = c.patch_size;
  const g = c.image_size / ps;
  const grid = T.reshape(pixels, [B, C, g, ps, g, ps]); // [B, C, gh, p, gw, p]
  const patches = T.reshape(T.permute(grid, [0, 2, 4, 1, 3, 5]), [B, g * g, C * ps * ps]); // [B, N, C*p*p]
  const w = T.reshape(p.weight, [c.hidden_size, C * ps * ps]); // [D, C*p*p]
  return T.linear(patches, w, p.bias, 'out_in'); // [B, N, D]
}

function embed(e: ViTBodyParams['embeddings'], c: ViTConfig, pixels: Tensor, drop: DropoutCtx | null): Tensor {
  const patches = patchEmbed(e.patch_embeddings.projection, c, pixels); // [B, N, D]
  const B = pixels.shape[0]!;
  const tokens = [e.cls_token, ...(e.distillation_token ? [e.distillation_token] : [])].map((t) => T.expand(t, [B, 1, c.hidden_size])); // [B, 1, D] each
  const x = T.add(T.concat([...tokens, patches], 1), e.position_embeddings); // [B, N+1(+1), D]
  return dropout(x, drop);
}

function layer(p: ViTLayerParams, c: ViTConfig, x: Tensor, drop: DropoutCtx | null, use: LayerUse): Tensor {
  const eps = c.layer_norm_eps;
  const ctx = selfAttention(p.attention.attention, layerNorm(p.layernorm_before, x, eps), c.num_attention_heads); // [B, S, D]
  const a = linear(p.attention.output.dense, ctx);
  const h = addResidual(scaleBranch(dropout(a, drop), use), x, a);
  const f = activation(linear(p.intermediate.dense, layerNorm(p.layernorm_after, h, eps)), c.hidden_act); // [B, S, inter]
  const o = linear(p.output.dense, f);
  return addResidual(scaleBranch(dropout(o, drop), use), h, o);
}

/** The final hidden state of token `index` (0 = CLS, 1 = distillation): [B, D]. */
function token(h: Tensor, index: number): Tensor {
  const [B, , D] = h.shape as [number, number, number];
  return T.reshape(T.slice(h, 1, index, index + 1), [B, D]);
}

/** Class logits [B, num_labels]. */
export function vitForward(p: ViTParams, c: ViTConfig, batch: ImageBatch, opts: ForwardOptions = {}): Tensor {
  const drop = opts.dropout ?? null;
  const body = 'deit' in p ? p.deit : p.vit;
  if (('deit' in p) !== (c.model_type === 'deit')) throw new TypeError(`vit: config says ${c.model_type} but the params have ${'deit' in p ? 'deit' : 'vit'}.* keys`);
  let h = embed(body.embeddings, c, batch.pixelValues, drop); // [B, S, D]
  const uses = layerUses(c.model_type, opts, body.encoder.layer.length);
  body.encoder.layer.forEach((l, i) => {
    if (uses[i]!.run) h = layer(l, c, h, drop, uses[i]!);
  });
  h = layerNorm(body.layernorm, h, c.layer_norm_eps);
  if ('vit' in p) return linear(p.classifier, token(h, 0)); // [B, L]
  const both = T.add(linear(p.cls_classifier, token(h, 0)), linear(p.distillation_classifier, token(h, 1)));
  return T.scale(both, 0.5); // [B, L]
}

export const vitModel: Model<ViTConfig, ViTParams, ImageBatch> = {
  paramSpec: vitSpec,
  initParams(c, seed) {
    validateConfig(c);
    return initTree<ViTParams>(vitSpec(c), new Rng(seed));
  },
  forward: vitForward,
  lossLogits: (p, c, batch, targets, opts) => ({ logits: vitForward(p, c, batch, opts), targets }),
  loss(p, c, batch, opts) {
    const labels = requireLabels(`${c.model_type} loss`, batch.labels, [batch.pixelValues.shape[0]!]);
    return T.crossEntropy(vitForward(p, c, batch, opts), labels);
  },
  paramsFromFlat(c, flat) {
    validateConfig(c);
    return loadTree<ViTParams>(vitSpec(c), flat, loadRules(c), `paramsFromFlat (${c.model_type})`);
  },
  flatten: (p) => flattenParams(p),
  trainDropout: (c, rng) => ({ p: c.hidden_dropout_prob, rng }),
};

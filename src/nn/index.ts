// Functional building blocks shared by the models: parameter shapes as plain objects whose
// keys follow HuggingFace's state-dict names, and forward functions over them. gatherTokens and
// scatterTokens move rows along the sequence axis (token dropping); they are the engine's
// embedding lookup over a flattened [B*T, C] table, so its scatter-add backward is their gradient.

import * as T from '../tensor/index.ts';
import type { Rng, Tensor } from '../tensor/index.ts';

export interface LinearParams {
  weight: Tensor; // [out, in] (torch.nn.Linear) or [in, out] (GPT-2 Conv1D)
  bias: Tensor; // [out]
}

export interface LayerNormParams {
  weight: Tensor; // [dim]
  bias: Tensor; // [dim]
}

/** Dropout settings for one forward pass: off when null or p = 0; rng supplies per-call seeds. */
export interface DropoutCtx {
  p: number;
  rng: Rng;
}

export function dropout(x: Tensor, ctx: DropoutCtx | null): Tensor {
  return ctx && ctx.p > 0 ? T.dropout(x, ctx.p, ctx.rng.seed()) : x;
}

export function linear(p: LinearParams, x: Tensor, layout: T.WeightLayout = 'out_in'): Tensor {
  return T.linear(x, p.weight, p.bias, layout);
}

export function layerNorm(p: LayerNormParams, x: Tensor, eps: number): Tensor {
  return T.layerNorm(x, p.weight, p.bias, eps);
}

/** Checks keep (int32 [B, K], positions in [0, T) per sequence) against x [B, T, C]; returns [B, T, C, K]. */
function tokenDims(op: string, x: Tensor, keep: Tensor): [number, number, number, number] {
  const [B, Tn, C] = x.shape as [number, number, number];
  if (x.rank !== 3 || keep.dtype !== 'int32' || keep.rank !== 2 || keep.shape[0] !== B) throw new T.ShapeError(`${op}: expected x [B, T, C] and int32 keep [B, K], got ${x} and ${keep}`);
  const K = keep.shape[1]!;
  for (const t of keep.i) if (t < 0 || t >= Tn) throw new RangeError(`${op}: position ${t} is outside the sequence of ${Tn} tokens`);
  return [B, Tn, C, K];
}

/** The rows of x [B, T, C] at each sequence's positions keep (int32 [B, K]): [B, K, C]; differentiable in x. */
export function gatherTokens(x: Tensor, keep: Tensor): Tensor {
  const [B, Tn, C, K] = tokenDims('gatherTokens', x, keep);
  const ids = T.empty([B, K], 'int32');
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) ids.i[b * K + k] = b * Tn + keep.i[b * K + k]!;
  return T.embedding(T.reshape(x, [B * Tn, C]), ids); // [B, K, C]
}

/**
 * The rows of x [B, T, C] whose label (int32 [B, T]) is not `ignoreIndex`, as [K, C], with those
 * labels [K]: the positions a loss reads. A masked-LM head run on these rows instead of all B*T
 * gives the same mean loss (ignored positions add nothing to it) for the work of K rows (about
 * 15% of them). With no labelled position, every row (the loss reads none either way).
 */
export function labelledRows(x: Tensor, labels: Tensor, ignoreIndex = -100): { rows: Tensor; targets: Tensor } {
  const [B, Tn, C] = x.shape as [number, number, number];
  if (x.rank !== 3 || labels.dtype !== 'int32' || labels.size !== B * Tn) throw new T.ShapeError(`labelledRows: x must be [B, T, C] and labels int32 [B, T], got ${x} and ${labels}`);
  const at: number[] = [];
  for (let i = 0; i < B * Tn; i++) if (labels.i[i] !== ignoreIndex) at.push(i);
  if (at.length === 0) return { rows: T.reshape(x, [B * Tn, C]), targets: T.reshape(labels, [B * Tn]) };
  const ids = T.tensor(at, [at.length], 'int32');
  const targets = T.tensor(at.map((i) => labels.i[i]!), [at.length], 'int32');
  return { rows: T.embedding(T.reshape(x, [B * Tn, C]), ids), targets }; // [K, C]
}

/**
 * base [B, T, C] with the rows at each sequence's positions keep (int32 [B, K], distinct within
 * a sequence) replaced by rows [B, K, C]: [B, T, C]; differentiable in base and rows.
 */
export function scatterTokens(base: Tensor, rows: Tensor, keep: Tensor): Tensor {
  const [B, Tn, C, K] = tokenDims('scatterTokens', base, keep);
  if (rows.rank !== 3 || rows.shape[0] !== B || rows.shape[1] !== K || rows.shape[2] !== C) throw new T.ShapeError(`scatterTokens: rows must be [${B}, ${K}, ${C}], got ${rows}`);
  const ids = T.empty([B, Tn], 'int32'); // row of the table [base; rows] each output position takes
  for (let i = 0; i < B * Tn; i++) ids.i[i] = i;
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) ids.i[b * Tn + keep.i[b * K + k]!] = B * Tn + b * K + k;
  const table = T.concat([T.reshape(base, [B * Tn, C]), T.reshape(rows, [B * K, C])], 0); // [B*T + B*K, C]
  return T.embedding(table, ids); // [B, T, C]
}

export interface SelfAttentionParams {
  query: LinearParams;
  key: LinearParams;
  value: LinearParams;
}

/** Multi-head self-attention up to (not including) the output projection: [B, T, C] -> [B, T, C]. */
export function selfAttention(p: SelfAttentionParams, x: Tensor, heads: number, opts: { causal?: boolean; keyMask?: Tensor | null; dropout?: DropoutCtx | null } = {}): Tensor {
  if (opts.dropout && opts.dropout.p > 0) throw new RangeError('selfAttention: attention-probability dropout is not supported by the fused kernel; use hidden dropout');
  // Q, K and V as one product (x read once, one wider GEMM; the weights' concatenation is a
  // small copy), left packed side by side in each row: the attention kernel reads each head in place.
  const weight = T.concat([p.query.weight, p.key.weight, p.value.weight], 0); // [3C, C]
  const bias = T.concat([p.query.bias, p.key.bias, p.value.bias], 0);
  return T.packedAttention(T.linear(x, weight, bias), { heads, causal: opts.causal ?? false, keyMask: opts.keyMask ?? null });
}

/**
 * branch + residual, then disposes `temps` (the branch's own intermediates, e.g. a projection's
 * output under dropout) and the branch itself where no backward rule reads them.
 */
export function addResidual(branch: Tensor, residual: Tensor, ...temps: Tensor[]): Tensor {
  const y = T.add(branch, residual);
  T.dispose(branch, ...temps);
  return y;
}

/** Normal(0, std) initialisation as HuggingFace does (std 0.02 by default), seeded. */
export function initNormal(rng: Rng, shape: number[], std = 0.02): Tensor {
  const t = T.empty(shape);
  const d = t.f;
  for (let i = 0; i < d.length; i++) d[i] = rng.normal() * std;
  return t;
}

/** Flattens a parameter tree into [HuggingFace key, tensor] pairs, in insertion order. */
export function flattenParams(tree: unknown, prefix = ''): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  const walk = (node: unknown, path: string) => {
    if (node instanceof T.Tensor) out.push([path, node]);
    else if (Array.isArray(node)) node.forEach((v, i) => walk(v, path ? `${path}.${i}` : String(i)));
    else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(tree, prefix);
  return out;
}

// Fused ops with hand-written backward kernels: layer norm and RMS norm over the last axis, rotary
// position embeddings, embedding lookup (gradient by scatter-add), and cross-entropy over logits
// with an ignore index (also per row, without gradient: token dropping's per-token losses).

import { record } from '../autograd.ts';
import { getBackend } from '../device.ts';
import { ShapeError, Tensor, empty, zeros } from '../tensor.ts';
import { fmt, requireFloat, sameShape } from './shape-util.ts';

/** LayerNorm over the last axis (biased variance, eps inside the square root, as PyTorch). */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-12): Tensor {
  requireFloat('layerNorm', x, gamma, beta);
  const cols = x.shape[x.rank - 1]!;
  if (!sameShape(gamma.shape, [cols]) || !sameShape(beta.shape, [cols])) {
    throw new ShapeError(`layerNorm: input ${fmt(x.shape)} needs weight and bias [${cols}], got ${fmt(gamma.shape)} and ${fmt(beta.shape)}`);
  }
  const be = getBackend();
  const rows = x.size / cols;
  const out = empty(x.shape, x.dtype);
  const mean = empty([rows], x.dtype);
  const rstd = empty([rows], x.dtype);
  be.layerNorm(x.f, gamma.f, beta.f, rows, cols, eps, out.f, mean.f, rstd.f);
  return record(out, 'layerNorm', [x, gamma, beta], (gy) => {
    const gx = empty(x.shape, x.dtype);
    const gg = zeros(gamma.shape, gamma.dtype);
    const gb = zeros(beta.shape, beta.dtype);
    be.layerNormBackward(x.f, gamma.f, mean.f, rstd.f, gy.f, rows, cols, gx.f, gg.f, gb.f);
    return [gx, gg, gb];
  }, [x, gamma]);
}

/**
 * RMSNorm over the last axis as HF's LlamaRMSNorm: weight * (x / sqrt(mean(x^2) + eps)), no mean
 * subtracted and no bias.
 */
export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-6): Tensor {
  requireFloat('rmsNorm', x, weight);
  const cols = x.shape[x.rank - 1]!;
  if (!sameShape(weight.shape, [cols])) throw new ShapeError(`rmsNorm: input ${fmt(x.shape)} needs weight [${cols}], got ${fmt(weight.shape)}`);
  const be = getBackend();
  const rows = x.size / cols;
  const out = empty(x.shape, x.dtype);
  const rstd = empty([rows], x.dtype);
  be.rmsNorm(x.f, weight.f, rows, cols, eps, out.f, rstd.f);
  return record(out, 'rmsNorm', [x, weight], (gy) => {
    const gx = empty(x.shape, x.dtype);
    const gw = zeros(weight.shape, weight.dtype);
    be.rmsNormBackward(x.f, weight.f, rstd.f, gy.f, rows, cols, gx.f, gw.f);
    return [gx, gw];
  }, [x, weight]);
}

/**
 * Rotary position embeddings as HF's apply_rotary_pos_emb on x [B, T, H*D] (H heads of size D,
 * side by side, as a linear layer writes them) with the caller's tables cos and sin [T, D] (HF's
 * emb = cat(freqs, freqs): cos = emb.cos(), sin = emb.sin()): per head, x * cos + rotateHalf(x)
 * * sin, rotateHalf(x) = cat(-x[D/2:], x[:D/2]). Differentiable in x only (the tables are
 * constants).
 */
export function rotary(x: Tensor, cos: Tensor, sin: Tensor, heads: number): Tensor {
  requireFloat('rotary', x, cos, sin);
  if (x.rank !== 3) throw new ShapeError(`rotary: expected x [B, T, H*D], got ${fmt(x.shape)}`);
  const [B, T, C] = x.shape as [number, number, number];
  if (!Number.isInteger(heads) || heads < 1 || C % heads !== 0) throw new ShapeError(`rotary: ${C} features do not split into ${heads} heads`);
  const D = C / heads;
  if (D % 2 !== 0) throw new ShapeError(`rotary: head size ${D} (${C} features / ${heads} heads) must be even`);
  if (!sameShape(cos.shape, [T, D]) || !sameShape(sin.shape, [T, D])) throw new ShapeError(`rotary: x ${fmt(x.shape)} with ${heads} heads needs cos and sin [${T}, ${D}], got ${fmt(cos.shape)} and ${fmt(sin.shape)}`);
  const be = getBackend();
  const out = empty(x.shape, x.dtype);
  be.rotary(x.f, cos.f, sin.f, B, T, heads, D, out.f, false);
  return record(out, 'rotary', [x], (gy) => {
    const gx = empty(x.shape, x.dtype);
    be.rotary(gy.f, cos.f, sin.f, B, T, heads, D, gx.f, true);
    return [gx];
  }, [cos, sin]);
}

/** Rows of `table` [vocab, dim] picked by int32 `ids` of any shape: output [...ids.shape, dim]. */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  requireFloat('embedding', table);
  if (table.rank !== 2) throw new ShapeError(`embedding: table must be [vocab, dim], got ${fmt(table.shape)}`);
  if (ids.dtype !== 'int32') throw new TypeError(`embedding: ids must be int32, got ${ids.dtype}`);
  const [vocab, dim] = table.shape as [number, number];
  const be = getBackend();
  const out = empty([...ids.shape, dim], table.dtype);
  be.gather(table.f, vocab, dim, ids.i, out.f);
  return record(out, 'embedding', [table], (gy) => {
    const gt = zeros(table.shape, table.dtype);
    be.scatterAdd(gy.f, ids.i, dim, gt.f);
    return [gt];
  });
}

/** Checks logits [..., classes] against int32 targets [...]; returns rows, classes and the count of targets that are not ignoreIndex. */
function checkTargets(op: string, logits: Tensor, targets: Tensor, ignoreIndex: number): { rows: number; cols: number; count: number } {
  requireFloat(op, logits);
  if (targets.dtype !== 'int32') throw new TypeError(`${op}: targets must be int32, got ${targets.dtype}`);
  const cols = logits.shape[logits.rank - 1]!;
  if (!sameShape(targets.shape, logits.shape.slice(0, -1))) throw new ShapeError(`${op}: logits ${fmt(logits.shape)} need targets ${fmt(logits.shape.slice(0, -1))}, got ${fmt(targets.shape)}`);
  const rows = targets.size;
  const t = targets.i;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const y = t[r]!;
    if (y === ignoreIndex) continue;
    if (y < 0 || y >= cols) throw new RangeError(`${op}: target ${y} at row ${r} is outside [0, ${cols})`);
    count++;
  }
  return { rows, cols, count };
}

/**
 * Mean cross-entropy of logits [..., classes] against int32 targets [...], skipping targets
 * equal to ignoreIndex (PyTorch's default -100). With no counted target the loss is 0 and so is
 * its gradient.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, ignoreIndex = -100): Tensor {
  const { rows, cols, count } = checkTargets('crossEntropy', logits, targets, ignoreIndex);
  const t = targets.i;
  const be = getBackend();
  const lse = empty([rows], logits.dtype);
  const total = be.crossEntropy(logits.f, t, rows, cols, ignoreIndex, lse.f);
  const out = empty([], logits.dtype);
  out.f[0] = count > 0 ? total / count : 0;
  return record(out, 'crossEntropy', [logits], (gy) => {
    const gx = empty(logits.shape, logits.dtype);
    be.crossEntropyBackward(logits.f, t, lse.f, rows, cols, ignoreIndex, count > 0 ? gy.item() / count : 0, gx.f);
    return [gx];
  });
}

/**
 * The cross-entropy of every row (targets' shape; 0 where the target is ignoreIndex): the
 * log-sum-exp crossEntropy's kernel writes, minus the target's logit. No gradient.
 */
export function crossEntropyRows(logits: Tensor, targets: Tensor, ignoreIndex = -100): Tensor {
  const { rows, cols } = checkTargets('crossEntropyRows', logits, targets, ignoreIndex);
  const t = targets.i;
  const x = logits.f;
  const out = empty(targets.shape, logits.dtype);
  getBackend().crossEntropy(x, t, rows, cols, ignoreIndex, out.f); // writes each row's log-sum-exp
  for (let r = 0; r < rows; r++) out.f[r] = t[r] === ignoreIndex ? 0 : out.f[r]! - x[r * cols + t[r]!]!;
  return out;
}

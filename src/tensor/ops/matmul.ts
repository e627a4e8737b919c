// Matrix products: batched matmul with transposes, the fused linear layer (x W^T + b, with
// HuggingFace's [out, in] Linear layout or GPT-2's [in, out] Conv1D layout), and fused
// scaled-dot-product attention with causal and key-padding masks and grouped-query key/value
// heads.

import { ReduceOp, type AttentionDims, type HeadsView } from '../backend.ts';
import { needsGrad, record } from '../autograd.ts';
import { getBackend } from '../device.ts';
import { ShapeError, Tensor, empty } from '../tensor.ts';
import { fmt, product, requireFloat, sameShape } from './shape-util.ts';
import { sumTo } from './shape.ts';

interface MatSpec {
  batch: readonly number[];
  rows: number; // of op(X)
  cols: number; // of op(X)
}

function matSpec(op: string, t: Tensor, trans: boolean): MatSpec {
  if (t.rank < 2) throw new ShapeError(`${op}: expected a matrix or a batch of matrices, got ${fmt(t.shape)}`);
  const r = t.shape[t.rank - 2]!;
  const c = t.shape[t.rank - 1]!;
  return { batch: t.shape.slice(0, -2), rows: trans ? c : r, cols: trans ? r : c };
}

/** C = op(A) @ op(B), raw (no autograd). Batch dims must match, or one side is a single matrix. */
function gemm(a: Tensor, transA: boolean, b: Tensor, transB: boolean, alpha = 1): Tensor {
  const sa = matSpec('matmul', a, transA);
  const sb = matSpec('matmul', b, transB);
  if (sa.cols !== sb.rows) throw new ShapeError(`matmul: shapes ${fmt(a.shape)}${transA ? 'ᵀ' : ''} and ${fmt(b.shape)}${transB ? 'ᵀ' : ''} have inner dimensions ${sa.cols} and ${sb.rows}`);
  let batch: readonly number[];
  if (sameShape(sa.batch, sb.batch) || sb.batch.length === 0) batch = sa.batch;
  else if (sa.batch.length === 0) batch = sb.batch;
  else throw new ShapeError(`matmul: batch dimensions of ${fmt(a.shape)} and ${fmt(b.shape)} differ (they must match, or one side must be a single matrix)`);
  const m = sa.rows;
  const n = sb.cols;
  const k = sa.cols;
  const count = product(batch);
  const out = empty([...batch, m, n], a.dtype);
  // A batched A times one B with A not transposed is a single tall product.
  const tall = sb.batch.length === 0 && !transA && count > 1;
  getBackend().matmul(a.f, b.f, out.f, {
    batch: tall ? 1 : count,
    m: tall ? m * count : m,
    n,
    k,
    transA,
    transB,
    strideA: sa.batch.length === 0 ? 0 : m * k,
    strideB: sb.batch.length === 0 ? 0 : k * n,
    strideC: m * n,
    alpha,
    beta: 0,
  });
  return out;
}

/**
 * Batched matrix product with optional transposes: a [..., m, k] (or [..., k, m] with transA)
 * times b [..., k, n] (or [..., n, k] with transB).
 */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  requireFloat('matmul', a, b);
  const ta = opts.transA ?? false;
  const tb = opts.transB ?? false;
  const out = gemm(a, ta, b, tb);
  return record(out, 'matmul', [a, b], (gy) => {
    // dA = dC op(B)^T (stored layout of A), dB = op(A)^T dC (stored layout of B).
    const ga = !needsGrad(a) ? null : ta ? gemm(b, tb, gy, true) : gemm(gy, false, b, !tb);
    const gb = !needsGrad(b) ? null : tb ? gemm(gy, true, a, ta) : gemm(a, !ta, gy, false);
    return [ga && sumTo(ga, a.shape), gb && sumTo(gb, b.shape)];
  }, [a, b]);
}

export type WeightLayout = 'out_in' | 'in_out';

/**
 * y = x W^T + b over the last axis of x. `layout` 'out_in' is torch.nn.Linear's [out, in];
 * 'in_out' is GPT-2's Conv1D [in, out]. The bias, when given, is [out].
 */
export function linear(x: Tensor, w: Tensor, b: Tensor | null, layout: WeightLayout = 'out_in'): Tensor {
  requireFloat('linear', x, w, ...(b ? [b] : []));
  if (w.rank !== 2) throw new ShapeError(`linear: weight must be 2-D, got ${fmt(w.shape)}`);
  const tW = layout === 'out_in';
  const [inF, outF] = tW ? [w.shape[1]!, w.shape[0]!] : [w.shape[0]!, w.shape[1]!];
  const xin = x.shape[x.rank - 1];
  if (xin !== inF) throw new ShapeError(`linear: input ${fmt(x.shape)} has ${xin} features but weight ${fmt(w.shape)} (${layout}) expects ${inF}`);
  if (b && (b.rank !== 1 || b.shape[0] !== outF)) throw new ShapeError(`linear: bias ${fmt(b.shape)} does not match ${outF} output features`);
  const be = getBackend();
  const rows = x.size / inF;
  const out = empty([...x.shape.slice(0, -1), outF], x.dtype);
  be.matmul(x.f, w.f, out.f, { batch: 1, m: rows, n: outF, k: inF, transA: false, transB: tW, strideA: 0, strideB: 0, strideC: 0, alpha: 1, beta: 0, bias: b ? b.f : null });
  const inputs = b ? [x, w, b] : [x, w];
  return record(out, 'linear', inputs, (gy) => {
    let gx: Tensor | null = null;
    let gw: Tensor | null = null;
    let gb: Tensor | null = null;
    if (needsGrad(x)) {
      gx = empty(x.shape, x.dtype);
      be.matmul(gy.f, w.f, gx.f, { batch: 1, m: rows, n: inF, k: outF, transA: false, transB: !tW, strideA: 0, strideB: 0, strideC: 0, alpha: 1, beta: 0 });
    }
    if (needsGrad(w)) {
      gw = empty(w.shape, w.dtype);
      if (tW) be.matmul(gy.f, x.f, gw.f, { batch: 1, m: outF, n: inF, k: rows, transA: true, transB: false, strideA: 0, strideB: 0, strideC: 0, alpha: 1, beta: 0 });
      else be.matmul(x.f, gy.f, gw.f, { batch: 1, m: inF, n: outF, k: rows, transA: true, transB: false, strideA: 0, strideB: 0, strideC: 0, alpha: 1, beta: 0 });
    }
    if (b && needsGrad(b)) {
      gb = empty(b.shape, b.dtype);
      be.reduce(ReduceOp.Sum, gy.f, 1, rows, outF, gb.f);
    }
    return [gx, gw, gb];
  }, [x, w]);
}

export interface AttentionOptions {
  /** Heads: each row of q holds them side by side, heads x head size. */
  heads: number;
  /**
   * Key/value heads (default: heads), dividing heads: each row of k and v holds kvHeads heads of
   * the same size, and query head h reads key/value head floor(h / (heads / kvHeads)) (grouped-
   * query attention, HF's repeat_kv, without repeating k and v).
   */
  kvHeads?: number;
  causal?: boolean;
  /** int32 [batch, tk]: 1 for real tokens, 0 for padding that no query may attend to. */
  keyMask?: Tensor | null;
  /** Defaults to 1/sqrt(head size). */
  scale?: number;
}

/**
 * Multi-head softmax(q k^T * scale + mask) v on rows as linear layers write them: q [B, Tq, H*D],
 * k and v [B, Tk, KV*D] (KV = kvHeads, H by default), head h in columns h*D onwards; returns
 * [B, Tq, H*D] laid out as q. Each head is read in place, so no head split or merge copies. The
 * probabilities are kept for the backward pass (B*H*Tq*Tk floats).
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): Tensor {
  requireFloat('attention', q, k, v);
  if (q.rank !== 3 || k.rank !== 3 || !sameShape(k.shape, v.shape) || q.shape[0] !== k.shape[0]) {
    throw new ShapeError(`attention: expected q [B, Tq, H*D] and k, v [B, Tk, KV*D], got ${fmt(q.shape)}, ${fmt(k.shape)}, ${fmt(v.shape)}`);
  }
  const qRows: HeadsView = { offset: 0, rowStride: q.shape[2]! };
  const kvRows: HeadsView = { offset: 0, rowStride: k.shape[2]! };
  return attend([q, k, v], [q, k, v], [qRows, kvRows, kvRows], q.shape[1]!, k.shape[1]!, q.shape[2]!, k.shape[2]!, opts);
}

/**
 * attention on q, k and v packed side by side in each row of one tensor qkv [B, T, 3*H*D]
 * (GPT-2's c_attn output): no split copies either. Returns [B, T, H*D]. Multi-head only (kvHeads,
 * if given, must equal heads).
 */
export function packedAttention(qkv: Tensor, opts: AttentionOptions): Tensor {
  requireFloat('packedAttention', qkv);
  if (qkv.rank !== 3 || qkv.shape[2]! % 3 !== 0) throw new ShapeError(`packedAttention: expected qkv [B, T, 3C], got ${fmt(qkv.shape)}`);
  if ((opts.kvHeads ?? opts.heads) !== opts.heads) throw new ShapeError(`packedAttention: q, k and v are packed at equal widths, so kvHeads (${opts.kvHeads}) must equal heads (${opts.heads})`);
  const C = qkv.shape[2]! / 3;
  const at = (part: number): HeadsView => ({ offset: part * C, rowStride: 3 * C });
  return attend([qkv], [qkv, qkv, qkv], [at(0), at(1), at(2)], qkv.shape[1]!, qkv.shape[1]!, C, C, opts);
}

/**
 * The attention of `attention` and `packedAttention`: q, k, v are views into `inputs`, q's rows
 * Cq features wide, k's and v's Ckv.
 */
function attend(inputs: Tensor[], [q, k, v]: [Tensor, Tensor, Tensor], views: [HeadsView, HeadsView, HeadsView], Tq: number, Tk: number, Cq: number, Ckv: number, opts: AttentionOptions): Tensor {
  const H = opts.heads;
  if (!Number.isInteger(H) || H < 1 || Cq % H !== 0) throw new ShapeError(`attention: ${Cq} features do not split into ${H} heads`);
  const D = Cq / H;
  const KV = opts.kvHeads ?? H;
  if (!Number.isInteger(KV) || KV < 1 || H % KV !== 0) throw new ShapeError(`attention: ${KV} key/value heads do not divide ${H} heads`);
  if (Ckv !== KV * D) throw new ShapeError(`attention: k and v need ${KV * D} features (${KV} key/value heads of ${D}), got ${Ckv}`);
  const B = q.shape[0]!;
  const mask = opts.keyMask ?? null;
  if (mask && (mask.dtype !== 'int32' || !sameShape(mask.shape, [B, Tk]))) throw new ShapeError(`attention: keyMask must be int32 [${B}, ${Tk}], got ${mask.dtype} ${fmt(mask.shape)}`);
  const dims: AttentionDims = { batch: B, heads: H, kvHeads: KV, tq: Tq, tk: Tk, d: D, scale: opts.scale ?? 1 / Math.sqrt(D), causal: opts.causal ?? false };
  const be = getBackend();
  const [qv, kv, vv] = views;
  const p = empty([B, H, Tq, Tk], q.dtype);
  const out = empty([B, Tq, Cq], q.dtype);
  be.attention(q.f, qv, k.f, kv, v.f, vv, mask ? mask.i : null, p.f, out.f, dims);
  return record(out, 'attention', inputs, (gy) => {
    const grads = inputs.map((t) => empty(t.shape, t.dtype));
    const [gq, gk, gv] = grads.length === 1 ? [grads[0]!, grads[0]!, grads[0]!] : grads;
    be.attentionBackward(q.f, qv, k.f, kv, v.f, vv, p.f, gy.f, gq!.f, gk!.f, gv!.f, dims);
    return grads;
  }, inputs);
}

// Every differentiable op's gradient against central finite differences, in float64 on the
// reference backend (and nn's token routing, built from them).

import { test } from 'node:test';
import * as T from '../src/tensor/index.ts';
import { Rng, setBackend, tensor } from '../src/tensor/index.ts';
import { gatherTokens, scatterTokens } from '../src/nn/index.ts';
import { gradCheck, randint, randn } from './helpers.ts';

setBackend('reference');
const rng = new Rng(1234);
const r = (shape: number[], s = 1) => randn(rng, shape, 'float64', s);
const positive = (shape: number[]) => {
  const x = r(shape);
  return T.addScalar(T.mul(x, x), 0.5);
};

test('broadcasting add, sub, mul, div', () => {
  for (const [sa, sb] of [
    [[3, 4], [3, 4]],
    [[2, 3, 4], [4]],
    [[2, 1, 4], [3, 1]],
    [[5], []],
    [[1, 3], [2, 1]],
  ] as number[][][]) {
    gradCheck(T.add, [r(sa!), r(sb!)]);
    gradCheck(T.sub, [r(sa!), r(sb!)]);
    gradCheck(T.mul, [r(sa!), r(sb!)]);
    gradCheck(T.div, [r(sa!), positive(sb!)]);
  }
});

test('unary functions', () => {
  const x = r([3, 5]);
  for (const f of [T.exp, T.tanh, T.erf, T.neg, (t: T.Tensor) => T.gelu(t, 'erf'), (t: T.Tensor) => T.gelu(t, 'tanh'), (t: T.Tensor) => T.scale(t, -2.5), (t: T.Tensor) => T.addScalar(t, 3), T.silu]) {
    gradCheck(f, [x]);
  }
  const p = positive([3, 5]);
  for (const f of [T.log, T.sqrt, T.rsqrt, (t: T.Tensor) => T.pow(t, 3), (t: T.Tensor) => T.pow(t, -1.5)]) gradCheck(f, [p]);
  gradCheck(T.relu, [tensor([-2, -0.5, 0.3, 1.7], [4], 'float64')]);
});

test('reductions: sum, mean, max over axes', () => {
  const x = r([2, 3, 4]);
  gradCheck((t) => T.sum(t), [x]);
  gradCheck((t) => T.sum(t, 1), [x]);
  gradCheck((t) => T.sum(t, [0, 2], true), [x]);
  gradCheck((t) => T.mean(t, -1), [x]);
  gradCheck((t) => T.mean(t, [0, 1]), [x]);
  gradCheck((t) => T.max(t, 1), [x]);
  gradCheck((t) => T.max(t, -1, true), [x]);
});

test('softmax and log-softmax', () => {
  gradCheck(T.softmax, [r([3, 7])]);
  gradCheck(T.logSoftmax, [r([2, 2, 5])]);
});

test('matmul with every transpose and batch broadcasting', () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const a = r(transA ? [2, 4, 3] : [2, 3, 4]);
      const b = r(transB ? [2, 5, 4] : [2, 4, 5]);
      gradCheck((x, y) => T.matmul(x, y, { transA, transB }), [a, b]);
      const b2 = r(transB ? [5, 4] : [4, 5]);
      gradCheck((x, y) => T.matmul(x, y, { transA, transB }), [a, b2]);
      const a2 = r(transA ? [4, 3] : [3, 4]);
      gradCheck((x, y) => T.matmul(x, y, { transA, transB }), [a2, b]);
    }
  }
});

test('linear in both weight layouts, with and without bias', () => {
  const x = r([2, 3, 4]);
  gradCheck((a, w, b) => T.linear(a, w, b, 'out_in'), [x, r([5, 4]), r([5])]);
  gradCheck((a, w, b) => T.linear(a, w, b, 'in_out'), [x, r([4, 5]), r([5])]);
  gradCheck((a, w) => T.linear(a, w, null), [x, r([5, 4])]);
});

test('layer norm', () => {
  gradCheck((x, g, b) => T.layerNorm(x, g, b, 1e-5), [r([3, 2, 6]), r([6]), r([6])]);
});

test('embedding (scatter-add gradient, repeated ids)', () => {
  const ids = tensor([1, 3, 1, 0, 3, 3], [2, 3], 'int32');
  gradCheck((t) => T.embedding(t, ids), [r([4, 5])]);
});

test('cross-entropy with ignore index', () => {
  const targets = tensor([2, -100, 0, 4, -100, 1], [2, 3], 'int32');
  gradCheck((l) => T.crossEntropy(l, targets), [r([2, 3, 5])]);
  const dense = randint(rng, [4], 7);
  gradCheck((l) => T.crossEntropy(l, dense), [r([4, 7], 3)]);
});

test('attention: plain, causal, key padding, cross (Tq != Tk), packed q/k/v', () => {
  const q = r([2, 3, 8]); // 2 heads of 4
  const k = r([2, 3, 8]);
  const v = r([2, 3, 8]);
  gradCheck((a, b, c) => T.attention(a, b, c, { heads: 2 }), [q, k, v]);
  gradCheck((a, b, c) => T.attention(a, b, c, { heads: 2, causal: true }), [q, k, v]);
  const keyMask = tensor([1, 1, 0, 1, 0, 0], [2, 3], 'int32');
  gradCheck((a, b, c) => T.attention(a, b, c, { heads: 4, keyMask, scale: 0.7 }), [q, k, v]);
  gradCheck((a, b, c) => T.attention(a, b, c, { heads: 2, causal: true }), [r([1, 2, 8]), r([1, 5, 8]), r([1, 5, 8])]);
  gradCheck((qkv) => T.packedAttention(qkv, { heads: 2, causal: true, keyMask }), [r([2, 3, 24])]);
});

test('shape ops: reshape, permute, transpose, slice, split, concat, pad, expand', () => {
  const x = r([2, 3, 4]);
  gradCheck((t) => T.reshape(t, [4, -1]), [x]);
  gradCheck((t) => T.permute(t, [2, 0, 1]), [x]);
  gradCheck((t) => T.transpose(t, 0, 2), [x]);
  gradCheck((t) => T.slice(t, 1, 1, 3), [x]);
  gradCheck((t) => T.concat(T.split(t, 2, [1, 3]).reverse(), 2), [x]);
  gradCheck((a, b) => T.concat([a, b], 0), [x, r([1, 3, 4])]);
  gradCheck((t) => T.pad(t, 1, 2, 1, 0.5), [x]);
  gradCheck((t) => T.expand(t, [2, 3, 4]), [r([3, 1])]);
});

test('token routing (nn gatherTokens / scatterTokens): rows moved along the sequence axis', () => {
  const keep = tensor([0, 2, 3, 1, 2, 4], [2, 3], 'int32'); // [B, K], ascending per sequence
  gradCheck((x) => gatherTokens(x, keep), [r([2, 5, 3])]);
  gradCheck((base, rows) => scatterTokens(base, rows, keep), [r([2, 5, 3]), r([2, 3, 3])]);
  gradCheck((x, w) => scatterTokens(x, T.linear(gatherTokens(x, keep), w, null), keep), [r([2, 5, 3]), r([3, 3])]);
});

test('where and dropout', () => {
  const cond = tensor([1, 0, 0, 1, 1, 0], [2, 3], 'int32');
  gradCheck((a, b) => T.where(cond, a, b), [r([2, 3]), r([3])]);
  gradCheck((a) => T.dropout(a, 0.3, 99), [r([4, 6])]);
});

test('a composite: two-layer MLP with GELU, layer norm and an MSE loss', () => {
  const mse = (x: T.Tensor, w1: T.Tensor, b1: T.Tensor, w2: T.Tensor, g: T.Tensor, bt: T.Tensor) => {
    const h = T.gelu(T.linear(x, w1, b1));
    const y = T.layerNorm(T.add(x, T.linear(h, w2, null)), g, bt, 1e-5);
    return T.mean(T.pow(y, 2));
  };
  gradCheck(mse, [r([2, 3, 4]), r([6, 4]), r([6]), r([4, 6]), r([4]), r([4])], [0, 1, 2, 3, 4, 5]);
});

// The ops a Llama-style decoder adds (after the others, so their random inputs stay as they were).

test('RMS norm (input and weight)', () => {
  gradCheck((x, w) => T.rmsNorm(x, w, 1e-5), [r([3, 2, 6]), r([6])]);
  gradCheck((x, w) => T.rmsNorm(x, w), [r([7, 13], 0.1), r([13])]);
});

test('rotary position embeddings (input only; cos and sin are constants)', () => {
  // Random tables rather than true cosines, so that every entry's role is checked.
  const [cos, sin] = [r([3, 4]), r([3, 4])];
  gradCheck((x) => T.rotary(x, cos, sin, 2), [r([2, 3, 8])]);
  const [cos6, sin6] = [r([5, 6]), r([5, 6])];
  gradCheck((x) => T.rotary(x, cos6, sin6, 3), [r([1, 5, 18])]);
});

test('attention with grouped key/value heads (kvHeads < heads): plain, causal, key padding, cross', () => {
  const q = r([2, 3, 12]); // 4 heads of 3
  const k = r([2, 3, 6]); // 2 key/value heads of 3
  const v = r([2, 3, 6]);
  gradCheck((a, b, c) => T.attention(a, b, c, { heads: 4, kvHeads: 2 }), [q, k, v]);
  gradCheck((a, b, c) => T.attention(a, b, c, { heads: 4, kvHeads: 2, causal: true }), [q, k, v]);
  const keyMask = tensor([1, 1, 0, 1, 0, 0], [2, 3], 'int32');
  gradCheck((a, b, c) => T.attention(a, b, c, { heads: 4, kvHeads: 2, causal: true, keyMask, scale: 0.7 }), [q, k, v]);
  gradCheck((a, b, c) => T.attention(a, b, c, { heads: 4, kvHeads: 1, keyMask }), [q, r([2, 3, 3]), r([2, 3, 3])]);
  gradCheck((a, b, c) => T.attention(a, b, c, { heads: 6, kvHeads: 3, causal: true }), [r([1, 2, 12]), r([1, 5, 6]), r([1, 5, 6])]);
});

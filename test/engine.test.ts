// Engine behaviour beyond single-op gradients: memory reuse across training steps, determinism,
// error messages, NaN detection, and subset-of-inputs differentiation.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../src/tensor/index.ts';
import { Rng, ShapeError, assertFinite, getBackend, memoryStats, poolStats, resetPeakMemory, tidy, valueAndGrad } from '../src/tensor/index.ts';
import { bertLayer, initBertLayer, type BertLayerShape } from '../src/models/bert-layer.ts';
import { flattenParams, initNormal } from '../src/nn/index.ts';

const shape: BertLayerShape = { hidden: 16, heads: 2, intermediate: 32, layerNormEps: 1e-12 };

function makeStep(seed: number) {
  const rng = new Rng(seed);
  const layers = [initBertLayer(rng, shape), initBertLayer(rng, shape)];
  const params = flattenParams(layers).map(([, t]) => t);
  const x = initNormal(rng, [2, 5, shape.hidden], 1);
  const target = initNormal(rng, [2, 5, shape.hidden], 1);
  const dropRng = new Rng(seed + 1);
  return () =>
    tidy(() => {
      const { loss, grads } = valueAndGrad(() => {
        let h = x;
        for (const p of layers) h = bertLayer(p, shape, h, null, { p: 0.1, rng: dropRng });
        return T.mean(T.pow(T.sub(h, target), 2));
      }, params);
      // An in-place AdamW step (fresh moments each time: enough to move the parameters), so
      // parameters persist across steps while every intermediate goes back to the pool.
      params.forEach((p, i) => getBackend().adamw(p.f, grads[i]!.f, T.zeros(p.shape).f, T.zeros(p.shape).f, 1e-2, 0, 0, 1, 0, 1, 1));
      return loss.item();
    });
}

test('a training step reuses pooled buffers: no growth over 1,000 steps', () => {
  const step = makeStep(1);
  for (let i = 0; i < 20; i++) step();
  const after20 = poolStats();
  const rss20 = process.memoryUsage().rss;
  for (let i = 0; i < 980; i++) step();
  const after1000 = poolStats();
  assert.equal(after1000.buffers, after20.buffers, 'pool buffer count changed between step 20 and step 1000');
  assert.equal(after1000.bytes, after20.bytes);
  const growthMB = (process.memoryUsage().rss - rss20) / 2 ** 20;
  assert.ok(growthMB < 64, `RSS grew ${growthMB.toFixed(1)} MB over 980 steps`);
});

test('same seed, same numbers; different seed, different numbers', () => {
  const a = makeStep(5);
  const b = makeStep(5);
  const c = makeStep(6);
  const la = [a(), a(), a()];
  assert.deepEqual([b(), b(), b()], la);
  assert.notDeepEqual([c(), c(), c()], la);
});

test('gradients only for the chosen subset; frozen inputs get no graph', () => {
  const rng = new Rng(3);
  const w1 = initNormal(rng, [4, 4], 1);
  const w2 = initNormal(rng, [4, 4], 1);
  const x = initNormal(rng, [3, 4], 1);
  const { grads } = valueAndGrad(() => T.sum(T.linear(T.linear(x, w1, null), w2, null)), [w2]);
  assert.equal(grads.length, 1);
  assert.deepEqual(grads[0]!.shape, [4, 4]);
  assert.equal(w1.requiresGrad, false);
  const out = T.linear(x, w1, null);
  assert.equal(out.node, null, 'an op on frozen inputs must not record a graph');
});

test('shape errors name the op and both shapes', () => {
  const a = T.zeros([2, 3]);
  const b = T.zeros([4, 5]);
  assert.throws(() => T.matmul(a, b), (e: Error) => e instanceof ShapeError && /matmul/.test(e.message) && /\[2, 3\]/.test(e.message) && /\[4, 5\]/.test(e.message));
  assert.throws(() => T.add(T.zeros([2, 3]), T.zeros([4])), /add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
  assert.throws(() => T.reshape(a, [4, 2]), /reshape: cannot reshape \[2, 3\]/);
  assert.throws(() => T.linear(T.zeros([2, 3]), T.zeros([5, 4]), null), /linear: input \[2, 3\] has 3 features/);
});

test('the decoder ops (rmsNorm, rotary, grouped-query attention) name the op and the shapes they refuse', () => {
  const x = T.zeros([2, 3, 8]);
  assert.throws(() => T.rmsNorm(x, T.zeros([6])), (e: Error) => e instanceof ShapeError && /rmsNorm: input \[2, 3, 8\] needs weight \[8\], got \[6\]/.test(e.message));
  const table = T.zeros([3, 4]);
  assert.throws(() => T.rotary(x, table, table, 3), /rotary: 8 features do not split into 3 heads/);
  assert.throws(() => T.rotary(T.zeros([2, 3, 12]), table, table, 4), /rotary: head size 3 \(12 features \/ 4 heads\) must be even/);
  assert.throws(() => T.rotary(x, T.zeros([4, 4]), table, 2), /rotary: x \[2, 3, 8\] with 2 heads needs cos and sin \[3, 4\], got \[4, 4\] and \[3, 4\]/);
  assert.throws(() => T.rotary(T.zeros([3, 8]), table, table, 2), /rotary: expected x \[B, T, H\*D\], got \[3, 8\]/);
  const q = T.zeros([2, 3, 12]);
  const kv = T.zeros([2, 3, 6]);
  assert.throws(() => T.attention(q, kv, kv, { heads: 4, kvHeads: 3 }), /attention: 3 key\/value heads do not divide 4 heads/);
  assert.throws(() => T.attention(q, kv, kv, { heads: 4, kvHeads: 1 }), /attention: k and v need 3 features \(1 key\/value heads of 3\), got 6/);
  assert.throws(() => T.attention(q, kv, kv, { heads: 4 }), /attention: k and v need 12 features \(4 key\/value heads of 3\), got 6/);
  assert.throws(() => T.packedAttention(T.zeros([2, 3, 36]), { heads: 4, kvHeads: 2 }), /packedAttention: .* kvHeads \(2\) must equal heads \(4\)/);
});

test('NaN and Inf are detected cheaply', () => {
  assertFinite(T.tensor([1, 2, 3]), 'ok');
  assert.throws(() => assertFinite(T.tensor([1, NaN, 3]), 'loss'), /loss: .* NaN or Inf/);
  assert.throws(() => assertFinite(T.tensor([1, Infinity]), 'grad'), /NaN or Inf/);
});

// ---- memory: dispose, release during the backward pass, best-fit reuse --------------------

test('dispose releases a buffer no backward rule reads, and leaves saved ones alone', () => {
  const rng = new Rng(3);
  const x = initNormal(rng, [8, 16], 1);
  const w = initNormal(rng, [16, 16], 1);
  valueAndGrad(() => {
    const y = T.linear(x, w, null); // linear's rule reads x and w, not y
    const g = T.gelu(y); // gelu's rule reads y
    const z = T.add(g, x); // add's rule reads nothing
    const before = poolStats().buffers;
    T.dispose(y, z);
    assert.equal(poolStats().buffers, before + 1, 'z goes back to the pool; y stays (gelu reads it)');
    assert.ok(y.ownsData, 'y still owns its buffer');
    return T.mean(g);
  }, [w]);
});

test('valueAndGrad releases activations during the backward pass: the peak stays at the forward pass', () => {
  // Each layer has its own weight, so the backward pass produces a gradient per layer while the
  // activations it no longer needs go back to the pool and serve them.
  const rng = new Rng(4);
  const K = 8, n = 4096;
  const ws = Array.from({ length: K }, () => initNormal(rng, [n], 1));
  const x = initNormal(rng, [n], 1);
  let forwardEnd = 0;
  const start = memoryStats().liveBytes;
  resetPeakMemory();
  tidy(() =>
    valueAndGrad(() => {
      let h = x;
      for (const w of ws) h = T.tanh(T.mul(h, w));
      forwardEnd = memoryStats().liveBytes;
      return T.sum(h);
    }, ws),
  );
  const buffer = n * 4;
  const overForward = memoryStats().peakLiveBytes - forwardEnd;
  assert.ok(forwardEnd - start >= 2 * K * buffer, 'the forward pass holds two buffers a layer');
  assert.ok(overForward <= 3 * buffer, `the backward pass added ${overForward / buffer} buffers over the forward pass (K = ${K} gradients are returned)`);
});

test('the pool serves a request from the smallest free buffer of at most twice its size', () => {
  // Sizes no other test uses, so no leftover pool buffer fits them better.
  const a = T.empty([123_461]);
  const buffer = a.data.buffer;
  tidy(() => {
    const b = T.empty([123_457]);
    T.dispose(b);
    const c = T.empty([100_003]); // fits b's buffer (123,457 <= 2 x 100,003), viewed at its own size
    assert.equal(c.data.buffer, b.data.buffer);
    assert.equal(c.data.length, 100_003);
    const d = T.empty([70_001]); // b's buffer is taken
    assert.notEqual(d.data.buffer, b.data.buffer);
    return null;
  });
  T.dispose(a);
  const e = T.empty([61_001]); // a's buffer is more than twice as large: a fresh one
  assert.notEqual(e.data.buffer, buffer);
});

test('persistent tensors are zeros or a copy, never pooled, and check their size', () => {
  const values = Float64Array.from({ length: 6 }, (_, i) => i / 3);
  const before = poolStats().buffers;
  const [z, c] = tidy(() => {
    const zeros = T.persistent([2, 3]);
    const copy = T.persistent([3, 2], 'float32', values);
    T.dispose(zeros, copy); // not pooled: dispose and the scope's end leave them alone
    return [zeros, copy];
  });
  tidy(() => T.dispose(z));
  assert.equal(poolStats().buffers, before, 'no buffer entered the pool');
  assert.deepEqual([...z.f], [0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...c.f], [...Float32Array.from(values)], 'float64 values rounded into float32 storage');
  assert.deepEqual(c.shape, [3, 2]);
  const fresh = T.empty([2, 3]); // a pool request never receives a persistent buffer
  assert.notEqual(fresh.data.buffer, z.data.buffer);
  assert.throws(() => T.persistent([4], 'float32', [1, 2, 3]), /3 values do not fill shape \[4\]/);
  assert.equal(T.persistent([2], 'int32', [7, -1]).dtype, 'int32');
});

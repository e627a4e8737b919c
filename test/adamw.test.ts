// AdamW (src/optim/adamw.ts): a two-step update checked against numbers worked out by hand from
// the AdamW formulas, weight decay on/off per tensor, clip_grad_norm_-style clipping, and a
// saved/restored state that continues exactly as the uninterrupted optimizer.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, setBackend, tensor, type Tensor } from '../src/tensor/index.ts';
import { AdamW, clipScale } from '../src/optim/adamw.ts';
import { assertClose, randn } from './helpers.ts';

setBackend('reference');

const scalar64 = (x: number) => tensor([x], [1], 'float64');

test('adamw: two steps match the hand-computed update; decay applies only where enabled', () => {
  const decayed = scalar64(1);
  const plain = scalar64(1);
  const opt = new AdamW(
    [
      { name: 'w', tensor: decayed, decay: true },
      { name: 'b', tensor: plain, decay: false },
    ],
    { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: null },
  );
  // Step 1, g = 0.5: m = 0.05, v = 2.5e-4, mhat = 0.5, vhat = 0.25,
  //   p = 1 - 0.1 * (0.5 / (0.5 + 1e-8) + 0.01 * 1) = 0.899000002 (decayed), 0.900000002 (not).
  opt.update([scalar64(0.5), scalar64(0.5)], 0.1);
  assertClose(decayed.f, [0.899000002], 1e-15, 'decayed after step 1');
  assertClose(plain.f, [0.900000002], 1e-15, 'undecayed after step 1');
  // Step 2, g = -0.25: m = 0.02, v = 3.1225e-4, mhat = 0.02 / 0.19, vhat = 3.1225e-4 / 0.001999,
  //   p = 0.899000002 - 0.1 * (mhat / (sqrt(vhat) + 1e-8) + 0.01 * 0.899000002).
  //   sqrt(vhat) = sqrt(3.1225e-4 / 0.001999) = 0.395225, so mhat / sqrt(vhat) = 0.105263 / 0.395225 = 0.266337:
  //   decayed 0.899000002 - 0.1 * (0.266337 + 0.00899) = 0.871467, undecayed 0.900000002 - 0.0266337 = 0.873366.
  opt.update([scalar64(-0.25), scalar64(-0.25)], 0.1);
  const mhat = 0.02 / 0.19;
  const vhat = 3.1225e-4 / (1 - 0.999 ** 2);
  const adam = mhat / (Math.sqrt(vhat) + 1e-8);
  assertClose([adam], [0.266337], 1e-6, 'the hand-worked Adam direction');
  assertClose([decayed.f[0]!, plain.f[0]!], [0.871467, 0.873366], 1e-6, 'the hand-worked parameters');
  assertClose(decayed.f, [0.899000002 - 0.1 * (adam + 0.01 * 0.899000002)], 1e-14, 'decayed after step 2');
  assertClose(plain.f, [0.900000002 - 0.1 * adam], 1e-14, 'undecayed after step 2');
  assert.equal(opt.step, 2);
});

test('adamw: one learning rate per tensor equals separate optimizers with those rates', () => {
  const [a, b, a2, b2] = [scalar64(1), scalar64(1), scalar64(1), scalar64(1)];
  const grouped = new AdamW([{ name: 'a', tensor: a, decay: true }, { name: 'b', tensor: b, decay: true }], { weightDecay: 0.01, clipNorm: null });
  const onlyA = new AdamW([{ name: 'a', tensor: a2, decay: true }], { weightDecay: 0.01, clipNorm: null });
  const onlyB = new AdamW([{ name: 'b', tensor: b2, decay: true }], { weightDecay: 0.01, clipNorm: null });
  for (const g of [0.5, -0.25, 0.125]) {
    grouped.update([scalar64(g), scalar64(g)], [0.1, 0.003]);
    onlyA.update([scalar64(g)], 0.1);
    onlyB.update([scalar64(g)], 0.003);
  }
  assert.deepEqual([a.f[0], b.f[0]], [a2.f[0], b2.f[0]]);
  assert.notEqual(a.f[0], b.f[0]);
  assert.throws(() => grouped.update([scalar64(1), scalar64(1)], [0.1]), /1 learning rates for 2 parameters/);
});

test('adamw: the global gradient norm is clipped as clip_grad_norm_ does', () => {
  const rng = new Rng(3);
  const a = randn(rng, [2, 3]);
  const b = randn(rng, [4]);
  const a2 = tensor(a.f, a.shape, 'float64');
  const b2 = tensor(b.f, b.shape, 'float64');
  const ga = tensor([3, 0, 0, 0, 0, 0], [2, 3], 'float64');
  const gb = tensor([0, 4, 0, 0], [4], 'float64');
  const clipped = new AdamW([{ name: 'a', tensor: a, decay: true }, { name: 'b', tensor: b, decay: false }], { clipNorm: 1, weightDecay: 0.1 });
  const info = clipped.update([ga, gb], 1e-2);
  assert.equal(info.gradNorm, 5);
  assertClose([info.gradScale], [1 / (5 + 1e-6)], 1e-15, 'scale: max_norm / (norm + 1e-6)');
  // The same step with pre-scaled gradients and no clipping gives the same parameters.
  const s = info.gradScale;
  const manual = new AdamW([{ name: 'a', tensor: a2, decay: true }, { name: 'b', tensor: b2, decay: false }], { clipNorm: null, weightDecay: 0.1 });
  manual.update([tensor(ga.f.map((x) => x * s), ga.shape, 'float64'), tensor(gb.f.map((x) => x * s), gb.shape, 'float64')], 1e-2);
  assertClose(a.f, a2.f, 1e-15, 'a');
  assertClose(b.f, b2.f, 1e-15, 'b');
  // Below the threshold nothing is scaled.
  assert.equal(clipScale(0.5, 1), 1);
});

test('adamw: state save/restore continues identically', () => {
  const rng = new Rng(11);
  const shapes = [[3, 2], [5]];
  const p1 = shapes.map((s) => randn(rng, s));
  const p2 = p1.map((t) => tensor(t.f, t.shape, 'float64'));
  const grads = Array.from({ length: 5 }, () => shapes.map((s) => randn(rng, s)));
  const named = (ps: Tensor[]) => ps.map((t, i) => ({ name: `p${i}`, tensor: t, decay: i === 0 }));
  const cfg = { weightDecay: 0.05, clipNorm: 1 };
  const a = new AdamW(named(p1), cfg);
  for (let k = 0; k < 3; k++) a.update(grads[k]!, 1e-2);
  const saved = a.state();
  for (let k = 3; k < 5; k++) a.update(grads[k]!, 1e-2);

  const b = new AdamW(named(p2), cfg);
  for (let k = 0; k < 3; k++) b.update(grads[k]!, 1e-2); // the parameters as they were at the save
  const p3 = p2.map((t) => tensor(t.f, t.shape, 'float64'));
  const c = new AdamW(named(p3), cfg);
  c.loadState(saved);
  assert.equal(c.step, 3);
  assert.deepEqual([...saved.tensors.keys()].sort(), ['p0.exp_avg', 'p0.exp_avg_sq', 'p1.exp_avg', 'p1.exp_avg_sq']);
  for (let k = 3; k < 5; k++) c.update(grads[k]!, 1e-2);
  p1.forEach((t, i) => assert.deepEqual(Array.from(p3[i]!.f), Array.from(t.f), `p${i} after restore`));
  assert.throws(() => c.loadState({ tensors: new Map(), step: 1 }), /missing p0\.exp_avg/);
});

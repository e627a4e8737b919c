// LiGO's operator against an independent PyTorch implementation (scripts/make_ligo_fixtures.py:
// its own table of which width matrix acts on which axis of which HF parameter, from the
// architectures and docs/growth.md "LiGO"). Per case (test/fixtures/ligo/<case>: BERT masked LM
// in 'code' mode depth-first with tied inputs, 'full' mode with untied inputs and wider heads,
// width-first (the paper's order); GPT-2 in 'code' mode with its fused c_attn), on both tensor
// backends in float32 (the native one skips, with the reason, when the addon is not built):
//   - the operator file loads through readLigoOperator, whose names and shapes are exactly
//     layoutFor + paramShapes's (the interface contract; reference.json lists PyTorch's, in order);
//   - theta_large = M theta_small (prepareSmall + materialise) against PyTorch's, tensor by tensor;
//   - the large model's loss on the batch (dropout off) and its gradient w.r.t. every operator
//     tensor (valueAndGrad through applyOperator, as trainOperator takes it) against PyTorch's
//     autograd through its own operator, in float64.
//
// Tolerances (float32 against float64, each tensor judged on its own scale:
// max |x - x_ref| / max |x_ref|; the worst measured on either backend in brackets):
//   grown tensors               1e-5  (reference 1.2e-7, native 3.8e-7)
//   operator gradients          5e-5  (reference 1.9e-6, native 1.9e-6; see ZERO_GRAD)
//   loss, relative              1e-5  (reference 4.8e-8, native 8.0e-8)
// Changing one entry of the PyTorch side's table (attention.output.dense reading q instead of v,
// the MLM head's LayerNorm on the output side, GPT-2's c_attn blocks in another order) fails the
// cases it touches by 1e-1 or more, or at the operator's names.
// A diagnostic line per test prints the worst of each.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readSafetensors } from '../src/io/safetensors.ts';
import { modelFor } from '../src/models/index.ts';
import { tidy, valueAndGrad, withBackend } from '../src/tensor/index.ts';
import { applyOperator, layoutFor, paramShapes, type LigoSettings } from '../src/grow/ligo/operator.ts';
import { materialise, prepareSmall, readLigoOperator } from '../src/grow/ligo/ligo.ts';
import { FIXTURES, batchFrom, readJson } from './model-fixtures.ts';
import { nativeSkip } from './optional.ts';

const CASES = ['bert-code', 'bert-full-untied', 'gpt2-code', 'bert-width-first'];

const GROWN_TOL = 1e-5;
const GRAD_TOL = 5e-5;
const LOSS_TOL = 1e-5;
/**
 * BERT's key bias adds the same amount to every score of a query, which softmax ignores, so the
 * depth coefficients of attention.self.key.bias have an exact gradient of zero: PyTorch's float64
 * value is ~1e-18 and float32 rounding leaves ~1e-9 in ligo's. These are judged on the scale of the
 * whole operator's gradient instead of their own (GPT-2's key bias sits in c_attn.bias with q and v).
 */
const ZERO_GRAD = /^depth\.attention\.self\.key\.bias$/;

interface Reference {
  settings: LigoSettings;
  loss: number;
  /** The operator's tensors as PyTorch built them: name -> shape, in its order. */
  operator: Record<string, number[]>;
}

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

/** max |a - b| over the tensor relative to max |b| (or to `scale` when given), asserted under `tol`; returns it. */
function assertCloseToScale(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string, scale = maxAbs(expected)): number {
  assert.equal(actual.length, expected.length, `${what}: lengths`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(scale > 0, `${what}: the reference is all zeros, which would check nothing`);
  const err = worst / scale;
  assert.ok(err <= tol, `${what}: max error ${worst.toExponential(2)} is ${err.toExponential(2)} of the tensor's max |value| ${scale.toExponential(2)} (tolerance ${tol})`);
  return err;
}

for (const backend of ['reference', 'native'] as const) {
  for (const name of CASES) {
    test(`ligo ${name} on the ${backend} backend: grown weights, loss and operator gradients match PyTorch's LiGO`, { skip: backend === 'native' && nativeSkip }, (t) => {
      withBackend(backend, () => {
        const dir = join(FIXTURES, 'ligo', name);
        const ref: Reference = readJson(join(dir, 'reference.json'));
        const op = readLigoOperator(join(dir, 'operator.safetensors'));
        assert.deepEqual(op.settings, ref.settings, 'the operator file carries the case settings');
        const layout = layoutFor(op.smallConfig, op.largeConfig, op.settings);
        assert.deepEqual(paramShapes(layout), Object.entries(ref.operator), "ligo's operator tensors are PyTorch's: names, shapes and order");

        // theta_large = M theta_small, tensor by tensor.
        const stacks = prepareSmall(layout, readSafetensors(join(dir, 'small.safetensors')).tensors, op.smallConfig);
        const grown = materialise(layout, op, stacks);
        const expected = readSafetensors(join(dir, 'large.safetensors')).tensors;
        assert.deepEqual([...grown.keys()].sort(), [...expected.keys()].sort(), 'the large model has the same parameters as PyTorch grew');
        let worstGrown = 0;
        for (const [k, e] of expected) {
          const g = grown.get(k)!;
          assert.deepEqual(g.shape, e.shape, `${k} shape`);
          worstGrown = Math.max(worstGrown, assertCloseToScale(g.f, e.f, GROWN_TOL, `grown ${k}`));
        }

        // The large model's loss and its gradient w.r.t. the operator, dropout off.
        const config = op.largeConfig;
        const model = modelFor(config);
        const batch = batchFrom(readJson(join(dir, 'inputs.json')));
        const names = Object.keys(op.params);
        const refGrads = readSafetensors(join(dir, 'grads.safetensors')).tensors;
        assert.deepEqual([...names].sort(), [...refGrads.keys()].sort(), 'gradients for every operator tensor');
        let worstGrad = 0;
        let lossErr = 0;
        tidy(() => {
          const forward = () => model.loss(model.paramsFromFlat(config, new Map(applyOperator(layout, op.params, stacks))).params, config, batch);
          const { loss, grads } = valueAndGrad(forward, names.map((n) => op.params[n]!));
          lossErr = Math.abs(loss.item() - ref.loss) / Math.abs(ref.loss);
          assert.ok(lossErr <= LOSS_TOL, `loss ${loss.item()} vs PyTorch ${ref.loss} (relative error ${lossErr.toExponential(2)}, tolerance ${LOSS_TOL})`);
          const overall = Math.max(...names.map((n) => maxAbs(refGrads.get(n)!.f)));
          names.forEach((n, i) => {
            const r = refGrads.get(n)!.f;
            if (ZERO_GRAD.test(n)) assert.ok(maxAbs(r) < 1e-12 * overall, `${n}: PyTorch's gradient should be zero up to rounding, got max ${maxAbs(r)}`);
            const err = assertCloseToScale(grads[i]!.f, r, GRAD_TOL, `gradient of ${n}`, ZERO_GRAD.test(n) ? overall : maxAbs(r));
            worstGrad = Math.max(worstGrad, err);
          });
        });
        t.diagnostic(`worst: grown ${worstGrown.toExponential(1)}, gradients ${worstGrad.toExponential(1)}, loss ${lossErr.toExponential(1)}`);
      });
    });
  }
}

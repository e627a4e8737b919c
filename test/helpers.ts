// Test helpers: seeded random tensors, closeness checks, a finite-difference gradient check, and
// a backend wrapper that counts matmul FLOPs.

import assert from 'node:assert/strict';
import { Rng, Tensor, mul, sum, tensor, valueAndGrad, type Backend, type DType } from '../src/tensor/index.ts';
import type { AttentionDims } from '../src/tensor/backend.ts';

export function randn(rng: Rng, shape: number[], dtype: DType = 'float64', scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, () => rng.normal() * scale), shape, dtype);
}

export function randint(rng: Rng, shape: number[], high: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, () => rng.int(high)), shape, 'int32');
}

/** max |a - b| / max(1, |b|) over all elements, with a message naming the worst index. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: lengths ${actual.length} vs ${expected.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(a) !== Number.isNaN(e)) assert.fail(`${what}[${i}]: ${a} vs ${e}`);
    if (Number.isNaN(a)) continue;
    if (a === e) continue;
    const err = Math.abs(a - e) / Math.max(1, Math.abs(e));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${what}: relative error ${worst.toExponential(2)} > ${tol} at [${at}] (${actual[at]} vs ${expected[at]})`);
}

/**
 * Checks the autodiff gradient of sum(f(inputs) * w), for a fixed random w, against central
 * finite differences (float64, reference backend expected), for every input in `wrt`.
 */
export function gradCheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], wrt: number[] = inputs.map((_, i) => i), opts: { h?: number; tol?: number; seed?: number } = {}): void {
  const h = opts.h ?? 1e-6;
  const tol = opts.tol ?? 1e-6;
  const rng = new Rng(opts.seed ?? 7);
  const probe = f(...inputs);
  const w = randn(rng, [...probe.shape], probe.dtype);
  const objective = () => sum(mul(f(...inputs), w));
  const targets = wrt.map((i) => inputs[i]!);
  const { grads } = valueAndGrad(objective, targets);
  targets.forEach((x, k) => {
    const data = x.f;
    const numeric = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const orig = data[i]!;
      data[i] = orig + h;
      const up = objective().item();
      data[i] = orig - h;
      const down = objective().item();
      data[i] = orig;
      numeric[i] = (up - down) / (2 * h);
    }
    assertClose(grads[k]!.f, numeric, tol, `gradient of input ${wrt[k]}`);
  });
}

/**
 * The backend with the FLOPs of its products counted: a matmul call as 2 m n k batch, attention
 * as its two products per (batch item, head), Q K^T and P V (2 tq tk d each), its backward as
 * four (dO V^T, dS K, dS^T Q, P^T dO).
 */
export function countingBackend(inner: Backend): { backend: Backend; flops: () => number } {
  let flops = 0;
  const heads = (d: AttentionDims) => d.batch * d.heads * 2 * d.tq * d.tk * d.d;
  const counted: Partial<Record<keyof Backend, (...args: any[]) => number>> = {
    matmul: (...args: Parameters<Backend['matmul']>) => 2 * args[3].m * args[3].n * args[3].k * args[3].batch,
    attention: (...args: Parameters<Backend['attention']>) => 2 * heads(args[9]),
    attentionBackward: (...args: Parameters<Backend['attentionBackward']>) => 4 * heads(args[11]),
  };
  const backend = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      const count = counted[prop as keyof Backend];
      if (!count) return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        flops += count(...args);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, flops: () => flops };
}

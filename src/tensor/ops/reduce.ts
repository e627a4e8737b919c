// Reductions over axes (sum, mean, max) and softmax / log-softmax over the last axis.

import { ReduceOp } from '../backend.ts';
import { record } from '../autograd.ts';
import { getBackend } from '../device.ts';
import { Tensor, empty } from '../tensor.ts';
import { normAxis, product, requireFloat } from './shape-util.ts';
import { scale } from './elementwise.ts';
import { expand, reshape } from './shape.ts';

function axesOf(op: string, x: Tensor, axes: number | readonly number[] | undefined): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  return [...new Set(list.map((a) => normAxis(op, a, x.rank)))].sort((a, b) => a - b);
}

/** Sum over the given axes (all when omitted). */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  requireFloat('sum', x);
  const ax = axesOf('sum', x, axes);
  const be = getBackend();
  let cur = x.f;
  let shape = [...x.shape];
  // Reduce the highest axis first so lower axes keep their positions.
  for (let k = ax.length - 1; k >= 0; k--) {
    const a = ax[k]!;
    const next = empty([product(shape) / shape[a]!], x.dtype);
    be.reduce(ReduceOp.Sum, cur, product(shape, 0, a), shape[a]!, product(shape, a + 1), next.f);
    cur = next.f;
    shape[a] = 1;
  }
  const kept = shape;
  const outShape = keepDims ? kept : kept.filter((_, i) => !ax.includes(i));
  const out = new Tensor(cur === x.f ? cur.slice() : cur, outShape, x.dtype);
  out.ownsData = cur !== x.f;
  return record(out, 'sum', [x], (gy) => [expand(reshape(gy, kept), x.shape)]);
}

export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const count = axesOf('mean', x, axes).reduce((n, a) => n * x.shape[a]!, 1);
  return scale(sum(x, axes, keepDims), 1 / count);
}

/** Maximum along one axis; the gradient goes to the first maximal element. */
export function max(x: Tensor, axis: number, keepDims = false): Tensor {
  requireFloat('max', x);
  const a = normAxis('max', axis, x.rank);
  const be = getBackend();
  const outer = product(x.shape, 0, a);
  const r = x.shape[a]!;
  const inner = product(x.shape, a + 1);
  const kept = x.shape.map((d, i) => (i === a ? 1 : d));
  const out = empty(keepDims ? kept : kept.filter((_, i) => i !== a), x.dtype);
  be.reduce(ReduceOp.Max, x.f, outer, r, inner, out.f);
  return record(out, 'max', [x], (gy) => {
    const gx = empty(x.shape, x.dtype);
    be.reduceMaxBackward(x.f, out.f, gy.f, outer, r, inner, gx.f);
    return [gx];
  });
}

function softmaxLike(x: Tensor, log: boolean): Tensor {
  const name = log ? 'logSoftmax' : 'softmax';
  requireFloat(name, x);
  const be = getBackend();
  const cols = x.shape[x.rank - 1] ?? 1;
  const rows = x.size / cols;
  const out = empty(x.shape, x.dtype);
  be.softmax(x.f, rows, cols, out.f, log);
  return record(out, name, [x], (gy) => {
    const gx = empty(x.shape, x.dtype);
    be.softmaxBackward(out.f, gy.f, rows, cols, gx.f, log);
    return [gx];
  });
}

/** Softmax over the last axis. */
export const softmax = (x: Tensor) => softmaxLike(x, false);
/** Log-softmax over the last axis. */
export const logSoftmax = (x: Tensor) => softmaxLike(x, true);

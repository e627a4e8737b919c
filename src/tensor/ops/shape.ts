// Shape ops: reshape (a view), permute/transpose, slice, split, concat, pad, expand. All but
// reshape produce contiguous copies through the backend's one strided-copy kernel.

import { ReduceOp } from '../backend.ts';
import { record } from '../autograd.ts';
import { getBackend } from '../device.ts';
import { ShapeError, Tensor, empty, full, zeros } from '../tensor.ts';
import { broadcastShapes, broadcastStrides, contiguousStrides, fmt, normAxis, product, sameShape } from './shape-util.ts';

/** A view with a new shape over the same data; one dimension may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const infer = shape.indexOf(-1);
  let target = [...shape];
  if (infer >= 0) {
    const known = product(shape.filter((_, i) => i !== infer));
    if (known === 0 || x.size % known !== 0) throw new ShapeError(`reshape: cannot reshape ${fmt(x.shape)} into ${fmt(shape)}`);
    target[infer] = x.size / known;
  }
  if (product(target) !== x.size) throw new ShapeError(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(shape)}`);
  if (sameShape(target, x.shape)) return x;
  const out = new Tensor(x.data, target, x.dtype);
  return record(out, 'reshape', [x], (gy) => [reshape(gy, x.shape)], []);
}

/** Reorders axes: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new ShapeError(`permute: ${fmt(perm)} is not a permutation of the axes of ${fmt(x.shape)}`);
  }
  const shape = perm.map((p) => x.shape[p]!);
  const xs = contiguousStrides(x.shape);
  const out = empty(shape, x.dtype);
  getBackend().copyStrided(x.data, { offset: 0, strides: Int32Array.from(perm, (p) => xs[p]!) }, out.data, { offset: 0, strides: Int32Array.from(contiguousStrides(shape)) }, Int32Array.from(shape), false);
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return record(out, 'permute', [x], (gy) => [permute(gy, inverse)], []);
}

export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const a = normAxis('transpose', axis0, x.rank);
  const b = normAxis('transpose', axis1, x.rank);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Copies a region of `src` (start per axis, `shape`) into a region of `dst` (start per axis). */
function copyRegion(src: Tensor, srcStart: readonly number[], dst: Tensor, dstStart: readonly number[], shape: readonly number[], accumulate: boolean): void {
  const ss = contiguousStrides(src.shape);
  const ds = contiguousStrides(dst.shape);
  const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
  getBackend().copyStrided(src.data, { offset: dot(srcStart, ss), strides: Int32Array.from(ss) }, dst.data, { offset: dot(dstStart, ds), strides: Int32Array.from(ds) }, Int32Array.from(shape), accumulate);
}

function axisStart(rank: number, axis: number, at: number): number[] {
  const s = new Array<number>(rank).fill(0);
  s[axis] = at;
  return s;
}

/** x[..., start:end, ...] along one axis. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = normAxis('slice', axis, x.rank);
  const len = x.shape[ax]!;
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= len)) {
    throw new ShapeError(`slice: range ${start}:${end} is outside axis ${ax} of length ${len} in ${fmt(x.shape)}`);
  }
  const shape = [...x.shape];
  shape[ax] = end - start;
  const out = empty(shape, x.dtype);
  copyRegion(x, axisStart(x.rank, ax, start), out, axisStart(x.rank, ax, 0), shape, false);
  return record(out, 'slice', [x], (gy) => {
    const gx = zeros(x.shape, x.dtype);
    copyRegion(gy, axisStart(x.rank, ax, 0), gx, axisStart(x.rank, ax, start), shape, false);
    return [gx];
  }, []);
}

/** Splits x along an axis into pieces of the given sizes (which must sum to the axis length). */
export function split(x: Tensor, axis: number, sizes: readonly number[]): Tensor[] {
  const ax = normAxis('split', axis, x.rank);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== x.shape[ax]) throw new ShapeError(`split: sizes ${fmt(sizes)} sum to ${total}, but axis ${ax} of ${fmt(x.shape)} has length ${x.shape[ax]}`);
  let at = 0;
  return sizes.map((n) => slice(x, ax, at, (at += n)));
}

/** Joins tensors along an axis; all other dimensions must agree. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new ShapeError('concat: no tensors given');
  const first = xs[0]!;
  const ax = normAxis('concat', axis, first.rank);
  for (const t of xs) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i]) || t.dtype !== first.dtype) {
      throw new ShapeError(`concat: ${t} does not match ${first} outside axis ${ax}`);
    }
  }
  const shape = [...first.shape];
  shape[ax] = xs.reduce((s, t) => s + t.shape[ax]!, 0);
  const out = empty(shape, first.dtype);
  let at = 0;
  const starts = xs.map((t) => {
    copyRegion(t, axisStart(t.rank, ax, 0), out, axisStart(t.rank, ax, at), t.shape, false);
    const s = at;
    at += t.shape[ax]!;
    return s;
  });
  return record(out, 'concat', [...xs], (gy) => xs.map((t, i) => slice(gy, ax, starts[i]!, starts[i]! + t.shape[ax]!)), []);
}

/** Pads an axis with `before` and `after` elements of `value`. */
export function pad(x: Tensor, axis: number, before: number, after: number, value = 0): Tensor {
  const ax = normAxis('pad', axis, x.rank);
  if (!(Number.isInteger(before) && Number.isInteger(after) && before >= 0 && after >= 0)) throw new ShapeError(`pad: amounts must be non-negative integers, got ${before} and ${after}`);
  const shape = [...x.shape];
  shape[ax] = shape[ax]! + before + after;
  const out = full(shape, value, x.dtype);
  copyRegion(x, axisStart(x.rank, ax, 0), out, axisStart(x.rank, ax, before), x.shape, false);
  return record(out, 'pad', [x], (gy) => [slice(gy, ax, before, before + x.shape[ax]!)], []);
}

/** Materialises x broadcast to `shape` (numpy rules). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const target = broadcastShapes('expand', x.shape, shape);
  if (!sameShape(target, shape)) throw new ShapeError(`expand: ${fmt(x.shape)} cannot be broadcast to ${fmt(shape)}`);
  if (sameShape(x.shape, shape)) return x;
  const out = empty(shape, x.dtype);
  getBackend().copyStrided(x.data, { offset: 0, strides: broadcastStrides(x.shape, shape) }, out.data, { offset: 0, strides: Int32Array.from(contiguousStrides(shape)) }, Int32Array.from(shape), false);
  return record(out, 'expand', [x], (gy) => [sumTo(gy, x.shape)], []);
}

/** Sums g over the axes along which `shape` was broadcast to produce g.shape. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const be = getBackend();
  const lead = g.rank - shape.length;
  let cur = g;
  let curShape = [...g.shape];
  const reduceAxis = (axis: number, keep: boolean) => {
    const outer = product(curShape, 0, axis);
    const r = curShape[axis]!;
    const inner = product(curShape, axis + 1);
    const nextShape = keep ? curShape.map((d, i) => (i === axis ? 1 : d)) : curShape.filter((_, i) => i !== axis);
    const next = empty(nextShape, g.dtype);
    be.reduce(ReduceOp.Sum, cur.f, outer, r, inner, next.f);
    cur = next;
    curShape = nextShape;
  };
  if (lead > 0) {
    // Collapse all leading axes into one and sum it away.
    curShape = [product(curShape, 0, lead), ...curShape.slice(lead)];
    reduceAxis(0, false);
  }
  for (let i = 0; i < shape.length; i++) if (shape[i] === 1 && curShape[i] !== 1) reduceAxis(i, true);
  if (!sameShape(curShape, shape)) throw new ShapeError(`sumTo: cannot reduce ${fmt(g.shape)} to ${fmt(shape)}`);
  return cur === g ? g : record(cur, 'sumTo', [g], (gy) => [expand(gy, g.shape)], []);
}

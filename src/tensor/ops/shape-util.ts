// Shape arithmetic shared by the ops: contiguous strides, numpy broadcasting, axis handling.

import { ShapeError, type Tensor } from '../tensor.ts';

export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** numpy broadcasting of two shapes; throws naming the op and both shapes. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new ShapeError(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read a tensor of `shape` as if it had `outShape` (0 on broadcast dims). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const cs = contiguousStrides(shape);
  const out = new Int32Array(outShape.length);
  const off = outShape.length - shape.length;
  for (let i = 0; i < outShape.length; i++) {
    const j = i - off;
    out[i] = j < 0 || shape[j] === 1 ? 0 : cs[j]!;
  }
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Normalises a possibly negative axis; throws naming the op. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ShapeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function product(xs: readonly number[], from = 0, to = xs.length): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= xs[i]!;
  return n;
}

export function requireFloat(op: string, ...ts: Tensor[]): void {
  for (const t of ts) if (t.dtype === 'int32') throw new TypeError(`${op}: expected float tensors, got int32 ${fmt(t.shape)}`);
  const d = ts[0]?.dtype;
  for (const t of ts) if (t.dtype !== d) throw new TypeError(`${op}: dtypes differ (${d} vs ${t.dtype})`);
}

// Tensor: a shape, a dtype and a flat contiguous array, plus an optional autograd node.
// Memory: storage comes from a pool keyed by dtype and length. `tidy(fn)` releases every
// tensor created inside fn back to the pool when fn returns, except the tensors fn returns
// (and those passed to `keep`), so a training step reuses the same buffers step after step
// instead of allocating fresh ones for every intermediate.

import type { FloatArray } from './backend.ts';
import { getBackend } from './device.ts';

export type DType = 'float32' | 'float64' | 'int32';
export type TensorData = FloatArray | Int32Array;

/** How a tensor was made, for reverse-mode autodiff (see autograd.ts). */
export interface GradNode {
  op: string;
  inputs: Tensor[];
  /** Given dL/d(output), returns dL/d(input) per input (null where not needed). */
  backward(gy: Tensor): (Tensor | null)[];
}

export class ShapeError extends Error {
  override name = 'ShapeError';
}

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: TensorData;
  node: GradNode | null = null;
  /** Leaves we differentiate with respect to (set by valueAndGrad). */
  requiresGrad = false;
  /** True when this tensor allocated its buffer from the pool (views of other tensors do not). */
  ownsData = false;

  constructor(data: TensorData, shape: readonly number[], dtype?: DType) {
    const size = sizeOf(shape);
    if (data.length !== size) throw new ShapeError(`Tensor: data has ${data.length} elements but shape [${shape.join(', ')}] needs ${size}`);
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype ?? dtypeOf(data);
    track(this);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Float data (throws for int tensors). */
  get f(): FloatArray {
    if (this.dtype === 'int32') throw new TypeError('expected a float tensor, got int32');
    return this.data as FloatArray;
  }

  get i(): Int32Array {
    if (this.dtype !== 'int32') throw new TypeError(`expected an int32 tensor, got ${this.dtype}`);
    return this.data as Int32Array;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: tensor has shape [${this.shape.join(', ')}], not one element`);
    return this.data[0]!;
  }

  toArray(): number[] {
    return Array.from(this.data);
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}])`;
  }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'int32';
}

// ---- storage pool and scopes -------------------------------------------------------------

const pool = new Map<string, TensorData[]>();
/** Buffers currently sitting in the pool, so nothing is ever released into it twice. */
const inPool = new WeakSet<TensorData>();
/** Buffers of tensors passed to `keep` (weak: a kept tensor is freed by GC once unreachable). */
const keptBuffers = new WeakSet<TensorData>();
const scopes: Tensor[][] = [];

function poolKey(dtype: DType, n: number): string {
  return `${dtype}:${n}`;
}

/** A buffer of n elements with undefined contents (from the pool when one is free). */
export function allocData(dtype: DType, n: number): TensorData {
  const free = pool.get(poolKey(dtype, n));
  if (free && free.length > 0) {
    const data = free.pop()!;
    inPool.delete(data);
    return data;
  }
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'float64') return new Float64Array(n);
  return new Int32Array(n);
}

/** A tensor with undefined contents: every kernel that receives it must write all of it. */
export function empty(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  const t = new Tensor(allocData(dtype, sizeOf(shape)), shape, dtype);
  t.ownsData = true;
  return t;
}

export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 0, dtype);
}

export function full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  const t = empty(shape, dtype);
  if (dtype === 'int32') t.i.fill(value);
  else getBackend().fill(t.f, value);
  return t;
}

/** A tensor over a copy of `values` (numbers or a typed array). */
export function tensor(values: ArrayLike<number>, shape?: readonly number[], dtype: DType = 'float32'): Tensor {
  const t = empty(shape ?? [values.length], dtype);
  if (t.size !== values.length) throw new ShapeError(`tensor: ${values.length} values do not fill shape [${shape!.join(', ')}]`);
  t.data.set(values);
  return t;
}

export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  return tensor([value], [], dtype);
}

function track(t: Tensor): void {
  const top = scopes[scopes.length - 1];
  if (top) top.push(t);
}

/** Tensors reachable from a value (a Tensor, or arrays/plain objects containing them). */
export function collectTensors(value: unknown, out: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, out);
  else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out);
  }
  return out;
}

/**
 * Runs fn; every tensor created inside it that is not reachable from its result (nor kept) goes
 * back to the pool. Returned tensors move to the enclosing scope. Buffers shared by views
 * (reshape) are released only if no surviving tensor uses them.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const survivors = collectTensors(result);
  const keptData = new Set<TensorData>(survivors.map((t) => t.data));
  for (const t of scope) {
    t.node = null;
    if (t.ownsData && !keptData.has(t.data) && !keptBuffers.has(t.data)) toPool(t);
  }
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of survivors) parent.push(t);
  return result;
}

function toPool(t: Tensor): void {
  if (inPool.has(t.data)) return;
  inPool.add(t.data);
  const key = poolKey(t.dtype, t.size);
  let free = pool.get(key);
  if (!free) pool.set(key, (free = []));
  free.push(t.data);
}

/**
 * Returns a pooled tensor's buffer to the pool before its scope ends (the backward pass does this
 * for gradients it has consumed). The caller guarantees nothing reads this buffer afterwards.
 */
export function releaseEarly(t: Tensor): void {
  if (t.ownsData) toPool(t);
}

/** Marks a tensor created inside a tidy scope as long-lived: no scope will release it. */
export function keep<T extends Tensor>(t: T): T {
  keptBuffers.add(t.data);
  return t;
}

/** Number of free buffers and their total bytes, for memory diagnostics. */
export function poolStats(): { buffers: number; bytes: number } {
  let buffers = 0;
  let bytes = 0;
  for (const free of pool.values()) {
    buffers += free.length;
    for (const d of free) bytes += d.byteLength;
  }
  return { buffers, bytes };
}

/** Throws if any element is NaN or Inf; cheap (one pass, float64 accumulation). */
export function assertFinite(t: Tensor, what: string): void {
  if (t.dtype === 'int32') return;
  if (!Number.isFinite(getBackend().sumSquares(t.f))) throw new RangeError(`${what}: tensor ${t} contains NaN or Inf`);
}

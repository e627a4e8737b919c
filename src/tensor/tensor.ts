// Tensor: a shape, a dtype and a flat contiguous array, plus an optional autograd node.
// Memory: storage comes from a pool of free buffers by dtype and capacity (a request takes the
// smallest that fits, up to twice its size). `tidy(fn)` releases every
// tensor created inside fn back to the pool when fn returns, except the tensors fn returns
// (and those passed to `keep`), so a training step reuses the same buffers step after step
// instead of allocating fresh ones for every intermediate. Two things lower a step's peak below
// "every intermediate until the scope ends": `dispose` hands back, during the forward pass, a
// buffer no backward rule reads, and the backward pass of `valueAndGrad` hands back each forward
// output as soon as the rules that read it have run.

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

/** Free buffers by dtype, then by capacity (elements of the underlying ArrayBuffer). */
const pool = new Map<DType, Map<number, TensorData[]>>();
/** Buffers currently sitting in the pool, so nothing is ever released into it twice. */
const inPool = new WeakSet<TensorData>();
/** Buffers of tensors passed to `keep` (weak: a kept tensor is freed by GC once unreachable). */
const keptBuffers = new WeakSet<TensorData>();
/** Buffers a recorded backward rule reads (marked by `record`; cleared when they are pooled). */
const savedBuffers = new WeakSet<TensorData>();
const scopes: Tensor[][] = [];
/** Bytes handed out by allocData and not yet back in the pool, and their high-water mark. */
let liveBytes = 0;
let peakLiveBytes = 0;

function capacity(data: TensorData): number {
  return data.buffer.byteLength / data.BYTES_PER_ELEMENT;
}

function fresh(dtype: DType, n: number, buffer?: ArrayBuffer): TensorData {
  const View = dtype === 'float32' ? Float32Array : dtype === 'float64' ? Float64Array : Int32Array;
  return new View(buffer ?? getBackend().allocate(n * View.BYTES_PER_ELEMENT), 0, n);
}

/**
 * The free buffer that fits n elements best: one of exactly n, else the smallest of at most 2n
 * (viewed as n elements). Serving other sizes keeps the buffers that the backward pass frees
 * (activations) useful to the ones it then asks for (gradients of other shapes), so the pool
 * stays close to the step's peak of live memory.
 */
function takeFree(dtype: DType, n: number): TensorData | null {
  const byCapacity = pool.get(dtype);
  if (!byCapacity) return null;
  let best = byCapacity.get(n)?.length ? n : -1;
  if (best < 0) for (const [cap, free] of byCapacity) if (free.length > 0 && cap > n && cap <= 2 * n && (best < 0 || cap < best)) best = cap;
  if (best < 0) return null;
  const data = byCapacity.get(best)!.pop()!;
  inPool.delete(data);
  return data.length === n ? data : fresh(dtype, n, data.buffer as ArrayBuffer); // pool buffers all come from fresh()
}

/**
 * A long-lived tensor whose buffer never enters the pool (parameters, optimiser state, loaded
 * checkpoints): zeros, or a copy of `values`. Its storage comes from the backend's allocator like
 * the pool's own buffers, so large ones are mapped with huge pages where the backend does that;
 * it is garbage-collected once unreachable, and no tidy scope recycles it.
 */
export function persistent(shape: readonly number[], dtype: DType = 'float32', values?: ArrayLike<number>): Tensor {
  const data = fresh(dtype, sizeOf(shape));
  if (values) {
    if (values.length !== data.length) throw new ShapeError(`persistent: ${values.length} values do not fill shape [${shape.join(', ')}]`);
    data.set(values);
  }
  return new Tensor(data, shape, dtype); // ownsData stays false: no scope releases it
}

/** A buffer of n elements with undefined contents (from the pool when one fits). */
export function allocData(dtype: DType, n: number): TensorData {
  const data = takeFree(dtype, n) ?? fresh(dtype, n);
  liveBytes += data.byteLength;
  if (liveBytes > peakLiveBytes) peakLiveBytes = liveBytes;
  return data;
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
  t.ownsData = false; // released once: a later reuse of the buffer belongs to its new tensor
  if (inPool.has(t.data)) return;
  inPool.add(t.data);
  savedBuffers.delete(t.data);
  liveBytes -= t.data.byteLength;
  let byCapacity = pool.get(t.dtype);
  if (!byCapacity) pool.set(t.dtype, (byCapacity = new Map()));
  const cap = capacity(t.data);
  let free = byCapacity.get(cap);
  if (!free) byCapacity.set(cap, (free = []));
  free.push(t.data);
}

/**
 * Returns a pooled tensor's buffer to the pool before its scope ends (the backward pass does this
 * for gradients it has consumed). The caller guarantees nothing reads this buffer afterwards.
 */
export function releaseEarly(t: Tensor): void {
  if (t.ownsData && !keptBuffers.has(t.data)) toPool(t);
}

/** Records that a backward rule reads t's buffer, so `dispose` leaves it alone. */
export function markSaved(t: Tensor): void {
  savedBuffers.add(t.data);
}

/**
 * Says the caller will read these tensors (and views of them) no more: each buffer goes back to
 * the pool now, unless a recorded backward rule reads it or it was kept. A forward pass calls it
 * on intermediates such as a dense output once the residual add has consumed it, so they do not
 * wait for the scope's end.
 */
export function dispose(...ts: Tensor[]): void {
  for (const t of ts) if (!savedBuffers.has(t.data)) releaseEarly(t);
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
  for (const byCapacity of pool.values()) {
    for (const free of byCapacity.values()) {
      buffers += free.length;
      for (const d of free) bytes += d.buffer.byteLength;
    }
  }
  return { buffers, bytes };
}

/**
 * Bytes of pool-allocated tensors in use now and at most since the last reset (tensors that
 * leave their scope alive, e.g. returned gradients, stay counted until released).
 */
export function memoryStats(): { liveBytes: number; peakLiveBytes: number } {
  return { liveBytes, peakLiveBytes };
}

/** Starts a new high-water mark for memoryStats().peakLiveBytes (at the current live bytes). */
export function resetPeakMemory(): void {
  peakLiveBytes = liveBytes;
}

/** Throws if any element is NaN or Inf; cheap (one pass, float64 accumulation). */
export function assertFinite(t: Tensor, what: string): void {
  if (t.dtype === 'int32') return;
  if (!Number.isFinite(getBackend().sumSquares(t.f))) throw new RangeError(`${what}: tensor ${t} contains NaN or Inf`);
}

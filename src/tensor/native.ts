// The native backend: the C++ addon in native/ (built with `npm run build:native`) behind the
// Backend interface. Float32 only: a Float64Array argument makes the addon throw a TypeError.
// Typed arrays are handed to the addon as they are (it reads their data pointers, no copies),
// so each call costs one N-API transition plus a few argument reads.
//
// loadNativeBackend() returns null instead of throwing when the addon is missing or fails to
// load; nativeLoadError() then says why.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Backend, BinaryOp, FloatArray, MatmulArgs, ReduceOp, StridedView, UnaryOp } from './backend.ts';

/** The functions exported by native/src/addon.cc (argument order follows backend.ts). */
interface Addon {
  fill(out: FloatArray, value: number): void;
  matmul(a: FloatArray, b: FloatArray, c: FloatArray, batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean, strideA: number, strideB: number, strideC: number, alpha: number, beta: number): void;
  unary(op: UnaryOp, x: FloatArray, out: FloatArray, param: number): void;
  unaryBackward(op: UnaryOp, x: FloatArray, y: FloatArray, gy: FloatArray, gx: FloatArray, param: number): void;
  binary(op: BinaryOp, a: FloatArray, aStrides: Int32Array, b: FloatArray, bStrides: Int32Array, out: FloatArray, shape: Int32Array): void;
  where(cond: FloatArray | Int32Array, a: FloatArray, b: FloatArray, out: FloatArray): void;
  reduce(op: ReduceOp, x: FloatArray, outer: number, r: number, inner: number, out: FloatArray): void;
  reduceMaxBackward(x: FloatArray, y: FloatArray, gy: FloatArray, outer: number, r: number, inner: number, gx: FloatArray): void;
  copyStrided(src: FloatArray | Int32Array, srcOffset: number, srcStrides: Int32Array, dst: FloatArray | Int32Array, dstOffset: number, dstStrides: Int32Array, shape: Int32Array, accumulate: boolean): void;
  softmax(x: FloatArray, rows: number, cols: number, out: FloatArray, log: boolean): void;
  softmaxBackward(y: FloatArray, gy: FloatArray, rows: number, cols: number, gx: FloatArray, log: boolean): void;
  maskedSoftmax(s: FloatArray, batch: number, heads: number, tq: number, tk: number, scale: number, causal: boolean, keyMask: Int32Array | null): void;
  layerNorm(x: FloatArray, gamma: FloatArray, beta: FloatArray, rows: number, cols: number, eps: number, out: FloatArray, mean: FloatArray, rstd: FloatArray): void;
  layerNormBackward(x: FloatArray, gamma: FloatArray, mean: FloatArray, rstd: FloatArray, gy: FloatArray, rows: number, cols: number, gx: FloatArray, ggamma: FloatArray, gbeta: FloatArray): void;
  gather(table: FloatArray, vocab: number, cols: number, ids: Int32Array, out: FloatArray): void;
  scatterAdd(gy: FloatArray, ids: Int32Array, cols: number, gtable: FloatArray): void;
  crossEntropy(logits: FloatArray, targets: Int32Array, rows: number, cols: number, ignoreIndex: number, lse: FloatArray): number;
  crossEntropyBackward(logits: FloatArray, targets: Int32Array, lse: FloatArray, rows: number, cols: number, ignoreIndex: number, scale: number, gx: FloatArray): void;
  dropoutMask(seed: number, p: number, out: FloatArray): void;
  sumSquares(x: FloatArray): number;
  adamw(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number, gradScale: number): void;
  /** OpenMP threads the kernels use (OMP_NUM_THREADS, else the core count). */
  numThreads(): number;
  setNumThreads(n: number): void;
}

/** Where `npm run build:native` puts the addon. */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/ligo_native.node', import.meta.url));

let addon: Addon | null | undefined;
let backend: Backend | null = null;
let loadError: string | null = null;

/**
 * Thread settings the addon's libraries read once, when the addon is loaded (so they are set in
 * the environment just before). Only when the user has not chosen:
 * - OMP_WAIT_POLICY=passive: OpenMP workers sleep between kernels instead of spinning. Spinning
 *   saves a few microseconds per kernel on an idle machine, but when anything else wants the
 *   cores, spinning threads and preempted barriers made whole training runs 5-10x slower here
 *   (measured: fork/join 35-600 us spinning vs 8-24 us passive on a loaded 2-core VM).
 * - OPENBLAS_NUM_THREADS=1: the addon runs sgemm single-threaded inside its own OpenMP threads,
 *   so OpenBLAS's thread pool would only sit idle.
 */
function setThreadEnvironment(): void {
  const env = process.env;
  if (env.OMP_WAIT_POLICY === undefined && env.GOMP_SPINCOUNT === undefined) env.OMP_WAIT_POLICY = 'passive';
  if (env.OPENBLAS_NUM_THREADS === undefined) env.OPENBLAS_NUM_THREADS = '1';
}

function loadAddon(): Addon | null {
  if (addon !== undefined) return addon;
  setThreadEnvironment();
  try {
    addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as Addon;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    loadError = err.code === 'MODULE_NOT_FOUND' ? `${NATIVE_ADDON_PATH} not found` : `loading ${NATIVE_ADDON_PATH} failed: ${err.message}`;
    addon = null;
  }
  return addon;
}

function makeBackend(n: Addon): Backend {
  return {
    name: 'native',
    float64: false,
    fill: (out, value) => n.fill(out, value),
    matmul: (a, b, c, g: MatmulArgs) => n.matmul(a, b, c, g.batch, g.m, g.n, g.k, g.transA, g.transB, g.strideA, g.strideB, g.strideC, g.alpha, g.beta),
    unary: (op, x, out, param) => n.unary(op, x, out, param),
    unaryBackward: (op, x, y, gy, gx, param) => n.unaryBackward(op, x, y, gy, gx, param),
    binary: (op, a, aStrides, b, bStrides, out, shape) => n.binary(op, a, aStrides, b, bStrides, out, shape),
    where: (cond, a, b, out) => n.where(cond, a, b, out),
    reduce: (op, x, outer, r, inner, out) => n.reduce(op, x, outer, r, inner, out),
    reduceMaxBackward: (x, y, gy, outer, r, inner, gx) => n.reduceMaxBackward(x, y, gy, outer, r, inner, gx),
    copyStrided: (src, sv: StridedView, dst, dv: StridedView, shape, accumulate) => n.copyStrided(src, sv.offset, sv.strides, dst, dv.offset, dv.strides, shape, accumulate),
    softmax: (x, rows, cols, out, log) => n.softmax(x, rows, cols, out, log),
    softmaxBackward: (y, gy, rows, cols, gx, log) => n.softmaxBackward(y, gy, rows, cols, gx, log),
    maskedSoftmax: (s, batch, heads, tq, tk, scale, causal, keyMask) => n.maskedSoftmax(s, batch, heads, tq, tk, scale, causal, keyMask),
    layerNorm: (x, gamma, beta, rows, cols, eps, out, mean, rstd) => n.layerNorm(x, gamma, beta, rows, cols, eps, out, mean, rstd),
    layerNormBackward: (x, gamma, mean, rstd, gy, rows, cols, gx, ggamma, gbeta) => n.layerNormBackward(x, gamma, mean, rstd, gy, rows, cols, gx, ggamma, gbeta),
    gather: (table, vocab, cols, ids, out) => n.gather(table, vocab, cols, ids, out),
    scatterAdd: (gy, ids, cols, gtable) => n.scatterAdd(gy, ids, cols, gtable),
    crossEntropy: (logits, targets, rows, cols, ignoreIndex, lse) => n.crossEntropy(logits, targets, rows, cols, ignoreIndex, lse),
    crossEntropyBackward: (logits, targets, lse, rows, cols, ignoreIndex, scale, gx) => n.crossEntropyBackward(logits, targets, lse, rows, cols, ignoreIndex, scale, gx),
    dropoutMask: (seed, p, out) => n.dropoutMask(seed >>> 0, p, out),
    sumSquares: (x) => n.sumSquares(x),
    adamw: (p, g, m, v, lr, beta1, beta2, eps, weightDecay, step, gradScale) => n.adamw(p, g, m, v, lr, beta1, beta2, eps, weightDecay, step, gradScale),
  };
}

/** The native backend, or null (see nativeLoadError) when the addon is not built or will not load. */
export function loadNativeBackend(): Backend | null {
  if (backend) return backend;
  const n = loadAddon();
  if (n) backend = makeBackend(n);
  return backend;
}

/** Why loadNativeBackend() returns null; null when the addon loads. */
export function nativeLoadError(): string | null {
  loadAddon();
  return loadError;
}

/** Threads the native kernels use, or null without the addon. */
export function nativeThreads(): number | null {
  return loadAddon()?.numThreads() ?? null;
}

/** Sets the native kernels' thread count (for benchmarks); false without the addon. */
export function setNativeThreads(threads: number): boolean {
  const n = loadAddon();
  if (!n) return false;
  n.setNumThreads(threads);
  return true;
}

// The native backend: the C++ addon in native/ (built with `npm run build:native`) behind the
// Backend interface. Float32 only: a Float64Array argument makes the addon throw a TypeError.
// The boundary (every function, its parameters and their kinds, and the op enums) is declared
// once, in native-abi.ts. Typed arrays are handed to the addon as they are (it reads their data
// pointers), so each call costs one N-API transition plus a few argument reads.
//
// loadNativeBackend() returns null instead of throwing when the addon is missing or fails to
// load; nativeLoadError() then says why. An addon older than the sources beside it (a pull or an
// edit without `npm run build:native`) loads and matches the boundary but runs its last build's
// kernels: loading it says so on stderr, once, for the CLI, the benchmarks and any program that
// imports the package alike (native/up-to-date.mjs decides, as it does for npm's install step).

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { addonState } from '../../native/up-to-date.mjs';
import type { Backend, MatmulArgs, StridedView } from './backend.ts';
import { nativeSignatures, type NativeAddon } from './native-abi.ts';

/** Where `npm run build:native` puts the addon. */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/ligo_native.node', import.meta.url));

let addon: NativeAddon | null | undefined;
let backend: Backend | null = null;
let loadError: string | null = null;

/**
 * Thread settings the addon's libraries read once, when the addon is loaded (so they are set in
 * the environment just before). Only when the user has not chosen:
 * - OMP_WAIT_POLICY=passive: OpenMP workers sleep between kernels instead of spinning. Spinning
 *   saves a few microseconds per kernel on an idle machine, but when anything else wants the
 *   cores, spinning threads and preempted barriers made whole training runs 5-10x slower here
 *   (measured: fork/join 35-600 us spinning vs 8-24 us passive on a loaded 2-core VM).
 */
function setThreadEnvironment(): void {
  const env = process.env;
  if (env.OMP_WAIT_POLICY === undefined && env.GOMP_SPINCOUNT === undefined) env.OMP_WAIT_POLICY = 'passive';
}

function loadAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  setThreadEnvironment();
  let loaded: NativeAddon;
  try {
    loaded = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    loadError = err.code === 'MODULE_NOT_FOUND' ? `${NATIVE_ADDON_PATH} not found` : `loading ${NATIVE_ADDON_PATH} failed: ${err.message}`;
    return (addon = null);
  }
  // An addon built from other sources (typically not rebuilt after a pull) would read wrong
  // arguments or run the wrong op: refuse it, saying how to fix it. test/native.test.ts fails on
  // this, never skips.
  try {
    loaded.declare(nativeSignatures());
  } catch (e) {
    loadError = `${NATIVE_ADDON_PATH} does not match src/tensor/native-abi.ts (rebuild it with \`npm run build:native\`): ${(e as Error).message}`;
    return (addon = null);
  }
  if (addonState() === 'stale') {
    process.stderr.write('ligo: the native addon is older than native/src, so it runs the kernels of its last build, not these sources: rebuild it with `npm run build:native`\n');
  }
  return (addon = loaded);
}

/**
 * Buffers from this size up are mapped by the addon, 2 MiB-aligned with transparent huge pages
 * advised: on the machines measured, the first touch of a fresh 4 KiB-paged buffer (one page fault
 * per 4 KiB) took longer than the kernels writing it, and huge pages made it about 4x faster
 * (BENCHMARKS.md). Smaller buffers could not hold a huge page and stay plain ArrayBuffers.
 * LIGO_HUGE_PAGES=0 turns this off (every buffer a plain ArrayBuffer), e.g. where the system's
 * memory is fragmented enough that assembling huge pages stalls.
 */
const MAPPED_MIN_BYTES = 2 << 20;

function allocator(n: NativeAddon): (bytes: number) => ArrayBuffer {
  if (process.env.LIGO_HUGE_PAGES === '0') return (bytes) => new ArrayBuffer(bytes);
  return (bytes) => (bytes >= MAPPED_MIN_BYTES ? n.allocBuffer(bytes) : new ArrayBuffer(bytes));
}

/**
 * The Backend over the addon. Most kernels are the addon's functions themselves (the compiler
 * checks each against the Backend interface); matmul, copyStrided and attention (+ backward)
 * flatten their argument objects, and dropoutMask passes the seed as an unsigned 32-bit integer.
 */
function makeBackend(n: NativeAddon): Backend {
  return {
    name: 'native',
    float64: false,
    allocate: allocator(n),
    fill: n.fill,
    matmul: (a, b, c, g: MatmulArgs) => n.matmul(a, b, c, g.batch, g.m, g.n, g.k, g.transA, g.transB, g.strideA, g.strideB, g.strideC, g.alpha, g.beta, g.bias ?? null),
    unary: n.unary,
    unaryBackward: n.unaryBackward,
    binary: n.binary,
    where: n.where,
    reduce: n.reduce,
    reduceMaxBackward: n.reduceMaxBackward,
    copyStrided: (src, sv: StridedView, dst, dv: StridedView, shape, accumulate) => n.copyStrided(src, sv.offset, sv.strides, dst, dv.offset, dv.strides, shape, accumulate),
    softmax: n.softmax,
    softmaxBackward: n.softmaxBackward,
    attention: (q, qv, k, kv, v, vv, keyMask, p, out, d) =>
      n.attention(q, qv.offset, qv.rowStride, k, kv.offset, kv.rowStride, v, vv.offset, vv.rowStride, keyMask, p, out, d.batch, d.heads, d.kvHeads, d.tq, d.tk, d.d, d.scale, d.causal),
    attentionBackward: (q, qv, k, kv, v, vv, p, gout, gq, gk, gv, d) =>
      n.attentionBackward(q, qv.offset, qv.rowStride, k, kv.offset, kv.rowStride, v, vv.offset, vv.rowStride, p, gout, gq, gk, gv, d.batch, d.heads, d.kvHeads, d.tq, d.tk, d.d, d.scale, d.causal),
    layerNorm: n.layerNorm,
    layerNormBackward: n.layerNormBackward,
    rmsNorm: n.rmsNorm,
    rmsNormBackward: n.rmsNormBackward,
    rotary: n.rotary,
    gather: n.gather,
    scatterAdd: n.scatterAdd,
    crossEntropy: n.crossEntropy,
    crossEntropyBackward: n.crossEntropyBackward,
    dropoutMask: (seed, p, out) => n.dropoutMask(seed >>> 0, p, out),
    sumSquares: n.sumSquares,
    adamw: n.adamw,
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

/**
 * The machine's fp32 ceiling as the addon measures it: one core's FMA rate (GFLOP/s) with vectors
 * of `bits` (default: the widest the kernels use on this CPU), and that width; null without the addon.
 */
export function nativePeak(iters = 20_000_000, bits?: number): { vectorBits: number; gflopsPerCore: number } | null {
  const n = loadAddon();
  if (!n) return null;
  const width = bits ?? n.peakVectorBits();
  return { vectorBits: width, gflopsPerCore: n.peakGflopsAt(width, iters) };
}

/** Threads the native kernels use, or null without the addon. */
export function nativeThreads(): number | null {
  return loadAddon()?.numThreads() ?? null;
}


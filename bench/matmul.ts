// `node --import tsx bench/matmul.ts`: single-precision products through the native backend's
// matmul (the engine's path: its OpenMP splits around the addon's sgemm), best-of-7 wall time
// after a warm-up, one JSON line per shape. Shapes: 1024^3 and the products of the bench/step.ts
// training steps (SIZE=small: rows 2048, hidden 256, FFN 1024, 64 attention products of
// 128x128x64; SIZE=base: rows 4096, hidden 768, FFN 3072, 384 attention products); a linear
// layer's forward, input-gradient and weight-gradient products are NT, NN and TN (the weight
// gradient sums the batch's rows: one long-k product). Threads: OMP_NUM_THREADS (the addon's
// default is every core). ADDON=path/to/ligo_native.node times another build of the addon
// (alternate runs of two builds to compare them). Prints the load average with each line: the
// machine may be shared. Operands are warm in cache here; inside a training step they mostly are
// not, so a step's products run slower than these figures.

import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { NATIVE_ADDON_PATH } from '../src/tensor/native.ts';
import { nativeSignatures, type NativeAddon } from '../src/tensor/native-abi.ts';

const path = process.env.ADDON ?? NATIVE_ADDON_PATH;
const addon = createRequire(import.meta.url)(path) as NativeAddon;
addon.declare(nativeSignatures());
const label = process.env.LABEL ?? path;
const threads = process.env.OMP_NUM_THREADS ?? 'all';

type Shape = [name: string, batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean];
const STEP = {
  small: { rows: 2048, d: 256, ffn: 1024, heads: 64 },
  base: { rows: 4096, d: 768, ffn: 3072, heads: 384 },
}[process.env.SIZE ?? 'small'];
if (!STEP) throw new Error(`SIZE must be small or base, got ${process.env.SIZE}`);
const { rows, d, ffn, heads } = STEP;
const SHAPES: Shape[] = [
  ['1024^3 NN', 1, 1024, 1024, 1024, false, false],
  [`qkvo fwd NT ${rows}x${d}x${d}`, 1, rows, d, d, false, true],
  [`ffn1 fwd NT ${rows}x${ffn}x${d}`, 1, rows, ffn, d, false, true],
  [`ffn2 fwd NT ${rows}x${d}x${ffn}`, 1, rows, d, ffn, false, true],
  [`ffn1 dX NN ${rows}x${d}x${ffn}`, 1, rows, d, ffn, false, false],
  [`ffn1 dW TN ${ffn}x${d}x${rows}`, 1, ffn, d, rows, true, false],
  [`attn QK^T NT ${heads}x128x128x64`, heads, 128, 128, 64, false, true],
  [`attn PV NN ${heads}x128x64x128`, heads, 128, 64, 128, false, false],
];

for (const [name, batch, m, n, k, transA, transB] of SHAPES) {
  const a = Float32Array.from({ length: batch * m * k }, () => Math.random() - 0.5);
  const b = Float32Array.from({ length: batch * k * n }, () => Math.random() - 0.5);
  const c = new Float32Array(batch * m * n);
  const run = () => addon.matmul(a, b, c, batch, m, n, k, transA, transB, m * k, k * n, m * n, 1, 0, null);
  // Warm up for half a second: the first products of a process run at half speed or less here
  // (threads starting, caches and the host's scheduling of the second core).
  for (const t0 = performance.now(); performance.now() - t0 < 500; ) run();
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    run();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  const gflops = (2 * batch * m * n * k) / best / 1e9;
  console.log(JSON.stringify({ addon: label, threads, shape: name, gflops: Number(gflops.toFixed(1)), load1: Number(loadavg()[0]!.toFixed(2)) }));
}

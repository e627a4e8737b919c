// The step's kernels other than products, alone, at the study's and the reference step's shapes
// (2,048 rows of 192, 256 or 768 columns): layer norm and RMS norm forward and backward, the column
// sums of a bias gradient, and GELU (exact CDF) forward and backward. Operands stay hot (each
// kernel runs on the same buffers call after call), so these are the kernels' own rates, not the
// step's. Prints one JSON line per kernel and shape: the median microseconds a call over ROUNDS
// rounds of CALLS calls, with the machine line. Thread count: OMP_NUM_THREADS, as for every bench.
//   node --import tsx bench/kernels.ts       (BENCHMARKS.md, "Row kernels on two threads, GELU with one exp")

import { getBackend } from '../src/tensor/index.ts';
import { ReduceOp, UnaryOp } from '../src/tensor/backend.ts';
import { machine } from './machine.ts';
import { median } from './timing.ts';

const be = getBackend();
const rounds = Number(process.env.ROUNDS ?? 7);
const calls = Number(process.env.CALLS ?? 50);
const rows = 2048;

function random(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 12.9898) * 0.5;
  return a;
}

function time(kernel: string, cols: number, f: () => void): void {
  for (let i = 0; i < 5; i++) f();
  const perCall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) f();
    perCall.push(Number(process.hrtime.bigint() - t0) / 1e3 / calls);
  }
  console.log(JSON.stringify({ bench: 'kernels', kernel, rows, cols, microsecondsPerCall: +median(perCall).toFixed(1), machine: machine() }));
}

for (const cols of [192, 256, 768]) {
  const x = random(rows * cols), gy = random(rows * cols).reverse();
  const y = new Float32Array(rows * cols), gx = new Float32Array(rows * cols);
  const gamma = new Float32Array(cols).fill(1.1), beta = new Float32Array(cols).fill(0.1);
  const mean = new Float32Array(rows), rstd = new Float32Array(rows);
  const gGamma = new Float32Array(cols), gBeta = new Float32Array(cols), colSums = new Float32Array(cols);
  time('layerNorm', cols, () => be.layerNorm(x, gamma, beta, rows, cols, 1e-12, y, mean, rstd));
  time('layerNormBackward', cols, () => be.layerNormBackward(x, gamma, mean, rstd, gy, rows, cols, gx, gGamma, gBeta));
  time('rmsNorm', cols, () => be.rmsNorm(x, gamma, rows, cols, 1e-6, y, rstd));
  time('rmsNormBackward', cols, () => be.rmsNormBackward(x, gamma, rstd, gy, rows, cols, gx, gGamma));
  time('reduce (column sums)', cols, () => be.reduce(ReduceOp.Sum, gy, 1, rows, cols, colSums));
  time('gelu', cols, () => be.unary(UnaryOp.GeluErf, x, y, 0));
  time('geluBackward', cols, () => be.unaryBackward(UnaryOp.GeluErf, x, y, gy, gx, 0));
}

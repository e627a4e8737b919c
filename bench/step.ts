// `npm run bench:step`: forward + backward of a BERT encoder stack (post-LN, GELU erf, biases),
// fp32, loss = MSE to a fixed random target. Prints one JSON line. Matches bench/torch_step.py
// step for step. SIZE=small (default): 4 layers, hidden 256, 4 heads, FFN 1024, batch 16 x 128;
// SIZE=base: BERT-Base's stack, 12 layers, hidden 768, 12 heads, FFN 3072, batch 32 x 128;
// SIZE=demo: `ligo demo`'s large model, 4 layers, hidden 192, 3 heads, FFN 768, batch 32 x 64.
// Options (env): STEPS (timed steps, default 10), WARMUP (default 2), LIGO_BACKEND, PROFILE=1
// (seconds per kernel over the timed steps, on stderr). sysSeconds and minorFaults: per timed
// step (page faults and the kernel's time for them are what memory reuse should remove).

import * as T from '../src/tensor/index.ts';
import { Rng, getBackend, tidy, valueAndGrad } from '../src/tensor/index.ts';
import { bertLayer, initBertLayer, type BertLayerShape } from '../src/models/bert-layer.ts';
import { flattenParams, initNormal } from '../src/nn/index.ts';
import { machine, shareOfPeak } from './machine.ts';
import { median, timeSteps } from './timing.ts';

const SIZES = {
  small: { B: 16, Tn: 128, L: 4, shape: { hidden: 256, heads: 4, intermediate: 1024, layerNormEps: 1e-12 } },
  base: { B: 32, Tn: 128, L: 12, shape: { hidden: 768, heads: 12, intermediate: 3072, layerNormEps: 1e-12 } },
  demo: { B: 32, Tn: 64, L: 4, shape: { hidden: 192, heads: 3, intermediate: 768, layerNormEps: 1e-12 } },
} satisfies Record<string, { B: number; Tn: number; L: number; shape: BertLayerShape }>;
const size = (process.env.SIZE ?? 'small') as keyof typeof SIZES;
if (!(size in SIZES)) throw new Error(`SIZE must be one of ${Object.keys(SIZES).join(', ')}, got ${size}`);
const { B, Tn, L, shape } = SIZES[size];
const steps = Number(process.env.STEPS ?? 10);
const warmup = Number(process.env.WARMUP ?? 2);

const rng = new Rng(0);
const layers = Array.from({ length: L }, () => initBertLayer(rng, shape));
const params = flattenParams(layers).map(([, t]) => t);
const input = initNormal(rng, [B, Tn, shape.hidden], 1);
const target = initNormal(rng, [B, Tn, shape.hidden], 1);

function step(): number {
  return tidy(() => {
    const { loss } = valueAndGrad(() => {
      let x = input;
      for (const p of layers) x = bertLayer(p, shape, x, null, null);
      return T.mean(T.pow(T.sub(x, target), 2));
    }, params);
    return loss.item();
  });
}

function sgemmGflops(): number {
  const n = 1024;
  const a = initNormal(rng, [n, n], 1), b = initNormal(rng, [n, n], 1), c = T.empty([n, n]);
  const be = getBackend();
  const args = { batch: 1, m: n, n, k: n, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, alpha: 1, beta: 0 };
  be.matmul(a.f, b.f, c.f, args);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    be.matmul(a.f, b.f, c.f, args);
    times.push((performance.now() - t0) / 1000);
  }
  return (2 * n * n * n) / median(times) / 1e9;
}

for (let i = 0; i < warmup; i++) step();
const { seconds: sec, loss, before, after: usage } = timeSteps(step, steps);
const d = shape.hidden, ffn = shape.intermediate;
const flopsPerStep = 3 * B * Tn * L * (2 * (4 * d * d + 2 * d * ffn) + 4 * Tn * d);
const perStep = (x: number) => x / steps;
console.log(JSON.stringify({
  bench: 'step',
  size,
  backend: getBackend().name,
  steps,
  medianStepSeconds: +sec.toFixed(4),
  tokensPerSecond: Math.round((B * Tn) / sec),
  gflopsPerSecond: +(flopsPerStep / sec / 1e9).toFixed(1),
  shareOfPeak: shareOfPeak(flopsPerStep / sec / 1e9),
  machine: machine(),
  sgemmGflopsPerSecond: +sgemmGflops().toFixed(1),
  peakRssMB: Math.round(usage.maxRSS / 1024),
  sysSecondsPerStep: +perStep((usage.systemCPUTime - before.systemCPUTime) / 1e6).toFixed(3),
  userSecondsPerStep: +perStep((usage.userCPUTime - before.userCPUTime) / 1e6).toFixed(3),
  minorFaultsPerStep: Math.round(perStep(usage.minorPageFault - before.minorPageFault)),
  loss: +loss.toFixed(5),
}));

// `npm run bench:operator`: the LiGO operator at the paper's size, step by step. A fresh
// BERT-Small (6L-512H) is grown into BERT-Base (12L-768H) by `learnLigo`, the code `ligo grow
// --method ligo` runs, on random masked-LM batches of 32 x 128 (15% of positions labelled,
// presets' 8,192-token vocabulary). PAIR=smollm grows SmolLM-135M's shape into SmolLM-360M's
// (30 -> 32 layers, hidden 576 -> 960, 9/3 -> 15/5 query/key-value heads of 64, FFN 1536 ->
// 2560) on random causal-LM batches of 8 x 128 (BATCH and SEQ override either pair's batch). Prints one JSON line: the first step (which touches every
// buffer for the first time) and the median of the later ones, each with its wall time, system
// and user CPU time, minor page faults, and GFLOP/s counting the step's 6N FLOPs as `ligo grow`
// does (the large model's training step plus building its weights forward and backward); then
// the final build of the large model's weights; peak RSS, the peak of live pooled tensors and
// what the pool holds at the end (its buffers are touched once, in the first step).
// Options (env): STEPS (operator steps, default 4; the first is reported apart), LIGO_BACKEND.

import { Rng, Tensor, getBackend, memoryStats, poolStats } from '../src/tensor/index.ts';
import { modelFor, preset, type ModelConfig, type TextBatch } from '../src/models/index.ts';
import { learnLigo, ligoCostFlops } from '../src/grow/ligo/ligo.ts';
import { parseLigoOptions } from '../src/grow/ligo/options.ts';
import { applyFlops, layoutFor } from '../src/grow/ligo/operator.ts';
import { machine, shareOfPeak } from './machine.ts';

const steps = Number(process.env.STEPS ?? 4);
if (!(Number.isInteger(steps) && steps >= 2)) throw new Error(`STEPS must be an integer of at least 2 (the first step is reported apart), got ${process.env.STEPS}`);
const PAIRS = {
  bert: { small: 'bert-6L-512H', large: 'bert-12L-768H', B: 32, Tn: 128, masked: true },
  smollm: { small: 'smollm-135m', large: 'smollm-360m', B: 8, Tn: 128, masked: false },
};
const pair = PAIRS[(process.env.PAIR ?? 'bert') as keyof typeof PAIRS];
if (!pair) throw new Error(`PAIR must be one of ${Object.keys(PAIRS).join(', ')}, got ${process.env.PAIR}`);
const B = Number(process.env.BATCH ?? pair.B), Tn = Number(process.env.SEQ ?? pair.Tn);
const smallConfig: ModelConfig = preset(pair.small);
const largeConfig = preset(pair.large) as ModelConfig & { vocab_size: number };
const small = new Map(modelFor(smallConfig).flatten(modelFor(smallConfig).initParams(smallConfig, 0)));

const rng = new Rng(1);
function batch(): TextBatch {
  const ids = new Int32Array(B * Tn), labels = new Int32Array(B * Tn).fill(-100);
  for (let i = 0; i < ids.length; i++) {
    ids[i] = 5 + Math.floor(rng.uniform() * (largeConfig.vocab_size - 5));
    if (!pair.masked || rng.uniform() < 0.15) labels[i] = ids[i]!;
  }
  return { inputIds: new Tensor(ids, [B, Tn], 'int32'), labels: new Tensor(labels, [B, Tn], 'int32') };
}

interface Mark { at: number; usage: NodeJS.ResourceUsage }
const mark = (): Mark => ({ at: performance.now(), usage: process.resourceUsage() });
const marks: Mark[] = [mark()];
const { result } = learnLigo(small, smallConfig, largeConfig, {
  seed: 0,
  options: { steps },
  batches: () => batch(),
  onProgress: () => marks.push(mark()),
});
marks.push(mark());

const o = parseLigoOptions({ steps });
const layout = layoutFor(smallConfig, largeConfig, { mode: o.mode, tieInputs: o.tieInputs, order: o.order });
// One operator step's 6N FLOPs: LiGO's recorded cost of a one-step run less its final build.
const stepFlops = ligoCostFlops(layout, largeConfig, [{ batchSize: B, seqLen: Tn }]).flopsSixN - applyFlops(layout);
function interval(a: Mark, b: Mark, flops: number) {
  const seconds = (b.at - a.at) / 1000;
  return {
    seconds: +seconds.toFixed(2),
    gflopsPerSecond: +(flops / seconds / 1e9).toFixed(1),
    shareOfPeak: shareOfPeak(flops / seconds / 1e9),
    sysSeconds: +((b.usage.systemCPUTime - a.usage.systemCPUTime) / 1e6).toFixed(2),
    userSeconds: +((b.usage.userCPUTime - a.usage.userCPUTime) / 1e6).toFixed(2),
    minorFaults: b.usage.minorPageFault - a.usage.minorPageFault,
  };
}
const later = marks.slice(1, -2).map((m, i) => interval(m, marks[i + 2]!, stepFlops)).sort((x, y) => x.seconds - y.seconds);
console.log(JSON.stringify({
  bench: 'ligo_operator',
  pair: `${pair.small} -> ${pair.large}`,
  batch: `${B} x ${Tn}`,
  backend: getBackend().name,
  machine: machine(),
  steps,
  stepTflops: +(stepFlops / 1e12).toFixed(3),
  firstStep: interval(marks[0]!, marks[1]!, stepFlops),
  laterStepsMedian: later[Math.floor(later.length / 2)],
  build: interval(marks[marks.length - 2]!, marks[marks.length - 1]!, applyFlops(layout)),
  totalTflops6N: +(result.cost!.flopsSixN / 1e12).toFixed(2),
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  peakLiveTensorMB: Math.round(memoryStats().peakLiveBytes / 2 ** 20),
  pooledMB: Math.round(poolStats().bytes / 2 ** 20),
}));

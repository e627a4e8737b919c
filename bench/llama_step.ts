// `npm run bench:llama`: one training step (forward + backward of the causal-LM loss, no
// optimizer) of the Llama family (src/models/llama.ts: RMSNorm, rotary, SwiGLU, grouped-query
// attention, lm_head) on random token ids, fp32. Prints one JSON line with the 6N GFLOP/s the
// training FLOPs count (src/flops.ts). bench/torch_llama_step.py runs the same step in PyTorch on
// scripts/make_model_fixtures.py's LlamaForCausalLM re-implementation.
// SIZE=study (default): llama-4L-192H at the study's vocabulary 2,048, batch 32 x 64;
// SIZE=smollm: smollm-135m (30 layers, hidden 576, 9 heads over 3 key/value heads), batch 8 x 128.
// Options (env): STEPS (timed steps, default 10), WARMUP (default 2), LIGO_BACKEND.

import * as T from '../src/tensor/index.ts';
import { Rng, getBackend, tidy, valueAndGrad } from '../src/tensor/index.ts';
import { machine, shareOfPeak } from './machine.ts';
import { modelFor } from '../src/models/index.ts';
import { trainFlopsPerStep } from '../src/flops.ts';
import { llamaSize } from './llama-sizes.ts';

const size = process.env.SIZE ?? 'study';
const { config, B, Tn } = llamaSize(size);
const vocab = config.vocab_size;
const steps = Number(process.env.STEPS ?? 10);
const warmup = Number(process.env.WARMUP ?? 2);

const model = modelFor(config);
const flat = model.flatten(model.initParams(config, 0));
const params = model.paramsFromFlat(config, new Map(flat)).params;
const rng = new Rng(1);
const ids = T.tensor(Array.from({ length: B * Tn }, () => rng.int(vocab)), [B, Tn], 'int32');
const batch = { inputIds: ids, labels: ids };

const step = () => tidy(() => valueAndGrad(() => model.loss(params, config, batch), flat.map(([, t]) => t)).loss.item());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (let i = 0; i < warmup; i++) step();
const before = process.resourceUsage();
const times: number[] = [];
let loss = 0;
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  loss = step();
  times.push((performance.now() - t0) / 1000);
}
const sec = median(times);
const usage = process.resourceUsage();
const flops = trainFlopsPerStep(config, { batchSize: B, seqLen: Tn }).flopsSixN;
console.log(JSON.stringify({
  bench: 'llama_step', size, backend: getBackend().name, machine: machine(), steps, parameters: flat.reduce((n, [, t]) => n + t.size, 0),
  medianStepSeconds: +sec.toFixed(4), tokensPerSecond: Math.round((B * Tn) / sec), gflopsPerSecond: +(flops / sec / 1e9).toFixed(1), shareOfPeak: shareOfPeak(flops / sec / 1e9),
  peakRssMB: Math.round(usage.maxRSS / 1024), userSecondsPerStep: +((usage.userCPUTime - before.userCPUTime) / 1e6 / steps).toFixed(3), loss: +loss.toFixed(5),
}));

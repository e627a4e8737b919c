// `npm run bench:model`: one training step (forward + backward of the model's loss, no optimizer,
// no dropout) of a whole model from src/models (embeddings, every layer, the LM head) on random
// token ids, fp32. Prints one JSON line with the 6N GFLOP/s the training FLOPs count (src/flops.ts)
// and that rate as a share of the machine's measured FMA peak. bench/torch_model_step.py runs the
// same step in PyTorch on scripts/make_model_fixtures.py's re-implementations of the HF models.
// SIZE (bench/model-sizes.ts): study (default; llama-4L-192H at the study's vocabulary 2,048,
// batch 32 x 64), smollm (smollm-135m, batch 8 x 128), bert-seeded and gpt2-seeded (the seeded
// rows' large models, BERT 4L-192H and GPT-2 4L-192H at vocabulary 2,048, batch 32 x 64; BERT's
// loss on 15% of the positions, as masked LM takes it).
// Options (env): STEPS (timed steps, default 10), WARMUP (default 2), LIGO_BACKEND, PROFILE=1
// (seconds and calls per step of each kernel on stderr: bench/timing.ts).

import { getBackend } from '../src/tensor/index.ts';
import { machine, shareOfPeak } from './machine.ts';
import { trainFlopsPerStep } from '../src/flops.ts';
import { modelStep } from './model-sizes.ts';
import { timeSteps } from './timing.ts';

const size = process.env.SIZE ?? 'study';
const { config, B, Tn, parameters, step } = modelStep(size);
const steps = Number(process.env.STEPS ?? 10);
const warmup = Number(process.env.WARMUP ?? 2);

for (let i = 0; i < warmup; i++) step();
const { seconds: sec, loss, before, after: usage } = timeSteps(step, steps);
const flops = trainFlopsPerStep(config, { batchSize: B, seqLen: Tn }).flopsSixN;
console.log(JSON.stringify({
  bench: 'model_step', size, model: config.model_type, backend: getBackend().name, machine: machine(), steps, parameters,
  medianStepSeconds: +sec.toFixed(4), tokensPerSecond: Math.round((B * Tn) / sec), gflopsPerSecond: +(flops / sec / 1e9).toFixed(1), shareOfPeak: shareOfPeak(flops / sec / 1e9),
  peakRssMB: Math.round(usage.maxRSS / 1024), userSecondsPerStep: +((usage.userCPUTime - before.userCPUTime) / 1e6 / steps).toFixed(3), loss: +loss.toFixed(5),
}));

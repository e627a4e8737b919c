// The Llama step benchmark's sizes (bench/llama_step.ts, bench/llama-config.ts).
export const LLAMA_SIZES = {
  study: { preset: 'llama-4L-192H', vocab: 2048, B: 32, Tn: 64 },
  smollm: { preset: 'smollm-135m', vocab: 8192, B: 8, Tn: 128 },
};

// The Llama step benchmark's sizes (bench/llama_step.ts, bench/llama-config.ts): the model each
// SIZE runs, with its batch, so ligo's step and PyTorch's run the same config.
import { preset, type LlamaConfig } from '../src/models/index.ts';

export const LLAMA_SIZES = {
  study: { preset: 'llama-4L-192H', vocab: 2048, B: 32, Tn: 64 },
  smollm: { preset: 'smollm-135m', vocab: 8192, B: 8, Tn: 128 },
};

/** SIZE's config (its preset at its vocabulary, bos/eos at the last id) and batch; throws naming the sizes. */
export function llamaSize(size: string): { config: LlamaConfig; B: number; Tn: number } {
  const s = LLAMA_SIZES[size as keyof typeof LLAMA_SIZES];
  if (!s) throw new Error(`SIZE must be one of ${Object.keys(LLAMA_SIZES).join(', ')}, got ${size}`);
  return { config: preset<LlamaConfig>(s.preset, { vocab_size: s.vocab, bos_token_id: s.vocab - 1, eos_token_id: s.vocab - 1 }), B: s.B, Tn: s.Tn };
}

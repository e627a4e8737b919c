// Prints the config JSON, batch size and sequence length of a bench/llama_step.ts SIZE on one
// line, for bench/torch_llama_step.py (through bench/compare-llama.sh), so both run the same model.
import { preset } from '../src/models/index.ts';
import { LLAMA_SIZES } from './llama-sizes.ts';

const size = process.argv[2] as keyof typeof LLAMA_SIZES;
const s = LLAMA_SIZES[size];
if (!s) throw new Error(`size must be one of ${Object.keys(LLAMA_SIZES).join(', ')}, got ${size}`);
console.log(JSON.stringify(preset(s.preset, { vocab_size: s.vocab, bos_token_id: s.vocab - 1, eos_token_id: s.vocab - 1 })), s.B, s.Tn);

// Prints the config JSON, batch size and sequence length of a bench/llama_step.ts SIZE on one
// line, for bench/torch_llama_step.py (through bench/compare-llama.sh), so both run the same model.
import { llamaSize } from './llama-sizes.ts';

const { config, B, Tn } = llamaSize(process.argv[2] ?? '');
console.log(JSON.stringify(config), B, Tn);

// Prints the config JSON, batch size, sequence length and loss of a bench/model_step.ts SIZE on
// one line, for bench/torch_model_step.py (through bench/compare-model.sh), so both run the same model.
import { modelSize } from './model-sizes.ts';

const { config, B, Tn, loss } = modelSize(process.argv[2] ?? '');
console.log(JSON.stringify(config), B, Tn, loss);

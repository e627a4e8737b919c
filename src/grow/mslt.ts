// MSLT, multi-stage layerwise training (Yang et al. 2020, "Progressively stacking 2.0", §3):
// stack the small model (StackBERT's rule), then train only the new top layers (and the output
// head) for a while before training everything. The freeze comes back as GrowSchedule.freeze:
// the embeddings (with GPT-2/BERT's tied decoder) and the L1 original layers stay frozen until
// step `freezeSteps` (option, default 1000; 0 means no freeze). Depth only; not
// function-preserving.

import { dims, type ModelConfig } from '../models/index.ts';
import { paramRoles, requireSameWidth } from './structure.ts';
import { fixedMethod, growModel, knownOptions, numberOption } from './fixed.ts';
import { stackSources } from './depth.ts';

const DEFAULT_FREEZE_STEPS = 1000;

/** The embeddings (what the spec lists before the first layer) and the original (bottom) layers: what MSLT keeps fixed at first. */
function bottomKeys(large: ModelConfig, l1: number): string[] {
  const roles = paramRoles(large);
  const firstLayer = roles.findIndex((p) => p.layer !== null);
  return roles.filter((p, i) => (p.layer !== null ? p.layer < l1 : i < firstLayer)).map((p) => p.key);
}

export const mslt = fixedMethod({
  name: 'mslt',
  description: 'MSLT: stack, then train only the new top layers for freezeSteps steps (depth only)',
  options: { freezeSteps: { default: DEFAULT_FREEZE_STEPS, expected: 'a non-negative integer', meaning: 'training steps during which the copied lower layers stay frozen' } },
  grows: { depth: true, width: false },
  functionPreserving: false,
  optimizerState: 'each large layer gets a copy of its source layer\'s moments',
  check: (sc, lc) => requireSameWidth('mslt', sc, lc),
  growAs(small, sc, lc, ctx, mode) {
    knownOptions('mslt', ctx.options, ['freezeSteps']);
    const untilStep = numberOption('mslt', ctx.options, 'freezeSteps', DEFAULT_FREEZE_STEPS, 0, Infinity, true);
    const l1 = dims(sc).layers;
    const params = growModel(small, sc, lc, null, stackSources(l1, dims(lc).layers), mode);
    return untilStep > 0 ? { params, schedule: { freeze: { keys: bottomKeys(lc, l1), untilStep } } } : { params };
  },
});

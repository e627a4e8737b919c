// G_stack (Du et al., NeurIPS 2024, "Stacking Your Transformers", their G_direct^up operator):
// the whole small model stacked g = L2 / L1 times, large layer l = small layer l mod L1, with g
// a whole number. The layer map is StackBERT's (depth.ts stackSources); what G_stack adds is
// the whole-model unit (no partial stack) and the paper's guidance on when and by how much to
// grow, shown by `ligo methods g-stack`. Depth only; not function-preserving.

import { dims } from '../models/index.ts';
import { GrowError, requireSameWidth } from './structure.ts';
import { fixedMethod, growModel, knownOptions } from './fixed.ts';
import { stackSources } from './depth.ts';

export const gStack = fixedMethod({
  name: 'g-stack',
  description: 'G_stack (Du et al. 2024): the whole small model stacked g = L2/L1 times, large layer l = small layer l mod L1 (depth only)',
  guidance:
    "the paper's guidelines: growth factor g = 4 (four stacked copies), grown once the small model has trained on about 10B tokens (their fitted rule for the best timing depends on the target size and the compute budget); train the stacked model with its own schedule from fresh optimizer state. Their headline: a 7B model reached the loss of 300B tokens of scratch training after 194B tokens (a 54.6% speed-up).",
  grows: { depth: true, width: false },
  functionPreserving: false,
  optimizerState: "each large layer gets a copy of its source layer's moments",
  check(sc, lc) {
    requireSameWidth('g-stack', sc, lc);
    const l1 = dims(sc).layers;
    const l2 = dims(lc).layers;
    if (l2 % l1 !== 0) throw new GrowError(`g-stack stacks the whole model, so the large depth must be a multiple of ${l1} (g = 2: ${2 * l1}, g = 4: ${4 * l1}), not ${l2}; stackbert stacks partially`);
  },
  growAs(small, sc, lc, ctx, mode) {
    knownOptions('g-stack', ctx.options, []);
    return { params: growModel(small, sc, lc, null, stackSources(dims(sc).layers, dims(lc).layers), mode) };
  },
});

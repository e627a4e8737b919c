// StackBERT (Gong et al., ICML 2019, "Efficient training of BERT by progressively stacking",
// §3): the large model is the small one stacked on itself, large layer l = small layer l mod L1.
// Depth only: every width must be equal. Not function-preserving.

import { dims } from '../models/index.ts';
import { requireSameWidth } from './structure.ts';
import { fixedMethod, growModel, knownOptions } from './fixed.ts';
import { stackSources } from './depth.ts';

export const stackbert = fixedMethod({
  name: 'stackbert',
  description: 'StackBERT: large layer l copies small layer l mod L1 (depth only)',
  grows: { depth: true, width: false },
  functionPreserving: false,
  optimizerState: 'each large layer gets a copy of its source layer\'s moments',
  check: (sc, lc) => requireSameWidth('stackbert', sc, lc),
  growAs(small, sc, lc, ctx, mode) {
    knownOptions('stackbert', ctx.options, []);
    return { params: growModel(small, sc, lc, null, stackSources(dims(sc).layers, dims(lc).layers), mode) };
  },
});

// Interpolation / interlace (the LiGO paper's baseline, Wang et al. ICLR 2023 §2 and its code's
// `interlace` init; also Chang et al. 2018): large layer l copies small layer floor(l * L1 / L2),
// so each layer is repeated in place. Depth only; not function-preserving.

import { dims } from '../models/index.ts';
import { requireSameWidth } from './structure.ts';
import { fixedMethod, growModel, knownOptions } from './fixed.ts';
import { interpolateSources } from './depth.ts';

export const interpolation = fixedMethod({
  name: 'interpolation',
  description: 'Interpolation: large layer l copies small layer floor(l*L1/L2) (depth only)',
  grows: { depth: true, width: false },
  functionPreserving: false,
  optimizerState: 'each large layer gets a copy of its source layer\'s moments',
  check: (sc, lc) => requireSameWidth('interpolation', sc, lc),
  growAs(small, sc, lc, ctx, mode) {
    knownOptions('interpolation', ctx.options, []);
    return { params: growModel(small, sc, lc, null, interpolateSources(dims(sc).layers, dims(lc).layers), mode) };
  },
});

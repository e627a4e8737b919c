// Depth up-scaling (SOLAR 10.7B, Kim et al., NAACL 2024 industry track, §2.1): two copies of the
// small model are joined after removing the last m layers of the first copy and the first m
// layers of the second, so L2 = 2 (L1 - m): large layers 0..L1-m-1 are small layers 0..L1-m-1,
// and large layers L1-m..L2-1 are small layers m..L1-1 (SOLAR: 32 -> 48 with m = 8). The seam
// layers are dropped because they fit least at the join. Depth only; not function-preserving
// (SOLAR continues pretraining the up-scaled model). m follows from the depths: m = L1 - L2/2.

import { dims } from '../models/index.ts';
import { GrowError, requireSameWidth } from './structure.ts';
import { fixedMethod, growModel, knownOptions } from './fixed.ts';
import type { LayerSource } from './depth.ts';

/** SOLAR's layer map: the first copy without its top m layers, then the second without its bottom m. */
export function upscaleSources(l1: number, l2: number): LayerSource[] {
  const m = l1 - l2 / 2;
  return Array.from({ length: l2 }, (_, l) => (l < l1 - m ? { src: l, fresh: false } : { src: l - (l1 - m) + m, fresh: true }));
}

export const depthUpscaling = fixedMethod({
  name: 'depth-upscaling',
  description: 'SOLAR depth up-scaling: two copies of the small model joined with the m seam layers dropped (the top m of the first, the bottom m of the second), L2 = 2 (L1 - m) (depth only)',
  guidance: 'SOLAR 10.7B up-scaled a 32-layer Mistral-7B-shaped model to 48 layers (m = 8) and then continued pretraining; the up-scaled model first scores below the small one and recovers quickly in continued pretraining.',
  grows: { depth: true, width: false },
  functionPreserving: false,
  optimizerState: "each large layer gets a copy of its source layer's moments",
  check(sc, lc) {
    requireSameWidth('depth-upscaling', sc, lc);
    const l1 = dims(sc).layers;
    const l2 = dims(lc).layers;
    if (l2 % 2 !== 0 || l2 > 2 * l1 || l2 <= l1) throw new GrowError(`depth-upscaling joins two copies less 2m seam layers, so the large depth must be even and in (${l1}, ${2 * l1}], not ${l2} (e.g. ${l1 % 2 === 0 ? l1 + 2 : l1 + 1}..${2 * l1}; SOLAR: 32 -> 48)`);
  },
  growAs(small, sc, lc, ctx, mode) {
    knownOptions('depth-upscaling', ctx.options, []);
    return { params: growModel(small, sc, lc, null, upscaleSources(dims(sc).layers, dims(lc).layers), mode) };
  },
});

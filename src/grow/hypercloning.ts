// HyperCloning (Samragh et al., Apple 2024, "Scaling smart: accelerating large language model
// pre-training with small model initialization", §3): width grows by whole multiples n; every
// hidden / FFN neuron and every head (head_dim kept, so heads grow n-fold with the hidden size)
// is tiled n times, each linear layer becoming its weight tiled n x n divided by n on the input
// side (W.repeat(n, n) / n). Their "noisy symmetric" variant adds noise to the input-side copies
// that sums to zero over each neuron's copies (so the function is still preserved exactly) at a
// set signal-to-noise ratio: option snrDb (default 10 dB, the paper's setting; noise: false for
// plain cloning). Width only: layers must be equal. Grouped-query attention (Llama): key/value
// heads are tiled, and each new query head copies one of the group its key/value head copies,
// whole groups tiled when the query heads per key/value head are kept (docs/growth.md, Llama).

import { Rng, type Tensor } from '../tensor/index.ts';
import { dims, type Dims, type ModelConfig } from '../models/index.ts';
import { GrowError, addZeroSumNoise, paramRoles, requireHeadPlan, requireSameDepth } from './structure.ts';
import { fixedMethod, growModel, knownOptions, numberOption } from './fixed.ts';
import { copyPlan, equalSplit, integerFactor, pickNeurons, tilePicker, type WidthPlan } from './width.ts';
import { stackSources } from './depth.ts';

const DEFAULT_SNR_DB = 10;

function requireMultiples(sc: ModelConfig, lc: ModelConfig): void {
  const s = dims(sc);
  const l = dims(lc);
  for (const k of ['hidden', 'ffn'] as (keyof Dims)[]) {
    if (integerFactor(s[k], l[k]) === null) throw new GrowError(`hypercloning grows by whole multiples, but ${k} ${s[k]} -> ${l[k]} is not one: use a multiple of ${s[k]} (e.g. ${2 * s[k]})`);
  }
}

function std(t: Tensor): number {
  const d = t.f;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < d.length; i++) {
    sum += d[i]!;
    sq += d[i]! * d[i]!;
  }
  const mean = sum / d.length;
  return Math.sqrt(Math.max(0, sq / d.length - mean * mean));
}

/** Zero-sum noise on the input side of every weight, noise power = signal power / 10^(snrDb/10). */
function addNoise(params: Map<string, Tensor>, lc: ModelConfig, plan: WidthPlan, snrDb: number, rng: Rng): void {
  const ratio = Math.sqrt(10 ** (snrDb / 10));
  for (const info of paramRoles(lc)) {
    if (info.kind !== 'weight') continue;
    info.sides.forEach((side, axis) => {
      if (side !== 'in') return;
      const t = params.get(info.key)!;
      params.set(info.key, addZeroSumNoise(t, axis, plan(info, axis)!, std(t) / ratio, rng));
    });
  }
}

export const hypercloning = fixedMethod({
  name: 'hypercloning',
  description: 'HyperCloning: tile every neuron and head n times (W.repeat(n,n)/n; query heads within their key/value group) with zero-sum noise at snrDb; width multiples only',
  options: {
    snrDb: { default: DEFAULT_SNR_DB, expected: 'a number in [-100, 200]', meaning: 'signal-to-noise ratio (dB) of the zero-sum noise on input-side copies' },
    noise: { default: true, expected: 'true or false', meaning: 'add the noise (false: exact, symmetric copies)' },
  },
  grows: { depth: false, width: true },
  functionPreserving: true,
  optimizerState: 'tiled like the weights; input-side entries divided by n have m / n and v / n^2; the noise has no moments',
  check(sc, lc) {
    requireSameDepth('hypercloning', sc, lc);
    requireHeadPlan('hypercloning', sc, lc, ['same', 'more-heads']);
    requireMultiples(sc, lc);
  },
  growAs(small, sc, lc, ctx, mode) {
    knownOptions('hypercloning', ctx.options, ['snrDb', 'noise']);
    const snrDb = numberOption('hypercloning', ctx.options, 'snrDb', DEFAULT_SNR_DB, -100, 200);
    const noise = ctx.options?.noise ?? true;
    if (typeof noise !== 'boolean') throw new GrowError(`hypercloning: option noise must be true or false, got ${JSON.stringify(noise)}`);
    const hp = requireHeadPlan('hypercloning', sc, lc, ['same', 'more-heads']);
    const plan = copyPlan({ neurons: pickNeurons(sc, lc, hp, tilePicker), small: sc, large: lc, plan: hp, split: equalSplit });
    const params = growModel(small, sc, lc, plan, stackSources(dims(sc).layers, dims(lc).layers), mode);
    if (noise && mode === 'params') addNoise(params, lc, plan, snrDb, new Rng(ctx.seed));
    return { params };
  },
});

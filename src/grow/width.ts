// Width growth shared by the fixed operators: which old neuron each new one copies (Net2Net,
// Chen et al. 2016 §3.1; bert2BERT's head-wise FPI, Chen et al. 2022 §4.1; HyperCloning's
// tiling; grouped-query attention's heads in key/value groups), how consumers split a copied neuron's contribution, and LEMON's residual-stream
// expansion for pre-LN models (Wang et al. 2024 §4.1). Operators describe a `WidthPlan`
// (an AxisMap per parameter axis); `growWidth` applies it. The index arithmetic itself is in
// structure.ts (expandAxis).

import { Rng, type Tensor } from '../tensor/index.ts';
import { dims, type Dims, type ModelConfig } from '../models/index.ts';
import { GrowError, concatMaps, expandTensor, gatherMap, mixMap, paramRoles, type AxisMap, type HeadPlan, type Mode, type ParamInfo } from './structure.ts';

/** The AxisMap for one axis of one parameter, or null to leave the axis as it is. */
export type WidthPlan = (info: ParamInfo, axis: number) => AxisMap | null;

/** `small` with every axis expanded by `plan`: the large widths at the small depth. */
export function growWidth(small: Map<string, Tensor>, smallConfig: ModelConfig, plan: WidthPlan, mode: Mode): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const info of paramRoles(smallConfig)) {
    const t = small.get(info.key);
    if (!t) throw new GrowError(`small model has no ${info.key} (expected [${info.shape.join(', ')}]); is the config the one it was trained with?`);
    if (t.shape.join() !== info.shape.join()) throw new GrowError(`small model's ${info.key} is [${t.shape.join(', ')}], its config says [${info.shape.join(', ')}]`);
    out.set(info.key, expandTensor(t, info.axes.map((role, a) => (role === 'fixed' ? null : plan(info, a))), mode));
  }
  return out;
}

// ---- which old neuron each new one copies -------------------------------------------------

/** New index -> old index (-1: none); `fresh` marks new structure (all but each old index's first copy, mostly the entries past the old size). */
export interface Picks {
  src: Int32Array;
  fresh: Uint8Array;
}

export type Picker = (oldSize: number, newSize: number) => Int32Array;

function identityThen(oldSize: number, newSize: number, next: (j: number) => number): Int32Array {
  return Int32Array.from({ length: newSize }, (_, j) => (j < oldSize ? j : next(j)));
}

/**
 * Random copies drawn without replacement (a fresh random permutation each pass), so copy counts
 * differ by at most one: every neuron is copied equally when the new size is a multiple, which
 * keeps LayerNorm statistics exact.
 */
export function balancedPicker(rng: Rng): Picker {
  return (oldSize, newSize) => {
    let pool: number[] = [];
    return identityThen(oldSize, newSize, () => {
      if (pool.length === 0) pool = rng.shuffle(Array.from({ length: oldSize }, (_, i) => i));
      return pool.pop()!;
    });
  };
}

/** HyperCloning: new index j copies j mod old (the old block tiled). */
export const tilePicker: Picker = (oldSize, newSize) => identityThen(oldSize, newSize, (j) => j % oldSize);

/** MSG: new indices copy nothing (-1); their values come from a fresh initialisation. */
export const nonePicker: Picker = (oldSize, newSize) => identityThen(oldSize, newSize, () => -1);

const plainPicks = (src: Int32Array, oldSize: number): Picks => ({ src, fresh: Uint8Array.from(src, (_, j) => (j >= oldSize ? 1 : 0)) });

/** Every dim of each picked head: neurons of a heads x headDim axis. */
function headNeurons(h: Picks, headDim: number): Picks {
  const src = Int32Array.from({ length: h.src.length * headDim }, (_, j) => {
    const old = h.src[Math.floor(j / headDim)]!;
    return old < 0 ? -1 : old * headDim + (j % headDim);
  });
  return { src, fresh: Uint8Array.from(src, (_, j) => h.fresh[Math.floor(j / headDim)]!) };
}

/**
 * Key/value heads as `pick` copies them; query heads from the group of their key/value head's
 * source (docs/growth.md, Llama): the slots of old group j are the query heads of the new groups
 * whose key/value heads copy j, in order; the first r take the group's r old heads in order, the
 * rest copy them, whole groups tiled when the group size is kept, else as `pick` chooses.
 * requireHeadPlan has checked that every old group fits. Without grouped-query attention (one
 * head per group) this is `pick` over the heads.
 */
function groupedHeads(s: Dims, l: Dims, pick: Picker): { query: Picks; kv: Picks } {
  const r = s.heads / s.kvHeads;
  const r2 = l.heads / l.kvHeads;
  const kvSrc = pick(s.kvHeads, l.kvHeads);
  const query = { src: new Int32Array(l.heads).fill(-1), fresh: new Uint8Array(l.heads).fill(1) };
  const within = r2 === r ? tilePicker : pick;
  for (let g = 0; g < s.kvHeads; g++) {
    const slots = [...kvSrc.keys()].filter((j) => kvSrc[j] === g).flatMap((j) => Array.from({ length: r2 }, (_, i) => j * r2 + i));
    within(r, slots.length).forEach((t, n) => {
      query.src[slots[n]!] = t < 0 ? -1 : g * r + t;
      query.fresh[slots[n]!] = n >= r ? 1 : 0;
    });
  }
  return { query, kv: plainPicks(kvSrc, s.kvHeads) };
}

/** The picks of one attention layer: the query heads' axis (q, and o_proj's input) and the key/value heads' axis (k, v). */
export interface AttentionPicks {
  query: Picks;
  kv: Picks;
}

/** Neurons of the attention axes: whole heads copied (in key/value groups), or dims within each head. */
export function attentionPicks(plan: HeadPlan, s: Dims, l: Dims, pick: Picker): AttentionPicks {
  if (plan === 'wider-heads') {
    const src = new Int32Array(l.heads * l.headDim);
    const fresh = new Uint8Array(src.length);
    for (let h = 0; h < l.heads; h++) {
      const within = pick(s.headDim, l.headDim);
      within.forEach((t, j) => {
        src[h * l.headDim + j] = t < 0 ? -1 : h * s.headDim + t;
        fresh[h * l.headDim + j] = j >= s.headDim ? 1 : 0;
      });
    }
    return { query: { src, fresh }, kv: { src, fresh } }; // no grouped-query attention: only Llama has it, and its heads keep their size
  }
  const heads = groupedHeads(s, l, pick);
  return { query: headNeurons(heads.query, l.headDim), kv: headNeurons(heads.kv, l.headDim) };
}

/** Every picked neuron of a model: the residual stream, and per layer the FFN and attention. */
export interface Neurons {
  hidden: Picks;
  ffn: Picks[];
  attn: AttentionPicks[];
}

/** Draws in a fixed order (hidden, then per layer ffn, attention) so a seed fixes everything. */
export function pickNeurons(small: ModelConfig, large: ModelConfig, plan: HeadPlan, pick: Picker, hiddenPick: Picker = pick): Neurons {
  const s = dims(small);
  const l = dims(large);
  const hidden = plainPicks(hiddenPick(s.hidden, l.hidden), s.hidden);
  const ffn: Picks[] = [];
  const attn: AttentionPicks[] = [];
  for (let i = 0; i < s.layers; i++) {
    ffn.push(plainPicks(pick(s.ffn, l.ffn), s.ffn));
    attn.push(attentionPicks(plan, s, l, pick));
  }
  return { hidden, ffn, attn };
}

// ---- how consumers split a copied neuron --------------------------------------------------

/** Per new index a factor; the factors of all copies of one old neuron sum to 1. */
export type Splitter = (src: Int32Array, oldSize: number) => Float64Array;

function copyCounts(src: Int32Array, oldSize: number): Int32Array {
  const c = new Int32Array(oldSize);
  for (const s of src) if (s >= 0) c[s]!++;
  return c;
}

/** Net2Net: each copy gets 1 / (number of copies). */
export const equalSplit: Splitter = (src, oldSize) => {
  const c = copyCounts(src, oldSize);
  return Float64Array.from(src, (s) => (s < 0 ? 0 : 1 / c[s]!));
};

/** LEMON's symmetry breaking: unequal random shares (in [0.5, 1.5] before normalising) summing to 1. */
export function randomSplit(rng: Rng): Splitter {
  return (src, oldSize) => {
    const raw = Float64Array.from(src, (s) => (s < 0 ? 0 : 0.5 + rng.uniform()));
    const total = new Float64Array(oldSize);
    src.forEach((s, j) => s >= 0 && (total[s]! += raw[j]!));
    return raw.map((r, j) => (src[j]! < 0 ? 0 : r / total[src[j]!]!));
  };
}

// ---- copy-and-split plans (Net2Net, bert2BERT, HyperCloning, LEMON's inner neurons) ---------

export interface CopyPlanSpec {
  neurons: Neurons;
  small: ModelConfig;
  large: ModelConfig;
  plan: HeadPlan;
  split: Splitter;
}

/** Factor on q that keeps softmax(q.k * scale) when head_dim grows (scale = 1/sqrt(head_dim)). */
export function queryFactor(spec: Pick<CopyPlanSpec, 'small' | 'large' | 'plan'>): number {
  if (spec.plan !== 'wider-heads') return 1;
  if (spec.large.model_type === 'gpt2' && !spec.large.scale_attn_weights) return 1;
  return Math.sqrt(dims(spec.large).headDim / dims(spec.small).headDim);
}

/** Output side: a copy (times `factor`); input side: the copy's share. */
export function outMap(p: Picks, oldSize: number, factor: number | Float64Array = 1): AxisMap {
  return gatherMap(oldSize, p.src, typeof factor === 'number' ? new Float64Array(p.src.length).fill(factor) : factor, p.fresh);
}

export function inMap(p: Picks, oldSize: number, split: Splitter): AxisMap {
  return gatherMap(oldSize, p.src, split(p.src, oldSize), p.fresh);
}

interface RoleMaps {
  out: AxisMap;
  in: AxisMap;
}

function attentionMaps(spec: CopyPlanSpec, p: AttentionPicks): Record<'q' | 'k' | 'v' | 'qkv' | 'o', AxisMap> {
  const s = dims(spec.small);
  const nq = s.heads * s.headDim;
  const nkv = s.kvHeads * s.headDim;
  const q = outMap(p.query, nq, queryFactor(spec));
  // Wider heads: q.k sums over the copies of each dim, so k carries the copy's share.
  const k = spec.plan === 'wider-heads' ? inMap(p.kv, nkv, spec.split) : outMap(p.kv, nkv);
  const v = outMap(p.kv, nkv);
  return { q, k, v, qkv: concatMaps([q, k, v]), o: inMap(p.query, nq, spec.split) };
}

/** The plan that copies neurons on the output side and splits them on the input side. */
export function copyPlan(spec: CopyPlanSpec): WidthPlan {
  const s = dims(spec.small);
  const hidden: RoleMaps = { out: outMap(spec.neurons.hidden, s.hidden), in: inMap(spec.neurons.hidden, s.hidden, spec.split) };
  const ffn: RoleMaps[] = spec.neurons.ffn.map((p) => ({ out: outMap(p, s.ffn), in: inMap(p, s.ffn, spec.split) }));
  const attn = spec.neurons.attn.map((p) => attentionMaps(spec, p));
  return (info, axis) => {
    const role = info.axes[axis]!;
    const side = info.sides[axis] === 'in' ? 'in' : 'out';
    if (role === 'hidden') return hidden[side];
    const layer = info.layer!;
    if (role === 'ffn') return ffn[layer]![side];
    const a = attn[layer]!;
    if (role === 'v' && side === 'in') return a.o; // BERT's, GPT-2's, ViT's output projection reads the attention output as 'v'
    if (role === 'q' || role === 'k' || role === 'v' || role === 'qkv' || role === 'o') return a[role];
    return null;
  };
}

// ---- LEMON's residual stream for pre-LN models ----------------------------------------------

/**
 * Pre-LN residual stream x (D1) -> s * [x; mean(x), ...] (D2) with s = sqrt(D2/D1): the mean is
 * kept and the variance too, so every LayerNorm sees the same statistics, eps included. Norm gains
 * are divided by s (new ones: a copy, harmless since the new entries have zero deviation); norm
 * biases are zero on new entries, so LayerNorm outputs are [y; 0]; consumers' new columns read
 * zeros and may hold anything (`consumerNew`). A norm feeding the tied decoder ('in' side) is
 * divided by s once more because the decoder reads the s-scaled embeddings.
 */
export function averageResidualPlan(d1: number, d2: number, picks: Picks, consumer: (old: number) => AxisMap): (info: ParamInfo, axis: number) => AxisMap {
  const s = Math.sqrt(d2 / d1);
  const ids = Array.from({ length: d1 }, (_, i) => i);
  const keepFresh = new Uint8Array(d2); // the average entries are not new structure: they must not be masked
  const rows = (old: (i: number) => [number[], number[]], extra: (j: number) => [number[], number[]]) => Array.from({ length: d2 }, (_, j) => (j < d1 ? old(j) : extra(j)));
  const producer = mixMap(d1, rows((i) => [[i], [s]], () => [ids, ids.map(() => s / d1)]), keepFresh);
  const gain = (f: number) => mixMap(d1, rows((i) => [[i], [f]], (j) => [[picks.src[j]!], [f]]), picks.fresh);
  const bias = (f: number) => mixMap(d1, rows((i) => [[i], [f]], () => [[], []]), picks.fresh);
  const maps = { producer, gainOut: gain(1 / s), biasOut: bias(1), gainIn: gain(1 / (s * s)), biasIn: bias(1 / s), consumer: consumer(d1) };
  return (info, axis) => {
    const side = info.sides[axis];
    if (info.kind === 'norm_weight') return side === 'in' ? maps.gainIn : maps.gainOut;
    if (info.kind === 'norm_bias') return side === 'in' ? maps.biasIn : maps.biasOut;
    return side === 'in' ? maps.consumer : maps.producer;
  };
}

/** Ratio of the large to the small size when it is a whole number, else null. */
export function integerFactor(small: number, large: number): number | null {
  return large % small === 0 ? large / small : null;
}

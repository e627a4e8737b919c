// Initial values of LiGO's operator (docs/growth.md "Learning the operator"; the authors'
// ligo.py inits), including the exact settings under which LiGO reproduces the fixed operators
// of Proposition 1 (paper Sec. 3.3): StackBERT, Interpolation and Net2Net.
//
// Depth [L2, L1] per module (weights and biases drawn separately):
//   'stackbert_noisy'  one-hot on l mod L1 plus U(0, noise) elsewhere, each row renormalised to
//                      sum 1 (the recommended default);
//   'stack'            exact one-hot on l mod L1 (= StackBERT);
//   'interlace'        exact one-hot on floor(l * L1 / L2) (= Interpolation; floor(l / 2) for 2x).
// Width [D2, D1] per matrix: the first D1 rows are the identity in both modes (in 'code' they are
// fixed, in 'full' they start there), and the new rows are
//   'rand'  U(0, 1) rows normalised to sum 1 (the recommended default);
//   'sel'   one-hot on a random old neuron (a Net2Net copy).
// A fixed operator's width plan (`fromPlan`, e.g. Net2Net's: copies on output sides, copies
// divided by the copy count on input sides, q scaled for wider heads) sets every matrix to that
// plan's map, densified; large layer l's matrices take the plan of the small layer that the depth
// init makes l copy (width-first: small layer j's matrices take small layer j's plan). With untied
// inputs LiGO then equals that operator exactly. Without a plan, input-side matrices
// ('<name>.in') start as copies of their output-side matrix (untying adds freedom, not a
// different start), or are drawn like one where no parameter produces their dimension (Llama's
// o_proj input under grouped-query attention, role 'o').

import { Rng, persistent, type DType, type Tensor } from '../../tensor/index.ts';
import { GrowError, type AxisMap } from '../structure.ts';
import type { WidthPlan } from '../width.ts';
import { depthName, widthName, widthShape, widthUses, type LigoLayout, type LigoParams, type WidthGroup } from './operator.ts';

export type DepthInit = 'stackbert_noisy' | 'stack' | 'interlace';
export type WidthInit = 'rand' | 'sel';
export const depthInits: readonly DepthInit[] = ['stackbert_noisy', 'stack', 'interlace'];
export const widthInits: readonly WidthInit[] = ['rand', 'sel'];

export interface LigoInit {
  depth: DepthInit;
  width: WidthInit;
  /** Upper end of the U(0, noise) depth noise of 'stackbert_noisy' (the authors' 0.03). */
  noise: number;
  /** A fixed operator's width maps to start from (Proposition 1), applied at the small depth. */
  fromPlan?: WidthPlan;
}

/** The small layer that large layer l copies under a one-hot depth init. */
export function depthSource(kind: DepthInit, l: number, L1: number, L2: number): number {
  return kind === 'interlace' ? Math.floor((l * L1) / L2) : l % L1;
}

function depthInit(kind: DepthInit, L2: number, L1: number, noise: number, rng: Rng): Float64Array {
  const w = new Float64Array(L2 * L1); // [L2, L1]
  for (let l = 0; l < L2; l++) {
    const row = w.subarray(l * L1, (l + 1) * L1);
    if (kind === 'stackbert_noisy') for (let j = 0; j < L1; j++) row[j] = rng.uniform() * noise;
    row[depthSource(kind, l, L1, L2)] = 1;
    const total = row.reduce((a, b) => a + b, 0);
    for (let j = 0; j < L1; j++) row[j] = row[j]! / total;
  }
  return w;
}

/** The full [D2, D1] initial matrix of an output-side width group, written over `into` when given. */
function widthInit(g: WidthGroup, init: LigoInit, rng: Rng, into?: Float64Array): Float64Array {
  const { d1, d2 } = g;
  const b = into ? into.subarray(0, d2 * d1).fill(0) : new Float64Array(d2 * d1); // [D2, D1]
  for (let i = 0; i < d1; i++) b[i * d1 + i] = 1;
  for (let i = d1; i < d2; i++) {
    const row = b.subarray(i * d1, (i + 1) * d1);
    if (init.width === 'sel') row[rng.int(d1)] = 1;
    else {
      for (let j = 0; j < d1; j++) row[j] = rng.uniform();
      const total = row.reduce((a, c) => a + c, 0);
      for (let j = 0; j < d1; j++) row[j] = row[j]! / total;
    }
  }
  return b;
}

/** An AxisMap as a dense [rows, cols] matrix: row j = sum of w[t] e_src[t]. */
function densify(m: AxisMap): Float64Array {
  const rows = m.fresh.length;
  const d = new Float64Array(rows * m.oldSize);
  for (let j = 0; j < rows; j++) for (let t = m.start[j]!; t < m.start[j + 1]!; t++) d[j * m.oldSize + m.src[t]!]! += m.w[t]!;
  return d;
}

/**
 * Group g's [D2, D1] matrix under a fixed operator's plan: the plan's map for the first axis the
 * group expands (a parameter of the small layer the depth init maps g's layer to), and for a
 * block-wise axis (GPT-2's qkv) the diagonal block that belongs to g.
 */
function planMatrix(layout: LigoLayout, g: WidthGroup, init: LigoInit & { fromPlan: WidthPlan }): Float64Array {
  const widthFirst = layout.settings.order === 'width-first';
  for (const { info, layer: at, plan: a } of widthUses(layout)) {
    if (!a.groups.includes(g.name)) continue;
    const layer = at === null || widthFirst ? at : depthSource(init.depth, at, layout.smallLayers, layout.largeLayers);
    const map = init.fromPlan({ ...info, layer }, a.axis);
    const n = a.groups.length;
    if (!map || map.oldSize !== n * g.d1 || map.fresh.length !== n * g.d2) throw new GrowError(`ligo: the width plan gives no ${n * g.d2}x${n * g.d1} map for ${info.key} axis ${a.axis}`);
    const dense = densify(map); // [n D2, n D1]
    const b = a.groups.indexOf(g.name);
    const out = new Float64Array(g.d2 * g.d1);
    for (let i = 0; i < g.d2; i++) out.set(dense.subarray((b * g.d2 + i) * n * g.d1 + b * g.d1, (b * g.d2 + i) * n * g.d1 + (b + 1) * g.d1), i * g.d1);
    return out;
  }
  throw new GrowError(`ligo: width matrix ${g.name} expands no parameter`);
}

/** The learned part of a full [D2, D1] matrix: all of it ('full') or its new rows ('code'). */
function learnedPart(full: Float64Array, g: WidthGroup, layout: LigoLayout): Float64Array | null {
  const shape = widthShape(g, layout.settings.mode);
  if (!shape) return null;
  return layout.settings.mode === 'full' ? full : full.subarray(g.d1 * g.d1);
}

/**
 * A fresh operator for `layout`: draws from Rng(seed) in a fixed order (output-side width
 * matrices, then depth modules). Tensors are long-lived buffers outside the pool. Each group's
 * full matrix is built in float64 and dropped once its learned part is copied out (one scratch
 * buffer serves every group that no input side copies: at BERT-Base size the full matrices
 * together are hundreds of megabytes).
 */
export function initOperator(layout: LigoLayout, init: LigoInit, seed: number, dtype: DType): LigoParams {
  const rng = new Rng(seed);
  const { fromPlan } = init;
  const isInput = (g: WidthGroup) => g.name.endsWith('.in');
  const outputOf = (g: WidthGroup) => g.name.slice(0, -'.in'.length);
  const outputs = new Set(layout.width.filter((g) => !isInput(g)).map((g) => g.name));
  const copied = new Set(layout.width.filter(isInput).map(outputOf));
  const scratch = new Float64Array(Math.max(0, ...layout.width.map((g) => g.d2 * g.d1)));
  const full = new Map<string, Float64Array>(); // output sides that an input side starts as a copy of
  const learned = new Map<string, Tensor>();
  // Output sides first: their draws come first, and input sides start as their copies.
  for (const g of [...layout.width.filter((g) => !isInput(g)), ...layout.width.filter(isInput)]) {
    const m = fromPlan ? planMatrix(layout, g, { ...init, fromPlan }) : isInput(g) && outputs.has(outputOf(g)) ? full.get(outputOf(g))! : widthInit(g, init, rng, copied.has(g.name) ? undefined : scratch);
    if (fromPlan && layout.settings.mode === 'code') checkCodeIdentity(g, m);
    if (copied.has(g.name)) full.set(g.name, m);
    const part = learnedPart(m, g, layout);
    if (part) learned.set(g.name, persistent(widthShape(g, layout.settings.mode)!, dtype, part));
  }
  const params: LigoParams = {};
  for (const g of layout.width) if (learned.has(g.name)) params[widthName(g.name)] = learned.get(g.name)!;
  for (const m of layout.depthModules) params[depthName(m)] = persistent([layout.largeLayers, layout.smallLayers], dtype, depthInit(init.depth, layout.largeLayers, layout.smallLayers, init.noise, rng));
  return params;
}

/** 'code' fixes the first D1 rows to the identity: a plan must agree with that. */
function checkCodeIdentity(g: WidthGroup, m: Float64Array): void {
  for (let i = 0; i < g.d1; i++) {
    for (let j = 0; j < g.d1; j++) {
      if (m[i * g.d1 + j] !== (i === j ? 1 : 0)) throw new GrowError(`ligo: in 'code' mode the first ${g.d1} rows of ${g.name} are the identity, but the plan's are not; use mode 'full'`);
    }
  }
}

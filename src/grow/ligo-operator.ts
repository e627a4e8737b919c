// LiGO's factored growth operator M (Wang et al., ICLR 2023, Sec. 3.2-3.3; docs/growth.md "LiGO"):
// which matrices it has, how they are tied, and how theta_large = M theta_small is computed
// with the engine's differentiable ops, never materialising M.
//
// For every parameter of the large model, with the roles structure.ts gives each axis:
//   depth:  W_mix[l] = sum_j w_m[l, j] W_j           (w_m [L2, L1], one per in-layer module key, so
//                                                     weights, biases and LayerNorm weights/biases
//                                                     of a module have separate coefficients)
//   width:  W'[l] = W_mix[l] x_0 B_0 x_1 B_1 ...      (x_a: multiply axis a by that axis's [D2, D1]
//                                                     matrix; 'fixed' axes are left alone)
// Layer parameters are mixed first (at the small width) and expanded after; both maps are
// linear, so the order does not change the result, only the cost.
//
// Width matrices, tied as bert2BERT / the authors' code do:
//   'width.hidden'          the residual stream: embeddings, its LayerNorms, the input side of
//                           Q/K/V/FFN-in, the output side of attention-out and FFN-out;
//   'width.layers.<l>.<r>'  per LARGE layer l, r in q, k, v, ffn (attention-out's input side uses
//                           v's matrix, FFN-out's input side uses ffn's; GPT-2's fused 'qkv' axis
//                           uses q, k and v block-wise);
//   'width.head'            the LM head's transform.
// Q/K/V matrices act on the whole heads*head_dim axis and are not constrained block-diagonally
// per head (neither are the authors'); in 'code' mode with an unchanged head_dim the old heads are
// kept exactly and new heads are learned mixtures of old ones.
// Input sides are tied to the producing output side by default (the authors' code). With
// `tieInputs: false` every matrix used on an input side (structure.ts's side 'in', which includes
// the norms feeding the tied decoder) gets its own copy ('<name>.in'), which is what Net2Net
// needs (its input side is the selection divided by copy counts).
//
// Modes: 'full' learns whole [D2, D1] matrices; 'code' fixes the first D1 rows to the identity
// and learns only the new [D2 - D1, D1] block (none when D2 = D1), computed as
// concat([W, W x_a B_new], a), so old neurons are copied exactly.

import * as T from '../tensor/index.ts';
import { Tensor } from '../tensor/index.ts';
import { GrowError, type ParamInfo } from './structure.ts';
import type { AxisRole } from './types.ts';

export type LigoMode = 'full' | 'code';

export interface LigoSettings {
  mode: LigoMode;
  /** Input sides share the producing output side's matrix (the authors' code) or get their own. */
  tieInputs: boolean;
}

/** The operator's learned tensors by name ('width.*' [D2, D1] or [D2 - D1, D1]; 'depth.*' [L2, L1]). */
export type LigoParams = Record<string, Tensor>;

export interface WidthGroup {
  name: string;
  d1: number;
  d2: number;
}

/** How one axis of a large parameter is expanded: by one group, or block-wise by several (qkv). */
export interface AxisPlan {
  axis: number;
  groups: string[];
}

export interface LayoutEntry {
  /** The large parameter's roles, shape and sides. */
  info: ParamInfo;
  key: string;
  /** Large layer index, or null for parameters outside the layers. */
  layer: number | null;
  module: string;
  /** The small parameter's shape (every small layer has the same). */
  smallShape: readonly number[];
  largeShape: readonly number[];
  axes: AxisPlan[];
}

/** Everything about M that follows from the two models and the settings (no numbers). */
export interface LigoLayout {
  settings: LigoSettings;
  smallLayers: number;
  largeLayers: number;
  entries: LayoutEntry[];
  /** Width matrices in a fixed order (initialisation draws follow it). */
  width: WidthGroup[];
  /** In-layer module keys that get depth coefficients, in a fixed order. */
  depthModules: string[];
}

/** A model as the layout needs it: structure.ts's roles (with shapes and sides) and its depth. */
export interface ModelDescription {
  roles: ParamInfo[];
  layers: number;
}

export const depthName = (module: string) => `depth.${module}`;
export const widthName = (group: string) => `width.${group}`;

function layerGroup(layer: number | null, role: AxisRole, key: string): string {
  if (layer === null) throw new GrowError(`ligo: ${key} has a per-layer axis role '${role}' but no layer`);
  return `layers.${layer}.${role}`;
}

/** The width groups that expand an axis of this role in this large layer (none for 'fixed'). */
function groupsOf(role: AxisRole, layer: number | null, key: string): string[] {
  switch (role) {
    case 'fixed':
      return [];
    case 'hidden':
    case 'head':
      return [role];
    case 'qkv':
      return (['q', 'k', 'v'] as const).map((r) => layerGroup(layer, r, key));
    default:
      return [layerGroup(layer, role, key)];
  }
}

/** The small model's parameters by (layer, module), or by key outside the layers. */
function smallIndex(small: ModelDescription): Map<string, ParamInfo> {
  const index = new Map<string, ParamInfo>();
  for (const r of small.roles) index.set(r.layer === null ? r.key : `${r.layer}|${r.module}`, r);
  return index;
}

function smallFor(index: Map<string, ParamInfo>, layer: number | null, module: string, key: string): ParamInfo {
  const info = index.get(layer === null ? key : `${layer}|${module}`);
  if (!info) throw new GrowError(`ligo: the small model has no parameter matching ${key}`);
  return info;
}

export function ligoLayout(small: ModelDescription, large: ModelDescription, settings: LigoSettings): LigoLayout {
  const index = smallIndex(small);
  const groups = new Map<string, WidthGroup>();
  const modules = new Set<string>();
  const entries = large.roles.map((r): LayoutEntry => {
    const smallShape = smallFor(index, r.layer === null ? null : 0, r.module, r.key).shape;
    const largeShape = r.shape;
    if (smallShape.length !== largeShape.length) throw new GrowError(`ligo: ${r.key} has rank ${largeShape.length} in the large model but ${smallShape.length} in the small one`);
    if (r.layer !== null) modules.add(r.module);
    const axes: AxisPlan[] = [];
    r.axes.forEach((role, axis) => {
      const names = groupsOf(role, r.layer, r.key).map((g) => (!settings.tieInputs && r.sides[axis] === 'in' ? `${g}.in` : g));
      if (names.length === 0) {
        if (smallShape[axis] !== largeShape[axis]) throw new GrowError(`ligo: ${r.key} axis ${axis} is fixed but has size ${smallShape[axis]} in the small model and ${largeShape[axis]} in the large one`);
        return;
      }
      const d1 = smallShape[axis]! / names.length;
      const d2 = largeShape[axis]! / names.length;
      if (d2 < d1) throw new GrowError(`ligo: ${r.key} axis ${axis} shrinks from ${d1} to ${d2}; LiGO only grows`);
      for (const name of names) registerGroup(groups, { name, d1, d2 }, r.key);
      axes.push({ axis, groups: names });
    });
    return { info: r, key: r.key, layer: r.layer, module: r.module, smallShape, largeShape, axes };
  });
  return { settings, smallLayers: small.layers, largeLayers: large.layers, entries, width: [...groups.values()], depthModules: [...modules] };
}

function registerGroup(groups: Map<string, WidthGroup>, g: WidthGroup, key: string): void {
  const seen = groups.get(g.name);
  if (!seen) groups.set(g.name, g);
  else if (seen.d1 !== g.d1 || seen.d2 !== g.d2) throw new GrowError(`ligo: width matrix ${g.name} is ${seen.d2}x${seen.d1} elsewhere but ${key} needs ${g.d2}x${g.d1}`);
}

/** The learned shape of a width matrix, or null when it has nothing to learn ('code' with D2 = D1). */
export function widthShape(g: WidthGroup, mode: LigoMode): [number, number] | null {
  if (mode === 'full') return [g.d2, g.d1];
  return g.d2 > g.d1 ? [g.d2 - g.d1, g.d1] : null;
}

/** Names and shapes of every learned tensor of the operator, in a fixed order. */
export function paramShapes(layout: LigoLayout): [string, number[]][] {
  const out: [string, number[]][] = [];
  for (const g of layout.width) {
    const s = widthShape(g, layout.settings.mode);
    if (s) out.push([widthName(g.name), s]);
  }
  for (const m of layout.depthModules) out.push([depthName(m), [layout.largeLayers, layout.smallLayers]]);
  return out;
}

// ---- applying M ----------------------------------------------------------------------------

/** The small model arranged for M: layer parameters stacked per module [L1, size], the rest by key. */
export interface SmallStacks {
  single: Map<string, Tensor>;
  stacked: Map<string, Tensor>;
}

/** Stacks the small model's layers per module (plain buffers outside the tensor pool). */
export function stackSmall(layout: LigoLayout, small: ModelDescription, tensors: Map<string, Tensor>): SmallStacks {
  const index = smallIndex(small);
  const get = (key: string) => {
    const t = tensors.get(key);
    if (!t) throw new GrowError(`ligo: the small model has no tensor ${key}`);
    return t;
  };
  const single = new Map<string, Tensor>();
  const stacked = new Map<string, Tensor>();
  for (const e of layout.entries) {
    if (e.layer === null) single.set(e.key, get(smallFor(index, null, e.module, e.key).key));
    else if (!stacked.has(e.module)) stacked.set(e.module, stackLayers(e, layout.smallLayers, (j) => get(smallFor(index, j, e.module, e.key).key)));
  }
  return { single, stacked };
}

function stackLayers(e: LayoutEntry, L1: number, at: (j: number) => Tensor): Tensor {
  const size = e.smallShape.reduce((a, b) => a * b, 1);
  const first = at(0);
  const out = new Tensor(first.dtype === 'float64' ? new Float64Array(L1 * size) : new Float32Array(L1 * size), [L1, size], first.dtype); // [L1, size]
  for (let j = 0; j < L1; j++) out.f.set(at(j).f, j * size);
  return out;
}

/** x with axis `axis` (length D1) multiplied by m [D2, D1]: the axis becomes D2 long. */
export function multiplyAxis(x: Tensor, axis: number, m: Tensor): Tensor {
  const d1 = x.shape[axis]!;
  const d2 = m.shape[0]!;
  const last = x.rank - 1;
  if (axis === 0) {
    const y = T.matmul(m, T.reshape(x, [d1, x.size / d1])); // [D2, rest]
    return T.reshape(y, [d2, ...x.shape.slice(1)]);
  }
  if (axis === last) {
    const y = T.matmul(T.reshape(x, [x.size / d1, d1]), m, { transB: true }); // [rest, D2]
    return T.reshape(y, [...x.shape.slice(0, -1), d2]);
  }
  const perm = [...x.shape.keys()].filter((a) => a !== axis).concat(axis);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return T.permute(multiplyAxis(T.permute(x, perm), last, m), inverse);
}

/** One group's expansion of an axis: x B^T along the axis ('full') or [x; x B_new^T] ('code'). */
function expandAxis(x: Tensor, axis: number, m: Tensor | undefined, mode: LigoMode): Tensor {
  if (!m) return x; // 'code' with D2 = D1: the identity
  if (mode === 'full') return multiplyAxis(x, axis, m);
  return T.concat([x, multiplyAxis(x, axis, m)], axis);
}

function expandAlong(x: Tensor, plan: AxisPlan, params: LigoParams, mode: LigoMode): Tensor {
  const ms = plan.groups.map((g) => params[widthName(g)]);
  if (plan.groups.length === 1) return expandAxis(x, plan.axis, ms[0], mode);
  const blocks = T.split(x, plan.axis, plan.groups.map(() => x.shape[plan.axis]! / plan.groups.length));
  return T.concat(blocks.map((b, i) => expandAxis(b, plan.axis, ms[i], mode)), plan.axis);
}

/**
 * theta_large = M theta_small as [HF key, tensor] pairs, differentiable w.r.t. `params`. Results
 * may share buffers with the small model (an untouched parameter is the small tensor itself).
 */
export function applyOperator(layout: LigoLayout, params: LigoParams, small: SmallStacks): [string, Tensor][] {
  const mixed = new Map<string, Tensor>(); // module -> [L2, size]
  const mixedOf = (module: string) => {
    let m = mixed.get(module);
    if (!m) {
      const w = params[depthName(module)];
      if (!w) throw new GrowError(`ligo: operator has no ${depthName(module)}`);
      mixed.set(module, (m = T.matmul(w, small.stacked.get(module)!))); // [L2, L1] x [L1, size]
    }
    return m;
  };
  return layout.entries.map((e): [string, Tensor] => {
    let x = e.layer === null ? small.single.get(e.key)! : T.reshape(T.slice(mixedOf(e.module), 0, e.layer, e.layer + 1), e.smallShape);
    for (const plan of e.axes) x = expandAlong(x, plan, params, layout.settings.mode);
    return [e.key, x];
  });
}

/**
 * FLOPs of one applyOperator call (multiply-adds counted as 2): the depth mixes 2 L2 L1 size per
 * module, and per expanded axis 2 * (rows of the result) * D1 for the rows computed (all D2 in
 * 'full', the D2 - D1 new ones in 'code').
 */
export function applyFlops(layout: LigoLayout): number {
  const mode = layout.settings.mode;
  let flops = 0;
  const sizes = new Map<string, number>();
  for (const e of layout.entries) {
    if (e.layer !== null) sizes.set(e.module, e.smallShape.reduce((a, b) => a * b, 1));
    const shape = [...e.smallShape];
    for (const plan of e.axes) {
      const n = plan.groups.length;
      const d1 = shape[plan.axis]! / n;
      const d2 = e.largeShape[plan.axis]! / n;
      const others = shape.reduce((a, b) => a * b, 1) / shape[plan.axis]!;
      const rowsComputed = mode === 'full' ? d2 : d2 - d1;
      flops += 2 * n * rowsComputed * d1 * others;
      shape[plan.axis] = e.largeShape[plan.axis]!;
    }
  }
  for (const size of sizes.values()) flops += 2 * layout.largeLayers * layout.smallLayers * size;
  return flops;
}

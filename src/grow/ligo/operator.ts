// LiGO's factored growth operator M (Wang et al., ICLR 2023, Sec. 3.2-3.3; docs/growth.md "LiGO"):
// which matrices it has, how they are tied, and how theta_large = M theta_small is computed
// with the engine's differentiable ops, never materialising M.
//
// For every parameter of the large model, with the roles structure.ts gives each axis:
//   depth:  mix[l] = sum_j w_m[l, j] X_j              (w_m [L2, L1], one per in-layer module key, so
//                                                     weights, biases and LayerNorm weights/biases
//                                                     of a module have separate coefficients)
//   width:  X x_0 B_0 x_1 B_1 ...                     (x_a: multiply axis a by that axis's [D2, D1]
//                                                     matrix; 'fixed' axes are left alone)
// Two orders (settings.order):
//   'depth-first' (default, the authors' code): W'[l] = width_l(sum_j w_m[l, j] W_j), layer
//                 parameters mixed at the small width, then expanded with the width matrices of
//                 LARGE layer l;
//   'width-first' (the paper's equations):      W'[l] = sum_j w_m[l, j] width_j(W_j), each small
//                 layer expanded with its own width matrices, then mixed.
// Both are linear in theta_small, but they are different operators: with per-layer width
// matrices the first gives large layer l one set of matrices, the second mixes layers expanded by
// different ones. They coincide when every layer's matrices are equal (e.g. no per-layer width
// growth) or the depth mix is one-hot and the matrices follow it.
//
// Width matrices, tied as bert2BERT / the authors' code do:
//   'width.hidden'          the residual stream: embeddings, its LayerNorms, the input side of
//                           Q/K/V/FFN-in, the output side of attention-out and FFN-out, and the
//                           MLM head's transform (its output rows and LayerNorm), whose output
//                           feeds the decoder tied to the word embeddings;
//   'width.layers.<l>.<r>'  per layer l (LARGE layers depth-first, SMALL layers width-first), r in
//                           q, k, v, ffn (attention-out's input side uses v's matrix, FFN-out's
//                           input side uses ffn's; GPT-2's fused 'qkv' axis uses q, k and v
//                           block-wise).
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

import * as T from '../../tensor/index.ts';
import { Tensor } from '../../tensor/index.ts';
import { dims, type ModelConfig } from '../../models/index.ts';
import { GrowError, checkGrowable, paramRoles, type ParamInfo } from '../structure.ts';
import type { AxisRole } from '../types.ts';

export type LigoMode = 'full' | 'code';
export type LigoOrder = 'depth-first' | 'width-first';
export const ligoOrders: readonly LigoOrder[] = ['depth-first', 'width-first'];

export interface LigoSettings {
  mode: LigoMode;
  /** Input sides share the producing output side's matrix (the authors' code) or get their own. */
  tieInputs: boolean;
  /** Depth mix then width per large layer (the authors' code), or width per small layer then mix. */
  order: LigoOrder;
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
  /** Expansions after the depth mix (none for layer parameters width-first: see `layerAxes`). */
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
  /** Width-first only: per module, per SMALL layer j, the expansions of layer j before the mix. */
  layerAxes: Map<string, AxisPlan[][]>;
}

/** A model as the layout needs it: structure.ts's roles (with shapes and sides) and its depth. */
export interface ModelDescription {
  roles: ParamInfo[];
  layers: number;
}

export function describeModel(config: ModelConfig): ModelDescription {
  return { roles: paramRoles(config), layers: dims(config).layers };
}

/** The layout for growing `smallConfig` into `largeConfig` (checkGrowable first). */
export function layoutFor(smallConfig: ModelConfig, largeConfig: ModelConfig, settings: LigoSettings): LigoLayout {
  checkGrowable(smallConfig, largeConfig);
  return ligoLayout(describeModel(smallConfig), describeModel(largeConfig), settings);
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
  const layerAxes = new Map<string, AxisPlan[][]>();
  const widthFirst = settings.order === 'width-first';
  /** The expansions of parameter r (roles of the large model) when its width layer is `layer`. */
  const plansOf = (r: ParamInfo, layer: number | null, smallShape: readonly number[]): AxisPlan[] => {
    const axes: AxisPlan[] = [];
    r.axes.forEach((role, axis) => {
      const names = groupsOf(role, layer, r.key).map((g) => (!settings.tieInputs && r.sides[axis] === 'in' ? `${g}.in` : g));
      if (names.length === 0) {
        if (smallShape[axis] !== r.shape[axis]) throw new GrowError(`ligo: ${r.key} axis ${axis} is fixed but has size ${smallShape[axis]} in the small model and ${r.shape[axis]} in the large one`);
        return;
      }
      const d1 = smallShape[axis]! / names.length;
      const d2 = r.shape[axis]! / names.length;
      if (d2 < d1) throw new GrowError(`ligo: ${r.key} axis ${axis} shrinks from ${d1} to ${d2}; LiGO only grows`);
      for (const name of names) registerGroup(groups, { name, d1, d2 }, r.key);
      axes.push({ axis, groups: names });
    });
    return axes;
  };
  const entries = large.roles.map((r): LayoutEntry => {
    const smallShape = smallFor(index, r.layer === null ? null : 0, r.module, r.key).shape;
    const largeShape = r.shape;
    if (smallShape.length !== largeShape.length) throw new GrowError(`ligo: ${r.key} has rank ${largeShape.length} in the large model but ${smallShape.length} in the small one`);
    if (r.layer !== null) modules.add(r.module);
    if (r.layer !== null && widthFirst) {
      if (!layerAxes.has(r.module)) layerAxes.set(r.module, Array.from({ length: small.layers }, (_, j) => plansOf(r, j, smallShape)));
      return { info: r, key: r.key, layer: r.layer, module: r.module, smallShape, largeShape, axes: [] };
    }
    return { info: r, key: r.key, layer: r.layer, module: r.module, smallShape, largeShape, axes: plansOf(r, r.layer, smallShape) };
  });
  return { settings, smallLayers: small.layers, largeLayers: large.layers, entries, width: [...groups.values()], depthModules: [...modules], layerAxes };
}

/** Every place a width plan applies: the parameter, the layer its groups are named after, the plan. */
export function widthUses(layout: LigoLayout): { info: ParamInfo; layer: number | null; plan: AxisPlan }[] {
  const uses = layout.entries.flatMap((e) => e.axes.map((plan) => ({ info: e.info, layer: e.layer, plan })));
  for (const [module, perLayer] of layout.layerAxes) {
    const info = layout.entries.find((e) => e.module === module && e.layer !== null)!.info;
    perLayer.forEach((plans, j) => uses.push(...plans.map((plan) => ({ info, layer: j, plan }))));
  }
  return uses;
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
  const out = T.persistent([L1, size], first.dtype); // [L1, size]
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

function expandAll(x: Tensor, plans: readonly AxisPlan[], params: LigoParams, mode: LigoMode): Tensor {
  for (const plan of plans) x = expandAlong(x, plan, params, mode);
  return x;
}

/**
 * theta_large = M theta_small as [HF key, tensor] pairs, differentiable w.r.t. `params`. Results
 * may share buffers with the small model (an untouched parameter is the small tensor itself).
 */
export function applyOperator(layout: LigoLayout, params: LigoParams, small: SmallStacks): [string, Tensor][] {
  const mode = layout.settings.mode;
  const mixed = new Map<string, Tensor>(); // module -> [L2, size] (small size depth-first, large width-first)
  /** Width-first: small layer j of `module` expanded with its own matrices, as [1, large size]. */
  const widened = (e: LayoutEntry, plans: AxisPlan[][]) => {
    const stack = small.stacked.get(e.module)!;
    const rows = plans.map((p, j) => expandAll(T.reshape(T.slice(stack, 0, j, j + 1), e.smallShape), p, params, mode));
    return T.concat(rows.map((r) => T.reshape(r, [1, r.size])), 0); // [L1, large size]
  };
  const mixedOf = (e: LayoutEntry) => {
    let m = mixed.get(e.module);
    if (!m) {
      const w = params[depthName(e.module)];
      if (!w) throw new GrowError(`ligo: operator has no ${depthName(e.module)}`);
      const plans = layout.layerAxes.get(e.module);
      mixed.set(e.module, (m = T.matmul(w, plans ? widened(e, plans) : small.stacked.get(e.module)!))); // [L2, L1] x [L1, size]
    }
    return m;
  };
  return layout.entries.map((e): [string, Tensor] => {
    const shape = layout.layerAxes.has(e.module) ? e.largeShape : e.smallShape;
    const x = e.layer === null ? small.single.get(e.key)! : T.reshape(T.slice(mixedOf(e), 0, e.layer, e.layer + 1), shape);
    return [e.key, expandAll(x, e.axes, params, mode)];
  });
}

/**
 * FLOPs of one applyOperator call (multiply-adds counted as 2): the depth mixes 2 L2 L1 size per
 * module (the small size depth-first, the large one width-first), and per expanded axis
 * 2 * (rows of the result) * D1 for the rows computed (all D2 in 'full', the D2 - D1 new ones in
 * 'code'), for every large parameter depth-first or every small layer's width-first.
 */
export function applyFlops(layout: LigoLayout): number {
  const mode = layout.settings.mode;
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const expandFlops = (from: readonly number[], to: readonly number[], plans: readonly AxisPlan[]) => {
    let flops = 0;
    const shape = [...from];
    for (const plan of plans) {
      const n = plan.groups.length;
      const d1 = shape[plan.axis]! / n;
      const d2 = to[plan.axis]! / n;
      const rowsComputed = mode === 'full' ? d2 : d2 - d1;
      flops += 2 * n * rowsComputed * d1 * (size(shape) / shape[plan.axis]!);
      shape[plan.axis] = to[plan.axis]!;
    }
    return flops;
  };
  let flops = 0;
  const mixSizes = new Map<string, number>();
  for (const e of layout.entries) {
    const perLayer = layout.layerAxes.get(e.module);
    if (e.layer !== null && !mixSizes.has(e.module)) {
      mixSizes.set(e.module, size(perLayer ? e.largeShape : e.smallShape));
      for (const plans of perLayer ?? []) flops += expandFlops(e.smallShape, e.largeShape, plans);
    }
    flops += expandFlops(e.smallShape, e.largeShape, e.axes);
  }
  for (const s of mixSizes.values()) flops += 2 * layout.largeLayers * layout.smallLayers * s;
  return flops;
}

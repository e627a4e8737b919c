// Parameter specs: each model describes its parameter tree once, as a tree of the same shape
// whose leaves are ParamSpecs (HF shape, HF init rule, kind, and what every axis indexes) and
// whose paths are the HuggingFace state-dict keys. Initialisation, loading from a flat state dict
// (with errors that name the key), key listings with each key's transformer layer and module (the
// array built by layerStack), and the axis roles that growth operators read (src/grow/structure.ts)
// all follow from that one description. Mirrors what
// PreTrainedModel._init_weights and load_state_dict do for the models here.
//
// Axis roles: each axis of a parameter says which dimension of the model it indexes (AxisRole)
// and whether the parameter produces that dimension ('out', e.g. a Linear's output rows, an
// embedding's columns) or consumes it ('in', a Linear's input columns). Roles of size-fixed axes
// (vocabulary, positions, classes, pixels, a leading 1) are 'fixed'. The word embeddings are
// also the tied LM decoder; they are marked as producers, so whatever feeds the decoder
// (BERT/RoBERTa's head LayerNorm, GPT-2's ln_f) is marked 'in': it carries the consumer's factor
// (e.g. Net2Net's 1/count) for the decoder. The MLM head's transform works in the residual
// stream's width ('hidden'): its output feeds that decoder, so it grows with the embeddings.

import { Rng, Tensor, full, zeros, type WeightLayout } from '../tensor/index.ts';
import { initNormal, type LayerNormParams, type LinearParams } from '../nn/index.ts';
import { CheckpointError } from '../io/index.ts';

export type Init = { kind: 'normal'; std: number; zeroRow?: number } | { kind: 'zeros' } | { kind: 'ones' };

/**
 * What one axis of a parameter indexes. Width growth expands an axis according to its role;
 * 'fixed' axes never change.
 */
export type AxisRole =
  | 'hidden' // the residual stream (hidden_size / n_embd)
  | 'q' // attention query inner dim of this layer (heads * head_dim)
  | 'k'
  | 'v'
  | 'qkv' // GPT-2 c_attn's fused [q; k; v] output axis (three blocks of heads * head_dim)
  | 'o' // the attention output Llama's o_proj reads (query heads * head_dim; v's size only without grouped-query attention)
  | 'ffn' // feed-forward inner dim of this layer
  | 'fixed';

export const axisRoles: readonly AxisRole[] = ['hidden', 'q', 'k', 'v', 'qkv', 'o', 'ffn', 'fixed'];

/** 'out': the parameter produces that dimension; 'in': it consumes it; 'fixed' for fixed axes. */
export type AxisSide = 'out' | 'in' | 'fixed';

export type ParamKind = 'weight' | 'bias' | 'norm_weight' | 'norm_bias' | 'embedding' | 'token';

export interface AxisSpec {
  role: AxisRole;
  side: AxisSide;
}

/** An axis the parameter produces (a 'fixed' role gets side 'fixed'). */
export const produces = (role: AxisRole): AxisSpec => ({ role, side: role === 'fixed' ? 'fixed' : 'out' });
/** An axis the parameter consumes (a 'fixed' role gets side 'fixed'). */
export const consumes = (role: AxisRole): AxisSpec => ({ role, side: role === 'fixed' ? 'fixed' : 'in' });
export const FIXED: AxisSpec = { role: 'fixed', side: 'fixed' };

export class ParamSpec {
  constructor(
    readonly shape: readonly number[],
    readonly init: Init,
    readonly kind: ParamKind,
    /** One per axis of `shape`, in storage order. */
    readonly axes: readonly AxisSpec[],
  ) {
    if (axes.length !== shape.length) throw new Error(`ParamSpec: shape [${shape.join(', ')}] has ${shape.length} axes but ${axes.length} axis roles`);
  }
}

/** The spec tree matching a parameter tree P: every Tensor leaf becomes a ParamSpec. */
export type SpecTree<P> = P extends Tensor ? ParamSpec : P extends readonly (infer U)[] ? SpecTree<U>[] : { [K in keyof P]: SpecTree<P[K]> };

/** Normal(0, std); `zeroRow` zeroes one row, as HF does for an embedding's padding_idx. */
export const normalSpec = (shape: readonly number[], std: number, kind: ParamKind, axes: readonly AxisSpec[], zeroRow?: number) =>
  new ParamSpec(shape, zeroRow === undefined ? { kind: 'normal', std } : { kind: 'normal', std, zeroRow }, kind, axes);
export const zerosSpec = (shape: readonly number[], kind: ParamKind, axes: readonly AxisSpec[]) => new ParamSpec(shape, { kind: 'zeros' }, kind, axes);

/** A [vocabulary-like, hidden] embedding table: rows fixed, columns produce the residual stream. */
export const embeddingSpec = (rows: number, hidden: number, std: number, zeroRow?: number) => normalSpec([rows, hidden], std, 'embedding', [FIXED, produces('hidden')], zeroRow);

/** What a Linear's output and input features index. */
export interface LinearRoles {
  out: AxisRole;
  in: AxisRole;
}

export function linearSpec(outF: number, inF: number, std: number, roles: LinearRoles, layout: WeightLayout = 'out_in'): SpecTree<LinearParams> {
  const weight = layout === 'out_in' ? normalSpec([outF, inF], std, 'weight', [produces(roles.out), consumes(roles.in)]) : normalSpec([inF, outF], std, 'weight', [consumes(roles.in), produces(roles.out)]);
  return { weight, bias: zerosSpec([outF], 'bias', [produces(roles.out)]) };
}

/** A LayerNorm over `dim`; `axis` says what it normalises (default: it produces the residual stream). */
export function layerNormSpec(dim: number, axis: AxisSpec = produces('hidden')): SpecTree<LayerNormParams> {
  return { weight: new ParamSpec([dim], { kind: 'ones' }, 'norm_weight', [axis]), bias: zerosSpec([dim], 'norm_bias', [axis]) };
}

const LAYER_STACK = Symbol('layer stack');

/** The model's transformer layers, `count` specs of one layer; specEntries gives each key below it its layer and module. */
export function layerStack<S>(count: number, layer: () => S): S[] {
  const stack = Array.from({ length: count }, layer);
  Object.defineProperty(stack, LAYER_STACK, { value: true });
  return stack;
}

/** One parameter of a spec tree. */
export interface SpecEntry {
  /** The HF state-dict key. */
  key: string;
  spec: ParamSpec;
  /** Its index in the layerStack, or null for embeddings, heads and final norms. */
  layer: number | null;
  /** The key below its layer (e.g. 'attention.self.query.weight'); the key itself when layer is null. */
  module: string;
}

/** Where a leaf sits in the layer stack: its layer index and that layer's key path. */
interface LayerAt {
  index: number;
  path: string;
}

const join = (path: string, k: string) => (path ? `${path}.${k}` : k);

function mapLeaves(node: unknown, path: string, leaf: (key: string, s: ParamSpec, at: LayerAt | null) => unknown, at: LayerAt | null = null): unknown {
  if (node instanceof ParamSpec) return leaf(path, node, at);
  if (Array.isArray(node)) {
    const stack = LAYER_STACK in node;
    return node.map((v, i) => mapLeaves(v, join(path, String(i)), leaf, stack ? { index: i, path: join(path, String(i)) } : at));
  }
  return Object.fromEntries(Object.entries(node as object).map(([k, v]) => [k, mapLeaves(v, join(path, k), leaf, at)]));
}

/** Builds P by calling `leaf` on every spec, depth first in insertion order, with its HF key. */
export function mapSpec<P>(spec: SpecTree<P>, leaf: (key: string, s: ParamSpec) => Tensor): P {
  return mapLeaves(spec, '', leaf) as P;
}

/** Every parameter with its HF key, layer and module, in the order initialisation draws them. */
export function specEntries(spec: object): SpecEntry[] {
  const out: SpecEntry[] = [];
  mapLeaves(spec, '', (key, s, at) => out.push({ key, spec: s, layer: at ? at.index : null, module: at ? key.slice(at.path.length + 1) : key }));
  return out;
}

function initOne(rng: Rng, s: ParamSpec): Tensor {
  const init = s.init;
  if (init.kind === 'zeros') return zeros(s.shape);
  if (init.kind === 'ones') return full(s.shape, 1);
  const t = initNormal(rng, [...s.shape], init.std);
  if (init.zeroRow !== undefined) {
    const cols = s.shape[s.shape.length - 1]!;
    t.f.fill(0, init.zeroRow * cols, (init.zeroRow + 1) * cols);
  }
  return t;
}

/** Fresh float32 parameters drawn from rng in spec order (HF's init rules). */
export function initTree<P>(spec: SpecTree<P>, rng: Rng): P {
  return mapSpec(spec, (_, s) => initOne(rng, s));
}

// ---- loading ------------------------------------------------------------------------------

export interface LoadRules {
  /** Keys that HF ties to another parameter (alias -> source); optional in a checkpoint. */
  tied: Record<string, string>;
  /** HF buffers and heads this model does not use (e.g. attn.bias, pooler), skipped silently. */
  ignore: RegExp[];
  /**
   * Keys initialised fresh (by the spec's init rule) when the checkpoint lacks them, as HF does
   * for a task head on top of a pretrained encoder; any other missing key is an error.
   */
  initMissing?: RegExp[];
}

export interface LoadOptions {
  /** Seed for the keys initialised fresh (LoadRules.initMissing); 0 when absent. */
  seed?: number;
}

export interface LoadResult<P> {
  params: P;
  /** Keys in the checkpoint that this model has no use for (HF's "unexpected keys"). */
  unexpectedKeys: string[];
  /** Keys the checkpoint lacked that were initialised fresh (HF's "newly initialized" weights). */
  initializedKeys: string[];
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function sameValues(a: Tensor, b: Tensor): boolean {
  for (let i = 0; i < a.size; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/** A tied alias stands in for its source when the checkpoint kept only the alias. */
function lookup(flat: Map<string, Tensor>, rules: LoadRules, key: string): [string, Tensor | undefined] {
  if (flat.has(key)) return [key, flat.get(key)];
  const alias = Object.keys(rules.tied).find((a) => rules.tied[a] === key && flat.has(a));
  return alias ? [alias, flat.get(alias)] : [key, undefined];
}

function checkTied(flat: Map<string, Tensor>, rules: LoadRules, loaded: Map<string, Tensor>, problems: string[]): void {
  for (const [alias, source] of Object.entries(rules.tied)) {
    const a = flat.get(alias);
    const s = loaded.get(source);
    if (!a || !s || a === s) continue;
    if (!sameShape(a.shape, s.shape)) problems.push(`key ${alias} has shape ${fmt(a.shape)}, expected ${fmt(s.shape)} (it is tied to ${source})`);
    else if (!sameValues(a, s)) problems.push(`key ${alias} differs from ${source}, which it is tied to; untied output weights are not supported`);
  }
}

/**
 * Parameters for `spec` taken from a flat state dict (tensors are used as they are, not copied).
 * Throws a CheckpointError listing every missing or mis-shaped key, except those that
 * rules.initMissing lets it initialise fresh (reported, seeded by opts.seed); reports unused keys.
 */
export function loadTree<P>(spec: SpecTree<P>, flat: Map<string, Tensor>, rules: LoadRules, what: string, opts: LoadOptions = {}): LoadResult<P> {
  const problems: string[] = [];
  const used = new Set<string>();
  const loaded = new Map<string, Tensor>();
  const dtypes = new Set<string>();
  const initialized: string[] = [];
  let rng: Rng | null = null;
  const params = mapSpec(spec, (key, s) => {
    const [from, t] = lookup(flat, rules, key);
    if (!t && rules.initMissing?.some((r) => r.test(key))) {
      initialized.push(key);
      return initOne((rng ??= new Rng(opts.seed ?? 0)), s);
    }
    if (!t) {
      problems.push(`missing key ${key} (expected ${fmt(s.shape)})`);
      return zeros(s.shape);
    }
    used.add(from);
    loaded.set(key, t);
    if (!sameShape(t.shape, s.shape)) problems.push(`key ${from} has shape ${fmt(t.shape)}, expected ${fmt(s.shape)}`);
    if (t.dtype === 'int32') problems.push(`key ${from} is int32, expected a float tensor`);
    dtypes.add(t.dtype);
    return t;
  });
  checkTied(flat, rules, loaded, problems);
  if (dtypes.size > 1) problems.push(`tensors mix dtypes ${[...dtypes].join(' and ')}; convert them to one`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 12).join('; ');
    throw new CheckpointError(`${what}: checkpoint does not fit the config: ${shown}${problems.length > 12 ? `; and ${problems.length - 12} more` : ''}`);
  }
  const skip = (k: string) => used.has(k) || k in rules.tied || rules.ignore.some((r) => r.test(k));
  return { params, unexpectedKeys: [...flat.keys()].filter((k) => !skip(k)).sort(), initializedKeys: initialized };
}

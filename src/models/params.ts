// Parameter specs: each model describes its parameter tree once, as a tree of the same shape
// whose leaves are ParamSpecs (HF shape + HF init rule) and whose paths are the HuggingFace
// state-dict keys. Initialisation, loading from a flat state dict (with errors that name the
// key) and key listings all follow from that one description. Mirrors what
// PreTrainedModel._init_weights and load_state_dict do for the models here.

import { Rng, Tensor, full, zeros, type WeightLayout } from '../tensor/index.ts';
import { initNormal, type LayerNormParams, type LinearParams } from '../nn/index.ts';
import { CheckpointError } from '../io/safetensors.ts';

export type Init = { kind: 'normal'; std: number; zeroRow?: number } | { kind: 'zeros' } | { kind: 'ones' };

export class ParamSpec {
  constructor(
    readonly shape: readonly number[],
    readonly init: Init,
  ) {}
}

/** The spec tree matching a parameter tree P: every Tensor leaf becomes a ParamSpec. */
export type SpecTree<P> = P extends Tensor ? ParamSpec : P extends readonly (infer U)[] ? SpecTree<U>[] : { [K in keyof P]: SpecTree<P[K]> };

/** Normal(0, std); `zeroRow` zeroes one row, as HF does for an embedding's padding_idx. */
export const normalSpec = (shape: readonly number[], std: number, zeroRow?: number) => new ParamSpec(shape, zeroRow === undefined ? { kind: 'normal', std } : { kind: 'normal', std, zeroRow });
export const zerosSpec = (shape: readonly number[]) => new ParamSpec(shape, { kind: 'zeros' });

export function linearSpec(outF: number, inF: number, std: number, layout: WeightLayout = 'out_in'): SpecTree<LinearParams> {
  return { weight: normalSpec(layout === 'out_in' ? [outF, inF] : [inF, outF], std), bias: zerosSpec([outF]) };
}

export function layerNormSpec(dim: number): SpecTree<LayerNormParams> {
  return { weight: new ParamSpec([dim], { kind: 'ones' }), bias: zerosSpec([dim]) };
}

const join = (path: string, k: string) => (path ? `${path}.${k}` : k);

function mapLeaves(node: unknown, path: string, leaf: (key: string, s: ParamSpec) => unknown): unknown {
  if (node instanceof ParamSpec) return leaf(path, node);
  if (Array.isArray(node)) return node.map((v, i) => mapLeaves(v, join(path, String(i)), leaf));
  return Object.fromEntries(Object.entries(node as object).map(([k, v]) => [k, mapLeaves(v, join(path, k), leaf)]));
}

/** Builds P by calling `leaf` on every spec, depth first in insertion order, with its HF key. */
export function mapSpec<P>(spec: SpecTree<P>, leaf: (key: string, s: ParamSpec) => Tensor): P {
  return mapLeaves(spec, '', leaf) as P;
}

/** [HF key, spec] for every parameter, in the order initialisation draws them. */
export function specEntries(spec: object): [string, ParamSpec][] {
  const out: [string, ParamSpec][] = [];
  mapLeaves(spec, '', (key, s) => out.push([key, s]));
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

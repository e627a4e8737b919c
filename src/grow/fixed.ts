// The frame every fixed (not learned) operator shares: a GrowMethod whose growth can also be
// applied to Adam's moments (`growAs(..., mode)`, used by optimizer-state.ts), the common checks
// (checkGrowable, then the operator's own), option parsing with one-line errors, and
// `growModel` = width plan on the small depth, then a depth plan.

import { zeros, type Tensor } from '../tensor/index.ts';
import { dims, modelFor, withDims, type ModelConfig } from '../models/index.ts';
import type { GrowContext, GrowMethod, GrowResult } from './types.ts';
import { GrowError, checkGrowable, type Mode } from './structure.ts';
import { growWidth, type WidthPlan } from './width.ts';
import { growDepth, type LayerSource } from './depth.ts';

export interface FixedMethod extends GrowMethod {
  /** The growth as a map applied to parameters (mode 'params') or to Adam's moments. */
  growAs(small: Map<string, Tensor>, smallConfig: ModelConfig, largeConfig: ModelConfig, ctx: GrowContext, mode: Mode): GrowResult;
  /** One line: what the map does to Adam's first and second moments. */
  optimizerState: string;
}

interface FixedDef extends Omit<FixedMethod, 'grow' | 'needsData'> {
  /** Operator-specific refusals (GrowError), run after checkGrowable. */
  check?(smallConfig: ModelConfig, largeConfig: ModelConfig): void;
}

export function fixedMethod(def: FixedDef): FixedMethod {
  const { check, growAs, ...rest } = def;
  const checked: FixedMethod['growAs'] = (small, sc, lc, ctx, mode) => {
    checkGrowable(sc, lc);
    check?.(sc, lc);
    return growAs(canonical(small, sc), sc, lc, ctx, mode);
  };
  return { ...rest, needsData: false, growAs: checked, grow: (small, sc, lc, ctx) => checked(small, sc, lc, ctx, 'params') };
}

/** The small tensors by the model's own keys: tied aliases resolved, shapes checked (CheckpointError). */
function canonical(small: Map<string, Tensor>, config: ModelConfig): Map<string, Tensor> {
  const model = modelFor(config);
  return new Map(model.flatten(model.paramsFromFlat(config, small).params));
}

/** Width first (at the small depth), then depth. A null plan keeps the widths. */
export function growModel(small: Map<string, Tensor>, smallConfig: ModelConfig, largeConfig: ModelConfig, plan: WidthPlan | null, sources: LayerSource[], mode: Mode): Map<string, Tensor> {
  const mid = withDims(largeConfig, { layers: dims(smallConfig).layers });
  const s = dims(smallConfig);
  const l = dims(largeConfig);
  const sameWidth = s.hidden === l.hidden && s.heads === l.heads && s.kvHeads === l.kvHeads && s.ffn === l.ffn;
  // At the same width every plan is the identity; skipping it keeps depth-only growth independent of head layouts (grouped-query k/v).
  const wide = growWidth(small, smallConfig, sameWidth || !plan ? () => null : plan, mode);
  return growDepth(wide, mid, largeConfig, sources);
}

/** A value that is not a function of the small model (noise, an init, a constant): moments get zeros. */
export function constant(mode: Mode, t: Tensor): Tensor {
  return mode === 'params' ? t : zeros(t.shape, t.dtype);
}

/** ctx.options[name] as a number in [min, max], or `fallback` when absent. */
export function numberOption(method: string, options: Record<string, unknown> | undefined, name: string, fallback: number, min: number, max = Infinity, integer = false): number {
  const v = options?.[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v >= min && v <= max) || (integer && !Number.isInteger(v))) {
    throw new GrowError(`${method}: option ${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Refuses options the method does not know (a typo should not be silently ignored). */
export function knownOptions(method: string, options: Record<string, unknown> | undefined, names: string[]): void {
  const unknown = Object.keys(options ?? {}).filter((k) => !names.includes(k));
  if (unknown.length > 0) throw new GrowError(`${method}: unknown option ${unknown.join(', ')}${names.length ? `; it takes ${names.join(', ')}` : '; it takes none'}`);
}

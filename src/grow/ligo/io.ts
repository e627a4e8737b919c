// Saving and loading a learned LiGO operator: its tensors in a safetensors file (float32, named
// as in operator.ts: 'width.hidden', 'width.layers.3.ffn', 'depth.attention.self.query.weight',
// ...) and, in the file's metadata, what is needed to use it again: the format tag, the mode and
// input tying and order, and both model configs (as config.json objects). Loading checks every tensor
// against the layout those configs imply.

import { CheckpointError, readSafetensors, writeSafetensors } from '../../io/index.ts';
import { configFromJSON, type ModelConfig } from '../../models/index.ts';
import type { Tensor } from '../../tensor/index.ts';
import { layoutFor, ligoOrders, paramShapes, type LigoLayout, type LigoParams, type LigoSettings } from './operator.ts';

export const LIGO_FORMAT = 'ligo-operator/1';

/** A learned operator with everything needed to apply it again. */
export interface LigoOperator {
  settings: LigoSettings;
  smallConfig: ModelConfig;
  largeConfig: ModelConfig;
  params: LigoParams;
}

export function saveLigoOperator(path: string, op: LigoOperator): void {
  const metadata = {
    format: LIGO_FORMAT,
    settings: JSON.stringify(op.settings),
    small_config: JSON.stringify(op.smallConfig),
    large_config: JSON.stringify(op.largeConfig),
  };
  writeSafetensors(path, Object.entries(op.params), metadata);
}

/** Reads an operator saved by saveLigoOperator, checking every tensor against its configs' layout. */
export function readLigoOperator(path: string): LigoOperator {
  const { tensors, metadata } = readSafetensors(path);
  if (metadata.format !== LIGO_FORMAT) throw new CheckpointError(`${path}: not a LiGO operator (metadata format is ${JSON.stringify(metadata.format)}, expected "${LIGO_FORMAT}")`);
  const settings = parseSettings(path, metadata.settings);
  const smallConfig = configFromJSON(parseJson(path, 'small_config', metadata.small_config));
  const largeConfig = configFromJSON(parseJson(path, 'large_config', metadata.large_config));
  const params = checkedParams(path, tensors, layoutFor(smallConfig, largeConfig, settings));
  return { settings, smallConfig, largeConfig, params };
}

function parseJson(path: string, field: string, text: string | undefined): unknown {
  if (text === undefined) throw new CheckpointError(`${path}: metadata has no ${field}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new CheckpointError(`${path}: metadata ${field} is not valid JSON`);
  }
}

function parseSettings(path: string, text: string | undefined): LigoSettings {
  const s = parseJson(path, 'settings', text) as Partial<LigoSettings>;
  const order = s.order ?? 'depth-first'; // files written before the order setting existed
  if ((s.mode !== 'full' && s.mode !== 'code') || typeof s.tieInputs !== 'boolean' || !ligoOrders.includes(order)) {
    throw new CheckpointError(`${path}: metadata settings must hold mode ('full' or 'code'), tieInputs (boolean) and order (${ligoOrders.join(' or ')}), got ${text}`);
  }
  return { mode: s.mode, tieInputs: s.tieInputs, order };
}

function checkedParams(path: string, tensors: Map<string, Tensor>, layout: LigoLayout): LigoParams {
  const params: LigoParams = {};
  const expected = paramShapes(layout);
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) throw new CheckpointError(`${path}: missing operator tensor ${name} [${shape.join(', ')}]`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) throw new CheckpointError(`${path}: operator tensor ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    params[name] = t;
  }
  const extra = [...tensors.keys()].filter((k) => !(k in params));
  if (extra.length > 0) throw new CheckpointError(`${path}: unexpected operator tensors ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}`);
  return params;
}

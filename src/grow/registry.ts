// Growth methods by name: the fixed operators and LiGO, all registered here, so importing this
// module alone knows every method; registerMethod adds more. A name 'A+B' composes two of them
// (compose.ts). checkMethod tries a method on two configs before anything is trained or read.

import { modelFor, type ModelConfig } from '../models/index.ts';
import type { GrowMethod } from './types.ts';
import { GrowError } from './structure.ts';
import { noteMethod } from './known.ts';
import type { FixedMethod } from './fixed.ts';
import { stackbert } from './stack.ts';
import { interpolation } from './interpolate.ts';
import { mslt } from './mslt.ts';
import { net2net } from './net2net.ts';
import { bert2bertAki, bert2bertFpi } from './bert2bert.ts';
import { lemon } from './lemon.ts';
import { hypercloning } from './hypercloning.ts';
import { blockExpansion } from './block-expansion.ts';
import { msg } from './msg.ts';
import { gStack } from './g-stack.ts';
import { depthUpscaling } from './solar.ts';
import { COMPOSE, composedMethod } from './compose.ts';
import { ligo } from './ligo/ligo.ts';

export const fixedMethods: readonly FixedMethod[] = [stackbert, interpolation, mslt, net2net, bert2bertFpi, bert2bertAki, lemon, hypercloning, blockExpansion, msg, gStack, depthUpscaling];

const methods = new Map<string, GrowMethod>();

export function registerMethod(method: GrowMethod): void {
  if (methods.has(method.name)) throw new GrowError(`growth method ${method.name} is registered twice`);
  methods.set(method.name, method);
  noteMethod(method.name, method.grows);
}

/** A registered method, or 'A+B' composed of two (compose.ts). */
export function getMethod(name: string): GrowMethod {
  if (name.includes(COMPOSE)) return composedMethod(name, getMethod);
  const m = methods.get(name);
  if (!m) throw new GrowError(`unknown growth method '${name}': use one of ${methodNames().join(', ')}`);
  return m;
}

export function methodNames(): string[] {
  return [...methods.keys()];
}

/**
 * Checks a method, its options and the two configs by growing freshly initialised small weights:
 * fixed operators are cheap copies; learned operators run with steps 0, which checks their
 * options and layout without data or learning. Throws the method's own error (a GrowError naming
 * the option or the dimension). For callers to run before any data work or training (an
 * experiment when it starts, `ligo grow`); parsing a spec does not grow.
 */
export function checkMethod(name: string, options: Record<string, unknown>, smallConfig: ModelConfig, largeConfig: ModelConfig, seed: number): void {
  const grow = getMethod(name);
  const model = modelFor(smallConfig);
  const small = new Map(model.flatten(model.initParams(smallConfig, seed)));
  grow.grow(small, smallConfig, largeConfig, { seed, options: grow.needsData ? { ...options, steps: 0 } : options });
}

for (const m of [...fixedMethods, ligo]) registerMethod(m);

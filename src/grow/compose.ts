// Composed growth, 'A+B': A grows the width at the small model's depth, then B grows the depth at
// the large width. This is how a depth-only operator (StackBERT, Interpolation, MSLT) or a
// width-only one (HyperCloning) takes part in a comparison that grows both dimensions, e.g.
// 'hypercloning+stackbert' or 'bert2bert-fpi+mslt'. Options go to each part under its name:
// { "hypercloning": { "snrDb": 20 }, "mslt": { "freezeSteps": 100 } }. Both parts must be fixed
// operators (a learned one would need batches of the intermediate model); the grown model
// carries B's training schedule (A's would name the intermediate model's layers, so an A with a
// schedule is refused).

import type { GrowContext, GrowMethod } from './types.ts';
import { dims, withDims } from '../models/index.ts';
import { GrowError, checkGrowable } from './structure.ts';

export const COMPOSE = '+';

export function composedMethod(name: string, lookup: (part: string) => GrowMethod): GrowMethod {
  const parts = name.split(COMPOSE);
  if (parts.length !== 2) throw new GrowError(`composed growth '${name}' must be two methods, WIDTH${COMPOSE}DEPTH (e.g. hypercloning${COMPOSE}stackbert)`);
  const [width, depth] = parts.map(lookup) as [GrowMethod, GrowMethod];
  if (!width.grows.width) throw new GrowError(`'${name}': ${width.name} does not grow the width, so it cannot come first`);
  if (!depth.grows.depth) throw new GrowError(`'${name}': ${depth.name} does not grow the depth, so it cannot come second`);
  for (const m of [width, depth]) if (m.needsData) throw new GrowError(`'${name}': ${m.name} learns from data and cannot be part of a composed growth; use it on its own`);
  const partContext = (ctx: GrowContext, m: GrowMethod): GrowContext => {
    const options = ctx.options?.[m.name];
    return { ...ctx, options: options === undefined ? {} : (options as Record<string, unknown>) };
  };
  return {
    name,
    description: `${width.name} grows the width at the small depth, then ${depth.name} grows the depth`,
    grows: { width: true, depth: true },
    functionPreserving: width.functionPreserving && depth.functionPreserving,
    needsData: false,
    grow(small, sc, lc, ctx) {
      checkGrowable(sc, lc);
      const unknown = Object.keys(ctx.options ?? {}).find((k) => k !== width.name && k !== depth.name);
      if (unknown !== undefined) throw new GrowError(`'${name}': options go under each part's name (${width.name}, ${depth.name}), got '${unknown}'`);
      const mid = withDims(lc, { layers: dims(sc).layers });
      const wide = width.grow(small, sc, mid, partContext(ctx, width));
      if (wide.schedule) throw new GrowError(`'${name}': ${width.name} brings a training schedule for the intermediate model, which ${depth.name} cannot carry; put ${width.name} on its own`);
      const deep = depth.grow(wide.params, mid, lc, partContext(ctx, depth));
      return { params: deep.params, ...(deep.schedule ? { schedule: deep.schedule } : {}) };
    },
  };
}

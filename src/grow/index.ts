// The growth layer's public surface: every method by name (registry.ts), the interface
// (types.ts), the structure helpers and optimizer-state growth.

export type * from './types.ts';
export * from './structure.ts';
export { checkMethod, fixedMethods, getMethod, methodNames, registerMethod } from './registry.ts';
export { COMPOSE } from './compose.ts';
export { growAdamState, type AdamMoments } from './optimizer-state.ts';
export type { FixedMethod } from './fixed.ts';
export { GROW_FILE, MASKS_FILE, dataRecord, loadGrowSchedule, readGrowRecord, resolvedOptions, runGrowth, saveGrowRecord, saveGrown, tokenizerId, type GrowData, type GrowRecord, type GrowSource, type GrowthCost, type TokenizerId } from './record.ts';

// Types of up-to-date.mjs for the TypeScript that imports it (src/tensor/native.ts, bench/machine.ts).
export type AddonState = 'current' | 'stale' | 'missing';
export function addonState(dir?: string): AddonState;

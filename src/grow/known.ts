// The names of the registered growth methods by what they grow, noted by registry.ts as it
// registers them, so the operators' own checks (structure.ts) can name every alternative without
// importing the registry (which imports the operators).

const growing: Record<'depth' | 'width', string[]> = { depth: [], width: [] };

/** Notes a registered method under each dimension it grows. */
export function noteMethod(name: string, grows: { depth: boolean; width: boolean }): void {
  for (const d of ['depth', 'width'] as const) if (grows[d]) growing[d].push(name);
}

/** 'a depth method (stackbert, ..., ligo; `ligo methods` lists them)': every registered method that grows `d`. */
export function methodsGrowing(d: 'depth' | 'width'): string {
  return `a ${d} method (${[...growing[d], '`ligo methods` lists them'].join(', ').replace(/, (`ligo)/, '; $1')})`;
}

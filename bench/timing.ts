// The timed part of a step benchmark (bench/step.ts, bench/model_step.ts): `steps` calls of `step`
// (which returns the loss), each timed on its own, with the process's resource usage before and
// after, so each benchmark reports the median step and per-step CPU time the same way.

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface TimedSteps {
  /** Median wall seconds of one step. */
  seconds: number;
  /** The last step's loss. */
  loss: number;
  before: NodeJS.ResourceUsage;
  after: NodeJS.ResourceUsage;
}

export function timeSteps(step: () => number, steps: number): TimedSteps {
  const times: number[] = [];
  let loss = 0;
  const before = process.resourceUsage();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    loss = step();
    times.push((performance.now() - t0) / 1000);
  }
  return { seconds: median(times), loss, before, after: process.resourceUsage() };
}

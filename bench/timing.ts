// The timed part of a step benchmark (bench/step.ts, bench/model_step.ts): `steps` calls of `step`
// (which returns the loss), each timed on its own, with the process's resource usage before and
// after, so each benchmark reports the median step and per-step CPU time the same way. With
// PROFILE=1 the backend is wrapped by src/tensor/profile.ts first and the seconds and calls per
// step of each kernel go to stderr after the timed steps (the wrapper's timing adds a little).

import { getBackend, useBackend } from '../src/tensor/index.ts';
import { profiled } from '../src/tensor/profile.ts';

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
  const original = getBackend();
  const profile = process.env.PROFILE === '1' ? profiled(original) : null;
  if (profile) useBackend(profile.backend);
  const times: number[] = [];
  let loss = 0;
  const before = process.resourceUsage();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    loss = step();
    times.push((performance.now() - t0) / 1000);
  }
  const after = process.resourceUsage();
  if (profile) {
    useBackend(original);
    for (const [k, v] of Object.entries(profile.times).sort((a, b) => b[1].seconds - a[1].seconds)) process.stderr.write(`${k.padEnd(20)} ${(v.seconds / steps).toFixed(4)} s/step  ${v.calls / steps} calls/step\n`);
  }
  return { seconds: median(times), loss, before, after };
}

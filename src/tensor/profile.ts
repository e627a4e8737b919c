// A timing wrapper around a backend: every kernel call is timed and counted by kernel name
// (matmul, unary, softmax, ...). For benchmarks and tuning; not used on normal runs.

import type { Backend } from './backend.ts';

export interface KernelTimes {
  [kernel: string]: { calls: number; seconds: number };
}

export function profiled(inner: Backend): { backend: Backend; times: KernelTimes } {
  const times: KernelTimes = {};
  const backend = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const name = String(prop);
      return (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } finally {
          const entry = (times[name] ??= { calls: 0, seconds: 0 });
          entry.calls++;
          entry.seconds += (performance.now() - t0) / 1000;
        }
      };
    },
  });
  return { backend, times };
}

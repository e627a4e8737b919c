// Learning-rate schedules: linear warmup from 0, then linear decay to 0, cosine decay to 0, or a
// constant rate. Values match transformers' get_linear_schedule_with_warmup,
// get_cosine_schedule_with_warmup (num_cycles 0.5) and get_constant_schedule_with_warmup:
// update number `step` (0-based, the optimizer's first update is step 0) uses
// peak * step / warmup during warmup (so the very first update has rate 0 when warmup > 0).

export type DecayKind = 'linear' | 'cosine' | 'constant';
export const decayKinds: readonly DecayKind[] = ['linear', 'cosine', 'constant'];

export interface ScheduleSpec {
  peakLr: number;
  warmupSteps: number;
  totalSteps: number;
  decay: DecayKind;
}

export function checkSchedule(s: ScheduleSpec): void {
  if (!(s.peakLr > 0) || !Number.isFinite(s.peakLr)) throw new RangeError(`schedule: peak learning rate must be a positive number, got ${s.peakLr}`);
  if (!Number.isInteger(s.totalSteps) || s.totalSteps < 1) throw new RangeError(`schedule: total steps must be a positive integer, got ${s.totalSteps}`);
  if (!Number.isInteger(s.warmupSteps) || s.warmupSteps < 0) throw new RangeError(`schedule: warmup steps must be a non-negative integer, got ${s.warmupSteps}`);
  if (!decayKinds.includes(s.decay)) throw new RangeError(`schedule: decay must be one of ${decayKinds.join(', ')}, got '${s.decay}'`);
}

/** The learning rate of update number `step` (0-based). */
export function lrAt(s: ScheduleSpec, step: number): number {
  if (step < s.warmupSteps) return (s.peakLr * step) / Math.max(1, s.warmupSteps);
  if (s.decay === 'constant') return s.peakLr;
  const progress = (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps);
  if (s.decay === 'linear') return s.peakLr * Math.max(0, 1 - progress);
  return s.peakLr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}

// The training schedule a growth method leaves next to a grown checkpoint (grow.json: MSLT's
// freeze, MSG's mask ramp, LEMON's learning-rate advice), fitted to the model a run trains: keys
// the model does not have (e.g. an MLM head after switching to classification) are left out.
// What it does is returned as lines for the user, so every front end says the same.

import { modelFor, specEntries, type ModelConfig } from '../models/index.ts';
import type { GrowSchedule } from '../grow/index.ts';
import { plural } from './progress.ts';

/**
 * `schedule` (read from `from`, for the messages) for a run of `config` over `steps` updates;
 * `flags` describes the run's learning-rate settings beside LEMON's advice.
 */
export function scheduleForRun(schedule: GrowSchedule, from: string, config: ModelConfig, steps: number, flags: string): { schedule: GrowSchedule | null; notes: string[] } {
  const keys = new Set(specEntries(modelFor(config).paramSpec(config)).map((e) => e.key));
  const out: GrowSchedule = {};
  const notes: string[] = [];
  let dropped = 0;
  if (schedule.freeze) {
    const frozen = schedule.freeze.keys.filter((k) => keys.has(k));
    dropped += schedule.freeze.keys.length - frozen.length;
    if (frozen.length > 0) {
      const { untilStep } = schedule.freeze;
      out.freeze = { keys: frozen, untilStep };
      const whole = untilStep >= steps ? ` (all of this run's ${steps} steps: raise --steps above ${untilStep} to train them)` : '';
      notes.push(`grow schedule (${from}): ${frozen.length} tensors stay frozen until step ${untilStep}${whole}`);
    }
  }
  if (schedule.maskRamp) {
    const masks = new Map([...schedule.maskRamp.masks].filter(([k]) => keys.has(k)));
    dropped += schedule.maskRamp.masks.size - masks.size;
    if (masks.size > 0) {
      out.maskRamp = { masks, steps: schedule.maskRamp.steps };
      notes.push(`grow schedule (${from}): new structure in ${masks.size} tensors is ramped in over ${plural(schedule.maskRamp.steps, 'step')}`);
    }
  }
  if (dropped > 0) notes.push(`grow schedule: ${dropped} of its keys are not in the ${config.architectures[0] ?? config.model_type} model and are left out`);
  if (schedule.lrHint) notes.push(`advice (${from}): ${schedule.lrHint}; this run uses ${flags}`);
  return { schedule: out.freeze || out.maskRamp ? out : null, notes };
}

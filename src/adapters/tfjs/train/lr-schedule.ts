/**
 * The learning rate of each training step. Two shapes, both deterministic functions of the step:
 *  - 'decay': constant within an epoch, lr / (1 + decay * (e - 1)) in epoch e (the linear model's);
 *  - 'cosine': a linear warm-up over the first WARMUP_FRACTION of all steps, then half a cosine
 *    from lr down to 0 at the last step (the CNN's: high rates early, a long cool-down at the end).
 * The per-epoch decay factor also applies on top of 'cosine' (0, the CNN default, leaves it out).
 */

export const LR_SCHEDULES = ['decay', 'cosine'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

/** Share of all steps spent warming up under 'cosine'. */
export const WARMUP_FRACTION = 0.05;

export interface ScheduleOptions {
  schedule: LrSchedule;
  learningRate: number;
  lrDecay: number;
  epochs: number;
  stepsPerEpoch: number;
}

/** Learning rate of step `step` (0-based within the epoch) of epoch `epoch` (1-based). */
export function learningRateAt(o: ScheduleOptions, epoch: number, step: number): number {
  const decayed = o.learningRate / (1 + o.lrDecay * (epoch - 1));
  if (o.schedule === 'decay') return decayed;
  const total = Math.max(1, o.epochs * o.stepsPerEpoch);
  const t = (epoch - 1) * o.stepsPerEpoch + step;
  const warm = Math.max(1, Math.ceil(WARMUP_FRACTION * total));
  if (t < warm) return (decayed * (t + 1)) / warm;
  const p = Math.min(1, (t - warm) / Math.max(1, total - warm));
  return decayed * 0.5 * (1 + Math.cos(Math.PI * p));
}

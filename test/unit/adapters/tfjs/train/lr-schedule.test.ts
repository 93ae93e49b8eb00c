import { describe, expect, it } from 'vitest';
import {
  learningRateAt,
  WARMUP_FRACTION,
  type ScheduleOptions,
} from '../../../../../src/adapters/tfjs/train/lr-schedule.js';

const base: ScheduleOptions = { schedule: 'cosine', learningRate: 0.002, lrDecay: 0, epochs: 10, stepsPerEpoch: 100 };
const all = (o: ScheduleOptions) =>
  Array.from({ length: o.epochs * o.stepsPerEpoch }, (_, t) =>
    learningRateAt(o, Math.floor(t / o.stepsPerEpoch) + 1, t % o.stepsPerEpoch),
  );

describe('learning-rate schedule', () => {
  it("'decay' is constant within an epoch and lr / (1 + decay (e - 1)) across epochs", () => {
    const o = { ...base, schedule: 'decay' as const, lrDecay: 0.5 };
    expect(learningRateAt(o, 1, 0)).toBe(0.002);
    expect(learningRateAt(o, 1, 99)).toBe(0.002);
    expect(learningRateAt(o, 3, 7)).toBeCloseTo(0.002 / 2, 12);
    expect(learningRateAt({ ...o, lrDecay: 0 }, 9, 3)).toBe(0.002);
  });

  it("'cosine' warms up linearly, peaks at the learning rate, then falls monotonically to ~0 at the last step", () => {
    const lrs = all(base);
    const warm = Math.ceil(WARMUP_FRACTION * lrs.length);
    expect(warm).toBe(50);
    expect(lrs[0]).toBeCloseTo(0.002 / warm, 12);
    for (let t = 1; t < warm; t++) expect(lrs[t]).toBeGreaterThan(lrs[t - 1]);
    expect(lrs[warm - 1]).toBeCloseTo(0.002, 12);
    expect(lrs[warm]).toBeCloseTo(0.002, 12);
    for (let t = warm + 1; t < lrs.length; t++) expect(lrs[t]).toBeLessThan(lrs[t - 1]);
    expect(lrs[lrs.length - 1]).toBeGreaterThan(0);
    expect(lrs[lrs.length - 1]).toBeLessThan(0.002 * 1e-4);
    // halfway through the cosine part it is half the peak
    const mid = warm + (lrs.length - warm) / 2;
    expect(lrs[mid]).toBeCloseTo(0.001, 9);
  });

  it("'cosine' is multiplied by the per-epoch decay factor", () => {
    const plain = learningRateAt(base, 4, 10);
    expect(learningRateAt({ ...base, lrDecay: 1 }, 4, 10)).toBeCloseTo(plain / 4, 12);
  });

  it('a one-step run still takes a finite, positive step', () => {
    const lr = learningRateAt({ ...base, epochs: 1, stepsPerEpoch: 1 }, 1, 0);
    expect(lr).toBe(0.002);
  });
});

describe('the schedule in training', () => {
  it('is recorded, changes the weights, and is seeded', async () => {
    const { fitLocalModel } = await import('../../../../../src/stages/local/train.js');
    const { collectingReporter, systemClock } = await import('../../../../../src/runtime/deps.js');
    const { digitsSplit } = await import('../../../../helpers/tfjs-fixtures.js');
    const { train } = digitsSplit(256, 0, 5);
    const deps = { reporter: collectingReporter(), clock: systemClock };
    const fit = async (extra: object) => {
      const m = await fitLocalModel(
        train,
        undefined,
        { model: 'linear', epochs: 2, seed: 3, backend: 'wasm', patience: 0, ...extra },
        deps,
      );
      const w = Array.from(m.network.getWeights()[0].dataSync());
      const hp = m.metadata.hyperparameters;
      m.dispose();
      return { w, hp };
    };
    const decay = await fit({});
    const cosine = await fit({ lrSchedule: 'cosine' });
    const again = await fit({ lrSchedule: 'cosine' });
    expect(decay.hp.lrSchedule).toBe('decay'); // the linear default
    expect(cosine.hp.lrSchedule).toBe('cosine');
    expect(cosine.w).toEqual(again.w);
    expect(cosine.w).not.toEqual(decay.w);
  }, 60_000);
});

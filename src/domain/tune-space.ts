/**
 * Hyperparameter search for the local engine: the ranges searched per model, seeded sampling of
 * trial settings, and the successive-halving schedule. Pure code; every random choice comes from
 * one generator seeded with the tune seed, so the same seed gives the same trials.
 */
import { mulberry32, type Rng } from './random.js';

export type TuneModel = 'linear' | 'cnn';
export type TuneStrategy = 'random' | 'halving';

/** The settings of one trial (the hyperparameters train --engine local takes). */
export interface TrialParams {
  learningRate: number;
  l2: number;
  batchSize: number;
  epochs: number;
  /** CNN: random shift of training images, in pixels (augmentation). */
  augmentShift?: number;
  /** CNN: per-epoch learning-rate decay, lr / (1 + decay * (epoch - 1)). */
  lrDecay?: number;
}

type SearchSpace = Record<'learningRate' | 'l2' | 'batchSize' | 'epochs', Range> &
  Partial<Record<'augmentShift' | 'lrDecay', Range>>;

export type Range =
  | { kind: 'log'; min: number; max: number }
  | { kind: 'choice'; values: number[] }
  | { kind: 'int'; min: number; max: number };

/** Searched ranges. Learning rate and l2 are log-uniform; l2 = 0 is one of the choices for the CNN. */
export const TUNE_SPACES: Record<TuneModel, SearchSpace> = {
  linear: {
    learningRate: { kind: 'log', min: 0.001, max: 0.1 },
    l2: { kind: 'log', min: 1e-5, max: 1e-2 },
    batchSize: { kind: 'choice', values: [32, 64, 128, 256] },
    epochs: { kind: 'int', min: 3, max: 15 },
  },
  cnn: {
    learningRate: { kind: 'log', min: 3e-4, max: 5e-3 },
    l2: { kind: 'choice', values: [0, 1e-5, 1e-4] },
    batchSize: { kind: 'choice', values: [32, 64, 128] },
    epochs: { kind: 'int', min: 3, max: 15 },
    augmentShift: { kind: 'choice', values: [0, 1, 2, 3] },
    lrDecay: { kind: 'choice', values: [0, 0.25, 0.5, 1] },
  },
};

/** Rounds to 3 significant digits so settings read well in tables and file names. */
function round3(x: number): number {
  return Number(x.toPrecision(3));
}

function sample(range: Range, rng: Rng): number {
  switch (range.kind) {
    case 'log':
      return round3(Math.exp(Math.log(range.min) + rng() * (Math.log(range.max) - Math.log(range.min))));
    case 'choice':
      return range.values[Math.floor(rng() * range.values.length)];
    case 'int':
      return range.min + Math.floor(rng() * (range.max - range.min + 1));
  }
}

/**
 * `count` trial settings drawn from the model's space with `seed` (draw order per trial:
 * learningRate, l2, batchSize, epochs, then augmentShift and lrDecay where the space has them).
 */
export function sampleTrials(model: TuneModel, count: number, seed: number): TrialParams[] {
  const space = TUNE_SPACES[model];
  const rng = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const t: TrialParams = {
      learningRate: sample(space.learningRate, rng),
      l2: sample(space.l2, rng),
      batchSize: sample(space.batchSize, rng),
      epochs: sample(space.epochs, rng),
    };
    if (space.augmentShift) t.augmentShift = sample(space.augmentShift, rng);
    if (space.lrDecay) t.lrDecay = sample(space.lrDecay, rng);
    return t;
  });
}

export interface HalvingRung {
  /** Trials trained in this rung. */
  trials: number;
  /** Epochs each of them gets. */
  epochs: number;
}

/**
 * Successive halving with factor `eta`: every configuration starts with a small epoch budget and
 * the best 1/eta of each rung go on with eta times the epochs, up to `maxEpochs`.
 * E.g. 9 trials, 12 epochs, eta 3: 9 x 1 epoch, 3 x 4 epochs, 1 x 12 epochs.
 */
export function halvingSchedule(trials: number, maxEpochs: number, eta = 3): HalvingRung[] {
  const rungs: HalvingRung[] = [];
  let n = trials;
  const count = Math.max(1, Math.floor(Math.log(Math.max(1, trials)) / Math.log(eta)) + 1);
  for (let r = 0; r < count && n >= 1; r++) {
    const epochs = Math.max(1, Math.round(maxEpochs / eta ** (count - 1 - r)));
    rungs.push({ trials: n, epochs });
    n = Math.floor(n / eta);
  }
  return rungs;
}

/**
 * Blending per-class probabilities of several runs: a weighted arithmetic mean, or a weighted
 * geometric mean (renormalised), and the choice of weights on held-out rows. Pure code: every
 * input is a row-major Float64Array of `rows x numClasses` scores, already aligned by ImageId.
 */
import { LOG_LOSS_EPSILON } from './metrics.js';

export type BlendMethod = 'mean' | 'geometric';
export const BLEND_METHODS: readonly BlendMethod[] = ['mean', 'geometric'];

/** Weights scaled to sum 1 (the caller has checked they are finite, non-negative, not all 0). */
export function normalizeWeights(weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / sum);
}

/**
 * The blended rows. Each member row is first scaled to sum 1 (Linear Learner and Amazon ML print
 * rounded scores), so every member counts with its weight and nothing else.
 * geometric: p ∝ Π p_i^w_i, with p_i clipped at 1e-15 so one confident zero cannot veto a class.
 */
export function blendProbabilities(
  members: readonly Float64Array[],
  weights: readonly number[],
  numClasses: number,
  method: BlendMethod,
): Float64Array {
  const rows = members[0].length / numClasses;
  const out = new Float64Array(rows * numClasses);
  const w = normalizeWeights(weights);
  for (let r = 0; r < rows; r++) {
    const base = r * numClasses;
    for (let m = 0; m < members.length; m++) {
      if (w[m] === 0) continue;
      const p = members[m];
      let sum = 0;
      for (let k = 0; k < numClasses; k++) sum += p[base + k];
      const inv = sum > 0 ? 1 / sum : 0;
      for (let k = 0; k < numClasses; k++) {
        const v = p[base + k] * inv;
        out[base + k] += method === 'mean' ? w[m] * v : w[m] * Math.log(Math.max(LOG_LOSS_EPSILON, v));
      }
    }
    if (method === 'geometric') {
      let max = -Infinity;
      for (let k = 0; k < numClasses; k++) max = Math.max(max, out[base + k]);
      let sum = 0;
      for (let k = 0; k < numClasses; k++) {
        out[base + k] = Math.exp(out[base + k] - max);
        sum += out[base + k];
      }
      for (let k = 0; k < numClasses; k++) out[base + k] /= sum;
    }
  }
  return out;
}

/** Accuracy and log loss of row-major scores against the true labels (ties go to the lowest class). */
export function scoreRows(
  probs: Float64Array,
  truth: ArrayLike<number>,
  numClasses: number,
): { accuracy: number; logLoss: number } {
  let right = 0;
  let loss = 0;
  for (let r = 0; r < truth.length; r++) {
    const base = r * numClasses;
    let best = 0;
    let sum = 0;
    for (let k = 0; k < numClasses; k++) {
      sum += probs[base + k];
      if (probs[base + k] > probs[base + best]) best = k;
    }
    if (best === truth[r]) right++;
    const p = sum > 0 ? probs[base + truth[r]] / sum : 0;
    loss += -Math.log(Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, p)));
  }
  const n = Math.max(1, truth.length);
  return { accuracy: right / n, logLoss: loss / n };
}

/** Every weight vector on the simplex with entries that are multiples of 1/steps, in a fixed order. */
export function* simplexGrid(members: number, steps: number): Generator<number[]> {
  const current = new Array<number>(members).fill(0);
  function* place(i: number, left: number): Generator<number[]> {
    if (i === members - 1) {
      current[i] = left;
      yield current.map((c) => c / steps);
      return;
    }
    for (let c = left; c >= 0; c--) {
      current[i] = c;
      yield* place(i + 1, left - c);
    }
  }
  yield* place(0, steps);
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** The finest grid step (at most 1/20) that keeps the search to about `budget` weight vectors. */
export function gridSteps(members: number, budget = 5000): number {
  for (let steps = 20; steps > 1; steps--) if (binomial(steps + members - 1, members - 1) <= budget) return steps;
  return 1;
}

/** One run of a blend, as recorded in the blend's manifest. */
export interface BlendMember {
  runId: string;
  dir: string;
  engine: string;
  model?: string;
  weight: number;
  probabilities: string;
  format: string;
  testAccuracy?: number;
  validationAccuracy?: number;
}

export interface FittedWeights {
  weights: number[];
  accuracy: number;
  logLoss: number;
  /** Weight vectors tried. */
  tried: number;
  steps: number;
}

/**
 * Weights that maximise accuracy on the held-out rows (ties: lower log loss, then the vector
 * nearest equal weights, then grid order), searched over the simplex grid. Deterministic.
 */
export function fitBlendWeights(
  members: readonly Float64Array[],
  truth: ArrayLike<number>,
  numClasses: number,
  method: BlendMethod,
): FittedWeights {
  const steps = gridSteps(members.length);
  const equal = 1 / members.length;
  let best: FittedWeights | undefined;
  let bestSpread = Infinity;
  let tried = 0;
  for (const w of simplexGrid(members.length, steps)) {
    tried++;
    const s = scoreRows(blendProbabilities(members, w, numClasses, method), truth, numClasses);
    const spread = w.reduce((a, x) => a + (x - equal) ** 2, 0);
    const better =
      !best ||
      s.accuracy > best.accuracy + 1e-12 ||
      (Math.abs(s.accuracy - best.accuracy) <= 1e-12 &&
        (s.logLoss < best.logLoss - 1e-12 ||
          (Math.abs(s.logLoss - best.logLoss) <= 1e-12 && spread < bestSpread - 1e-12)));
    if (better) {
      best = { weights: [...w], accuracy: s.accuracy, logLoss: s.logLoss, tried: 0, steps };
      bestSpread = spread;
    }
  }
  return { ...best!, tried };
}

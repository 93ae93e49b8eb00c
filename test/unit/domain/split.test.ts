import { describe, expect, it } from 'vitest';
import { stratifiedSplit } from '../../../src/domain/split.js';
import { labelCounts } from '../../../src/domain/dataset.js';

function labels(n: number): Uint8Array {
  const l = new Uint8Array(n);
  for (let i = 0; i < n; i++) l[i] = (i * 7 + (i % 3)) % 10;
  return l;
}

describe('stratifiedSplit', () => {
  it('is reproducible for a seed and different for another', () => {
    const l = labels(1000);
    const a = stratifiedSplit(l, 10, { seed: 42, secondFraction: 0.1 });
    const b = stratifiedSplit(l, 10, { seed: 42, secondFraction: 0.1 });
    const c = stratifiedSplit(l, 10, { seed: 43, secondFraction: 0.1 });
    expect(Array.from(a.second)).toEqual(Array.from(b.second));
    expect(Array.from(a.second)).not.toEqual(Array.from(c.second));
  });

  it('partitions all rows, ascending, with the exact held-out size', () => {
    const l = labels(1003);
    const s = stratifiedSplit(l, 10, { seed: 1, secondFraction: 0.2 });
    expect(s.second.length).toBe(Math.round(0.2 * 1003));
    expect(s.first.length + s.second.length).toBe(1003);
    const all = new Set([...s.first, ...s.second]);
    expect(all.size).toBe(1003);
    for (let i = 1; i < s.second.length; i++) expect(s.second[i]).toBeGreaterThan(s.second[i - 1]);
  });

  it('keeps class proportions within one row per class', () => {
    const l = new Uint8Array(2000);
    for (let i = 0; i < 2000; i++) l[i] = i < 1000 ? 0 : i < 1500 ? 1 : 2 + (i % 8);
    const s = stratifiedSplit(l, 10, { seed: 9, secondSize: 400 });
    const held = labelCounts(
      Uint8Array.from(s.second, (i) => l[i]),
      10,
    );
    const total = labelCounts(l, 10);
    held.forEach((h, c) => expect(Math.abs(h - (total[c] * 400) / 2000)).toBeLessThanOrEqual(1));
  });

  it('rejects impossible sizes', () => {
    expect(() => stratifiedSplit(labels(10), 10, { seed: 1, secondSize: 11 })).toThrow(RangeError);
  });
});

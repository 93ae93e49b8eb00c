import { describe, expect, it } from 'vitest';
import { dropoutMask } from '../../../src/domain/dropout-mask.js';

const mask = (seed: number, step: number, example: number, site: number, rate: number, units = 4000) => {
  const out = new Float32Array(units);
  dropoutMask({ seed, step }, example, site, rate, units, out);
  return out;
};

describe('dropoutMask', () => {
  it('zeroes about `rate` of the units and scales the rest by 1 / (1 - rate)', () => {
    const m = mask(42, 0, 0, 0, 0.25);
    const zeros = m.filter((v) => v === 0).length;
    expect(zeros / m.length).toBeGreaterThan(0.22);
    expect(zeros / m.length).toBeLessThan(0.28);
    expect(new Set(m)).toEqual(new Set([0, Math.fround(1 / 0.75)]));
    expect(mask(42, 0, 0, 0, 0)).toEqual(new Float32Array(4000).fill(1));
  });

  it('is a function of (seed, step, example, site) only: the same call gives the same mask', () => {
    expect(mask(42, 3, 17, 1, 0.5)).toEqual(mask(42, 3, 17, 1, 0.5));
    const base = mask(42, 3, 17, 1, 0.5);
    for (const other of [
      mask(43, 3, 17, 1, 0.5),
      mask(42, 4, 17, 1, 0.5),
      mask(42, 3, 18, 1, 0.5),
      mask(42, 3, 17, 0, 0.5),
    ]) {
      const same = base.filter((v, i) => v === other[i]).length / base.length;
      expect(same).toBeGreaterThan(0.4); // independent draws agree about half the time
      expect(same).toBeLessThan(0.6);
    }
  });

  it('writes at an offset and leaves the rest of the array alone', () => {
    const out = new Float32Array(10).fill(7);
    dropoutMask({ seed: 1, step: 2 }, 3, 0, 0.5, 4, out, 5);
    expect(Array.from(out.subarray(0, 5))).toEqual([7, 7, 7, 7, 7]);
    expect(out[9]).toBe(7);
    expect(Array.from(out.subarray(5, 9)).every((v) => v === 0 || v === 2)).toBe(true);
  });

  it('refuses a rate outside [0, 1)', () => {
    const out = new Float32Array(2);
    expect(() => dropoutMask({ seed: 1, step: 0 }, 0, 0, 1, 2, out)).toThrow(RangeError);
    expect(() => dropoutMask({ seed: 1, step: 0 }, 0, 0, -0.1, 2, out)).toThrow(RangeError);
  });
});

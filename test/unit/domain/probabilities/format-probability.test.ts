/**
 * The byte formatter of probability files against its definition (toPrecision(6), trimmed):
 * identical characters for every float32 value tried, including the awkward ones.
 */
import { describe, expect, it } from 'vitest';
import {
  formatProbability,
  writeProbability,
  writtenProbability,
} from '../../../../src/domain/probabilities/format-probability.js';
import { formatProbabilityRows } from '../../../../src/adapters/tfjs/predict/probability-csv.js';
import { mulberry32 } from '../../../../src/domain/random.js';

const buf = new Uint8Array(64);
const fast = (p: number) => Buffer.from(buf.buffer, 0, writeProbability(buf, 0, p)).toString('latin1');

describe('writeProbability', () => {
  it('writes exactly what formatProbability returns for 600,000 random float32 values in [0, 1]', () => {
    const bits = new Uint32Array(1);
    const f32 = new Float32Array(bits.buffer);
    const rnd = mulberry32(7);
    const bad: string[] = [];
    for (let i = 0; i < 600_000; i++) {
      // Uniform over the bit patterns of [0, 1): every exponent equally often, tiny values included.
      bits[0] = Math.floor(rnd() * 0x3f800000);
      const p = f32[0];
      if (fast(p) !== formatProbability(p) && bad.length < 5) bad.push(`${p}: ${fast(p)} != ${formatProbability(p)}`);
    }
    expect(bad).toEqual([]);
  });

  it('agrees on edges: 0, 1, powers of ten and their neighbours, rounding ties, tiny, NaN, out of range', () => {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const values = [
      0,
      1,
      0.5,
      0.1,
      0.123456789,
      0.9999995,
      0.99999949,
      0.999999,
      1 - 2 ** -24,
      1e-6,
      9.999995e-7,
      1e-7,
      1.5e-9,
    ];
    values.push(
      0.1234565,
      0.0001234565,
      2.5e-7,
      1.000005e-3,
      1e-16,
      1.0000001e-16,
      9e-17,
      1e-30,
      1.4e-45,
      NaN,
      -0.25,
      1.5,
      Infinity,
    );
    for (let k = 1; k <= 20; k++) {
      // Doubles just below a power of ten, where floor(log10(p)) comes out one too high.
      values.push(10 ** -k * (1 - 2 ** -52), 10 ** -k * (1 - 2 ** -50), 10 ** -k * (1 + 2 ** -52));
      f32[0] = 10 ** -k;
      for (const d of [-2, -1, 0, 1, 2]) {
        const v = new Uint32Array([u32[0] + d]);
        values.push(new Float32Array(v.buffer)[0]);
      }
    }
    for (const p of values) expect(fast(p), String(p)).toBe(formatProbability(p));
    expect(fast(0.123456789)).toBe('0.123457');
    expect(fast(1.5e-9)).toBe('1.5e-9');
    expect(fast(0.99999999)).toBe('1');
  });
});

describe('formatProbabilityRows', () => {
  it('is the reference rows joined with commas and newlines, ImageIds from firstId', () => {
    const rnd = mulberry32(3);
    const rows = 500;
    const k = 10;
    const probs = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      const l = Array.from({ length: k }, () => Math.exp((rnd() - 0.5) * 50));
      for (const v of l) s += v;
      l.forEach((v, j) => (probs[r * k + j] = v / s));
    }
    const expected =
      Array.from({ length: rows }, (_, r) =>
        [String(998 + r), ...Array.from(probs.subarray(r * k, r * k + k), formatProbability)].join(','),
      ).join('\n') + '\n';
    expect(formatProbabilityRows(probs, rows, k, 998).toString('latin1')).toBe(expected);
    expect(formatProbabilityRows(probs, 0, k, 1).length).toBe(0);
  });
});

describe('writtenProbability', () => {
  const reference = (p: number) => Number(formatProbability(p));

  it('is the number a reader gets back from the written text, for 600,000 random float32 values', () => {
    const bits = new Uint32Array(1);
    const f32 = new Float32Array(bits.buffer);
    const rnd = mulberry32(11);
    const bad: string[] = [];
    for (let i = 0; i < 600_000; i++) {
      bits[0] = Math.floor(rnd() * 0x3f800001); // [0, 1] by bit pattern: every exponent, 1 included
      const p = f32[0];
      if (!Object.is(writtenProbability(p), reference(p)) && bad.length < 5)
        bad.push(`${p}: ${writtenProbability(p)} != ${reference(p)}`);
    }
    expect(bad).toEqual([]);
  });

  it('agrees on edges: 0, 1, rounding up to 1, powers of ten, ties, tiny values, out of range', () => {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const values = [0, 1, 0.5, 0.99999999, 0.9999995, 0.99999949, 0.1234565, 0.0001234565, 2.5e-7, 1e-16, 9e-17];
    values.push(1.0000001e-16, 1e-30, 1.4e-45, -0.25, 1.5);
    for (let k = 1; k <= 20; k++) {
      values.push(10 ** -k * (1 - 2 ** -52), 10 ** -k * (1 + 2 ** -52));
      f32[0] = 10 ** -k;
      for (const d of [-2, -1, 0, 1, 2]) values.push(new Float32Array(new Uint32Array([u32[0] + d]).buffer)[0]);
    }
    for (const p of values) expect(writtenProbability(p), String(p)).toBe(reference(p));
    expect(writtenProbability(0.123456789)).toBe(0.123457);
    expect(writtenProbability(1.5e-9)).toBe(1.5e-9);
    expect(Number.isNaN(writtenProbability(NaN))).toBe(true);
  });
});

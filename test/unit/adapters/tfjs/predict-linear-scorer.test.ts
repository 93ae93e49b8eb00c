/**
 * The ten-class scorer (unrolled, background skipped four pixels at a time) against the generic
 * loop: the same bits for digits, blank rows, full rows and an unaligned pixel buffer.
 */
import { describe, expect, it } from 'vitest';
import { scoreRows10, scoreRowsGeneric } from '../../../../src/adapters/tfjs/predict/linear-scorer.js';
import { PIXELS } from '../../../../src/domain/dataset.js';
import { mulberry32 } from '../../../../src/domain/random.js';
import { digitsSplit } from '../../../helpers/tfjs-fixtures.js';

describe('scoreRows10', () => {
  const rnd = mulberry32(17);
  const W = Float32Array.from({ length: PIXELS * 10 }, () => (rnd() - 0.5) * 0.02);
  const bias = Float32Array.from({ length: 10 }, () => rnd() - 0.5);
  const { test } = digitsSplit(10, 300, 2);
  const pixels = new Uint8Array((test.rows + 2) * PIXELS);
  pixels.set(test.pixels);
  pixels.fill(255, test.rows * PIXELS); // a full row after the digits; the last row stays blank
  const rows = test.rows + 2;
  const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

  it('gives the bits of the generic loop (digits, a full row, a blank row)', () => {
    expect(bits(scoreRows10(W, bias, pixels, rows))).toBe(bits(scoreRowsGeneric(W, bias, 10, pixels, rows)));
  });

  it('also on an unaligned pixel buffer (no word skipping)', () => {
    const shifted = new Uint8Array(pixels.length + 1);
    shifted.set(pixels, 1);
    const view = shifted.subarray(1);
    expect(view.byteOffset % 4).toBe(1);
    expect(bits(scoreRows10(W, bias, view, rows))).toBe(bits(scoreRowsGeneric(W, bias, 10, pixels, rows)));
  });
});

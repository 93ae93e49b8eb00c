import { describe, expect, it } from 'vitest';
import { affineCopy, augments, warp } from '../../../../../src/adapters/tfjs/train/augment.js';
import { mulberry32 } from '../../../../../src/domain/random.js';

const side = 28;
const shape = [side, side, 1];

/** A 28x28 image with a lit bar (rows 8..19 of column 14) and one lit pixel at (6, 20). */
function image(): Float32Array {
  const img = new Float32Array(side * side);
  for (let y = 8; y < 20; y++) img[y * side + 14] = 1;
  img[6 * side + 20] = 0.5;
  return img;
}

describe('affine augmentation', () => {
  it('the identity map copies the image exactly', () => {
    const src = image();
    const dst = new Float32Array(side * side).fill(7);
    warp(src, 0, dst, 0, side, side, 0, 1, 0, 0);
    expect(Array.from(dst)).toEqual(Array.from(src));
  });

  it('a whole-pixel translation moves pixels and zero-fills the border', () => {
    const src = image();
    const dst = new Float32Array(side * side);
    warp(src, 0, dst, 0, side, side, 0, 1, 2, -3);
    expect(dst[(6 + 2) * side + 20 - 3]).toBeCloseTo(0.5, 6);
    expect(dst[(8 + 2) * side + 14 - 3]).toBeCloseTo(1, 6);
    expect(dst[6 * side + 20]).toBe(0);
  });

  it('a 90 degree rotation about the centre turns the vertical bar horizontal', () => {
    const src = new Float32Array(side * side);
    for (let y = 4; y < 24; y++) src[y * side + 13] = 1; // vertical, just left of the centre column 13.5
    const dst = new Float32Array(side * side);
    warp(src, 0, dst, 0, side, side, Math.PI / 2, 1, 0, 0);
    let rowSums = Array.from({ length: side }, (_, y) =>
      dst.subarray(y * side, (y + 1) * side).reduce((a, b) => a + b, 0),
    );
    const best = rowSums.indexOf(Math.max(...rowSums));
    expect(Math.abs(best - 13.5)).toBeLessThanOrEqual(0.5);
    expect(rowSums[best]).toBeGreaterThan(15);
    rowSums = rowSums.filter((_, y) => Math.abs(y - 13.5) > 1);
    expect(Math.max(...rowSums)).toBeLessThan(1e-6);
  });

  it('zoom grows the bar about the centre; mass stays in range', () => {
    const src = image();
    const dst = new Float32Array(side * side);
    warp(src, 0, dst, 0, side, side, 0, 1.2, 0, 0);
    const lit = (a: Float32Array) => a.reduce((n, v) => n + (v > 0.5 ? 1 : 0), 0);
    expect(lit(dst)).toBeGreaterThan(lit(src.map((v) => (v === 1 ? 1 : 0))));
  });

  it('draws are seeded: the same seed gives the same variant, another seed another', () => {
    const src = image();
    const opts = { shift: 2, rotate: 10, zoom: 0.1 };
    const run = (seed: number) => {
      const rng = mulberry32(seed);
      const out = new Float32Array(3 * side * side);
      for (let i = 0; i < 3; i++) affineCopy(src, 0, out, i * side * side, shape, opts, rng);
      return Array.from(out);
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
    expect(augments(opts)).toBe(true);
    expect(augments({ shift: 0, rotate: 0, zoom: 0 })).toBe(false);
  });
});

describe('augmented CNN training', () => {
  it('is seeded (same weights twice), records rotation and zoom, and differs from shift-only training', async () => {
    const { fitLocalModel } = await import('../../../../../src/stages/local/train.js');
    const { collectingReporter, systemClock } = await import('../../../../../src/runtime/deps.js');
    const { digitsSplit } = await import('../../../../helpers/tfjs-fixtures.js');
    const { train } = digitsSplit(48, 0, 3);
    const deps = { reporter: collectingReporter(), clock: systemClock };
    const base = {
      model: 'cnn' as const,
      epochs: 1,
      batchSize: 16,
      seed: 9,
      backend: 'wasm' as const,
      workers: 1,
      patience: 0,
    };
    const fit = async (extra: object) => {
      const m = await fitLocalModel(train, undefined, { ...base, ...extra }, deps);
      const w = Array.from(m.network.getWeights()[0].dataSync());
      const hp = m.metadata.hyperparameters;
      m.dispose();
      return { w, hp };
    };
    const a = await fit({ augmentRotate: 12, augmentZoom: 0.1 });
    const b = await fit({ augmentRotate: 12, augmentZoom: 0.1 });
    const plain = await fit({ augmentRotate: 0, augmentZoom: 0 });
    expect(a.w).toEqual(b.w);
    expect(a.w).not.toEqual(plain.w);
    expect(a.hp).toMatchObject({ augmentRotate: 12, augmentZoom: 0.1, augmentShift: 2 });
    expect(plain.hp.augmentRotate).toBeUndefined(); // shift-only runs record what they did before
    expect(plain.hp.augmentZoom).toBeUndefined();
  }, 120_000);
});

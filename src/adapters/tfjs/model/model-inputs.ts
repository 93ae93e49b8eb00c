/**
 * How raw 0..255 pixels become model inputs (each model's method is in model-specs.ts). Pure data
 * code (no TensorFlow.js), shared by training, prediction and the loaders.
 */
import { PIXELS } from '../../../domain/dataset.js';

/** 'standardize' per feature, or 'scale' every pixel by 1/255. */
export type NormalizationMethod = 'standardize' | 'scale';

/**
 * How raw 0..255 pixels become model inputs: `x' = x * scale[j] + shift[j]`.
 * - linear: per-feature standardisation, like Linear Learner's `normalize_data` (mean 0, std 1;
 *   constant features get std 1 and rare features have their std floored so one stray test pixel
 *   cannot explode a logit).
 * - cnn: a single scale of 1/255.
 */
export type Normalization =
  { kind: 'standardize'; mean: number[]; std: number[]; stdFloor: number } | { kind: 'scale'; scale: number };

/** Pixels (0..255) below this std are treated as having this std (in pixel units). */
export const STD_FLOOR = 8;

/** Computes a normalisation from training pixels (rows x 784). */
export function computeNormalization(method: NormalizationMethod, pixels: Uint8Array, rows: number): Normalization {
  if (method === 'scale') return { kind: 'scale', scale: 1 / 255 };
  const sum = new Float64Array(PIXELS);
  const sq = new Float64Array(PIXELS);
  for (let r = 0; r < rows; r++) {
    const o = r * PIXELS;
    for (let j = 0; j < PIXELS; j++) {
      const v = pixels[o + j];
      sum[j] += v;
      sq[j] += v * v;
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let j = 0; j < PIXELS; j++) {
    const m = rows ? sum[j] / rows : 0;
    const variance = rows ? Math.max(0, sq[j] / rows - m * m) : 0;
    mean.push(Math.round(m * 1e4) / 1e4);
    std.push(Math.round(Math.sqrt(variance) * 1e4) / 1e4);
  }
  return { kind: 'standardize', mean, std, stdFloor: STD_FLOOR };
}

/** Per-feature scale and shift arrays for a normalisation. */
export function scaleShift(norm: Normalization): { scale: Float32Array; shift: Float32Array } {
  const scale = new Float32Array(PIXELS);
  const shift = new Float32Array(PIXELS);
  for (let j = 0; j < PIXELS; j++) {
    if (norm.kind === 'scale') {
      scale[j] = norm.scale;
    } else {
      const s = Math.max(norm.std[j], norm.stdFloor);
      scale[j] = 1 / s;
      shift[j] = -norm.mean[j] / s;
    }
  }
  return { scale, shift };
}

/** Normalises `rows` rows of pixels into a new Float32Array (rows x 784). */
export function normalizePixels(pixels: Uint8Array, rows: number, norm: Normalization): Float32Array {
  const { scale, shift } = scaleShift(norm);
  const out = new Float32Array(rows * PIXELS);
  for (let r = 0; r < rows; r++) {
    const o = r * PIXELS;
    for (let j = 0; j < PIXELS; j++) out[o + j] = pixels[o + j] * scale[j] + shift[j];
  }
  return out;
}

/**
 * The two local models and their input normalisation. Both output LOGITS (softmax is applied by
 * the loss while training and by `predictProbabilities`), which keeps the loss numerically stable.
 * Every initializer takes a seed derived from the run seed: tfjs has no global seed.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIDE, PIXELS } from '../../domain/dataset.js';

export type LocalModelKind = 'linear' | 'cnn';

/**
 * How raw 0..255 pixels become model inputs: `x' = x * scale[j] + shift[j]`.
 * - linear: per-feature standardisation, like Linear Learner's `normalize_data` (mean 0, std 1;
 *   constant features get std 1 and rare features have their std floored so one stray test pixel
 *   cannot explode a logit).
 * - cnn: a single scale of 1/255.
 */
export type Normalization =
  | { kind: 'standardize'; mean: number[]; std: number[]; stdFloor: number }
  | { kind: 'scale'; scale: number };

/** Pixels (0..255) below this std are treated as having this std (in pixel units). */
export const STD_FLOOR = 8;

/** Computes the normalisation for `kind` from training pixels (rows x 784). */
export function computeNormalization(kind: LocalModelKind, pixels: Uint8Array, rows: number): Normalization {
  if (kind === 'cnn') return { kind: 'scale', scale: 1 / 255 };
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

/** Input tensor shape of one example (without the batch dimension). */
export function inputShape(kind: LocalModelKind): number[] {
  return kind === 'linear' ? [PIXELS] : [IMAGE_SIDE, IMAGE_SIDE, 1];
}

/** A sub-seed per layer, so layers do not share random streams. */
function layerSeed(seed: number, layer: number): number {
  return (seed * 1000 + layer * 7919) % 2147483647;
}

/** Builds the untrained model (logits output). */
export function buildModel(kind: LocalModelKind, numClasses: number, seed: number): tf.LayersModel {
  const glorot = (i: number) => tf.initializers.glorotUniform({ seed: layerSeed(seed, i) });
  const he = (i: number) => tf.initializers.heNormal({ seed: layerSeed(seed, i) });
  const model = tf.sequential({ name: `digitflow_${kind}` });
  if (kind === 'linear') {
    // Softmax regression: zero-mean inputs make small uniform weights a good start.
    model.add(
      tf.layers.dense({ inputShape: [PIXELS], units: numClasses, kernelInitializer: glorot(1), name: 'logits' }),
    );
    return model;
  }
  model.add(
    tf.layers.conv2d({
      inputShape: [IMAGE_SIDE, IMAGE_SIDE, 1],
      filters: 32,
      kernelSize: 3,
      activation: 'relu',
      kernelInitializer: he(1),
      name: 'conv1',
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }));
  model.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: he(2), name: 'conv2' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: he(3), name: 'dense1' }));
  model.add(tf.layers.dense({ units: numClasses, kernelInitializer: glorot(4), name: 'logits' }));
  return model;
}

/**
 * Probabilities from a linear (softmax-regression) model with nothing but tfjs-core (to decode and
 * fold the weights) and a JS loop over each row's non-zero raw pixels, because the normalisation
 * folds into the weights:
 *   softmax((x * scale + shift) W + b) = softmax(x (scale ∘ W) + (shift W + b)).
 * `digitflow predict` of a linear run uses this straight from the model files (no layers package
 * to load), and LocalModel uses it for linear networks it holds in memory.
 */
import type { NamedTensorMap, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { PIXELS } from '../../../domain/dataset.js';
import { UserInputError } from '../../../errors/index.js';
import { scaleShift, type Normalization } from '../model/model-inputs.js';
import { scoresFolded } from '../model/model-specs.js';
import type { ModelFiles } from '../model/model-store.js';
import { tfCore as tf } from '../runtime/tfjs-modules.js';

export class LinearScorer {
  private constructor(
    /** Folded weights on raw pixels, 784 x numClasses, row-major. */
    private readonly kernel: Float32Array,
    private readonly bias: Float32Array,
    readonly numClasses: number,
  ) {}

  /** From the dense layer's weights (W: 784 x k, b: k) and the model's normalisation. */
  static fromWeights(w: Tensor2D, b: Tensor1D, normalization: Normalization): LinearScorer {
    const { scale, shift } = scaleShift(normalization);
    const [kernel, bias] = tf.tidy(() => [
      tf.mul(w, tf.tensor2d(scale, [PIXELS, 1])).dataSync() as Float32Array,
      tf.add(b, tf.reshape(tf.matMul(tf.tensor2d(shift, [1, PIXELS]), w), [-1])).dataSync() as Float32Array,
    ]);
    return new LinearScorer(kernel, bias, w.shape[1]);
  }

  /** From the files of a saved linear model (weights decoded by tf.io; the backend must be selected). */
  static fromFiles(files: ModelFiles): LinearScorer {
    const { metadata, dir } = files;
    const tensors: NamedTensorMap = tf.io.decodeWeights(files.weightData, files.weightSpecs);
    const all = Object.values(tensors);
    const w = all.find((t) => t.rank === 2 && t.shape[0] === PIXELS && t.shape[1] === metadata.numClasses);
    const b = all.find((t) => t.rank === 1 && t.shape[0] === metadata.numClasses);
    try {
      if (!scoresFolded(metadata.model) || all.length !== 2 || !w || !b) {
        throw new UserInputError(
          'MODEL_INVALID',
          `${dir} does not hold a linear model of 784 inputs and ${metadata.numClasses} classes ` +
            `(weights: ${Object.entries(tensors)
              .map(([n, t]) => `${n} [${t.shape.join('x')}]`)
              .join(', ')})`,
          { hint: 'retrain it with `digitflow train --engine local --model linear`', details: { path: dir } },
        );
      }
      return LinearScorer.fromWeights(w as Tensor2D, b as Tensor1D, metadata.normalization);
    } finally {
      tf.dispose(all);
    }
  }

  /**
   * Softmax probabilities, rows x numClasses, for raw 0..255 pixels (rows x 784). In JS over each
   * row's non-zero pixels (most of a digit is background): no float copy of the pixels, no tensors.
   * Ten classes take an unrolled loop (running sums in registers, background skipped four pixels
   * at a time) with the same additions in the same order as the generic one, so the same bits.
   */
  async predictProbabilities(pixels: Uint8Array, rows: number): Promise<Float32Array> {
    if (this.numClasses === 10) return scoreRows10(this.kernel, this.bias, pixels, rows);
    return scoreRowsGeneric(this.kernel, this.bias, this.numClasses, pixels, rows);
  }

  dispose(): void {
    // plain arrays: nothing held on the backend
  }
}

/** The generic scorer (any class count), and the reference the ten-class loop is tested against. */
export function scoreRowsGeneric(
  W: Float32Array,
  bias: Float32Array,
  K: number,
  pixels: Uint8Array,
  rows: number,
): Float32Array {
  const out = new Float32Array(rows * K);
  const z = new Float64Array(K);
  for (let r = 0; r < rows; r++) {
    const o = r * PIXELS;
    for (let k = 0; k < K; k++) z[k] = bias[k];
    for (let j = 0; j < PIXELS; j++) {
      const v = pixels[o + j];
      if (v === 0) continue;
      const wj = j * K;
      for (let k = 0; k < K; k++) z[k] += v * W[wj + k];
    }
    softmaxInto(z, K, out, r * K);
  }
  return out;
}

function softmaxInto(z: Float64Array, K: number, out: Float32Array, at: number): void {
  let max = -Infinity;
  for (let k = 0; k < K; k++) if (z[k] > max) max = z[k];
  let sum = 0;
  for (let k = 0; k < K; k++) sum += z[k] = Math.exp(z[k] - max);
  for (let k = 0; k < K; k++) out[at + k] = z[k] / sum;
}

/** scoreRowsGeneric for ten classes, unrolled; identical results (differential test). */
export function scoreRows10(W: Float32Array, bias: Float32Array, pixels: Uint8Array, rows: number): Float32Array {
  const out = new Float32Array(rows * 10);
  const z = new Float64Array(10);
  // Four background pixels at a time where the rows are 4-byte aligned (784 is a multiple of 4).
  const words =
    pixels.byteOffset % 4 === 0 ? new Uint32Array(pixels.buffer, pixels.byteOffset, (rows * PIXELS) >> 2) : undefined;
  for (let r = 0; r < rows; r++) {
    const o = r * PIXELS;
    let z0 = bias[0],
      z1 = bias[1],
      z2 = bias[2],
      z3 = bias[3],
      z4 = bias[4],
      z5 = bias[5],
      z6 = bias[6],
      z7 = bias[7],
      z8 = bias[8],
      z9 = bias[9];
    for (let j = 0; j < PIXELS; j++) {
      if (words && (j & 3) === 0 && words[(o + j) >> 2] === 0) {
        j += 3;
        continue;
      }
      const v = pixels[o + j];
      if (v === 0) continue;
      const w = j * 10;
      z0 += v * W[w];
      z1 += v * W[w + 1];
      z2 += v * W[w + 2];
      z3 += v * W[w + 3];
      z4 += v * W[w + 4];
      z5 += v * W[w + 5];
      z6 += v * W[w + 6];
      z7 += v * W[w + 7];
      z8 += v * W[w + 8];
      z9 += v * W[w + 9];
    }
    z[0] = z0;
    z[1] = z1;
    z[2] = z2;
    z[3] = z3;
    z[4] = z4;
    z[5] = z5;
    z[6] = z6;
    z[7] = z7;
    z[8] = z8;
    z[9] = z9;
    softmaxInto(z, 10, out, r * 10);
  }
  return out;
}

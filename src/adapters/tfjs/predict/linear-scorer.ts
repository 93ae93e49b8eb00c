/**
 * Probabilities from a linear (softmax-regression) model with nothing but tfjs-core: one matmul on
 * raw pixels, because the normalisation folds into the weights:
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

/** Rows per matmul: bounds the float32 copy held at once. */
const CHUNK_ROWS = 8192;

export class LinearScorer {
  private constructor(
    private readonly kernel: Tensor2D,
    private readonly bias: Tensor1D,
    readonly numClasses: number,
  ) {}

  /** From the dense layer's weights (W: 784 x k, b: k) and the model's normalisation. */
  static fromWeights(w: Tensor2D, b: Tensor1D, normalization: Normalization): LinearScorer {
    const { scale, shift } = scaleShift(normalization);
    const { kernel, bias } = tf.tidy(() => ({
      kernel: tf.mul(w, tf.tensor2d(scale, [PIXELS, 1])) as Tensor2D,
      bias: tf.add(b, tf.reshape(tf.matMul(tf.tensor2d(shift, [1, PIXELS]), w), [-1])) as Tensor1D,
    }));
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
            `(weights: ${Object.entries(tensors).map(([n, t]) => `${n} [${t.shape.join('x')}]`).join(', ')})`,
          { hint: 'retrain it with `digitflow train --engine local --model linear`', details: { path: dir } },
        );
      }
      return LinearScorer.fromWeights(w as Tensor2D, b as Tensor1D, metadata.normalization);
    } finally {
      tf.dispose(all);
    }
  }

  /** Softmax probabilities, rows x numClasses, for raw 0..255 pixels (rows x 784). */
  async predictProbabilities(pixels: Uint8Array, rows: number): Promise<Float32Array> {
    const k = this.numClasses;
    const out = new Float32Array(rows * k);
    for (let s = 0; s < rows; s += CHUNK_ROWS) {
      const e = Math.min(rows, s + CHUNK_ROWS);
      // Native Uint8 -> Float32 conversion; the matmul and softmax run on the backend.
      const raw = new Float32Array(pixels.subarray(s * PIXELS, e * PIXELS));
      const probs = tf.tidy(() => tf.softmax(tf.add(tf.matMul(tf.tensor2d(raw, [e - s, PIXELS]), this.kernel), this.bias)));
      out.set(probs.dataSync() as Float32Array, s * k);
      probs.dispose();
    }
    return out;
  }

  dispose(): void {
    this.kernel.dispose();
    this.bias.dispose();
  }
}

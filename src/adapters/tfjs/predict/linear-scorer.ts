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
import { scoreRows10, scoreRowsGeneric } from './linear-rows.js';

export { scoreRows10, scoreRowsGeneric } from './linear-rows.js';

export class LinearScorer {
  private constructor(
    /** Folded weights on raw pixels, 784 x numClasses, row-major. */
    readonly kernel: Float32Array,
    readonly bias: Float32Array,
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

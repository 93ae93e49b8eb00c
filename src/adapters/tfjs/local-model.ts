/**
 * A trained (or loaded) local model: normalises raw pixels, predicts in bounded chunks, saves
 * itself. What the stages, the loopback SageMaker server and notebooks hold on to.
 */
import * as tf from '@tensorflow/tfjs';
import { PIXELS } from '../../domain/dataset.js';
import { scaleShift } from './models.js';
import { loadModel, saveModel, type ModelMetadata } from './model-store.js';
import type { EpochRecord } from './train-loop.js';

/** Training summary attached to a freshly trained model. */
export interface TrainingSummary {
  history: EpochRecord[];
  bestEpoch?: number;
  stoppedEarly: boolean;
  interrupted: boolean;
  trainSeconds: number;
  examplesPerSecond: number;
  /** The backend and why faster ones were not used. */
  backendSummary: string;
}

export class LocalModel {
  constructor(
    readonly network: tf.LayersModel,
    readonly metadata: ModelMetadata,
    readonly training?: TrainingSummary,
  ) {}

  get numClasses(): number {
    return this.metadata.numClasses;
  }

  /** Rows per predict call: bounds the float32 copy and the activations held at once. */
  private get chunk(): number {
    return this.metadata.model === 'linear' ? 8192 : 512;
  }

  /** Softmax probabilities, rows x numClasses, for raw 0..255 pixels (rows x 784). */
  async predictProbabilities(pixels: Uint8Array, rows: number): Promise<Float32Array> {
    const k = this.numClasses;
    const out = new Float32Array(rows * k);
    const { scale, shift } = this.normalization();
    for (let s = 0; s < rows; s += this.chunk) {
      const e = Math.min(rows, s + this.chunk);
      // Native Uint8 -> Float32 conversion, then the per-pixel affine normalisation on the backend
      // (SIMD on wasm): several times faster than a JS loop over every pixel.
      const raw = new Float32Array(pixels.subarray(s * PIXELS, e * PIXELS));
      const folded = this.foldedLinear();
      const probs = tf.tidy(() => {
        if (folded) return tf.softmax(tf.matMul(tf.tensor2d(raw, [e - s, PIXELS]), folded.kernel).add(folded.bias));
        const x = tf.tensor2d(raw, [e - s, PIXELS]).mul(scale).add(shift).reshape([e - s, ...this.metadata.inputShape]);
        // apply, not predict: predict slices the input into batches of 32, and wasm's Slice
        // copies are slow enough to turn 28,000 linear predictions into ~10 s.
        return tf.softmax(this.network.apply(x) as tf.Tensor2D);
      });
      out.set(probs.dataSync() as Float32Array, s * k);
      probs.dispose();
    }
    return out;
  }

  private normTensors?: { scale: tf.Tensor1D; shift: tf.Tensor1D };
  private folded?: { kernel: tf.Tensor2D; bias: tf.Tensor1D } | null;

  /**
   * For the linear model the normalisation folds into the weights:
   * softmax(((x * scale + shift) W + b) = softmax(x (scale ∘ W) + (shift W + b)),
   * so raw pixels go straight into one matmul. Undefined for other models.
   */
  private foldedLinear(): { kernel: tf.Tensor2D; bias: tf.Tensor1D } | undefined {
    if (this.folded === undefined) {
      const layers = this.network.layers;
      const weights = layers.length === 1 && this.metadata.model === 'linear' ? layers[0].getWeights() : [];
      if (weights.length !== 2) this.folded = null;
      else {
        const { scale, shift } = this.normalization();
        const [w, b] = weights as [tf.Tensor2D, tf.Tensor1D];
        this.folded = tf.tidy(() => ({
          kernel: w.mul(scale.reshape([PIXELS, 1])) as tf.Tensor2D,
          bias: b.add(tf.matMul(shift.reshape([1, PIXELS]), w).reshape([-1])) as tf.Tensor1D,
        }));
      }
    }
    return this.folded ?? undefined;
  }

  /** The normalisation as two 784-vectors on the backend (created once per model). */
  private normalization(): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
    if (!this.normTensors) {
      const { scale, shift } = scaleShift(this.metadata.normalization);
      this.normTensors = { scale: tf.tensor1d(scale), shift: tf.tensor1d(shift) };
    }
    return this.normTensors;
  }

  /** Saves model.json, weights.bin and metadata.json into `dir`. */
  async save(dir: string, options: { force?: boolean } = {}): Promise<void> {
    await saveModel(dir, this.network, this.metadata, options);
  }

  dispose(): void {
    this.normTensors?.scale.dispose();
    this.normTensors?.shift.dispose();
    this.normTensors = undefined;
    this.folded?.kernel.dispose();
    this.folded?.bias.dispose();
    this.folded = undefined;
    this.network.dispose();
  }

  /** Loads a model folder written by `save`. The backend must already be selected. */
  static async load(dir: string): Promise<LocalModel> {
    const { model, metadata } = await loadModel(dir);
    return new LocalModel(model, metadata);
  }
}

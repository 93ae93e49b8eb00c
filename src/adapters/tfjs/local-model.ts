/**
 * A trained (or loaded) local model: normalises raw pixels, predicts in bounded chunks, saves
 * itself. What the stages, the loopback SageMaker server and notebooks hold on to.
 */
import * as tf from '@tensorflow/tfjs';
import { PIXELS } from '../../domain/dataset.js';
import { normalizePixels } from './models.js';
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
    for (let s = 0; s < rows; s += this.chunk) {
      const e = Math.min(rows, s + this.chunk);
      const x = normalizePixels(pixels.subarray(s * PIXELS, e * PIXELS), e - s, this.metadata.normalization);
      const probs = tf.tidy(() =>
        // apply, not predict: predict slices the input into batches of 32, and wasm's Slice
        // copies are slow enough to turn 28,000 linear predictions into ~10 s.
        tf.softmax(this.network.apply(tf.tensor(x, [e - s, ...this.metadata.inputShape])) as tf.Tensor2D),
      );
      out.set(probs.dataSync() as Float32Array, s * k);
      probs.dispose();
    }
    return out;
  }

  /** Saves model.json, weights.bin and metadata.json into `dir`. */
  async save(dir: string, options: { force?: boolean } = {}): Promise<void> {
    await saveModel(dir, this.network, this.metadata, options);
  }

  dispose(): void {
    this.network.dispose();
  }

  /** Loads a model folder written by `save`. The backend must already be selected. */
  static async load(dir: string): Promise<LocalModel> {
    const { model, metadata } = await loadModel(dir);
    return new LocalModel(model, metadata);
  }
}

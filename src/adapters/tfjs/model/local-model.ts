/**
 * A trained (or loaded) local model: normalises raw pixels, predicts in bounded chunks, saves
 * itself. What the stages, the loopback SageMaker server and notebooks hold on to.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { IMAGE_SIDE, PIXELS } from '../../../domain/dataset.js';
import { LinearScorer } from '../predict/linear-scorer.js';
import { scaleShift } from './model-inputs.js';
import { scoresFolded } from './model-specs.js';
import { tfCore as tf } from '../runtime/tfjs-modules.js';
import { buildLayersModel, readModelFiles, saveModel, type ModelFiles, type ModelMetadata } from './model-store.js';
import type { EpochRecord } from '../train/train-options.js';

/**
 * The (dy, dx) shifts a prediction averages over: the image itself first, then every other shift
 * by up to `n` whole pixels per axis, row by row ((2n + 1)^2 views; one view for n = 0).
 */
export function ttaViews(n: number): [number, number][] {
  const views: [number, number][] = [[0, 0]];
  for (let dy = -n; dy <= n; dy++) for (let dx = -n; dx <= n; dx++) if (dy || dx) views.push([dy, dx]);
  return views;
}

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
    readonly network: LayersModel,
    readonly metadata: ModelMetadata,
    readonly training?: TrainingSummary,
  ) {}

  get numClasses(): number {
    return this.metadata.numClasses;
  }

  /** Rows per predict call: bounds the float32 copy and the activations held at once. */
  static readonly CHUNK_ROWS = 512;

  /** Softmax probabilities, rows x numClasses, for raw 0..255 pixels (rows x 784). */
  async predictProbabilities(pixels: Uint8Array, rows: number): Promise<Float32Array> {
    const linear = this.linearScorer();
    if (linear) return linear.predictProbabilities(pixels, rows);
    const k = this.numClasses;
    const out = new Float32Array(rows * k);
    const { scale, shift } = this.normalization();
    const chunk = LocalModel.CHUNK_ROWS;
    const views = ttaViews(this.metadata.ttaShift ?? 0);
    const pad = this.metadata.ttaShift ?? 0;
    for (let s = 0; s < rows; s += chunk) {
      const e = Math.min(rows, s + chunk);
      const b = e - s;
      // Native Uint8 -> Float32 conversion, then the per-pixel affine normalisation on the backend
      // (SIMD on wasm): several times faster than a JS loop over every pixel.
      const raw = new Float32Array(pixels.subarray(s * PIXELS, e * PIXELS));
      const probs = tf.tidy(() => {
        const flat = tf.tensor2d(raw, [b, PIXELS]);
        // Shifted views are cut from the raw image padded with background (0) pixels, before the
        // normalisation, so a standardised model sees a shifted image normalised as usual.
        const padded =
          views.length > 1
            ? tf.pad(tf.reshape(flat, [b, IMAGE_SIDE, IMAGE_SIDE, 1]), [
                [0, 0],
                [pad, pad],
                [pad, pad],
                [0, 0],
              ])
            : undefined;
        let sum: Tensor2D | undefined;
        for (const [dy, dx] of views) {
          const view =
            dy === 0 && dx === 0
              ? flat
              : tf.reshape(tf.slice(padded!, [0, pad - dy, pad - dx, 0], [b, IMAGE_SIDE, IMAGE_SIDE, 1]), [b, PIXELS]);
          const x = tf.reshape(tf.add(tf.mul(view, scale), shift), [b, ...this.metadata.inputShape]);
          // apply, not predict: predict slices the input into batches of 32, and wasm's Slice
          // copies are slow enough to turn 28,000 linear predictions into ~10 s.
          const p = tf.softmax(this.network.apply(x) as Tensor2D);
          sum = sum ? tf.add<Tensor2D>(sum, p) : p;
        }
        return views.length > 1 ? tf.div(sum!, views.length) : sum!;
      });
      out.set(probs.dataSync() as Float32Array, s * k);
      probs.dispose();
    }
    return out;
  }

  private normTensors?: { scale: Tensor1D; shift: Tensor1D };
  private linear?: LinearScorer | null;

  /** The folded one-matmul scorer for a linear network; undefined for other models. */
  private linearScorer(): LinearScorer | undefined {
    if (this.linear === undefined) {
      const layers = this.network.layers;
      const weights = layers.length === 1 && scoresFolded(this.metadata.model) ? layers[0].getWeights() : [];
      this.linear =
        weights.length === 2
          ? LinearScorer.fromWeights(weights[0] as Tensor2D, weights[1] as Tensor1D, this.metadata.normalization)
          : null;
    }
    return this.linear ?? undefined;
  }

  /** The normalisation as two 784-vectors on the backend (created once per model). */
  private normalization(): { scale: Tensor1D; shift: Tensor1D } {
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
    this.linear?.dispose();
    this.linear = undefined;
    this.network.dispose();
  }

  /** Loads a model folder written by `save`. The backend must already be selected. */
  static async load(dir: string): Promise<LocalModel> {
    const files = await readModelFiles(dir);
    return new LocalModel(await buildLayersModel(files), files.metadata);
  }
}

/** What prediction needs of a saved model. */
export interface ProbabilityModel {
  readonly numClasses: number;
  predictProbabilities(pixels: Uint8Array, rows: number): Promise<Float32Array>;
  dispose(): void;
}

/**
 * Loads a model folder for prediction only. A linear model needs nothing but tfjs-core (its
 * weights are decoded straight into the folded scorer), which keeps `digitflow predict` start-up
 * short; other models load the layers package. The backend must already be selected.
 */
export async function loadProbabilityModel(dir: string): Promise<ProbabilityModel> {
  return probabilityModelFromFiles(await readModelFiles(dir));
}

/** `loadProbabilityModel` for files already read (see model-store's readModelFiles). */
export async function probabilityModelFromFiles(files: ModelFiles): Promise<ProbabilityModel> {
  if (scoresFolded(files.metadata.model)) return LinearScorer.fromFiles(files);
  return new LocalModel(await buildLayersModel(files), files.metadata);
}

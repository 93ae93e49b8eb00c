/**
 * The types of local training, in their own module so the loop (train-loop.ts), the steppers
 * (steppers.ts, gradient-stepper.ts) and the model registry (model-specs.ts) can share them without
 * importing each other.
 */
import type { LrSchedule } from './lr-schedule.js';
import type { LocalModelKind, StepperKind } from '../model/model-specs.js';
import type { Normalization } from '../model/model-inputs.js';

export interface TrainLoopOptions {
  /** The registry entry being trained (gradient workers build the same model). */
  kind: LocalModelKind;
  epochs: number;
  batchSize: number;
  learningRate: number;
  l2: number;
  /** Learning rate of epoch e is learningRate / (1 + lrDecay * (e - 1)) (times the schedule's factor). */
  lrDecay?: number;
  /** Shape of the learning rate over the steps (lr-schedule.ts); default 'decay'. */
  lrSchedule?: LrSchedule;
  /** Epochs without validation-loss improvement before stopping (0 = never stop early). */
  patience: number;
  seed: number;
  /**
   * Random translation of up to this many pixels per training example (images only; 0 = off).
   * Seeded like the shuffle; zero is the background value after the CNN's /255 scaling.
   */
  augmentShift?: number;
  /** Random rotation of up to this many degrees per training image (0 = off); see augment.ts. */
  augmentRotate?: number;
  /** Random zoom by a factor in [1 - z, 1 + z] per training image (0 = off); see augment.ts. */
  augmentZoom?: number;
  /** Dropout rate of the model's dropout layers (models.ts; the workers build the same model). */
  dropout?: number;
  /**
   * How a step computes its update; the model's registry entry says which fits ('softmax-regression'
   * is the JS-side step of the one-layer linear model, 'gradient' is tfjs autodiff for any model).
   */
  stepper: StepperKind;
  /**
   * Threads computing the gradients of each batch (image models on wasm/cpu only): the batch is
   * split into this many fixed slices, one per thread (the main thread included). 1 = one thread.
   */
  workers?: number;
  /** Example shape without the batch dimension, e.g. [784] or [28,28,1]. */
  inputShape: number[];
  numClasses: number;
  /** Called after each epoch's validation (the model holds its weights): whether they are the best so far. */
  onValidated?: (epoch: number, best: boolean) => void;
}

/**
 * Examples with their labels: normalised (`x`, rows x features) for the gradient stepper and
 * evaluation, or raw 0..255 pixels with their normalisation for the softmax-regression stepper
 * (which folds the normalisation into its weights and skips zero pixels).
 */
export interface TrainArrays {
  x?: Float32Array;
  pixels?: Uint8Array;
  /** With `pixels`: example r is row pixelRows[r] of `pixels` (default r). */
  pixelRows?: Uint32Array;
  normalization?: Normalization;
  labels: Uint8Array;
  rows: number;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Training seconds of this epoch (validation scoring excluded). */
  seconds: number;
}

export interface TrainLoopResult {
  history: EpochRecord[];
  /** The epoch whose weights the model holds (1-based), when there was a validation split. */
  bestEpoch?: number;
  stoppedEarly: boolean;
  interrupted: boolean;
  trainSeconds: number;
  examplesSeen: number;
  /** Threads that computed the gradients (1 unless the parallel gradient stepper ran). */
  workers: number;
}

/** Mean loss and hit count of one step's batch. */
export interface StepResult {
  loss: number;
  hits: number;
}

/** One optimisation step on a batch; `sync` writes the current weights into the model. */
export interface Stepper {
  /** Threads computing each step's gradients (1 = this thread only). */
  readonly threads: number;
  step(x: Float32Array, y: Int32Array, n: number, lr: number): StepResult | Promise<StepResult>;
  /**
   * A stepper that holds the training rows itself takes the batch as row indices instead (the
   * loop then assembles no batch).
   */
  stepRows?(rows: Uint32Array, lr: number): StepResult;
  sync(): void;
  dispose(): void | Promise<void>;
}

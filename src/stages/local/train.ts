/**
 * `train --engine local`: read the Kaggle train.csv, hold out a seeded stratified validation split
 * (the same rows the S3 upload stage holds out), train a tfjs linear or CNN model with early
 * stopping, save it with its metadata, score the validation rows, and record everything in the
 * run manifest. Ctrl-C keeps the best weights so far: they are saved before InterruptedError.
 */
import { assertRunOutputs } from '../run-preflight.js';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { InterruptedError, UserInputError } from '../../errors/index.js';
import { labelCounts, selectRows, type Dataset } from '../../domain/dataset.js';
import { stratifiedSplit } from '../../domain/split.js';
import { deriveSeed } from '../../domain/seeds.js';
import { newManifest, type RunManifest } from '../../domain/manifest.js';
import { readKaggleCsvFileThreaded } from '../../adapters/kaggle-csv-threaded.js';
import { sha256File, sha256FileThreaded } from '../../adapters/file-hash.js';
import { fileExists, withAtomicWriteStream, writeChunk } from '../../adapters/atomic-file.js';
import { gitShaAsync, readManifest, RunRecorder, runtimeVersions } from '../../adapters/run-store.js';
import { selectBackend, type BackendRequest } from '../../adapters/tfjs/runtime/backend.js';
import { normalizePixels } from '../../adapters/tfjs/model/model-inputs.js';
import {
  LOCAL_MODEL_KINDS,
  modelSpec,
  specNormalization,
  type LocalModelKind,
  type ModelSpec,
} from '../../adapters/tfjs/model/model-specs.js';
import type { EpochRecord } from '../../adapters/tfjs/train/train-options.js';
import { LR_SCHEDULES, type LrSchedule } from '../../adapters/tfjs/train/lr-schedule.js';
import { LocalModel } from '../../adapters/tfjs/model/local-model.js';
import { LinearScorer } from '../../adapters/tfjs/predict/linear-scorer.js';
import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION } from '../../adapters/tfjs/model/model-store.js';
import { probabilityHeader, writeProbabilityRows } from '../../adapters/tfjs/predict/probability-csv.js';
import type { ProbabilitiesInMemory } from '../../domain/probabilities/written-rows.js';
import type { StageDeps } from '../../runtime/deps.js';

export { LocalModel };

/**
 * The training loop and the TensorFlow.js layers package under it (~0.2 s to load): imported on
 * first use, so that `train` and `run` start reading their files first and load it meanwhile.
 */
const loadTrainLoop = () => import('../../adapters/tfjs/train/train-loop.js');

/** Hyperparameters of a local fit; unset ones take the model's defaults. */
export interface LocalFitOptions {
  model: LocalModelKind;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Per-epoch learning-rate decay: lr_e = lr / (1 + decay * (e - 1)). */
  lrDecay?: number;
  /** Shape of the learning rate over the steps (default per model). */
  lrSchedule?: LrSchedule;
  l2?: number;
  patience?: number;
  /** Random translation (pixels) of training images; image models only. */
  augmentShift?: number;
  /** Random rotation (degrees) of training images; image models only. */
  augmentRotate?: number;
  /** Random zoom (fraction) of training images; image models only. */
  augmentZoom?: number;
  /** Dropout rate while training (cnn only; models.ts says where). */
  dropout?: number;
  /** Test-time shifts of image models' predictions (model-specs.ts); recorded in the model. */
  ttaShift?: number;
  seed: number;
  backend?: BackendRequest;
  /**
   * Threads computing each CNN batch's gradients (data parallel; see gradient-stepper.ts). Default:
   * min(2, available CPUs). 1 = the one-thread path. Ignored for the linear model.
   */
  workers?: number;
  /** Recorded in the model metadata (a promise: e.g. a hash still being computed while training runs). */
  data?: { path?: string; sha256?: string } | Promise<{ path?: string; sha256?: string }>;
  /**
   * Train on these rows of `train` only (indices into it; default every row). The linear model
   * reads them in place; other models get a copy of them.
   */
  trainRows?: Uint32Array;
  /**
   * A linear model's folded weights (LinearScorer's kernel and bias) of the best epoch so far, once
   * a later epoch did not beat them: the weights early stopping is likely to keep (run predicts
   * with them ahead, on the idle core). Not called for other models.
   */
  onBestLinear?: (kernel: Float32Array, bias: Float32Array) => void;
  /** Called as the first epoch starts (run: starts the thread that predicts ahead). */
  onEpochsStart?: () => void;
}

export interface TrainLocalInput {
  /** Kaggle train.csv path. */
  train: string;
  /** Run directory (created). */
  outDir: string;
  model: LocalModelKind;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  l2?: number;
  /** Default 0.1; 0 disables validation and early stopping. */
  validationFraction?: number;
  seed: number;
  backend?: BackendRequest;
  /** CNN gradient threads (default min(2, CPUs)); see LocalFitOptions.workers. */
  workers?: number;
  patience?: number;
  /** Per-epoch learning-rate decay (default per model: its registry entry, model-specs.ts). */
  lrDecay?: number;
  /** Learning-rate schedule (default per model). */
  lrSchedule?: LrSchedule;
  /** CNN: random translation of training images in pixels (default per model). */
  augmentShift?: number;
  /** CNN: random rotation (degrees) and zoom (fraction) of training images (default per model). */
  augmentRotate?: number;
  augmentZoom?: number;
  /** CNN: dropout rate while training (default per model). */
  dropout?: number;
  /** CNN: test-time augmentation of predictions (default per model). */
  ttaShift?: number;
  force?: boolean;
  runId?: string;
  /**
   * Final-submission retrain: every training row, no validation hold-out (so no early stopping),
   * a fixed number of epochs: `epochs`, else the best epoch of `settingsFrom`, else the model default.
   */
  full?: boolean;
  /**
   * With `full`: a run whose settings (batch size, learning rate and decay, L2, augmentation, best
   * epoch) are repeated.
   */
  settingsFrom?: string;
  /**
   * Training starts once this settles, and its rejection is the stage's error, also when reading
   * the train file failed (run: the check of the test file and answer key, made while the train
   * file is read).
   */
  ready?: Promise<unknown>;
  /** See LocalFitOptions.onBestLinear and onEpochsStart. */
  onBestLinear?: (kernel: Float32Array, bias: Float32Array) => void;
  onEpochsStart?: () => void;
  /**
   * The train file is hashed (on a worker, while the model trains) once this settles (run: the test
   * file's hash, so that the two do not share the idle core at the same time).
   */
  hashAfter?: Promise<unknown>;
}

/** Settings a --full retrain takes from an earlier run: explicit values win, then that run's. */
export async function fullRetrainSettings(
  input: Pick<
    TrainLocalInput,
    | 'model'
    | 'epochs'
    | 'batchSize'
    | 'learningRate'
    | 'lrDecay'
    | 'lrSchedule'
    | 'l2'
    | 'augmentShift'
    | 'augmentRotate'
    | 'augmentZoom'
    | 'dropout'
    | 'ttaShift'
    | 'validationFraction'
    | 'settingsFrom'
  >,
): Promise<{
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  lrDecay?: number;
  lrSchedule?: LrSchedule;
  l2?: number;
  augmentShift?: number;
  augmentRotate?: number;
  augmentZoom?: number;
  dropout?: number;
  ttaShift?: number;
  from?: string;
}> {
  if (input.validationFraction) {
    throw new UserInputError(
      'FLAG_CONFLICT',
      `--full trains on every row; it cannot hold out --validation-fraction ${input.validationFraction}`,
      {
        hint:
          'choose settings with a validation run first, ' +
          'then pass --full (optionally naming that run: --full <run>)',
      },
    );
  }
  const own = {
    epochs: input.epochs,
    batchSize: input.batchSize,
    learningRate: input.learningRate,
    lrDecay: input.lrDecay,
    lrSchedule: input.lrSchedule,
    l2: input.l2,
    augmentShift: input.augmentShift,
    augmentRotate: input.augmentRotate,
    augmentZoom: input.augmentZoom,
    dropout: input.dropout,
    ttaShift: input.ttaShift,
  };
  if (!input.settingsFrom) return own;
  const m = await readManifest(input.settingsFrom);
  if (m.model && m.model !== input.model) {
    throw new UserInputError(
      'FLAG_CONFLICT',
      `${input.settingsFrom} trained the ${m.model} model, not ${input.model}`,
      {
        hint: `pass --model ${m.model} to retrain that model on every row`,
        details: { run: input.settingsFrom },
      },
    );
  }
  const h = m.hyperparameters ?? {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    epochs: own.epochs ?? num(m.local?.bestEpoch) ?? num(h.epochs),
    batchSize: own.batchSize ?? num(h.batchSize),
    learningRate: own.learningRate ?? num(h.learningRate),
    lrDecay: own.lrDecay ?? num(h.lrDecay),
    // Runs from before --lr-schedule trained with the per-epoch decay alone.
    lrSchedule:
      own.lrSchedule ??
      (LR_SCHEDULES.includes(h.lrSchedule as LrSchedule)
        ? (h.lrSchedule as LrSchedule)
        : num(h.lrDecay) !== undefined
          ? 'decay'
          : undefined),
    l2: own.l2 ?? num(h.l2),
    augmentShift: own.augmentShift ?? num(h.augmentShift),
    // Rotation and zoom are recorded only when used: a run that recorded its shift did not rotate or zoom.
    augmentRotate: own.augmentRotate ?? num(h.augmentRotate) ?? (num(h.augmentShift) !== undefined ? 0 : undefined),
    augmentZoom: own.augmentZoom ?? num(h.augmentZoom) ?? (num(h.augmentShift) !== undefined ? 0 : undefined),
    // Dropout is recorded only when used, like rotation and zoom.
    dropout: own.dropout ?? num(h.dropout) ?? (num(h.augmentShift) !== undefined ? 0 : undefined),
    ttaShift: own.ttaShift ?? num(h.ttaShift) ?? (num(h.augmentShift) !== undefined ? 0 : undefined),
    from: input.settingsFrom,
  };
}

export interface TrainLocalOutput {
  runDir: string;
  runId: string;
  modelDir: string;
  backend: string;
  /** Why faster backends were not used (empty when tfjs-node was used). */
  backendNote: string;
  epochs: EpochRecord[];
  bestEpoch?: number;
  stoppedEarly: boolean;
  validationAccuracy?: number;
  trainSeconds: number;
  examplesPerSecond: number;
  /** Threads that computed the gradients (CNN data parallelism; 1 for linear). */
  workers: number;
  /** 0-based data-row indices of the validation rows in the train file. */
  validationRows: number[];
  trainRows: number;
  outputs: Record<string, string>;
  /** What the validation files hold (for run's argmax and evaluate of them in memory). */
  validation?: ValidationInMemory;
}

/**
 * --dropout on a model without hidden layers, or --tta-shift on one that does not see images (the
 * linear one) → exit 2, before any data is read.
 */
function refuseImageOnlyFlags(spec: ModelSpec, given: { dropout?: number; ttaShift?: number }): void {
  if (spec.stepper !== 'softmax-regression') return;
  const hint = (flag: string) =>
    `${flag} applies to --model cnn; leave it out (or pass ${flag} 0) for the ${spec.kind} model`;
  if (given.dropout)
    throw new UserInputError(
      'FLAG_NOT_APPLICABLE',
      `--dropout ${given.dropout}: the ${spec.kind} model has no hidden layer`,
      {
        hint: hint('--dropout'),
      },
    );
  if (given.ttaShift)
    throw new UserInputError(
      'FLAG_NOT_APPLICABLE',
      `--tta-shift ${given.ttaShift}: the ${spec.kind} model scores flat pixel vectors, not images`,
      { hint: hint('--tta-shift') },
    );
}

/** Trains a model on in-memory data (loopback SageMaker server, notebooks, localTrainStage). */
export async function fitLocalModel(
  all: Dataset,
  validation: Dataset | undefined,
  options: LocalFitOptions,
  deps: StageDeps,
): Promise<LocalModel> {
  if (!all.labels)
    throw new UserInputError('TRAIN_NO_LABELS', 'training data has no labels', {
      hint: 'pass a train-layout CSV (label first)',
    });
  const spec = modelSpec(String(options.model));
  if (!spec) {
    throw new UserInputError('MODEL_UNKNOWN', `unknown local model '${String(options.model)}'`, {
      hint: `use --model ${LOCAL_MODEL_KINDS.join(' or --model ')}`,
    });
  }
  // The softmax-regression stepper on pixels / 255 reads the selected rows in place (their pixels
  // are never scanned densely); anything else trains on a copy of them.
  const picked = options.trainRows;
  const inPlace = picked !== undefined && spec.stepper === 'softmax-regression' && spec.normalization === 'scale';
  const train: Dataset = inPlace
    ? { ...all, labels: selectLabels(all.labels, picked), rows: picked.length }
    : picked
      ? selectRows(all, picked)
      : all;
  const {
    epochs,
    batchSize,
    learningRate,
    lrDecay,
    lrSchedule,
    l2,
    patience,
    augmentShift,
    augmentRotate,
    augmentZoom,
    dropout,
    ttaShift,
  } = options;
  const d = {
    ...spec.defaults,
    ...definedOnly({
      epochs,
      batchSize,
      learningRate,
      lrDecay,
      lrSchedule,
      l2,
      patience,
      augmentShift,
      augmentRotate,
      augmentZoom,
      dropout,
      ttaShift,
    }),
  };
  refuseImageOnlyFlags(spec, d);
  const choice = await selectBackend(options.backend ?? 'auto');
  deps.reporter.emit({
    kind: 'info',
    message: `tfjs backend: ${choice.summary}`,
    data: { backend: choice.backend, skipped: choice.skipped },
  });
  const norm = specNormalization(spec, train.pixels, train.rows);
  const shape = spec.inputShape;
  const network = await spec.build(train.numClasses, options.seed, d.dropout);
  const arrays = (ds: Dataset) => ({ x: normalizePixels(ds.pixels, ds.rows, norm), labels: ds.labels!, rows: ds.rows });
  const val = validation && validation.rows > 0 && validation.labels ? arrays(validation) : undefined;
  // The softmax-regression stepper reads raw pixels (it folds the normalisation into its weights).
  const trainArrays =
    spec.stepper === 'softmax-regression'
      ? {
          pixels: train.pixels,
          ...(inPlace ? { pixelRows: picked } : {}),
          normalization: norm,
          labels: train.labels!,
          rows: train.rows,
        }
      : arrays(train);
  const { trainLoop } = await loadTrainLoop();
  const onBestLinear = spec.scorer === 'folded-linear' ? options.onBestLinear : undefined;
  let best: LinearScorer | undefined; // folded when an epoch became the best, offered once one did not beat it
  options.onEpochsStart?.();
  const result = await trainLoop(
    network,
    trainArrays,
    val,
    {
      ...d,
      kind: spec.kind,
      stepper: spec.stepper,
      seed: options.seed,
      inputShape: shape,
      numClasses: train.numClasses,
      workers: spec.parallel ? (options.workers ?? defaultWorkers()) : 1,
      ...(onBestLinear
        ? {
            onValidated: (_epoch: number, isBest: boolean) => {
              if (isBest) {
                const [w, b] = network.getWeights();
                best = LinearScorer.fromWeights(w as Tensor2D, b as Tensor1D, norm);
              } else if (best) {
                onBestLinear(best.kernel, best.bias);
                best = undefined;
              }
            },
          }
        : {}),
    },
    deps,
  );
  const hyperparameters = {
    epochs: d.epochs,
    batchSize: d.batchSize,
    learningRate: d.learningRate,
    lrDecay: d.lrDecay,
    lrSchedule: d.lrSchedule,
    l2: d.l2,
    patience: d.patience,
    augmentShift: d.augmentShift,
    ...(d.augmentRotate ? { augmentRotate: d.augmentRotate } : {}),
    ...(d.augmentZoom ? { augmentZoom: d.augmentZoom } : {}),
    ...(d.dropout ? { dropout: d.dropout } : {}),
    ...(d.ttaShift ? { ttaShift: d.ttaShift } : {}),
    // The batch split changes float rounding, so the same seed reproduces metrics per thread count.
    workers: result.workers,
  };
  return new LocalModel(
    network,
    {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      model: options.model,
      numClasses: train.numClasses,
      classes: Array.from({ length: train.numClasses }, (_, k) => String(k)),
      inputShape: shape,
      output: 'logits',
      normalization: norm,
      backend: choice.backend,
      seed: options.seed,
      hyperparameters,
      ...(d.ttaShift ? { ttaShift: d.ttaShift } : {}),
      data: { ...(await options.data), trainRows: train.rows, validationRows: validation?.rows ?? 0 },
      bestEpoch: result.bestEpoch,
      versions: runtimeVersions(),
      createdAt: new Date().toISOString(),
    },
    {
      history: result.history,
      bestEpoch: result.bestEpoch,
      stoppedEarly: result.stoppedEarly,
      interrupted: result.interrupted,
      trainSeconds: result.trainSeconds,
      examplesPerSecond: result.examplesSeen / Math.max(1e-9, result.trainSeconds),
      backendSummary: choice.summary,
    },
  );
}

/** Default CNN gradient threads: one per CPU, at most 2 (a batch of 64 gains little beyond). */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/** The labels of the rows `indices` (selectRows' labels, without copying the pixels). */
function selectLabels(labels: Uint8Array, indices: Uint32Array): Uint8Array {
  const out = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = labels[indices[i]];
  return out;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Files `train` writes into its run folder (manifest.json is merged, the model guarded below). */
const TRAIN_LOCAL_OUTPUTS = [
  'model/model.json',
  'model/weights.bin',
  'model/metadata.json',
  'validation-probabilities.csv',
  'validation-labels.csv',
] as const;

/** Writes `<runDir>/validation-probabilities.csv` and `validation-labels.csv`; returns what they hold too. */
async function writeValidationFiles(
  runDir: string,
  model: LocalModel,
  val: Dataset,
  force: boolean,
): Promise<{ outputs: Record<string, string>; held: ValidationInMemory }> {
  const probs = await model.predictProbabilities(val.pixels, val.rows);
  await allWritten([
    withAtomicWriteStream(join(runDir, 'validation-probabilities.csv'), { force }, async (s) => {
      await writeChunk(s, probabilityHeader(model.numClasses));
      await writeProbabilityRows(s, probs, val.rows, model.numClasses, 1);
    }),
    withAtomicWriteStream(join(runDir, 'validation-labels.csv'), { force }, async (s) => {
      let text = 'ImageId,Label\n';
      for (let i = 0; i < val.rows; i++) text += `${i + 1},${val.labels![i]}\n`;
      await writeChunk(s, text);
    }),
  ]);
  return {
    outputs: { validationProbabilities: 'validation-probabilities.csv', validationLabels: 'validation-labels.csv' },
    held: {
      probabilities: { probabilities: probs, rows: val.rows, numClasses: model.numClasses, firstId: 1 },
      labels: val.labels!,
    },
  };
}

/**
 * Waits for every write (none is left running when one fails, so a failed run's folder can be
 * removed) and rejects with the first failure in the order given.
 */
async function allWritten<T extends readonly unknown[]>(
  writes: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const settled = await Promise.allSettled(writes);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** The validation files' contents: probabilities (ImageIds from 1) and the labels of the same rows. */
export interface ValidationInMemory {
  probabilities: ProbabilitiesInMemory;
  labels: Uint8Array;
}

/** `digitflow train --engine local`. */
export async function localTrainStage(input: TrainLocalInput, deps: StageDeps): Promise<TrainLocalOutput> {
  const runDir = resolve(input.outDir);
  const runId = input.runId ?? basename(runDir);
  const modelDir = join(runDir, 'model');
  const force = Boolean(input.force);
  // Outputs first: a file given as --out, or a special file in the way, fails before any training.
  await assertRunOutputs(runDir, TRAIN_LOCAL_OUTPUTS, true);
  const full = input.full ? await fullRetrainSettings(input) : undefined;
  const spec = modelSpec(String(input.model));
  if (spec) refuseImageOnlyFlags(spec, full ?? input);
  const fraction = full ? 0 : (input.validationFraction ?? 0.1);
  if (!force && (await fileExists(join(modelDir, 'model.json')))) {
    throw new UserInputError('OUTPUT_EXISTS', `${runDir} already holds a trained model`, {
      hint: 'pass --force to retrain in place, or choose another --out',
      details: { path: runDir },
    });
  }
  const t0 = deps.clock.now();
  const commit = gitShaAsync(); // recorded in the manifest; git runs while the file is read
  deps.reporter.emit({ kind: 'step', step: 'read', message: `reading ${input.train}` });
  // The file is parsed on a worker thread while this one loads the training code.
  const reading = readKaggleCsvFileThreaded(input.train, {
    layout: 'train',
    reporter: deps.reporter,
    signal: deps.signal,
  });
  reading.catch(() => undefined); // handled below, once the code is loaded
  // A failure to load surfaces where it is used (fitLocalModel selects the backend again).
  await Promise.all([loadTrainLoop(), selectBackend(input.backend ?? 'auto')]).catch(() => undefined);
  const read = await reading.catch(async (e) => {
    await input.ready;
    throw e;
  });
  // Hashed (for the manifest and the model's metadata) on a worker thread while the model trains:
  // while the file is read, both cores are busy parsing.
  const hashing = Promise.resolve(input.hashAfter)
    .catch(() => undefined)
    .then(() => sha256FileThreaded(input.train).catch(() => sha256File(input.train)));
  hashing.catch(() => undefined); // awaited after training
  const ds = read.dataset;
  if (!ds.labels)
    throw new UserInputError('TRAIN_NO_LABELS', `${input.train} has no label column`, {
      hint: 'pass the Kaggle train.csv (label,pixel0..pixel783)',
    });
  const split = stratifiedSplit(ds.labels, ds.numClasses, {
    seed: deriveSeed(input.seed, 'split'),
    secondFraction: fraction,
  });
  if (split.first.length === 0)
    throw new UserInputError('TRAIN_TOO_SMALL', `${input.train} leaves no training rows after the validation split`, {
      hint: 'lower --validation-fraction or use more rows',
    });
  const trainRows = split.first.length;
  const valSet = split.second.length ? selectRows(ds, split.second) : undefined;
  const counts = labelCounts(selectLabels(ds.labels, split.first), ds.numClasses);
  const absent = counts.flatMap((n, c) => (n === 0 ? [c] : []));
  if (absent.length > 0) {
    deps.reporter.emit({
      kind: 'warn',
      code: 'CLASS_ABSENT',
      message:
        `class${absent.length > 1 ? 'es' : ''} ${absent.join(', ')} never occur${absent.length > 1 ? '' : 's'} ` +
        `in the ${trainRows} training rows of ${input.train}: ` +
        `the model cannot learn to predict ${absent.length > 1 ? 'them' : 'it'}`,
      data: { absent },
    });
  }
  await input.ready;
  const tRead = deps.clock.now();

  deps.reporter.emit({
    kind: 'step',
    step: 'train',
    message: `training ${input.model} on ${trainRows} rows (${valSet?.rows ?? 0} held out)`,
  });
  const recorded = hashing.then((h) => ({ path: input.train, sha256: h.sha256 }));
  recorded.catch(() => undefined); // fitLocalModel awaits it once trained
  const model = await fitLocalModel(
    ds,
    valSet,
    {
      model: input.model,
      epochs: full ? full.epochs : input.epochs,
      batchSize: full ? full.batchSize : input.batchSize,
      learningRate: full ? full.learningRate : input.learningRate,
      l2: full ? full.l2 : input.l2,
      patience: input.patience,
      lrDecay: full ? full.lrDecay : input.lrDecay,
      lrSchedule: full ? full.lrSchedule : input.lrSchedule,
      augmentShift: full ? full.augmentShift : input.augmentShift,
      augmentRotate: full ? full.augmentRotate : input.augmentRotate,
      augmentZoom: full ? full.augmentZoom : input.augmentZoom,
      dropout: full ? full.dropout : input.dropout,
      ttaShift: full ? full.ttaShift : input.ttaShift,
      seed: input.seed,
      backend: input.backend,
      workers: input.workers,
      data: recorded,
      trainRows: split.first,
      onBestLinear: input.onBestLinear,
      onEpochsStart: input.onEpochsStart,
    },
    deps,
  );
  const hash = await hashing.catch((e) => {
    model.dispose();
    throw e;
  });
  try {
    const tTrain = deps.clock.now();
    const summary = model.training!;
    // The model and the validation files are written at the same time (each file atomically; the
    // waits for the file system overlap); the first failure, in this order, is the one reported.
    const [, written] = await allWritten([
      model.save(modelDir, { force }),
      valSet ? writeValidationFiles(runDir, model, valSet, force) : Promise.resolve(undefined),
    ]);
    const outputs: Record<string, string> = { model: 'model', ...written?.outputs };
    const validation: ValidationInMemory | undefined = written?.held;
    const last = summary.history.find((h) => h.epoch === summary.bestEpoch) ?? summary.history.at(-1);
    const validationRows = Array.from(split.second);

    const manifest: RunManifest = (await fileExists(join(runDir, 'manifest.json')))
      ? await readManifest(runDir)
      : newManifest({
          runId,
          command: 'train',
          engine: 'local',
          seed: input.seed,
          now: new Date(deps.clock.now()),
          versions: runtimeVersions(),
          model: input.model,
        });
    manifest.engine = 'local';
    manifest.model = input.model;
    manifest.seed = input.seed;
    manifest.backend = model.metadata.backend;
    manifest.gitSha ??= await commit;
    manifest.inputs = manifest.inputs.filter((i) => i.role !== 'train');
    manifest.inputs.push({ role: 'train', path: input.train, sha256: hash.sha256, bytes: hash.bytes, rows: ds.rows });
    manifest.split = { seed: input.seed, validationFraction: fraction, validationRows, trainRows };
    manifest.hyperparameters = {
      ...model.metadata.hyperparameters,
      validationFraction: fraction,
      ...(full ? { full: true } : {}),
    };
    manifest.timings = {
      ...manifest.timings,
      read: (tRead - t0) / 1000,
      train: (tTrain - tRead) / 1000,
      save: (deps.clock.now() - tTrain) / 1000,
    };
    manifest.outputs = { ...manifest.outputs, ...outputs };
    if (last?.valAccuracy !== undefined)
      manifest.summary = { ...manifest.summary, validationAccuracy: last.valAccuracy };
    manifest.local = {
      epochs: summary.history,
      bestEpoch: summary.bestEpoch,
      stoppedEarly: summary.stoppedEarly,
      interrupted: summary.interrupted,
      examplesPerSecond: summary.examplesPerSecond,
      ...(full
        ? { fullRetrain: { settingsFrom: full.from, epochs: Number(model.metadata.hyperparameters.epochs) } }
        : {}),
    };
    await new RunRecorder(runDir, manifest, deps.clock).save();

    if (summary.interrupted) {
      throw new InterruptedError(
        `training interrupted after ${summary.history.length} epoch(s); ` +
          `the best weights so far are saved in ${modelDir}`,
      );
    }
    return {
      runDir,
      runId,
      modelDir,
      backend: model.metadata.backend,
      backendNote: summary.backendSummary,
      epochs: summary.history,
      bestEpoch: summary.bestEpoch,
      stoppedEarly: summary.stoppedEarly,
      validationAccuracy: last?.valAccuracy,
      trainSeconds: summary.trainSeconds,
      examplesPerSecond: summary.examplesPerSecond,
      workers: Number(model.metadata.hyperparameters.workers ?? 1),
      validationRows,
      trainRows,
      outputs,
      validation,
    };
  } finally {
    model.dispose();
  }
}

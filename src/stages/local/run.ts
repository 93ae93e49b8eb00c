/**
 * `run` on the local engine: prepare the bundled digits if needed → train → predict →
 * argmax → submission → metrics on the answer key (when there is one) and on the held-out
 * validation rows. Every step is one of the public stages; this file only sequences them and
 * records the run in its manifest.
 */
import { join } from 'node:path';
import { fileExists } from '../../adapters/atomic-file.js';
import { readManifest, RunRecorder, newRunId } from '../../adapters/run-store.js';
import { sha256File, sha256FileThreaded } from '../../adapters/file-hash.js';
import { rm } from 'node:fs/promises';
import { UserInputError, isPipelineError } from '../../errors/index.js';
import { assertRunOutputs, preflightRunLocal, RUN_LOCAL_OUTPUTS } from '../run-preflight.js';
import type { Metrics } from '../../domain/metrics.js';
import type { StageDeps } from '../../runtime/deps.js';
import type { LocalModelKind } from '../../adapters/tfjs/model/model-specs.js';
import type { LrSchedule } from '../../adapters/tfjs/train/lr-schedule.js';
import { resolveRunData } from '../default-data.js';
import { localTrainStage, type TrainLocalOutput } from './train.js';
import { prefetchTestRows, localPredictStage, type PrefetchedTestRows } from './predict.js';
import { coreToSpare } from '../../adapters/spare-core.js';
import { LinearPredictionAhead } from '../../adapters/tfjs/predict/linear-ahead.js';
import { modelSpec } from '../../adapters/tfjs/model/model-specs.js';
import { argmaxStage } from '../argmax.js';
import { evaluateStage } from '../evaluate.js';
import { writtenProbabilityRows, type ProbabilitiesInMemory } from '../../domain/probabilities/written-rows.js';
import type { ProbabilityRow } from '../../domain/probabilities/types.js';

/**
 * Test files up to this many rows keep their probabilities in memory for argmax and evaluate
 * (40 bytes a row: 10 MB); larger ones are read back from the files, in constant memory.
 */
const KEEP_ROWS = 1 << 18;
/** Up to this many rows, the rows argmax and evaluate read are made once for both (sharedRows). */
const SHARED_ROWS = 1 << 16;

export interface RunLocalInput {
  /** Kaggle train.csv; default <dataDir>/train.csv, prepared from the bundled digits when missing. */
  train?: string;
  test?: string;
  /** `ImageId,Label` answer key for the test file; default <dataDir>/test_labels.csv when it exists. */
  labels?: string;
  dataDir?: string;
  runsDir?: string;
  /** Run directory; default <runsDir>/<run-id>. */
  out?: string;
  model: LocalModelKind;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  lrDecay?: number;
  lrSchedule?: LrSchedule;
  l2?: number;
  augmentShift?: number;
  augmentRotate?: number;
  augmentZoom?: number;
  /** CNN dropout rate while training (default per model). */
  dropout?: number;
  /** CNN test-time augmentation of predictions (default per model). */
  ttaShift?: number;
  validationFraction?: number;
  patience?: number;
  backend?: 'auto' | 'node' | 'wasm' | 'cpu';
  /** CNN gradient threads (default min(2, CPUs)). */
  workers?: number;
  seed: number;
  force?: boolean;
  /** Final-submission retrain on every training row (see TrainLocalInput.full). */
  full?: boolean;
  /** With `full`: the run whose settings are repeated. */
  settingsFrom?: string;
  /**
   * Linear model: score the test rows on a second thread during training (same bytes either way).
   * Default: with 3 or more CPUs and a 1-minute load average below CPUs - 1.5 (coreToSpare).
   */
  predictAhead?: boolean;
}

export interface RunLocalOutput {
  runId: string;
  runDir: string;
  engine: 'local';
  model: string;
  backend: string;
  backendNote: string;
  prepared: boolean;
  trainRows: number;
  testRows: number;
  validationRows: number;
  accuracy?: number;
  macroF1?: number;
  validationAccuracy?: number;
  baselineAccuracy?: number;
  files: Record<string, string>;
  timings: Record<string, number>;
  metrics?: Metrics;
  validationMetrics?: Metrics;
}

/**
 * Runs the local pipeline. Every input and output is checked before training; a run that fails
 * (other than by an interrupt, which keeps the best checkpoint) removes the run folder it created.
 */
export async function localRunStage(input: RunLocalInput, deps: StageDeps): Promise<RunLocalOutput> {
  const guard: RunGuard = {};
  try {
    return await runLocalSteps(input, deps, guard);
  } catch (e) {
    if (guard.created && guard.runDir && !(isPipelineError(e) && e.fault === 'interrupted')) {
      await rm(guard.runDir, { recursive: true, force: true });
    }
    throw e;
  }
}

/** The run folder, once known, and whether this run created it. */
interface RunGuard {
  runDir?: string;
  created?: boolean;
}

async function runLocalSteps(input: RunLocalInput, deps: StageDeps, guard: RunGuard): Promise<RunLocalOutput> {
  const runsDir = input.runsDir ?? 'runs';
  if ((input.train === undefined) !== (input.test === undefined)) {
    throw new UserInputError('RUN_INPUTS', 'pass both --train and --test (or neither, to use the bundled digits)', {
      hint: 'e.g. digitflow run --train data/train.csv --test data/test.csv --labels data/test_labels.csv',
    });
  }
  const data = await resolveRunData(
    {
      train: input.train,
      test: input.test,
      labels: input.labels,
      dataDir: input.dataDir ?? 'data',
      seed: input.seed,
      needTest: true,
    },
    deps,
  );
  const { train, labels, prepared } = data;
  const test = data.test!;
  const timings: Record<string, number> = data.prepareSeconds !== undefined ? { prepare: data.prepareSeconds } : {};

  const runDir =
    input.out ?? join(runsDir, await newRunId(runsDir, new Date(deps.clock.now()), `local-${input.model}`));
  if (!input.force && (await fileExists(join(runDir, 'manifest.json')))) {
    throw new UserInputError('OUTPUT_EXISTS', `${runDir} already holds a run`, {
      hint: 'choose another --out, or pass --force to replace it',
    });
  }
  guard.runDir = runDir;
  guard.created = !(await fileExists(runDir));
  // Nothing starts when the run folder cannot take the outputs.
  await assertRunOutputs(runDir, RUN_LOCAL_OUTPUTS, input.force);
  // The test file is parsed once, on a second core, while the train file is read on this one: the
  // check of the test file and the answer key ends before training starts (the train stage waits
  // for it), and the parsed rows wait for prediction.
  const testRows = prefetchTestRows(test, 10, deps.signal);
  const checked = preflightRunLocal(
    { test, labels, runDir, force: input.force, testRowCount: testRows.counted() },
    deps,
  );
  checked.catch(() => undefined); // awaited by the train stage, and below
  // The test file is hashed (for the manifest) once the epochs start, on the core training leaves
  // idle (until then both cores parse), and the train file after it (hashAfter): one at a time.
  let epochsStarted!: () => void;
  const training = new Promise<void>((resolve) => (epochsStarted = resolve));
  const testHash = Promise.all([checked, training]).then(() => sha256FileThreaded(test).catch(() => sha256File(test)));
  testHash.catch(() => undefined); // a failed check is reported through `checked`
  // A linear model's test rows are scored on the second core while it trains, under the best
  // epoch's weights once a later epoch did not beat them (early stopping keeps the best, and stops
  // after a few such epochs): prediction after training is then mostly writing what is ready.
  // Without a validation split there is no best to follow. Only with a core to spare: on this
  // 2-core machine under load the extra thread slowed training more than it saved (README).
  const ahead =
    modelSpec(input.model)?.scorer === 'folded-linear' &&
    !input.full &&
    input.validationFraction !== 0 &&
    (input.predictAhead ?? coreToSpare()) &&
    LinearPredictionAhead.available()
      ? new LinearPredictionAhead(testRows)
      : undefined;
  try {
    return await runAfterCheck(
      input,
      deps,
      { train, test, labels, prepared, runDir, timings },
      testRows,
      checked,
      testHash,
      ahead,
      epochsStarted,
    );
  } finally {
    await ahead?.close();
  }
}

async function runAfterCheck(
  input: RunLocalInput,
  deps: StageDeps,
  run: {
    train: string;
    test: string;
    labels?: string;
    prepared: boolean;
    runDir: string;
    timings: Record<string, number>;
  },
  testRows: PrefetchedTestRows,
  checked: ReturnType<typeof preflightRunLocal>,
  testHash: Promise<{ sha256: string; bytes: number }>,
  ahead: LinearPredictionAhead | undefined,
  epochsStarted: () => void,
): Promise<RunLocalOutput> {
  const { train, test, labels, prepared, runDir, timings } = run;
  let trained: TrainLocalOutput;
  try {
    trained = await trainLocalFor(input, train, runDir, deps, checked, {
      ahead,
      onEpochsStart: () => {
        epochsStarted();
        ahead?.start();
      },
      hashAfter: testHash,
    });
  } catch (e) {
    // As when the check ran first: its error (a bad test file or answer key) is the one reported.
    const failedCheck = await checked.then(
      () => undefined,
      (c: unknown) => c,
    );
    await testRows.return(undefined);
    throw failedCheck ?? e;
  }
  const { truth } = await checked;
  timings.train = trained.trainSeconds;

  deps.reporter.emit({ kind: 'step', step: 'predict', message: `predicting ${test}` });
  const probabilities = join(runDir, 'probabilities.csv');
  const predicted = await localPredictStage(
    {
      runDir,
      test,
      output: probabilities,
      force: input.force,
      ...(ahead ? { ahead } : { rows: testRows }),
      keepRows: KEEP_ROWS,
      testHash,
    },
    deps,
  );
  timings.predict = predicted.seconds;

  // argmax and evaluate write their files as always, but from what predict (and the check before
  // training) already hold in memory, instead of reading back the files this run just wrote.
  const submission = join(runDir, 'submission.csv');
  const written = predicted.probabilities && sharedRows(predicted.probabilities);
  let t = deps.clock.now();
  const argmaxed = await argmaxStage(
    {
      input: probabilities,
      output: submission,
      force: input.force,
      ...(written ? { rows: written(), keepLabels: true } : {}),
    },
    deps,
  );
  timings.argmax = (deps.clock.now() - t) / 1000;

  const files: Record<string, string> = { probabilities, submission, model: join(runDir, 'model') };
  let metrics: Metrics | undefined;
  if (labels) {
    t = deps.clock.now();
    metrics = await evaluateStage(
      {
        submission,
        labels,
        probabilities,
        output: join(runDir, 'metrics.json'),
        force: input.force,
        inMemory: {
          truth,
          predicted: argmaxed.labels,
          probabilityRows: written?.(),
        },
      },
      deps,
    );
    timings.evaluate = (deps.clock.now() - t) / 1000;
    files.metrics = join(runDir, 'metrics.json');
  }

  let validationMetrics: Metrics | undefined;
  const valProbs = trained.outputs.validationProbabilities
    ? join(runDir, trained.outputs.validationProbabilities)
    : undefined;
  const valLabels = trained.outputs.validationLabels ? join(runDir, trained.outputs.validationLabels) : undefined;
  if (valProbs && valLabels && (await fileExists(valProbs))) {
    const valSubmission = join(runDir, 'validation-submission.csv');
    const held = trained.validation;
    const heldRows = held && sharedRows(held.probabilities);
    const valArgmax = await argmaxStage(
      {
        input: valProbs,
        output: valSubmission,
        force: input.force,
        ...(heldRows ? { rows: heldRows(), keepLabels: true } : {}),
      },
      deps,
    );
    validationMetrics = await evaluateStage(
      {
        submission: valSubmission,
        labels: valLabels,
        probabilities: valProbs,
        output: join(runDir, 'validation-metrics.json'),
        force: input.force,
        inMemory: held && {
          truth: new Map(Array.from(held.labels, (label, i) => [i + 1, label])),
          predicted: valArgmax.labels,
          probabilityRows: heldRows!(),
        },
      },
      deps,
    );
    files.validationMetrics = join(runDir, 'validation-metrics.json');
  }

  const manifest = await readManifest(runDir);
  manifest.command = 'run';
  if (labels && !manifest.inputs.some((i) => i.role === 'labels')) {
    const h = await sha256File(labels);
    manifest.inputs.push({ role: 'labels', path: labels, sha256: h.sha256, bytes: h.bytes });
  }
  if (!manifest.inputs.some((i) => i.role === 'test')) {
    const h = await sha256File(test);
    manifest.inputs.push({ role: 'test', path: test, sha256: h.sha256, bytes: h.bytes, rows: predicted.rows });
  }
  manifest.timings = { ...manifest.timings, ...timings };
  const rel = (p: string) => p.slice(runDir.length + 1);
  manifest.outputs = {
    ...manifest.outputs,
    probabilities: rel(probabilities),
    submission: rel(submission),
    ...(metrics ? { metrics: 'metrics.json' } : {}),
    ...(validationMetrics
      ? { validationMetrics: 'validation-metrics.json', validationSubmission: 'validation-submission.csv' }
      : {}),
  };
  manifest.summary = {
    ...(metrics ? { accuracy: metrics.accuracy, macroF1: metrics.macroF1 } : {}),
    ...(validationMetrics
      ? { validationAccuracy: validationMetrics.accuracy, validationMacroF1: validationMetrics.macroF1 }
      : {}),
  };
  await new RunRecorder(runDir, manifest, deps.clock).save();

  return {
    runId: manifest.runId,
    runDir,
    engine: 'local',
    model: input.model,
    backend: trained.backend,
    backendNote: trained.backendNote,
    prepared,
    trainRows: trained.trainRows,
    testRows: predicted.rows,
    validationRows: trained.validationRows.length,
    accuracy: metrics?.accuracy,
    macroF1: metrics?.macroF1,
    validationAccuracy: validationMetrics?.accuracy ?? trained.validationAccuracy,
    baselineAccuracy: metrics?.baselineAccuracy,
    files: { ...files, manifest: join(runDir, 'manifest.json') },
    timings,
    metrics,
    validationMetrics,
  };
}

/** The training step of `run`: `localTrainStage` with the run's flags. */
function trainLocalFor(
  input: RunLocalInput,
  train: string,
  runDir: string,
  deps: StageDeps,
  ready: Promise<unknown>,
  side: { ahead?: LinearPredictionAhead; onEpochsStart: () => void; hashAfter: Promise<unknown> },
): Promise<TrainLocalOutput> {
  const { ahead } = side;
  return localTrainStage(
    {
      train,
      outDir: runDir,
      model: input.model,
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
      validationFraction: input.validationFraction,
      patience: input.patience,
      seed: input.seed,
      backend: input.backend,
      workers: input.workers,
      force: input.force,
      full: input.full,
      settingsFrom: input.settingsFrom,
      runId: runDir.split('/').filter(Boolean).pop(),
      ready,
      ...(ahead ? { onBestLinear: (k: Float32Array, b: Float32Array) => ahead.offer(k, b) } : {}),
      onEpochsStart: side.onEpochsStart,
      hashAfter: side.hashAfter,
    },
    deps,
  );
}

/**
 * The rows a reader of a probability file gets (writtenProbabilityRows), for both argmax and
 * evaluate: made once and handed to both when they are few enough to hold as objects (~200 bytes
 * a row), else made again for each, in batches.
 */
function sharedRows(data: ProbabilitiesInMemory): () => Iterable<ProbabilityRow[]> {
  if (data.rows > SHARED_ROWS) return () => writtenProbabilityRows(data);
  const batches = [...writtenProbabilityRows(data)];
  return () => batches;
}

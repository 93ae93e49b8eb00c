/**
 * `predict --engine local`: stream a Kaggle test CSV in chunks through a saved local model and
 * write per-class probability rows (`ImageId,0,...,9`, input order). Memory is bounded by the
 * chunk size, so a 1,000,000-row file needs no more than one chunk of pixels at a time.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { InterruptedError, UserInputError } from '../../errors/index.js';
import { streamKaggleCsvFileThreaded } from '../../adapters/kaggle-csv-threaded.js';
import { sha256File } from '../../adapters/file-hash.js';
import { fileExists, withAtomicWriteStream, writeChunk } from '../../adapters/atomic-file.js';
import { readManifest, RunRecorder } from '../../adapters/run-store.js';
import type { BackendChoice, BackendRequest } from '../../adapters/tfjs/runtime/backend.js';
import { readModelFiles } from '../../adapters/tfjs/model/model-files.js';
import {
  assertProbabilities,
  probabilityHeader,
  writeProbabilityRows,
} from '../../adapters/tfjs/predict/probability-csv.js';
import type { ProbabilitiesInMemory } from '../../domain/probabilities/written-rows.js';
import type { LinearPredictionAhead } from '../../adapters/tfjs/predict/linear-ahead.js';
import type { StageDeps } from '../../runtime/deps.js';

/**
 * Rows per chunk handed from the reader thread to the model: small enough that prediction starts
 * early and the last chunk's work after parsing ends is short (CLI predict of 28,000 rows:
 * 8192 -> 0.69-0.77 s, 2048 -> 0.50-0.60 s here), large enough to keep per-chunk costs negligible.
 */
export const DEFAULT_PREDICT_CHUNK_ROWS = 2048;

export interface PredictLocalInput {
  /** Run directory written by localTrainStage (holds model/ and manifest.json). */
  runDir: string;
  /** Kaggle test.csv (a train-layout file is accepted; its labels are ignored). */
  test: string;
  /** Default `<runDir>/probabilities.csv`, a derived output that is replaced (atomically) without `force`. */
  output?: string;
  /** Replace an existing `output` given explicitly. */
  force?: boolean;
  /** Rows per chunk (default DEFAULT_PREDICT_CHUNK_ROWS). */
  chunkRows?: number;
  backend?: BackendRequest;
  /** CNN: threads predicting (default min(2, CPUs); 1 = this thread only). Linear runs use one. */
  workers?: number;
  /** Record the test input and output in the run manifest (default: when the output is inside the run folder). */
  recordInManifest?: boolean;
  /**
   * The rows of `test`, already being read (`prefetchTestRows`, started by `run` before training so
   * the file is parsed on a second core meanwhile). Closed by localPredictStage in every case.
   */
  rows?: TestRowReader;
  /**
   * Also return the probabilities in memory when the file has at most this many rows (run: for
   * argmax and evaluate, instead of reading back the file it wrote); default 0, none kept.
   */
  keepRows?: number;
  /** The hash of `test`, already being computed (run: on a worker thread while it trains). */
  testHash?: Promise<{ sha256: string; bytes: number }>;
  /**
   * A linear model's prediction made ahead on another core (run: during training), which holds
   * the rows of `test` (instead of `rows`); the caller closes it.
   */
  ahead?: LinearPredictionAhead;
}

/** A reader of a test file's row chunks (kaggle-csv-threaded.ts). */
export type TestRowReader = Pick<ReturnType<typeof streamKaggleCsvFileThreaded>, 'next' | 'return'>;

type TestChunk = Awaited<ReturnType<TestRowReader['next']>> extends IteratorResult<infer C> ? C : never;

/** A test file being read ahead on a worker thread (prefetchTestRows). */
export interface PrefetchedTestRows extends TestRowReader {
  /**
   * The file's row count once every row is parsed and held (the whole file fit in the read-ahead),
   * or undefined when the read-ahead filled first (the caller counts some other way). Rejects with
   * the reader's error (a bad row, an unreadable file): what the check before training needs,
   * without parsing the file a second time.
   */
  counted(): Promise<number | undefined>;
}

/**
 * Starts reading `test` on a worker thread now, up to `aheadChunks` chunks before they are asked
 * for (default 64 chunks of DEFAULT_PREDICT_CHUNK_ROWS rows, ~100 MB of pixels at most), for a later
 * localPredictStage({ rows }). Errors surface when the chunks are read (and from counted());
 * `return()` stops the thread.
 */
export function prefetchTestRows(
  test: string,
  numClasses: number,
  signal?: AbortSignal,
  aheadChunks = 64,
): PrefetchedTestRows {
  const reader = streamKaggleCsvFileThreaded(test, {
    layout: 'auto',
    numClasses,
    chunkRows: DEFAULT_PREDICT_CHUNK_ROWS,
    window: 2,
    signal,
  });
  const held: TestChunk[] = [];
  let rows = 0;
  let ended = false;
  let closed = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined; // the consumer, waiting for a chunk
  let space: (() => void) | undefined; // the pump, waiting for room
  let settleCount!: (n: number | undefined) => void;
  let failCount!: (e: unknown) => void;
  const count = new Promise<number | undefined>((resolve, reject) => {
    settleCount = resolve;
    failCount = reject;
  });
  count.catch(() => undefined); // surfaces through counted() and next()
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  // Pulls chunks as the thread posts them (its generator starts the thread on the first pull).
  const pump = (async () => {
    while (!closed) {
      if (held.length >= aheadChunks) {
        settleCount(undefined);
        await new Promise<void>((r) => (space = r));
        continue;
      }
      let r: IteratorResult<TestChunk>;
      try {
        r = await reader.next();
      } catch (e) {
        failure = { error: e };
        failCount(e);
        notify();
        return;
      }
      if (r.done) {
        ended = true;
        settleCount(rows);
        notify();
        return;
      }
      if (closed) return;
      held.push(r.value);
      rows += r.value.rows;
      notify();
    }
  })();
  return {
    async next() {
      for (;;) {
        if (held.length > 0) {
          const value = held.shift()!;
          space?.();
          space = undefined;
          return { done: false, value };
        }
        if (failure) throw failure.error;
        if (ended || closed) return { done: true, value: undefined };
        await new Promise<void>((r) => (wake = r));
      }
    },
    async return() {
      closed = true;
      held.length = 0;
      space?.();
      space = undefined;
      failCount(new InterruptedError(`reading ${test} stopped before its rows were counted`));
      notify();
      await pump;
      return reader.return(undefined);
    },
    counted: () => count,
  };
}

export interface PredictLocalOutput {
  output: string;
  rows: number;
  seconds: number;
  backend: string;
  backendNote: string;
  /** With `keepRows`: what was written to `output`, as float32 probabilities (ImageIds from 1). */
  probabilities?: ProbabilitiesInMemory;
}

/** Predicts probabilities for every row of `test` with the run's local model. */
export async function localPredictStage(input: PredictLocalInput, deps: StageDeps): Promise<PredictLocalOutput> {
  const t0 = deps.clock.now();
  const runDir = resolve(input.runDir);
  const modelDir = join(runDir, 'model');
  const output = resolve(input.output ?? join(runDir, 'probabilities.csv'));
  if (!(await fileExists(join(modelDir, 'metadata.json')))) {
    await input.rows?.return(undefined);
    throw new UserInputError('MODEL_NOT_FOUND', `${runDir} has no local model (${modelDir}/metadata.json)`, {
      hint:
        'pass a run folder written by `digitflow train --engine local`, ' +
        'or use --engine sagemaker for a managed run',
      details: { path: runDir },
    });
  }
  const files = await readModelFiles(modelDir).catch(async (e) => {
    await input.rows?.return(undefined);
    throw e;
  });
  if (input.ahead) return predictAhead(input, input.ahead, files, output, t0, deps);
  const numClasses = files.metadata.numClasses;
  // Parsing starts now, on a worker thread, while TensorFlow.js loads; later chunks are parsed while
  // earlier ones are predicted and written. The first chunk is requested here to start the worker.
  const reader =
    input.rows ??
    streamKaggleCsvFileThreaded(input.test, {
      layout: 'auto',
      numClasses,
      chunkRows: input.chunkRows ?? DEFAULT_PREDICT_CHUNK_ROWS,
      signal: deps.signal,
    });
  const first = reader.next();
  first.catch(() => undefined); // awaited below; a failure before that must not go unhandled
  let rows = 0;
  let kept: Float32Array[] | undefined = (input.keepRows ?? 0) > 0 ? [] : undefined;
  let choice: BackendChoice | undefined;
  // Only a prediction written into the run folder becomes part of the run's record.
  const inside = output.startsWith(runDir + '/');
  const record = input.recordInManifest !== false && inside && (await fileExists(join(runDir, 'manifest.json')));
  // Hash while predicting: the file is read twice, but not one after the other.
  const hashing = record
    ? (input.testHash ?? sha256File(input.test)).catch(() => undefined)
    : Promise.resolve(undefined);
  try {
    // TensorFlow.js loads only now, while the reader thread starts up and parses.
    const { selectBackend } = await import('../../adapters/tfjs/runtime/backend.js');
    const { LocalModel, probabilityModelFromFiles } = await import('../../adapters/tfjs/model/local-model.js');
    choice = await selectBackend(input.backend ?? 'auto');
    deps.reporter.emit({ kind: 'info', message: `tfjs backend: ${choice.summary}`, data: { backend: choice.backend } });
    let model = await probabilityModelFromFiles(files);
    // A CNN's forward pass is compute-bound: on the single-threaded backends it uses a second core.
    const threads = input.workers ?? Math.min(2, availableParallelism());
    if (model instanceof LocalModel && threads >= 2 && (choice.backend === 'wasm' || choice.backend === 'cpu')) {
      const { TwoThreadCnnPredictor } = await import('../../adapters/tfjs/predict/cnn-predict-pool.js');
      model = new TwoThreadCnnPredictor(model, modelDir, choice.backend);
    }
    try {
      // The run's own probabilities.csv is derived from its model: a new prediction replaces it.
      await withAtomicWriteStream(output, { force: input.force || input.output === undefined }, async (stream) => {
        await writeChunk(stream, probabilityHeader(numClasses));
        const task = 'predict';
        for (let next = await first; !next.done; next = await reader.next()) {
          const chunk = next.value;
          const probs = await model.predictProbabilities(chunk.pixels, chunk.rows);
          await writeProbabilityRows(stream, probs, chunk.rows, numClasses, chunk.firstRow + 1);
          rows += chunk.rows;
          if (kept && rows <= input.keepRows!) kept.push(probs.slice(0, chunk.rows * numClasses));
          else kept = undefined;
          deps.reporter.emit({ kind: 'progress', task, label: 'predict', done: rows, unit: 'rows' });
        }
        deps.reporter.emit({ kind: 'progress-end', task });
        if (rows === 0) {
          throw new UserInputError('CSV_NO_ROWS', `${input.test} has no data rows`, {
            hint: 'pass a Kaggle test.csv with at least one image row',
          });
        }
      });
    } finally {
      model.dispose();
    }
  } finally {
    // Stops the reader thread if prediction ended early (an error, an existing output file).
    await reader.return(undefined);
  }
  const seconds = (deps.clock.now() - t0) / 1000;
  const hash = await hashing;
  if (record) await recordPrediction(runDir, input.test, hash, rows, output, seconds, deps);
  let probabilities: ProbabilitiesInMemory | undefined;
  if (kept) {
    const all = new Float32Array(rows * numClasses);
    let at = 0;
    for (const p of kept) {
      all.set(p, at);
      at += p.length;
    }
    probabilities = { probabilities: all, rows, numClasses, firstId: 1 };
  }
  return { output, rows, seconds, backend: choice!.backend, backendNote: choice!.summary, probabilities };
}

/**
 * localPredictStage for a linear model whose prediction was made ahead (LinearPredictionAhead):
 * the chunks come back scored and formatted under the saved model's folded weights; this writes
 * them as the loop above writes its own (the same checks, bytes, progress and manifest record).
 */
async function predictAhead(
  input: PredictLocalInput,
  ahead: LinearPredictionAhead,
  files: Awaited<ReturnType<typeof readModelFiles>>,
  output: string,
  t0: number,
  deps: StageDeps,
): Promise<PredictLocalOutput> {
  const runDir = resolve(input.runDir);
  const numClasses = files.metadata.numClasses;
  const inside = output.startsWith(runDir + '/');
  const record = input.recordInManifest !== false && inside && (await fileExists(join(runDir, 'manifest.json')));
  const hashing = record
    ? (input.testHash ?? sha256File(input.test)).catch(() => undefined)
    : Promise.resolve(undefined);
  const { selectBackend } = await import('../../adapters/tfjs/runtime/backend.js');
  const { LinearScorer } = await import('../../adapters/tfjs/predict/linear-scorer.js');
  const choice = await selectBackend(input.backend ?? 'auto');
  deps.reporter.emit({ kind: 'info', message: `tfjs backend: ${choice.summary}`, data: { backend: choice.backend } });
  const scorer = LinearScorer.fromFiles(files);
  const chunks = await ahead.finish(scorer.kernel, scorer.bias);
  let rows = 0;
  const keep = chunks.reduce((n, c) => n + c.rows, 0) <= (input.keepRows ?? 0);
  await withAtomicWriteStream(output, { force: input.force || input.output === undefined }, async (stream) => {
    await writeChunk(stream, probabilityHeader(numClasses));
    for (const c of chunks) {
      assertProbabilities(c.probabilities, c.rows, numClasses, c.firstRow + 1);
      await writeChunk(stream, c.csv);
      rows += c.rows;
      deps.reporter.emit({ kind: 'progress', task: 'predict', label: 'predict', done: rows, unit: 'rows' });
    }
    deps.reporter.emit({ kind: 'progress-end', task: 'predict' });
    if (rows === 0) {
      throw new UserInputError('CSV_NO_ROWS', `${input.test} has no data rows`, {
        hint: 'pass a Kaggle test.csv with at least one image row',
      });
    }
  });
  const seconds = (deps.clock.now() - t0) / 1000;
  const hash = await hashing;
  if (record) await recordPrediction(runDir, input.test, hash, rows, output, seconds, deps);
  let probabilities: ProbabilitiesInMemory | undefined;
  if (keep) {
    const all = new Float32Array(rows * numClasses);
    let at = 0;
    for (const c of chunks) {
      all.set(c.probabilities, at);
      at += c.probabilities.length;
    }
    probabilities = { probabilities: all, rows, numClasses, firstId: 1 };
  }
  return { output, rows, seconds, backend: choice.backend, backendNote: choice.summary, probabilities };
}

/** Records a prediction written into the run folder: the test input, the output, the time. */
async function recordPrediction(
  runDir: string,
  test: string,
  hash: { sha256: string; bytes: number } | undefined,
  rows: number,
  output: string,
  seconds: number,
  deps: StageDeps,
): Promise<void> {
  const manifest = await readManifest(runDir);
  manifest.inputs = manifest.inputs.filter((i) => i.role !== 'test');
  manifest.inputs.push({ role: 'test', path: test, sha256: hash?.sha256, bytes: hash?.bytes, rows });
  manifest.outputs = { ...manifest.outputs, probabilities: output.slice(runDir.length + 1) };
  manifest.timings = { ...manifest.timings, predict: seconds };
  await new RunRecorder(runDir, manifest, deps.clock).save();
}

/**
 * `predict --engine local`: stream a Kaggle test CSV in chunks through a saved local model and
 * write per-class probability rows (`ImageId,0,...,9`, input order). Memory is bounded by the
 * chunk size, so a 1,000,000-row file needs no more than one chunk of pixels at a time.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { UserInputError } from '../../errors/index.js';
import { streamKaggleCsvFileThreaded } from '../../adapters/kaggle-csv-threaded.js';
import { sha256File } from '../../adapters/file-hash.js';
import { fileExists, withAtomicWriteStream, writeChunk } from '../../adapters/atomic-file.js';
import { readManifest, RunRecorder } from '../../adapters/run-store.js';
import type { BackendChoice, BackendRequest } from '../../adapters/tfjs/runtime/backend.js';
import { readModelFiles } from '../../adapters/tfjs/model/model-files.js';
import { probabilityHeader, writeProbabilityRows } from '../../adapters/tfjs/predict/probability-csv.js';
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
}

/** A reader of a test file's row chunks (kaggle-csv-threaded.ts). */
export type TestRowReader = Pick<ReturnType<typeof streamKaggleCsvFileThreaded>, 'next' | 'return'>;

/**
 * Starts reading `test` on a worker thread now, up to `aheadChunks` chunks before they are asked
 * for (default 64 chunks of DEFAULT_PREDICT_CHUNK_ROWS rows, ~100 MB of pixels at most), for a later
 * localPredictStage({ rows }). Errors surface when localPredictStage reads the chunks; `return()` stops the thread.
 */
export function prefetchTestRows(
  test: string,
  numClasses: number,
  signal?: AbortSignal,
  aheadChunks = 64,
): TestRowReader {
  const reader = streamKaggleCsvFileThreaded(test, {
    layout: 'auto',
    numClasses,
    chunkRows: DEFAULT_PREDICT_CHUNK_ROWS,
    window: aheadChunks,
    signal,
  });
  // A generator's body runs on its first next(): ask for the first chunk now to start the thread.
  let first: ReturnType<typeof reader.next> | undefined = reader.next();
  first.catch(() => undefined); // surfaces through next() below
  return {
    next() {
      const f = first;
      first = undefined;
      return f ?? reader.next();
    },
    return(value) {
      first = undefined;
      return reader.return(value);
    },
  };
}

export interface PredictLocalOutput {
  output: string;
  rows: number;
  seconds: number;
  backend: string;
  backendNote: string;
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
      hint: 'pass a run folder written by `digitflow train --engine local`, or use --engine sagemaker for a managed run',
      details: { path: runDir },
    });
  }
  const files = await readModelFiles(modelDir).catch(async (e) => {
    await input.rows?.return(undefined);
    throw e;
  });
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
  let choice: BackendChoice | undefined;
  // Only a prediction written into the run folder becomes part of the run's record.
  const inside = output.startsWith(runDir + '/');
  const record = input.recordInManifest !== false && inside && (await fileExists(join(runDir, 'manifest.json')));
  // Hash while predicting: the file is read twice, but not one after the other.
  const hashing = record ? sha256File(input.test).catch(() => undefined) : Promise.resolve(undefined);
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
  if (record) {
    const manifest = await readManifest(runDir);
    manifest.inputs = manifest.inputs.filter((i) => i.role !== 'test');
    manifest.inputs.push({ role: 'test', path: input.test, sha256: hash?.sha256, bytes: hash?.bytes, rows });
    manifest.outputs = { ...manifest.outputs, probabilities: output.slice(runDir.length + 1) };
    manifest.timings = { ...manifest.timings, predict: seconds };
    await new RunRecorder(runDir, manifest, deps.clock).save();
  }
  return { output, rows, seconds, backend: choice!.backend, backendNote: choice!.summary };
}

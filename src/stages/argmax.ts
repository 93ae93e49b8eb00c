/**
 * argmax: per-class probability rows from any engine → Kaggle `ImageId,Label` submission.
 * Streams the input (constant memory for millions of rows; plain or gzip-compressed, told by its
 * magic bytes) and writes the output atomically. Ties go to the lowest class.
 */
import { InterruptedError, UserInputError } from '../errors/index.js';
import { assertWritable, fileExists, withAtomicWriteStream, writeChunk } from '../adapters/atomic-file.js';
import { assertReadableFile } from '../adapters/byte-source.js';
import { readProbabilityBatches } from '../adapters/probability-file.js';
import { argmax, type ProbabilityFormat, type ProbabilityRow } from '../domain/probabilities/index.js';
import { SUBMISSION_HEADER } from '../domain/submission.js';
import { recordInRun, runOutputPath, runOwning, targetOf } from './run-folder.js';
import type { StageDeps } from '../runtime/deps.js';

export interface ArgmaxInput {
  /** A probability file, or a run folder (its probabilities.csv). */
  input: string;
  /**
   * Default: for a run folder (or the run's own probabilities file) `<run>/submission.csv`, a
   * derived output replaced atomically without `force`; for any other file `submission.csv`.
   */
  output?: string;
  format?: 'auto' | ProbabilityFormat;
  force?: boolean;
  numClasses?: number;
  /**
   * The rows of the probability file, already in memory exactly as a reader of it gets them (run:
   * `writtenProbabilityRows` of the probabilities it just wrote): the file is then not read again.
   */
  rows?: Iterable<ProbabilityRow[]>;
  /** Also return the labels written (ImageId -> label), for an evaluation in memory. */
  keepLabels?: boolean;
}

export interface ArgmaxResult {
  output: string;
  /** The probability file read. */
  input: string;
  /** The run folder the submission was written into (and recorded in). */
  runDir?: string;
  rows: number;
  format: string;
  /** Rows whose scores do not sum to ~1 (each is reported as a warning event, the first few in full). */
  warnings: number;
  classCounts: number[];
  /** With `keepLabels`: the submission's rows, ImageId -> label. */
  labels?: Map<number, number>;
}

/** Rows whose sum is further than this from 1 get a warning (AML prints 7 significant digits). */
export const SUM_TOLERANCE = 0.01;
const WARN_IN_FULL = 5;

/** FILE_NOT_FOUND when `path` does not exist, NOT_A_FILE for a folder, FIFO or device: the CSV readers' check. */
export async function assertInputFile(path: string, what: string): Promise<void> {
  await assertReadableFile(path, what);
}

/** Where argmax reads and writes: a run folder's own files, or the given file and output. */
async function argmaxPaths(
  input: ArgmaxInput,
): Promise<{ probabilities: string; output: string; force: boolean; runDir?: string }> {
  const target = await targetOf(input.input);
  let runDir: string | undefined;
  let probabilities: string;
  if (target.kind === 'run') {
    runDir = target.runDir;
    probabilities = await runOutputPath(runDir, 'probabilities');
    if (!(await fileExists(probabilities))) {
      throw new UserInputError('FILE_NOT_FOUND', `${runDir} has no probabilities (${probabilities} does not exist)`, {
        hint: `predict first: digitflow predict ${runDir} --test data/test.csv`,
        details: { path: probabilities },
      });
    }
  } else {
    probabilities = target.path;
    runDir = input.output === undefined ? await runOwning(probabilities, 'probabilities') : undefined;
  }
  if (input.output !== undefined)
    return {
      probabilities,
      output: input.output,
      force: Boolean(input.force),
      runDir: await runOwning(input.output, 'submission'),
    };
  // The run's own submission is derived from its probabilities: a new argmax replaces it.
  if (runDir) return { probabilities, output: await runOutputPath(runDir, 'submission'), force: true, runDir };
  return { probabilities, output: 'submission.csv', force: Boolean(input.force) };
}

/** Writes `ImageId,Label` from the probability rows in `input.input` (a file or a run folder). */
export async function argmaxStage(input: ArgmaxInput, deps: StageDeps): Promise<ArgmaxResult> {
  const numClasses = input.numClasses ?? 10;
  const paths = await argmaxPaths(input);
  const source = paths.probabilities;
  // Refuse early so a long read is not wasted on an output we may not write.
  await assertWritable(paths.output, { force: paths.force });
  const { format, batches } = input.rows
    ? { format: 'csv', batches: input.rows }
    : await readProbabilityBatches(source, { format: input.format, numClasses });
  const labels = input.keepLabels ? new Map<number, number>() : undefined;
  deps.reporter.emit({ kind: 'step', step: 'argmax', message: `reading ${source} as ${format}` });
  const classCounts = new Array<number>(numClasses).fill(0);
  let n = 0;
  let warnings = 0;
  const task = `argmax:${source}`;
  await withAtomicWriteStream(paths.output, { force: paths.force }, async (out) => {
    // abort() destroys the stream while writes may be pending; without a listener that
    // ERR_STREAM_DESTROYED would be an uncaught exception. Real write errors still surface in commit().
    out.on('error', () => undefined);
    await writeChunk(out, SUBMISSION_HEADER + '\n');
    let buf = '';
    for await (const batch of batches)
      for (const row of batch) {
        n++;
        const label = argmax(row.scores);
        classCounts[label]++;
        if (Math.abs(row.sum - 1) > SUM_TOLERANCE) {
          warnings++;
          if (warnings <= WARN_IN_FULL) {
            deps.reporter.emit({
              kind: 'warn',
              code: 'PROB_SUM',
              message:
                `${source}:${row.line}: scores sum to ${row.sum.toPrecision(6)}, not ~1` +
                (warnings === WARN_IN_FULL ? ' (further rows like this are only counted)' : ''),
              data: { file: source, line: row.line, sum: row.sum },
            });
          }
        }
        buf += `${row.id ?? n},${label}\n`;
        labels?.set(row.id ?? n, label);
        if ((n & 4095) === 0) {
          await writeChunk(out, buf);
          buf = '';
          if (deps.signal?.aborted) throw new InterruptedError('argmax interrupted; no output written');
          deps.reporter.emit({ kind: 'progress', task, label: 'argmax', done: n, unit: 'rows' });
        }
      }
    if (buf) await writeChunk(out, buf);
    if (n === 0) {
      throw new UserInputError('PROB_EMPTY', `${source} has no probability rows`, {
        hint: 'the predictions file is empty; did the prediction step finish?',
        details: { file: source },
      });
    }
  });
  deps.reporter.emit({ kind: 'progress', task, label: 'argmax', done: n, unit: 'rows' });
  deps.reporter.emit({ kind: 'progress-end', task });
  if (warnings > WARN_IN_FULL) {
    deps.reporter.emit({
      kind: 'warn',
      code: 'PROB_SUM',
      message: `${warnings} rows in total do not sum to ~1 (tolerance ${SUM_TOLERANCE})`,
      data: { rows: warnings },
    });
  }
  if (paths.runDir) await recordInRun(paths.runDir, { outputs: { submission: paths.output } }, deps);
  return { output: paths.output, input: source, runDir: paths.runDir, rows: n, format, warnings, classCounts, labels };
}

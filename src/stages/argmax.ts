/**
 * argmax: per-class probability rows from any engine → Kaggle `ImageId,Label` submission.
 * Streams the input (constant memory for millions of rows) and writes the output atomically.
 * Ties go to the lowest class.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { InterruptedError, UserInputError } from '../errors/index.js';
import { assertWritable, withAtomicWriteStream, writeChunk } from '../adapters/atomic-file.js';
import {
  argmax,
  detectProbabilityFormat,
  parseProbabilities,
  PROBABILITY_FORMATS,
  type ProbabilityFormat,
  type ProbabilityRow,
} from '../domain/probabilities/index.js';
import { SUBMISSION_HEADER } from '../domain/submission.js';
import type { StageDeps } from './deps.js';

export interface ArgmaxInput {
  input: string;
  output: string;
  format?: 'auto' | ProbabilityFormat;
  force?: boolean;
  numClasses?: number;
}

export interface ArgmaxResult {
  output: string;
  rows: number;
  format: string;
  /** Rows whose scores do not sum to ~1 (each is reported as a warning event, the first few in full). */
  warnings: number;
  classCounts: number[];
}

/** Rows whose sum is further than this from 1 get a warning (AML prints 7 significant digits). */
export const SUM_TOLERANCE = 0.01;
const WARN_IN_FULL = 5;

/** Throws FILE_NOT_FOUND unless `path` is a readable regular file. */
export async function assertInputFile(path: string, what: string): Promise<void> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a file');
  } catch {
    throw new UserInputError('FILE_NOT_FOUND', `${what} ${path} does not exist or is not a file`, { hint: 'check the path', details: { path } });
  }
}

/** The format of a probability file: `format` when given, else detected from its first 64 KB. */
export async function resolveProbabilityFormat(path: string, format: ArgmaxInput['format']): Promise<ProbabilityFormat> {
  if (format && format !== 'auto') {
    if (!PROBABILITY_FORMATS.includes(format)) {
      throw new UserInputError('FORMAT_UNKNOWN', `unknown format '${String(format)}'`, { hint: `use one of auto, ${PROBABILITY_FORMATS.join(', ')}` });
    }
    return format;
  }
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return detectProbabilityFormat(buf.subarray(0, bytesRead).toString('utf8'), path);
  } finally {
    await fh.close();
  }
}

/** Streams checked rows of a probability file (format resolved as in `resolveProbabilityFormat`). */
export async function readProbabilityFile(
  path: string,
  opts: { format?: ArgmaxInput['format']; numClasses?: number },
): Promise<{ format: ProbabilityFormat; rows: AsyncGenerator<ProbabilityRow> }> {
  await assertInputFile(path, 'probability file');
  const format = await resolveProbabilityFormat(path, opts.format);
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  return { format, rows: parseProbabilities(stream, format, { file: path, numClasses: opts.numClasses ?? 10 }) };
}

/** Writes `ImageId,Label` from the probability rows in `input.input`. */
export async function argmaxStage(input: ArgmaxInput, deps: StageDeps): Promise<ArgmaxResult> {
  const numClasses = input.numClasses ?? 10;
  // Refuse early so a long read is not wasted on an output we may not write.
  await assertWritable(input.output, { force: input.force });
  const { format, rows } = await readProbabilityFile(input.input, { format: input.format, numClasses });
  deps.reporter.emit({ kind: 'step', step: 'argmax', message: `reading ${input.input} as ${format}` });
  const classCounts = new Array<number>(numClasses).fill(0);
  let n = 0;
  let warnings = 0;
  const task = `argmax:${input.input}`;
  await withAtomicWriteStream(input.output, { force: input.force }, async (out) => {
    // abort() destroys the stream while writes may be pending; without a listener that
    // ERR_STREAM_DESTROYED would be an uncaught exception. Real write errors still surface in commit().
    out.on('error', () => undefined);
    await writeChunk(out, SUBMISSION_HEADER + '\n');
    let buf = '';
    for await (const row of rows) {
      n++;
      const label = argmax(row.scores);
      classCounts[label]++;
      if (Math.abs(row.sum - 1) > SUM_TOLERANCE) {
        warnings++;
        if (warnings <= WARN_IN_FULL) {
          deps.reporter.emit({
            kind: 'warn',
            code: 'PROB_SUM',
            message: `${input.input}:${row.line}: scores sum to ${row.sum.toPrecision(6)}, not ~1${warnings === WARN_IN_FULL ? ' (further rows like this are only counted)' : ''}`,
            data: { file: input.input, line: row.line, sum: row.sum },
          });
        }
      }
      buf += `${row.id ?? n},${label}\n`;
      if ((n & 4095) === 0) {
        await writeChunk(out, buf);
        buf = '';
        if (deps.signal?.aborted) throw new InterruptedError('argmax interrupted; no output written');
        deps.reporter.emit({ kind: 'progress', task, label: 'argmax', done: n, unit: 'rows' });
      }
    }
    if (buf) await writeChunk(out, buf);
    if (n === 0) {
      throw new UserInputError('PROB_EMPTY', `${input.input} has no probability rows`, { hint: 'the predictions file is empty; did the prediction step finish?', details: { file: input.input } });
    }
  });
  deps.reporter.emit({ kind: 'progress-end', task });
  if (warnings > WARN_IN_FULL) {
    deps.reporter.emit({ kind: 'warn', code: 'PROB_SUM', message: `${warnings} rows in total do not sum to ~1 (tolerance ${SUM_TOLERANCE})`, data: { rows: warnings } });
  }
  return { output: input.output, rows: n, format, warnings, classCounts };
}

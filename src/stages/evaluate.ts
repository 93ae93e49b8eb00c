/**
 * evaluate: score a submission against an answer key (`ImageId,Label`), optionally with the
 * probability file for log loss. Mismatched ids are an error that names them.
 */
import { dirname, join } from 'node:path';
import { UserInputError } from '../errors/index.js';
import { writeJsonAtomic, assertWritable, fileExists } from '../adapters/atomic-file.js';
import { sha256File } from '../adapters/file-hash.js';
import { openByteSource } from '../adapters/byte-source.js';
import { manifestIfAny, recordedInput, recordInRun, runOutputPath, runOwning, targetOf } from './run-folder.js';
import { readIdLabelFile } from '../domain/submission.js';
import { computeMetrics, type Metrics } from '../domain/metrics.js';
import { matchLabels } from '../domain/probabilities/match-labels.js';
import { assertInputFile } from './argmax.js';
import { readProbabilityFile } from '../adapters/probability-file.js';
import type { StageDeps } from '../runtime/deps.js';

export interface EvaluateInput {
  /** A submission file, or a run folder (its submission.csv, probabilities.csv and answer key). */
  submission: string;
  /** Answer key; for a run folder default: the run's recorded labels, else test_labels.csv beside its test file. */
  labels?: string;
  /** For log loss; for a run folder default: the run's probabilities.csv when it exists. */
  probabilities?: string;
  /**
   * metrics.json path, written atomically. For a run folder default `<run>/metrics.json`, a derived
   * output replaced without `force`; for a file, nothing is written unless given.
   */
  output?: string;
  force?: boolean;
  numClasses?: number;
}

/** The files `evaluate` reads and writes, resolved from a run folder or taken as given. */
export interface EvaluatePaths {
  submission: string;
  labels: string;
  probabilities?: string;
  output?: string;
  force: boolean;
  runDir?: string;
}

async function evaluatePaths(input: EvaluateInput): Promise<EvaluatePaths> {
  const target = await targetOf(input.submission);
  if (target.kind === 'file') {
    if (!input.labels) {
      throw new UserInputError('FLAG_REQUIRED', `evaluating ${input.submission} needs the answer key`, {
        hint: 'pass --labels <file> (ImageId,Label), or give a run folder that records its answer key',
      });
    }
    const runDir = input.output ? await runOwning(input.output, 'metrics') : undefined;
    return {
      submission: target.path,
      labels: input.labels,
      probabilities: input.probabilities,
      output: input.output,
      force: Boolean(input.force),
      runDir,
    };
  }
  const runDir = target.runDir;
  const m = await manifestIfAny(runDir);
  const submission = await runOutputPath(runDir, 'submission');
  if (!(await fileExists(submission))) {
    throw new UserInputError('FILE_NOT_FOUND', `${runDir} has no submission (${submission} does not exist)`, {
      hint: `make it first: digitflow argmax ${runDir}`,
      details: { path: submission },
    });
  }
  let labels = input.labels ?? (await recordedInput(runDir, m, 'labels'));
  if (!labels) {
    // The convention of `prepare`: data/test.csv has its answer key in data/test_labels.csv.
    const test = await recordedInput(runDir, m, 'test');
    const beside = test ? join(dirname(test), 'test_labels.csv') : undefined;
    if (beside && (await fileExists(beside))) labels = beside;
  }
  if (!labels) {
    throw new UserInputError('FLAG_REQUIRED', `${runDir} records no answer key for its test file`, {
      hint: `pass --labels <file> (ImageId,Label), e.g. digitflow evaluate ${runDir} --labels data/test_labels.csv`,
    });
  }
  const ownProbabilities = await runOutputPath(runDir, 'probabilities');
  const probabilities = input.probabilities ?? ((await fileExists(ownProbabilities)) ? ownProbabilities : undefined);
  if (input.output !== undefined)
    return {
      submission,
      labels,
      probabilities,
      output: input.output,
      force: Boolean(input.force),
      runDir: await runOwning(input.output, 'metrics'),
    };
  // The run's metrics.json is derived from its submission: a new evaluation replaces it.
  return { submission, labels, probabilities, output: await runOutputPath(runDir, 'metrics'), force: true, runDir };
}

async function readIdLabels(path: string, what: string, numClasses: number): Promise<Map<number, number>> {
  await assertInputFile(path, what);
  // Plain or gzip-compressed, told by the content (as argmax reads probability files).
  const src = await openByteSource(path, { what });
  try {
    return await readIdLabelFile(src.stream, path, numClasses);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new UserInputError('GZIP_INVALID', `${path} is not a valid gzip file: ${(e as Error).message}`, {
        hint: 'decompress it with gunzip to check it, or produce it again',
        details: { file: path },
      });
    }
    throw e;
  }
}

function listIds(ids: number[]): string {
  const shown = ids.slice(0, 10).join(', ');
  return ids.length > 10 ? `${shown} ... (${ids.length} in all)` : shown;
}

/** Metrics of `submission` against `labels` (+ log loss from `probabilities`); a run folder is scored and recorded. */
export async function evaluateStage(given: EvaluateInput, deps: StageDeps): Promise<Metrics> {
  return (await evaluateWithPaths(given, deps)).metrics;
}

/** evaluateStage, also saying which files it read and wrote. */
export async function evaluateWithPaths(
  given: EvaluateInput,
  deps: StageDeps,
): Promise<{ metrics: Metrics; paths: EvaluatePaths }> {
  const numClasses = given.numClasses ?? 10;
  const paths = await evaluatePaths(given);
  const input = { ...given, ...paths };
  if (input.output) await assertWritable(input.output, { force: input.force });
  deps.reporter.emit({
    kind: 'step',
    step: 'evaluate',
    message: `scoring ${input.submission} against ${input.labels}`,
  });
  const truthById = await readIdLabels(input.labels, 'labels file', numClasses);
  const predById = await readIdLabels(input.submission, 'submission', numClasses);
  const missing = [...truthById.keys()].filter((id) => !predById.has(id));
  const extra = [...predById.keys()].filter((id) => !truthById.has(id));
  if (missing.length > 0 || extra.length > 0) {
    const parts: string[] = [];
    if (missing.length)
      parts.push(`${missing.length} ImageId(s) of ${input.labels} are not in ${input.submission}: ${listIds(missing)}`);
    if (extra.length)
      parts.push(`${extra.length} ImageId(s) of ${input.submission} are not in ${input.labels}: ${listIds(extra)}`);
    throw new UserInputError('IDS_MISMATCH', parts.join('; '), {
      hint: 'the submission and the labels must cover the same images; were they made from the same test file?',
      details: { missing: missing.slice(0, 100), extra: extra.slice(0, 100) },
    });
  }
  const ids = [...truthById.keys()].sort((a, b) => a - b);
  const truth = Uint8Array.from(ids, (id) => truthById.get(id)!);
  const predicted = Uint8Array.from(ids, (id) => predById.get(id)!);
  const metrics = computeMetrics(truth, predicted, numClasses);
  if (input.probabilities) {
    const { rows } = await readProbabilityFile(input.probabilities, { numClasses });
    const matched = await matchLabels(rows, truthById, {
      probabilities: input.probabilities,
      labels: input.labels,
      unknownIdHint: 'the probabilities must be for the same images as the labels',
      countHint: 'the probabilities must cover every labelled image',
    });
    metrics.logLoss = matched.logLoss;
  }
  if (input.output) await writeJsonAtomic(input.output, metrics, { force: input.force });
  if (paths.runDir && input.output) {
    const h = await sha256File(paths.labels);
    await recordInRun(
      paths.runDir,
      {
        outputs: { metrics: input.output },
        inputs: [{ role: 'labels', path: paths.labels, sha256: h.sha256, bytes: h.bytes, rows: truthById.size }],
        summary: { accuracy: metrics.accuracy, macroF1: metrics.macroF1 },
      },
      deps,
    );
  }
  return { metrics, paths };
}

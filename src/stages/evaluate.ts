/**
 * evaluate: score a submission against an answer key (`ImageId,Label`), optionally with the
 * probability file for log loss. Mismatched ids are an error that names them.
 */
import { createReadStream } from 'node:fs';
import { UserInputError } from '../errors/index.js';
import { writeJsonAtomic, assertWritable } from '../adapters/atomic-file.js';
import { readIdLabelFile } from '../domain/submission.js';
import { computeMetrics, LogLossAccumulator, type Metrics } from '../domain/metrics.js';
import { assertInputFile, readProbabilityFile } from './argmax.js';
import type { StageDeps } from './deps.js';

export interface EvaluateInput {
  submission: string;
  labels: string;
  probabilities?: string;
  /** metrics.json path; written atomically if given. */
  output?: string;
  force?: boolean;
  numClasses?: number;
}

async function readIdLabels(path: string, what: string, numClasses: number): Promise<Map<number, number>> {
  await assertInputFile(path, what);
  return readIdLabelFile(createReadStream(path), path, numClasses);
}

function listIds(ids: number[]): string {
  const shown = ids.slice(0, 10).join(', ');
  return ids.length > 10 ? `${shown} ... (${ids.length} in all)` : shown;
}

/** Metrics of `submission` against `labels` (+ log loss from `probabilities`). */
export async function evaluateStage(input: EvaluateInput, deps: StageDeps): Promise<Metrics> {
  const numClasses = input.numClasses ?? 10;
  if (input.output) await assertWritable(input.output, { force: input.force });
  deps.reporter.emit({ kind: 'step', step: 'evaluate', message: `scoring ${input.submission} against ${input.labels}` });
  const truthById = await readIdLabels(input.labels, 'labels file', numClasses);
  const predById = await readIdLabels(input.submission, 'submission', numClasses);
  const missing = [...truthById.keys()].filter((id) => !predById.has(id));
  const extra = [...predById.keys()].filter((id) => !truthById.has(id));
  if (missing.length > 0 || extra.length > 0) {
    const parts: string[] = [];
    if (missing.length) parts.push(`${missing.length} ImageId(s) of ${input.labels} are not in ${input.submission}: ${listIds(missing)}`);
    if (extra.length) parts.push(`${extra.length} ImageId(s) of ${input.submission} are not in ${input.labels}: ${listIds(extra)}`);
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
    const acc = new LogLossAccumulator();
    let n = 0;
    for await (const row of rows) {
      n++;
      const id = row.id ?? n;
      const label = truthById.get(id);
      if (label === undefined) {
        throw new UserInputError('IDS_MISMATCH', `${input.probabilities}:${row.line}: ImageId ${id} is not in ${input.labels}`, {
          hint: 'the probabilities must be for the same images as the labels',
          details: { file: input.probabilities, line: row.line, id },
        });
      }
      acc.add(label, row.scores);
    }
    if (acc.rows !== truthById.size) {
      throw new UserInputError('IDS_MISMATCH', `${input.probabilities} has ${acc.rows} rows but ${input.labels} has ${truthById.size}`, {
        hint: 'the probabilities must cover every labelled image',
      });
    }
    metrics.logLoss = acc.value();
  }
  if (input.output) await writeJsonAtomic(input.output, metrics, { force: input.force });
  return metrics;
}

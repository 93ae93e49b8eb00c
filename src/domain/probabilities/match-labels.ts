/**
 * Probability rows matched to an answer key (`ImageId,Label`) by ImageId: what `evaluate` (log loss of a run's
 * probabilities) and `compare` (validation metrics from the raw files) both score.
 */
import { UserInputError } from '../../errors/index.js';
import { LogLossAccumulator } from '../metrics.js';
import { argmax } from './row-check.js';
import type { ProbabilityRow } from './types.js';

export interface LabelMatch {
  /** The answer key's label of each probability row, in file order. */
  truth: number[];
  /** The argmax class of each probability row (ties to the lowest class), in file order. */
  predicted: number[];
  /** Mean log loss of the rows against their labels. */
  logLoss: number;
  rows: number;
}

export interface LabelMatchFiles {
  /** The probability file and the answer key, as named in messages. */
  probabilities: string;
  labels: string;
  /** What to do when a row's ImageId is not in the answer key (none: no hint). */
  unknownIdHint?: string;
  /** What to do when the two files have different row counts. */
  countHint: string;
}

/**
 * Matches each probability row to its label: the row's ImageId, else its 1-based row number. An ImageId the answer
 * key lacks (file:line) or a row count different from the key's is IDS_MISMATCH.
 */
export async function matchLabels(
  rows: AsyncIterable<ProbabilityRow>,
  truthById: ReadonlyMap<number, number>,
  files: LabelMatchFiles,
): Promise<LabelMatch> {
  const { probabilities, labels } = files;
  const truth: number[] = [];
  const predicted: number[] = [];
  const logLoss = new LogLossAccumulator();
  let n = 0;
  for await (const row of rows) {
    n++;
    const id = row.id ?? n;
    const label = truthById.get(id);
    if (label === undefined) {
      throw new UserInputError('IDS_MISMATCH', `${probabilities}:${row.line}: ImageId ${id} is not in ${labels}`, {
        hint: files.unknownIdHint,
        details: { file: probabilities, line: row.line, id },
      });
    }
    truth.push(label);
    predicted.push(argmax(row.scores));
    logLoss.add(label, row.scores);
  }
  if (n !== truthById.size) {
    throw new UserInputError('IDS_MISMATCH', `${probabilities} has ${n} rows but ${labels} has ${truthById.size}`, {
      hint: files.countHint,
    });
  }
  return { truth, predicted, logLoss: logLoss.value(), rows: n };
}

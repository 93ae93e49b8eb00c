/**
 * The rows a reader of a local probability file gets (parseCsvProbabilityBatches: line, ImageId,
 * scores as written, their sum), made from the probabilities in memory instead of from the file's
 * text. `run` writes probabilities.csv and hands these to argmax and evaluate, which would
 * otherwise parse the file it just wrote (differential test against parsing that file).
 */
import { writtenProbability } from './format-probability.js';
import type { ProbabilityRow } from './types.js';

/** Probabilities held in memory: `rows` x `numClasses`, row-major; ImageIds from `firstId`. */
export interface ProbabilitiesInMemory {
  probabilities: Float32Array;
  rows: number;
  numClasses: number;
  /** ImageId of the first row (default 1). */
  firstId?: number;
}

/**
 * Batches of rows as `readProbabilityBatches` yields them for the file writeProbabilityRows writes
 * from `data` (header on line 1, so row r is on line r + 2).
 */
export function* writtenProbabilityRows(data: ProbabilitiesInMemory, batchRows = 4096): Generator<ProbabilityRow[]> {
  const { probabilities, rows, numClasses } = data;
  const firstId = data.firstId ?? 1;
  for (let s = 0; s < rows; s += batchRows) {
    const e = Math.min(rows, s + batchRows);
    const batch: ProbabilityRow[] = new Array(e - s);
    for (let r = s; r < e; r++) {
      const scores = new Array<number>(numClasses);
      let sum = 0;
      for (let k = 0; k < numClasses; k++) sum += scores[k] = writtenProbability(probabilities[r * numClasses + k]);
      batch[r - s] = { line: r + 2, id: firstId + r, scores, sum };
    }
    yield batch;
  }
}

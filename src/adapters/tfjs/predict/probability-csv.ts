/**
 * The local engine's probability file: header `ImageId,0,1,...,9`, one row per image, ImageId
 * 1-based in input order, 6 significant digits (rows still sum to 1 within 1e-5). Rows are
 * written as bytes into one buffer per block (see domain/probabilities/format-probability.ts).
 */
import { MAX_PROBABILITY_BYTES, writeProbability } from '../../../domain/probabilities/format-probability.js';
import { writeChunk } from '../../atomic-file.js';
import { UserInputError } from '../../../errors/index.js';

export { formatProbability } from '../../../domain/probabilities/format-probability.js';

/** The header line (with newline) for `numClasses` classes. */
export function probabilityHeader(numClasses: number): string {
  return `ImageId,${Array.from({ length: numClasses }, (_, k) => String(k)).join(',')}\n`;
}

const COMMA = 44;
const NEWLINE = 10;

/** CSV bytes for `rows` rows of probabilities (row-major, numClasses each), ImageIds from `firstId`. */
export function formatProbabilityRows(probs: Float32Array, rows: number, numClasses: number, firstId: number): Buffer {
  const out = Buffer.allocUnsafe(rows * (16 + numClasses * (1 + MAX_PROBABILITY_BYTES)));
  let o = 0;
  for (let r = 0; r < rows; r++) {
    o += out.write(String(firstId + r), o, 'latin1');
    const base = r * numClasses;
    for (let k = 0; k < numClasses; k++) {
      out[o++] = COMMA;
      o = writeProbability(out, o, probs[base + k]);
    }
    out[o++] = NEWLINE;
  }
  return out.subarray(0, o);
}

/**
 * Refuses probabilities that are not finite numbers in [0, 1] (a model with huge or tampered
 * weights gives NaN): such a file must not be written with exit 0.
 */
export function assertProbabilities(probs: Float32Array, rows: number, numClasses: number, firstId: number): void {
  const n = rows * numClasses;
  for (let i = 0; i < n; i++) {
    const p = probs[i];
    if (!(p >= 0 && p <= 1)) {
      const row = Math.floor(i / numClasses);
      throw new UserInputError(
        'MODEL_INVALID',
        `the model produced ${p} as the probability of class ${i % numClasses} ` +
          `for ImageId ${firstId + row}: no output was written`,
        {
          hint:
            "the model's weights or normalisation are broken (edited, or training diverged): " +
            'retrain it, e.g. with a lower --learning-rate',
          details: { imageId: firstId + row },
        },
      );
    }
  }
}

/** Writes rows to a stream (honouring back-pressure); non-finite probabilities are refused first. */
export async function writeProbabilityRows(
  stream: NodeJS.WritableStream,
  probs: Float32Array,
  rows: number,
  numClasses: number,
  firstId: number,
): Promise<void> {
  assertProbabilities(probs, rows, numClasses, firstId);
  const step = 4096; // bounded buffer size per write
  for (let s = 0; s < rows; s += step) {
    const n = Math.min(step, rows - s);
    await writeChunk(
      stream,
      formatProbabilityRows(probs.subarray(s * numClasses, (s + n) * numClasses), n, numClasses, firstId + s),
    );
  }
}

/**
 * The local engine's probability file: header `ImageId,0,1,...,9`, one row per image, ImageId
 * 1-based in input order, 6 significant digits (rows still sum to 1 within 1e-5).
 * Rows are formatted into one string per chunk so 28,000 rows take tens of milliseconds.
 */
import { writeChunk } from '../atomic-file.js';

/** The header line (with newline) for `numClasses` classes. */
export function probabilityHeader(numClasses: number): string {
  return `ImageId,${Array.from({ length: numClasses }, (_, k) => String(k)).join(',')}\n`;
}

/** Shortest form of `p` with 6 significant digits: 0.123457, 1.5e-7, 1, 0. */
export function formatProbability(p: number): string {
  if (p === 0) return '0';
  if (p === 1) return '1';
  const s = p.toPrecision(6);
  const e = s.indexOf('e');
  if (e < 0) {
    if (s.indexOf('.') < 0) return s;
    let end = s.length;
    while (s.charCodeAt(end - 1) === 48 /* 0 */) end--;
    if (s.charCodeAt(end - 1) === 46 /* . */) end--;
    return s.slice(0, end);
  }
  let end = e;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end) + s.slice(e);
}

/** CSV text for `rows` rows of probabilities (row-major, numClasses each), ImageIds from `firstId`. */
export function formatProbabilityRows(probs: Float32Array, rows: number, numClasses: number, firstId: number): string {
  const lines: string[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    let line = String(firstId + r);
    const o = r * numClasses;
    for (let k = 0; k < numClasses; k++) line += ',' + formatProbability(probs[o + k]);
    lines[r] = line;
  }
  return rows ? lines.join('\n') + '\n' : '';
}

/** Writes rows to a stream (honouring back-pressure). */
export async function writeProbabilityRows(
  stream: NodeJS.WritableStream,
  probs: Float32Array,
  rows: number,
  numClasses: number,
  firstId: number,
): Promise<void> {
  const step = 4096; // bounded string size per write
  for (let s = 0; s < rows; s += step) {
    const n = Math.min(step, rows - s);
    await writeChunk(stream, formatProbabilityRows(probs.subarray(s * numClasses, (s + n) * numClasses), n, numClasses, firstId + s));
  }
}

/**
 * Fast Kaggle/Linear Learner CSV encoding straight into bytes (no per-field strings).
 * Used by prepare (Kaggle layout with header) and by the S3 upload (no header, label first).
 */
import { PIXELS } from '../dataset.js';
import { headerNames, type Layout } from './kaggle-layout.js';

const DIGITS: Uint8Array[] = Array.from({ length: 256 }, (_, v) => new TextEncoder().encode(String(v)));

export function kaggleHeaderLine(layout: Layout): string {
  return headerNames(layout).join(',') + '\n';
}

/**
 * Encodes rows [from, to) of `pixels` (and labels, when given, as the first column) as CSV lines.
 * `order`, when given, maps output position -> source row.
 */
export function encodeRows(
  pixels: Uint8Array,
  labels: Uint8Array | undefined,
  from: number,
  to: number,
  order?: ArrayLike<number>,
): Buffer {
  const n = to - from;
  // Worst case: 4 bytes per value ("255,") plus label and newline.
  const out = Buffer.allocUnsafe(n * (PIXELS * 4 + 5));
  let at = 0;
  for (let i = from; i < to; i++) {
    const r = order ? order[i] : i;
    if (labels) {
      const d = DIGITS[labels[r]];
      for (let k = 0; k < d.length; k++) out[at++] = d[k];
      out[at++] = 44;
    }
    const base = r * PIXELS;
    for (let j = 0; j < PIXELS; j++) {
      const v = pixels[base + j];
      if (v < 10) out[at++] = 48 + v;
      else {
        const d = DIGITS[v];
        for (let k = 0; k < d.length; k++) out[at++] = d[k];
      }
      out[at++] = j === PIXELS - 1 ? 10 : 44;
    }
  }
  return out.subarray(0, at);
}

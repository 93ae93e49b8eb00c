/**
 * The per-part statistics of inspect's scan and the messages of its worker threads, kept apart
 * from csv-scan.ts so a scan thread loads only the parser and this file.
 */
import { PIXELS } from '../domain/dataset.js';
import type { Layout } from '../domain/csv/kaggle-layout.js';
import type { RowChunk } from '../domain/csv/row-buffer.js';

/** Statistics of the rows of one file (or one part of it). */
export interface ScanStats {
  rows: number;
  labelCounts: number[];
  pixelMin: number;
  pixelMax: number;
  pixelSum: number;
  zeros: number;
  blankImages: number;
}

/** Row statistics plus the row digests used to count duplicate images. */
export class RowStats implements ScanStats {
  rows = 0;
  labelCounts: number[];
  pixelMin = 255;
  pixelMax = 0;
  pixelSum = 0;
  zeros = 0;
  blankImages = 0;
  /**
   * One 53-bit digest per row, in order (rowDigest). Equal images have equal digests; two different
   * images share one with a chance of about 2^-53 per pair (~1e-6 for 126,000 rows), which is what
   * the duplicate count may be off by. Grown as rows arrive: the first `rows` entries are valid.
   */
  digests = new Float64Array(4096);

  constructor(numClasses: number) {
    this.labelCounts = new Array<number>(numClasses).fill(0);
  }

  add(chunk: Pick<RowChunk, 'pixels' | 'labels' | 'rows'>): void {
    const px = chunk.pixels;
    if (this.rows + chunk.rows > this.digests.length) {
      const grown = new Float64Array(Math.max(2 * this.digests.length, this.rows + chunk.rows));
      grown.set(this.digests.subarray(0, this.rows));
      this.digests = grown;
    }
    const digests = this.digests;
    const first = this.rows;
    // Four pixels at a time where the buffer allows: most words of a digit image are background (0).
    const words =
      px.byteOffset % 4 === 0 ? new Uint32Array(px.buffer, px.byteOffset, (chunk.rows * PIXELS) >> 2) : undefined;
    let sum = 0;
    let zeros = 0;
    let min = this.pixelMin;
    for (let r = 0; r < chunk.rows; r++) {
      const base = r * PIXELS;
      let rowMax = 0;
      let rowZeros = 0;
      let rowMin = 255;
      if (words) {
        // The digest folds in each non-zero word with its index: zero words (most of an image)
        // cost one compare, and the (index, value) pairs of the non-zero words determine the row.
        let h1 = 0x9e3779b9;
        let h2 = 0x85ebca6b;
        for (let w = base >> 2, end = (base + PIXELS) >> 2; w < end; w++) {
          const word = words[w];
          if (word === 0) {
            rowZeros += 4;
            continue;
          }
          const k = (word ^ Math.imul(w - (base >> 2) + 1, 0x27d4eb2f)) >>> 0;
          h1 = Math.imul(h1 ^ k, 0x01000193) + 0x7f4a7c15;
          h1 ^= h1 >>> 15;
          h2 = Math.imul(h2 + k, 0x5bd1e995) ^ (h2 >>> 13);
          for (let j = w << 2, e = j + 4; j < e; j++) {
            const v = px[j];
            sum += v;
            if (v === 0) rowZeros++;
            else {
              if (v > rowMax) rowMax = v;
              if (v < rowMin) rowMin = v;
            }
          }
        }
        digests[first + r] = finishDigest(h1, h2);
      } else {
        for (let j = base, end = base + PIXELS; j < end; j++) {
          const v = px[j];
          sum += v;
          if (v === 0) rowZeros++;
          else {
            if (v > rowMax) rowMax = v;
            if (v < rowMin) rowMin = v;
          }
        }
        digests[first + r] = rowDigest(px, base);
      }
      if (rowZeros > 0) min = 0;
      else if (rowMin < min) min = rowMin;
      zeros += rowZeros;
      if (rowMax > this.pixelMax) this.pixelMax = rowMax;
      if (rowMax === 0) this.blankImages++;
      if (chunk.labels) this.labelCounts[chunk.labels[r]]++;
    }
    this.pixelMin = min;
    this.pixelSum += sum;
    this.zeros += zeros;
    this.rows += chunk.rows;
  }
}

/** The two 32-bit lanes of a row digest, mixed and joined into one exact 53-bit number. */
function finishDigest(h1: number, h2: number): number {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35) ^ (h1 >>> 16);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x7feb352d);
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x846ca68b) ^ (h2 >>> 16);
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) >>> 11);
}

/**
 * The digest of the 784 pixels of the row at `base` (the same value RowStats computes from aligned
 * words): non-zero 4-pixel words folded in with their index, little-endian as a Uint32Array reads them.
 */
export function rowDigest(px: Uint8Array, base: number): number {
  let h1 = 0x9e3779b9;
  let h2 = 0x85ebca6b;
  for (let i = 0; i < PIXELS >> 2; i++) {
    const o = base + (i << 2);
    const word = (px[o] | (px[o + 1] << 8) | (px[o + 2] << 16) | (px[o + 3] << 24)) >>> 0;
    if (word === 0) continue;
    const k = (word ^ Math.imul(i + 1, 0x27d4eb2f)) >>> 0;
    h1 = Math.imul(h1 ^ k, 0x01000193) + 0x7f4a7c15;
    h1 ^= h1 >>> 15;
    h2 = Math.imul(h2 + k, 0x5bd1e995) ^ (h2 >>> 13);
  }
  return finishDigest(h1, h2);
}

/** What a scan thread posts back when it has no block left. */
export type ScanWorkerMessage = {
  kind: 'done';
  stats: ScanStats;
  /** Its rows' digests, sorted. */
  digests: Float64Array;
  /** The layout of each block it scanned (they must agree). */
  layouts: Layout[];
  hasHeader?: boolean;
  problems: number;
};

export interface ScanWorkerData {
  plan: { path: string; size: number; blockBytes: number; numClasses: number };
  /** The shared counters (csv-scan-blocks.ts Slot). */
  shared: SharedArrayBuffer;
}

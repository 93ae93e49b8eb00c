/**
 * The per-part statistics of inspect's scan and the messages of its worker threads, kept apart
 * from csv-scan.ts so a scan thread loads only the parser and this file.
 */
import { createHash } from 'node:crypto';
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
  /** One sha1 (base64) per row, in order. */
  readonly digests: string[] = [];

  constructor(numClasses: number) {
    this.labelCounts = new Array<number>(numClasses).fill(0);
  }

  add(chunk: Pick<RowChunk, 'pixels' | 'labels' | 'rows'>): void {
    const px = chunk.pixels;
    // Four pixels at a time where the buffer allows: most words of a digit image are background (0).
    const words = px.byteOffset % 4 === 0 ? new Uint32Array(px.buffer, px.byteOffset, (chunk.rows * PIXELS) >> 2) : undefined;
    let sum = 0;
    let zeros = 0;
    let min = this.pixelMin;
    for (let r = 0; r < chunk.rows; r++) {
      const base = r * PIXELS;
      let rowMax = 0;
      let rowZeros = 0;
      let rowMin = 255;
      if (words) {
        for (let w = base >> 2, end = (base + PIXELS) >> 2; w < end; w++) {
          if (words[w] === 0) {
            rowZeros += 4;
            continue;
          }
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
      }
      if (rowZeros > 0) min = 0;
      else if (rowMin < min) min = rowMin;
      zeros += rowZeros;
      if (rowMax > this.pixelMax) this.pixelMax = rowMax;
      if (rowMax === 0) this.blankImages++;
      this.digests.push(createHash('sha1').update(px.subarray(base, base + PIXELS)).digest('base64'));
      if (chunk.labels) this.labelCounts[chunk.labels[r]]++;
    }
    this.pixelMin = min;
    this.pixelSum += sum;
    this.zeros += zeros;
    this.rows += chunk.rows;
  }
}

/** What a worker posts back. */
export type ScanWorkerMessage =
  | { kind: 'bytes'; bytes: number }
  | { kind: 'done'; stats: ScanStats; digests: string[]; layout?: Layout; hasHeader?: boolean; problems: number }
  | { kind: 'error'; message: string };

export interface ScanWorkerData {
  path: string;
  start: number;
  end: number;
  first: boolean;
  numClasses: number;
}


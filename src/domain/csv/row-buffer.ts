/** A growable batch of parsed rows: pixels (rows x 784, Uint8Array) and optional labels. */
import { PIXELS } from '../dataset.js';

/** Rows handed out by the readers, in file order. */
export interface RowChunk {
  pixels: Uint8Array;
  labels?: Uint8Array;
  rows: number;
  /** 0-based index (among data rows, header excluded) of this chunk's first row. */
  firstRow: number;
}

export class RowBuffer {
  pixels: Uint8Array;
  labels: Uint8Array | undefined;
  rows = 0;
  private firstRow = 0;

  constructor(
    private capacity: number,
    withLabels: boolean,
  ) {
    this.capacity = Math.max(16, capacity);
    this.pixels = new Uint8Array(this.capacity * PIXELS);
    this.labels = withLabels ? new Uint8Array(this.capacity) : undefined;
  }

  /** Makes room for one more row and returns its pixel offset. */
  reserveRow(): number {
    if (this.rows === this.capacity) this.grow(this.capacity * 2);
    return this.rows * PIXELS;
  }

  private grow(capacity: number): void {
    const pixels = new Uint8Array(capacity * PIXELS);
    pixels.set(this.pixels.subarray(0, this.rows * PIXELS));
    this.pixels = pixels;
    if (this.labels) {
      const labels = new Uint8Array(capacity);
      labels.set(this.labels.subarray(0, this.rows));
      this.labels = labels;
    }
    this.capacity = capacity;
  }

  /** Hands out the rows so far (copied to exact size) and starts an empty batch of the same capacity. */
  take(): RowChunk {
    const chunk: RowChunk = {
      pixels: this.pixels.slice(0, this.rows * PIXELS),
      labels: this.labels?.slice(0, this.rows),
      rows: this.rows,
      firstRow: this.firstRow,
    };
    this.firstRow += this.rows;
    this.rows = 0;
    return chunk;
  }

  /** The rows so far as views into this buffer (valid until rows are added again); starts an empty batch. */
  lend(): RowChunk {
    const chunk: RowChunk = {
      pixels: this.pixels.subarray(0, this.rows * PIXELS),
      labels: this.labels?.subarray(0, this.rows),
      rows: this.rows,
      firstRow: this.firstRow,
    };
    this.firstRow += this.rows;
    this.rows = 0;
    return chunk;
  }

  /**
   * The rows so far without copying when the buffer is at least 3/4 full (final collection of a
   * whole file, whose buffer was sized from the file size: a Kaggle file fills ~86% of it, and a
   * 33 MB copy of fresh pages cost more than the quarter it could give back).
   */
  takeAll(): RowChunk {
    if (this.rows * PIXELS >= this.pixels.length * 0.75) {
      const chunk: RowChunk = { pixels: this.pixels, labels: this.labels, rows: this.rows, firstRow: this.firstRow };
      if (this.pixels.length !== this.rows * PIXELS) {
        chunk.pixels = this.pixels.subarray(0, this.rows * PIXELS);
        chunk.labels = this.labels?.subarray(0, this.rows);
      }
      this.firstRow += this.rows;
      this.rows = 0;
      this.pixels = new Uint8Array(0);
      this.labels = this.labels ? new Uint8Array(0) : undefined;
      this.capacity = 0;
      return chunk;
    }
    return this.take();
  }
}

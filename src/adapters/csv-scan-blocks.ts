/**
 * The blocks of inspect's multi-core scan: a plain file is cut into fixed-size blocks that the
 * main thread and the scan threads take in turn from one shared counter (whoever is free takes
 * the next), so a core slowed by other work does less of the file and none waits for another.
 *
 * A block owns the lines that start inside it, moved to a line that starts with a digit after a
 * non-empty line (blockStart): no block starts inside the header or a run of empty lines, and
 * the block ends where the next one starts, so the blocks cover every line exactly once. Each
 * block is read with positioned reads into one reused buffer, in small pieces: no fresh memory per
 * read (each fresh page costs a fault), and each piece's rows are counted while still cached.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parseKaggleCsvFast } from '../domain/csv/fast-parser.js';
import type { Layout } from '../domain/csv/kaggle-layout.js';
import { RowStats } from './csv-scan-stats.js';

/** Bytes per read: about 140 Kaggle rows, whose 110 kB of pixels stay in the cache for the statistics. */
const READ_BYTES = 256 * 1024;
/** A chunk is handed to the statistics after the read that brings it to this many rows. */
const CHUNK_ROWS = 128;
/** Buffer rows: CHUNK_ROWS plus one read's worth of the shortest valid rows (1,567 bytes), so it never grows. */
const BUFFER_ROWS = CHUNK_ROWS + Math.ceil(READ_BYTES / 1567) + 1;

/** Slots of the shared Int32Array. */
export const Slot = {
  /** The next block to take. */
  Next: 0,
  /** Blocks finished (for progress; all of them when no thread stopped early). */
  Done: 1,
  /** Set once any block met a problem: the others stop, the one-core scan decides. */
  Failed: 2,
} as const;
export const SHARED_SLOTS = 3;

export interface BlockPlan {
  path: string;
  size: number;
  blockBytes: number;
  numClasses: number;
}

/** What one thread found in the blocks it took. */
export interface BlockScan {
  stats: RowStats;
  /** Layouts seen (one per block with rows); the blocks must agree. */
  layouts: Layout[];
  /** Whether the file has a header: known to the thread that took block 0. */
  hasHeader?: boolean;
  problems: number;
}

/** blockStart's reads: a few Kaggle lines (the search usually ends within two). */
const scratch = new Uint8Array(8192);

/**
 * Where the block at byte `at` starts: `at` itself when it is 0 or the file's end, else the first
 * line start at or after `at` whose line starts with a digit and follows a non-empty line (the
 * file's end when there is none).
 */
export function blockStart(fd: number, at: number, size: number): number {
  if (at <= 0) return 0;
  if (at >= size) return size;
  const LF = 10;
  const CR = 13;
  const buf = scratch;
  // Three bytes of look-behind: the LF ending the line before, and an LF or LF CR before that
  // (which would make that line empty).
  let pos = Math.max(0, at - 3);
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    for (let i = Math.max(3, at - pos); i < n; i++) {
      const b = buf[i];
      if (buf[i - 1] !== LF || b < 48 || b > 57) continue;
      if (buf[i - 2] === LF || (buf[i - 2] === CR && buf[i - 3] === LF)) continue;
      return pos + i;
    }
    if (n < buf.length) return size;
    pos += n - 3;
  }
}

/** Bytes [start, end) of the file, as views of one reused buffer (the parser keeps no view). */
function* readRange(fd: number, start: number, end: number): Generator<Uint8Array> {
  const buf = new Uint8Array(READ_BYTES);
  for (let pos = start; pos < end;) {
    const n = readSync(fd, buf, 0, Math.min(READ_BYTES, end - pos), pos);
    if (n === 0) break; // the file shrank: its rows no longer add up to a clean scan
    pos += n;
    yield buf.subarray(0, n);
  }
}

/**
 * Takes blocks from the shared counter until none is left (or one failed) and scans them.
 * `between` runs after each block (the main thread reports progress and lets its event loop run).
 */
export async function scanBlocks(
  plan: BlockPlan,
  shared: Int32Array,
  between?: () => void | Promise<void>,
): Promise<BlockScan> {
  const result: BlockScan = { stats: new RowStats(plan.numClasses), layouts: [], problems: 0 };
  const blocks = Math.ceil(plan.size / plan.blockBytes);
  const fd = openSync(plan.path, 'r');
  try {
    for (;;) {
      if (Atomics.load(shared, Slot.Failed)) break;
      const k = Atomics.add(shared, Slot.Next, 1);
      if (k >= blocks) break;
      const start = blockStart(fd, k * plan.blockBytes, plan.size);
      const end = blockStart(fd, Math.min(plan.size, (k + 1) * plan.blockBytes), plan.size);
      if (end > start) await scanBlock(fd, start, end, plan, result);
      if (result.problems > 0) Atomics.store(shared, Slot.Failed, 1);
      Atomics.add(shared, Slot.Done, 1);
      await between?.();
    }
  } finally {
    closeSync(fd);
  }
  return result;
}

async function scanBlock(fd: number, start: number, end: number, plan: BlockPlan, into: BlockScan): Promise<void> {
  let layout: Layout | undefined;
  try {
    for await (const chunk of parseKaggleCsvFast(readRange(fd, start, end), {
      file: plan.path,
      layout: 'auto',
      header: start === 0 ? 'auto' : 'none',
      numClasses: plan.numClasses,
      chunkRows: CHUNK_ROWS,
      rowsHint: BUFFER_ROWS,
      borrowChunks: true, // each chunk is counted at once
      onProblem: () => void into.problems++,
      onLayout: (l, h) => {
        layout = l;
        if (start === 0) into.hasHeader = h;
      },
    })) {
      into.stats.add(chunk);
    }
  } catch {
    // A fatal problem (a wrong header, an over-long line, an unreadable file): the one-core scan reports it.
    into.problems++;
  }
  if (layout) into.layouts.push(layout);
}

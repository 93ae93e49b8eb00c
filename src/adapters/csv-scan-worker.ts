/**
 * Worker-thread entry of the two-core scan (csv-scan.ts): parses bytes [start, end) of a plain
 * Kaggle CSV with the same fast parser as every reader (the first part with header detection,
 * later parts as headerless rows) and posts the part's statistics and its row digests, sorted.
 * Problems are only counted: any problem makes the caller rescan the whole file on one core.
 *
 * The part is read with positioned reads into one reused buffer, in small pieces: no fresh memory
 * per read (each fresh page costs a fault), and each piece's rows are counted while they are still
 * in the CPU cache.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { parseKaggleCsvFast } from '../domain/csv/fast-parser.js';
import type { Layout } from '../domain/csv/kaggle-layout.js';
import { RowStats, type ScanWorkerData, type ScanWorkerMessage } from './csv-scan-stats.js';

/** Bytes per read: about 140 Kaggle rows, whose 110 kB of pixels stay in the cache for the statistics. */
const READ_BYTES = 256 * 1024;
/** A chunk is yielded after the read that brings it to this many rows. */
const CHUNK_ROWS = 128;
/** Buffer rows: CHUNK_ROWS plus one read's worth of the shortest valid rows (1,567 bytes), so it never grows. */
const BUFFER_ROWS = CHUNK_ROWS + Math.ceil(READ_BYTES / 1567) + 1;

/** Bytes [start, end) of the file, as views of one reused buffer (the parser keeps no view). */
function* readRange(path: string, start: number, end: number): Generator<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(READ_BYTES);
    for (let pos = start; pos < end;) {
      const n = readSync(fd, buf, 0, Math.min(READ_BYTES, end - pos), pos);
      if (n === 0) break; // the file shrank: the parts' row counts will not add up to a clean scan
      pos += n;
      yield buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as ScanWorkerData;
  const stats = new RowStats(data.numClasses);
  let layout: Layout | undefined;
  let hasHeader: boolean | undefined;
  let problems = 0;
  let last = 0;
  try {
    for await (const chunk of parseKaggleCsvFast(readRange(data.path, data.start, data.end), {
      file: data.path,
      layout: 'auto',
      header: data.first ? 'auto' : 'none',
      numClasses: data.numClasses,
      chunkRows: CHUNK_ROWS,
      rowsHint: BUFFER_ROWS,
      borrowChunks: true, // each chunk is counted at once
      onProblem: () => void problems++,
      onLayout: (l, h) => {
        layout = l;
        hasHeader = h;
      },
      onBytes: (bytes) => {
        if (bytes - last >= 4 << 20) {
          last = bytes;
          port.postMessage({ kind: 'bytes', bytes } satisfies ScanWorkerMessage);
        }
      },
    })) {
      stats.add(chunk);
    }
    port.postMessage({ kind: 'bytes', bytes: data.end - data.start } satisfies ScanWorkerMessage);
    const { digests, ...figures } = stats;
    // Sorted here, on this part's core: the main thread only merges the sorted parts.
    const mine = digests.slice(0, stats.rows).sort();
    port.postMessage(
      { kind: 'done', stats: { ...figures }, digests: mine, layout, hasHeader, problems } satisfies ScanWorkerMessage,
      [mine.buffer],
    );
  } catch {
    // A fatal problem (a wrong header, an unreadable file): the one-core scan reports it properly.
    const { digests: _none, ...empty } = new RowStats(data.numClasses);
    port.postMessage({
      kind: 'done',
      stats: empty,
      digests: new Float64Array(0),
      layout,
      hasHeader,
      problems: problems + 1,
    } satisfies ScanWorkerMessage);
  }
  port.close();
}

void main();

/**
 * Worker-thread entry of the two-core scan (csv-scan.ts): parses bytes [start, end) of a plain
 * Kaggle CSV with the same fast parser as every reader (the first part with header detection,
 * later parts as headerless rows) and posts the part's statistics and row digests. Problems are
 * only counted: any problem makes the caller rescan the whole file on one core.
 */
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { parseKaggleCsvFast } from '../domain/csv/fast-parser.js';
import type { Layout } from '../domain/csv/kaggle-layout.js';
import { RowStats, type ScanWorkerData, type ScanWorkerMessage } from './csv-scan-stats.js';

async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as ScanWorkerData;
  const stats = new RowStats(data.numClasses);
  let layout: Layout | undefined;
  let hasHeader: boolean | undefined;
  let problems = 0;
  let last = 0;
  try {
    const stream = createReadStream(data.path, { start: data.start, end: data.end - 1, highWaterMark: 1 << 20 });
    for await (const chunk of parseKaggleCsvFast(stream as AsyncIterable<Uint8Array>, {
      file: data.path,
      layout: 'auto',
      header: data.first ? 'auto' : 'none',
      numClasses: data.numClasses,
      chunkRows: 4096,
      rowsHint: 8192, // a chunk ends past 4096 rows by up to one read's worth: no growing
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
    const mine = digests.slice(0, stats.rows);
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

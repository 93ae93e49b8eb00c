/**
 * Worker-thread entry of the multi-core scan (csv-scan.ts): takes blocks of a plain Kaggle CSV
 * from the shared counter with the same code as the main thread (csv-scan-blocks.ts) and posts its
 * statistics and its row digests, sorted. Problems are only counted: any problem makes the caller
 * rescan the whole file on one core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { scanBlocks } from './csv-scan-blocks.js';
import { RowStats, type ScanWorkerData, type ScanWorkerMessage } from './csv-scan-stats.js';

async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as ScanWorkerData;
  let message: ScanWorkerMessage;
  try {
    const scan = await scanBlocks(data.plan, new Int32Array(data.shared));
    const { digests, ...figures } = scan.stats;
    // Sorted here, on this thread's core: the main thread only merges the sorted parts.
    const mine = digests.slice(0, scan.stats.rows).sort();
    message = {
      kind: 'done',
      stats: { ...figures },
      digests: mine,
      layouts: scan.layouts,
      hasHeader: scan.hasHeader,
      problems: scan.problems,
    };
    port.postMessage(message, [mine.buffer]);
  } catch {
    // An unreadable file: the one-core scan reports it properly.
    const { digests: _none, ...empty } = new RowStats(data.plan.numClasses);
    message = { kind: 'done', stats: empty, digests: new Float64Array(0), layouts: [], problems: 1 };
    port.postMessage(message);
  }
  port.close();
}

void main();

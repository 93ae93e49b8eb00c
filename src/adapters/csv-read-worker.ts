/**
 * Worker-thread entry of `streamKaggleCsvFileThreaded` (kaggle-csv-threaded.ts): reads and parses
 * a Kaggle CSV with the same reader as the main thread and posts each chunk of rows (its buffers
 * transferred, not copied). At most `window` chunks are in flight: the worker waits for the main
 * thread to take one before parsing further, so memory stays bounded for any file size.
 * Errors are posted as plain data (name, code, message, hint, details) and rebuilt on the other side.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { streamKaggleCsvFile, type StreamCsvOptions } from './kaggle-csv-file.js';
import { setLimits, type Limits } from './limits.js';
import type { ProgressEvent, Reporter } from '../runtime/deps.js';

/** What the main thread passes at start-up. */
export interface CsvReadWorkerData {
  path: string;
  options: Pick<
    StreamCsvOptions,
    'layout' | 'header' | 'numClasses' | 'zipMember' | 'parser' | 'chunkRows' | 'maxLineBytes'
  >;
  /** The main thread's limits (module state is per thread). */
  limits?: Limits;
  /** Chunks posted ahead of the consumer. */
  window: number;
  /** Post the reader's progress events (bytes read) to the main thread. */
  progress?: boolean;
}

/** Messages to the main thread. */
export type CsvReadWorkerMessage =
  | {
      kind: 'chunk';
      pixels: Uint8Array;
      labels?: Uint8Array;
      rows: number;
      firstRow: number;
      layout: string;
      hasHeader: boolean;
    }
  | { kind: 'end' }
  | { kind: 'event'; event: ProgressEvent }
  | {
      kind: 'error';
      error: {
        name?: string;
        code?: string;
        message: string;
        hint?: string;
        details?: Record<string, unknown>;
        stack?: string;
      };
    };

async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as CsvReadWorkerData;
  if (data.limits) setLimits(data.limits);
  let credits = data.window;
  let wake: (() => void) | undefined;
  port.on('message', () => {
    credits++;
    wake?.();
    wake = undefined;
  });
  try {
    const reporter: Reporter | undefined = data.progress
      ? { emit: (event) => port.postMessage({ kind: 'event', event } satisfies CsvReadWorkerMessage) }
      : undefined;
    for await (const c of streamKaggleCsvFile(data.path, { ...data.options, reporter })) {
      while (credits === 0) await new Promise<void>((r) => (wake = r));
      credits--;
      const msg: CsvReadWorkerMessage = {
        kind: 'chunk',
        pixels: c.pixels,
        labels: c.labels,
        rows: c.rows,
        firstRow: c.firstRow,
        layout: c.layout,
        hasHeader: c.hasHeader,
      };
      const transfer = [c.pixels.buffer, ...(c.labels ? [c.labels.buffer] : [])] as ArrayBuffer[];
      port.postMessage(msg, transfer);
    }
    port.postMessage({ kind: 'end' } satisfies CsvReadWorkerMessage);
  } catch (e) {
    const err = e as {
      name?: string;
      code?: unknown;
      message?: string;
      hint?: string;
      details?: Record<string, unknown>;
      stack?: string;
    };
    port.postMessage({
      kind: 'error',
      error: {
        name: err?.name,
        code: typeof err?.code === 'string' ? err.code : undefined,
        message: String(err?.message ?? e),
        hint: err?.hint,
        details: err?.details,
        stack: err?.stack,
      },
    } satisfies CsvReadWorkerMessage);
  }
  port.close();
}

void main();

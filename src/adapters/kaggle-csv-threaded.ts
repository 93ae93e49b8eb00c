/**
 * `streamKaggleCsvFile` on a worker thread: the file is read and parsed on a second core while
 * the caller works on the chunks already parsed (digitflow predict: the model and the output
 * formatting run in parallel with parsing). Same chunks, same order, same errors (rebuilt with
 * their class, code, message, hint and details). Falls back to the in-thread reader when the
 * built worker script is missing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CloudError, InternalError, InterruptedError, UserInputError, errorCodeWithExit } from '../errors/index.js';
import type { CsvReadWorkerData, CsvReadWorkerMessage } from './csv-read-worker.js';
import {
  datasetFromChunks,
  readKaggleCsvFile,
  streamKaggleCsvFile,
  type ReadCsvResult,
  type RowChunk,
  type StreamCsvOptions,
} from './kaggle-csv-file.js';
import type { Layout } from '../domain/csv/kaggle-layout.js';
import { limits } from './limits.js';

type Chunk = RowChunk & { layout: Layout; hasHeader: boolean };

let live = 0;

/** Reader threads started and not yet exited (0 once every stream has ended or been closed). */
export function liveCsvReaderThreads(): number {
  return live;
}

/** The built worker script (dist/adapters/csv-read-worker.js), also when running from src (tests). */
function workerScript(): URL | undefined {
  const candidates = [
    new URL('./csv-read-worker.js', import.meta.url),
    new URL('../../dist/adapters/csv-read-worker.js', import.meta.url),
  ];
  return candidates.find((u) => existsSync(fileURLToPath(u)));
}

type ErrorData = Extract<CsvReadWorkerMessage, { kind: 'error' }>['error'];

function rebuild(e: ErrorData): Error {
  const opts = { hint: e.hint, details: e.details };
  const user = errorCodeWithExit(e.code, 2);
  const cloud = errorCodeWithExit(e.code, 3);
  const internal = errorCodeWithExit(e.code, 1);
  if (user && e.name === 'UserInputError') return new UserInputError(user, e.message, opts);
  if (cloud && e.name === 'CloudError') return new CloudError(cloud, e.message, opts);
  if (e.name === 'InterruptedError') return new InterruptedError(e.message, opts);
  if (internal && e.name === 'InternalError') return new InternalError(internal, e.message, opts);
  const err = new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}

export interface ThreadedCsvOptions extends Pick<
  StreamCsvOptions,
  'layout' | 'header' | 'numClasses' | 'zipMember' | 'parser' | 'chunkRows' | 'signal' | 'maxLineBytes' | 'reporter'
> {
  /** Parsed chunks allowed ahead of the consumer (default 2): memory is about (window + 1) chunks. */
  window?: number;
}

/** Streams row chunks in file order, parsed on a worker thread. */
export async function* streamKaggleCsvFileThreaded(
  path: string,
  options: ThreadedCsvOptions = {},
): AsyncGenerator<Chunk> {
  const script = workerScript();
  const { signal, window = 2, reporter, ...rest } = options;
  if (!script) {
    yield* streamKaggleCsvFile(path, options);
    return;
  }
  // The worker is a fresh module instance: hand it this process's limits (--max-line-bytes, --max-zip-*).
  const data: CsvReadWorkerData = { path, options: rest, window, limits: { ...limits() }, progress: !!reporter };
  const worker = new Worker(script, { workerData: data });
  live++;
  const queue: CsvReadWorkerMessage[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (m: CsvReadWorkerMessage) => {
    if (m.kind === 'event') {
      reporter?.emit(m.event);
      return;
    }
    queue.push(m);
    notify();
  });
  worker.on('error', (e) => {
    failure ??= e;
    notify();
  });
  worker.on('exit', (code) => {
    live--;
    if (code !== 0) failure ??= new Error(`CSV reader thread exited with code ${code}`);
    notify();
  });
  const onAbort = () => {
    failure ??= signal?.reason instanceof Error ? signal.reason : new InterruptedError('reading interrupted');
    notify();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      while (queue.length === 0 && !failure) await new Promise<void>((r) => (wake = r));
      if (signal?.aborted || (failure && queue.length === 0)) throw failure;
      const m = queue.shift()!;
      if (m.kind === 'end') return;
      if (m.kind === 'event') continue;
      if (m.kind === 'error') throw rebuild(m.error);
      worker.postMessage('more');
      yield {
        pixels: m.pixels,
        labels: m.labels,
        rows: m.rows,
        firstRow: m.firstRow,
        layout: m.layout as Layout,
        hasHeader: m.hasHeader,
      };
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await worker.terminate().catch(() => undefined);
  }
}

/**
 * `readKaggleCsvFile` on a worker thread: the whole file parsed on a second core into one buffer
 * (transferred, not copied), while this thread does other work (run: hashing the file, loading
 * TensorFlow.js). Same dataset, same errors; progress events are passed on to `options.reporter`.
 */
export async function readKaggleCsvFileThreaded(
  path: string,
  options: Omit<ThreadedCsvOptions, 'chunkRows' | 'window'> = {},
): Promise<ReadCsvResult> {
  if (!workerScript()) return readKaggleCsvFile(path, options);
  const chunks: Chunk[] = [];
  for await (const c of streamKaggleCsvFileThreaded(path, { ...options, chunkRows: Infinity, window: 1 }))
    chunks.push(c);
  return datasetFromChunks(chunks, path, options);
}

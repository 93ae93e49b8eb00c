/**
 * The statistics `inspect` computes over a Kaggle CSV (label counts, pixel range, blank and
 * duplicate images) in one pass with bounded memory, on one core or on several.
 *
 * The multi-core path cuts a plain (uncompressed) file into blocks that the main thread and the
 * scan threads (csv-scan-worker.ts) take in turn (csv-scan-blocks.ts), each with the same parser,
 * and merges the statistics. It is only an accelerator: when any block meets a problem, or the
 * blocks disagree on the layout, the file is scanned again on one core, so problems, their line
 * numbers and every figure are always those of the one-core scan (checked by the differential
 * test in test/unit/adapters/csv-scan.test.ts).
 */
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CsvProblem } from '../domain/csv/csv-problem.js';
import type { Layout } from '../domain/csv/kaggle-layout.js';
import { isPipelineError, InterruptedError } from '../errors/index.js';
import type { Reporter } from '../runtime/deps.js';
import { streamKaggleCsvFile, type RowChunk } from './kaggle-csv-file.js';
import { RowStats, type ScanStats, type ScanWorkerData, type ScanWorkerMessage } from './csv-scan-stats.js';
import { scanBlocks, SHARED_SLOTS, Slot, type BlockPlan } from './csv-scan-blocks.js';

export { RowStats, type ScanStats } from './csv-scan-stats.js';

export interface ScanResult extends ScanStats {
  layout?: Layout;
  hasHeader?: boolean;
  duplicateImages: number;
  problemCount: number;
  problemsByKind: Record<string, number>;
  /** The first `maxProblems` problems, in file order. */
  problems: CsvProblem[];
  /** Threads that scanned the file (1 = one core). */
  threads: number;
}

export interface ScanOptions {
  numClasses?: number;
  zipMember?: string;
  maxProblems?: number;
  reporter?: Reporter;
  signal?: AbortSignal;
  /** Threads to use (default min(2, CPUs)); 1 = always the one-core scan. */
  threads?: number;
  /** Smallest plain file scanned on several threads (default 32 MB: below, thread start-up dominates). */
  parallelMinBytes?: number;
  /** Bytes per block of the multi-core scan (default 4 MiB). */
  blockBytes?: number;
  /** Sees every chunk of rows in file order (inspect --html); the scan then stays on one thread. */
  onChunk?: (chunk: RowChunk & { layout: Layout }) => void;
}

/**
 * Images that repeat an earlier one: the digests minus the distinct digests. `sorted` are sorted
 * digest arrays (each thread sorts its own part); they are merged here without building one array.
 */
export function countDuplicates(sorted: Float64Array[]): number {
  const pos = sorted.map(() => 0);
  let total = 0;
  let distinct = 0;
  let prev = NaN;
  for (;;) {
    // The smallest head among the parts (a handful of parts: a linear look is enough).
    let k = -1;
    let v = 0;
    for (let i = 0; i < sorted.length; i++) {
      if (pos[i] < sorted[i].length && (k < 0 || sorted[i][pos[i]] < v)) {
        k = i;
        v = sorted[i][pos[i]];
      }
    }
    if (k < 0) break;
    pos[k]++;
    total++;
    if (v !== prev) {
      distinct++;
      prev = v;
    }
  }
  return total - distinct;
}

/** The one-core scan: every row through the reader, problems collected, a bad header reported as the file's problem. */
async function scanSequential(path: string, options: ScanOptions): Promise<ScanResult> {
  const max = options.maxProblems ?? 50;
  const problems: CsvProblem[] = [];
  const byKind: Record<string, number> = {};
  let problemCount = 0;
  const onProblem = (p: CsvProblem) => {
    problemCount++;
    byKind[p.kind] = (byKind[p.kind] ?? 0) + 1;
    if (problems.length < max) problems.push(p);
  };
  const stats = new RowStats(options.numClasses ?? 10);
  let layout: Layout | undefined;
  let hasHeader: boolean | undefined;
  try {
    for await (const chunk of streamKaggleCsvFile(path, {
      header: 'auto',
      numClasses: options.numClasses ?? 10,
      zipMember: options.zipMember,
      onProblem,
      reporter: options.reporter,
      signal: options.signal,
      chunkRows: 4096,
      // The statistics use each chunk at once; inspect --html's row hook may keep them.
      borrowChunks: !options.onChunk,
    })) {
      layout = chunk.layout;
      hasHeader = chunk.hasHeader;
      options.onChunk?.(chunk);
      stats.add(chunk);
    }
  } catch (e) {
    // A wrong header (or unreadable file) stops the scan; report it as the file's problem.
    if (isPipelineError(e) && e.code.startsWith('CSV_')) {
      const d = (e.details ?? {}) as { line?: number; kind?: CsvProblem['kind'] };
      onProblem({ kind: d.kind ?? 'syntax', line: d.line ?? 1, message: e.message.replace(/^[^:]*:\d+: /, '') });
    } else throw e;
  }
  const { digests, ...figures } = stats;
  return {
    ...figures,
    layout,
    hasHeader,
    duplicateImages: countDuplicates([digests.subarray(0, stats.rows).sort()]),
    problemCount,
    problemsByKind: byKind,
    problems,
    threads: 1,
  };
}

/** The built worker script (dist/adapters/csv-scan-worker.js), also when running from src (tests). */
function workerScript(): URL | undefined {
  const candidates = [
    new URL('./csv-scan-worker.js', import.meta.url),
    new URL('../../dist/adapters/csv-scan-worker.js', import.meta.url),
  ];
  return candidates.find((u) => existsSync(fileURLToPath(u)));
}

async function scanParallel(
  path: string,
  size: number,
  threads: number,
  options: ScanOptions,
): Promise<ScanResult | undefined> {
  const script = workerScript();
  if (!script) return undefined;
  const numClasses = options.numClasses ?? 10;
  const plan: BlockPlan = { path, size, blockBytes: options.blockBytes ?? 4 << 20, numClasses };
  const blocks = Math.ceil(size / plan.blockBytes);
  const shared = new Int32Array(new SharedArrayBuffer(SHARED_SLOTS * 4));
  const task = `read:${path}`;
  const workers: Worker[] = [];
  const onAbort = () => workers.forEach((w) => void w.terminate());
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // The scan threads start first; the main thread scans blocks while they boot.
    const others = Array.from(
      { length: threads - 1 },
      () =>
        new Promise<ScanWorkerMessage>((resolve, reject) => {
          const data: ScanWorkerData = { plan, shared: shared.buffer as SharedArrayBuffer };
          const w = new Worker(script, { workerData: data });
          workers.push(w);
          w.on('message', resolve);
          w.on('error', reject);
          w.on('exit', (code) =>
            reject(
              options.signal?.aborted
                ? new InterruptedError('inspect interrupted')
                : new Error(`scan thread exited with code ${code}`),
            ),
          );
        }),
    );
    // Unhandled until awaited below: a thread that fails early must not crash the process meanwhile.
    others.forEach((p) => p.catch(() => undefined));
    let lastReport = 0;
    const mine = await scanBlocks(plan, shared, async () => {
      const done = Math.min(size, Atomics.load(shared, Slot.Done) * plan.blockBytes);
      if (options.reporter && done - lastReport >= 4 << 20) {
        lastReport = done;
        options.reporter.emit({
          kind: 'progress',
          task,
          label: `read ${basename(path)}`,
          done,
          total: size,
          unit: 'bytes',
        });
      }
      if (options.signal?.aborted) throw options.signal.reason ?? new InterruptedError('inspect interrupted');
      // Lets the event loop run (a signal, a thread's message) between blocks.
      await new Promise((r) => setImmediate(r));
    });
    const { digests, ...figures } = mine.stats;
    const results: ScanWorkerMessage[] = [
      {
        kind: 'done',
        stats: figures,
        digests: digests.slice(0, mine.stats.rows).sort(),
        layouts: mine.layouts,
        hasHeader: mine.hasHeader,
        problems: mine.problems,
      },
      ...(await Promise.all(others)),
    ];
    if (options.reporter) {
      options.reporter.emit({
        kind: 'progress',
        task,
        label: `read ${basename(path)}`,
        done: size,
        total: size,
        unit: 'bytes',
      });
      options.reporter.emit({ kind: 'progress-end', task });
    }
    // Any problem, blocks that disagree on the layout, or no rows: the one-core scan decides.
    const layouts = results.flatMap((r) => r.layouts);
    if (
      results.some((r) => r.problems > 0) ||
      Atomics.load(shared, Slot.Done) < blocks ||
      layouts.some((l) => l !== layouts[0]) ||
      results.every((r) => r.stats.rows === 0)
    ) {
      return undefined;
    }
    const merged: ScanStats = {
      rows: 0,
      labelCounts: new Array<number>(numClasses).fill(0),
      pixelMin: 255,
      pixelMax: 0,
      pixelSum: 0,
      zeros: 0,
      blankImages: 0,
    };
    for (const { stats } of results) {
      if (stats.rows === 0) continue;
      merged.rows += stats.rows;
      stats.labelCounts.forEach((c, i) => (merged.labelCounts[i] += c));
      merged.pixelMin = Math.min(merged.pixelMin, stats.pixelMin);
      merged.pixelMax = Math.max(merged.pixelMax, stats.pixelMax);
      merged.pixelSum += stats.pixelSum;
      merged.zeros += stats.zeros;
      merged.blankImages += stats.blankImages;
    }
    return {
      ...merged,
      layout: layouts[0],
      hasHeader: results.find((r) => r.hasHeader !== undefined)?.hasHeader,
      duplicateImages: countDuplicates(results.map((r) => r.digests)),
      problemCount: 0,
      problemsByKind: {},
      problems: [],
      threads: results.length,
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate().catch(() => undefined)));
  }
}

/** Scans a Kaggle CSV (plain, gzip or a zip member) for inspect's statistics. */
export async function scanKaggleCsv(path: string, options: ScanOptions = {}): Promise<ScanResult> {
  const threads = options.threads ?? Math.max(1, Math.min(2, availableParallelism()));
  if (threads > 1 && !options.zipMember && !options.onChunk) {
    const size = await stat(path).then(
      (s) => (s.isFile() ? s.size : 0),
      () => 0,
    );
    if (size >= (options.parallelMinBytes ?? 32 << 20) && (await isPlain(path))) {
      const r = await scanParallel(path, size, threads, options);
      if (options.signal?.aborted) throw options.signal.reason ?? new InterruptedError('inspect interrupted');
      if (r) return r;
    }
  }
  return scanSequential(path, options);
}

async function isPlain(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    return !(b[0] === 0x1f && b[1] === 0x8b) && !(b[0] === 0x50 && b[1] === 0x4b);
  } finally {
    await fh.close();
  }
}

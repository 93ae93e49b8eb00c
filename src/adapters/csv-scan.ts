/**
 * The statistics `inspect` computes over a Kaggle CSV (label counts, pixel range, blank and
 * duplicate images) in one pass with bounded memory, on one core or on two.
 *
 * The two-core path cuts a plain (uncompressed) file at a line boundary, scans each part on a
 * worker thread (csv-scan-worker.ts) with the same parser, and merges the partial statistics.
 * It is only an accelerator: when any part meets a problem, or the parts disagree on the layout,
 * the file is scanned again on one core, so problems, their line numbers and every figure are
 * always those of the one-core scan (checked by the differential test in test/unit/adapters/csv-scan.test.ts).
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

/**
 * Byte offsets where parts start: each right after a LF, before a line that starts with a digit,
 * and after a non-empty line, so no part starts inside a line, the header, or a run of empty lines.
 */
export async function splitPoints(path: string, size: number, parts: number): Promise<number[] | undefined> {
  const fh = await open(path, 'r');
  try {
    const points = [0];
    const buf = Buffer.alloc(1 << 16);
    const LF = 10;
    const CR = 13;
    for (let k = 1; k < parts; k++) {
      let pos = Math.max(0, Math.floor((size * k) / parts) - 3);
      let found = -1;
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        for (let i = 3; i < bytesRead; i++) {
          const b = buf[i];
          if (buf[i - 1] !== LF || b < 48 || b > 57) continue;
          // The line before must not be empty (LF LF, or LF CR LF).
          if (buf[i - 2] === LF || (buf[i - 2] === CR && buf[i - 3] === LF)) continue;
          found = pos + i;
          break;
        }
        if (found >= 0 || bytesRead < buf.length) break;
        pos += bytesRead - 3;
      }
      if (found <= points[points.length - 1]) return undefined;
      points.push(found);
    }
    return points;
  } finally {
    await fh.close();
  }
}

async function scanParallel(
  path: string,
  size: number,
  threads: number,
  options: ScanOptions,
): Promise<ScanResult | undefined> {
  const script = workerScript();
  const points = script && (await splitPoints(path, size, threads));
  if (!script || !points) return undefined;
  const bounds = points.map((start, k) => ({ start, end: points[k + 1] ?? size }));
  const task = `read:${path}`;
  const doneBytes = bounds.map(() => 0);
  let lastReport = 0;
  const workers: Worker[] = [];
  const onAbort = () => workers.forEach((w) => void w.terminate());
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const results = await Promise.all(
      bounds.map(
        (b, k) =>
          new Promise<Extract<ScanWorkerMessage, { kind: 'done' }>>((resolve, reject) => {
            const data: ScanWorkerData = {
              path,
              start: b.start,
              end: b.end,
              first: k === 0,
              numClasses: options.numClasses ?? 10,
            };
            const w = new Worker(script, { workerData: data });
            workers.push(w);
            w.on('message', (m: ScanWorkerMessage) => {
              if (m.kind === 'bytes') {
                doneBytes[k] = m.bytes;
                const done = doneBytes.reduce((a, c) => a + c, 0);
                if (options.reporter && (done - lastReport >= 4 << 20 || done === size)) {
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
              } else if (m.kind === 'done') resolve(m);
              else reject(new Error(m.message));
            });
            w.on('error', reject);
            w.on('exit', (code) =>
              reject(
                options.signal?.aborted
                  ? new InterruptedError('inspect interrupted')
                  : new Error(`scan thread exited with code ${code}`),
              ),
            );
          }),
      ),
    );
    options.reporter?.emit({ kind: 'progress-end', task });
    // Any problem, or parts that disagree on the layout: the one-core scan decides.
    if (results.some((r) => r.problems > 0 || r.layout !== results[0].layout || r.stats.rows === 0)) return undefined;
    const numClasses = options.numClasses ?? 10;
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
      layout: results[0].layout,
      hasHeader: results[0].hasHeader,
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

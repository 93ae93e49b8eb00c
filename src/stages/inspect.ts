/**
 * `inspect`: the "data insights" a user wants before paying for a cloud job — layout, rows,
 * label counts, pixel range, blank and duplicate images, and every problem with its line.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { PIXELS } from '../domain/dataset.js';
import type { CsvProblem } from '../domain/csv/csv-problem.js';
import { streamKaggleCsvFile, type RowChunk } from '../adapters/kaggle-csv-file.js';
import { listZipEntries, openByteSource, sniffCompression } from '../adapters/byte-source.js';
import { isPipelineError } from '../errors/index.js';
import type { StageDeps } from './deps.js';

export interface InspectInput {
  path: string;
  numClasses?: number;
  /** Problems listed in full (all are counted). Default 50. */
  maxProblems?: number;
  /** Sees every chunk of rows as it is scanned (inspect --html collects its pictures here). */
  onRows?: (file: string, chunk: RowChunk & { layout: 'train' | 'test' }) => void;
}

export interface FileInsights {
  file: string;
  compression: string;
  bytes: number;
  layout?: 'train' | 'test';
  hasHeader?: boolean;
  columns?: number;
  rows: number;
  labelCounts?: number[];
  pixelMin?: number;
  pixelMax?: number;
  pixelMean?: number;
  /** Share of pixels that are 0 (background). */
  zeroFraction?: number;
  blankImages: number;
  duplicateImages: number;
  problemCount: number;
  problemsByKind: Record<string, number>;
  problems: CsvProblem[];
  ok: boolean;
}

export interface InspectOutput {
  path: string;
  files: FileInsights[];
  ok: boolean;
}

async function inspectOne(path: string, member: string | undefined, input: InspectInput, deps: StageDeps): Promise<FileInsights> {
  const max = input.maxProblems ?? 50;
  const problems: CsvProblem[] = [];
  const byKind: Record<string, number> = {};
  let problemCount = 0;
  const onProblem = (p: CsvProblem) => {
    problemCount++;
    byKind[p.kind] = (byKind[p.kind] ?? 0) + 1;
    if (problems.length < max) problems.push(p);
  };
  const src = await openByteSource(path, { zipMember: member });
  src.stream.destroy();
  const info: FileInsights = {
    file: member ? `${basename(path)}:${member}` : path,
    compression: src.compression,
    bytes: src.fileBytes,
    rows: 0,
    blankImages: 0,
    duplicateImages: 0,
    problemCount: 0,
    problemsByKind: {},
    problems,
    ok: true,
  };
  const numClasses = input.numClasses ?? 10;
  const counts = new Array<number>(numClasses).fill(0);
  let min = 255;
  let max8 = 0;
  let sum = 0;
  let zeros = 0;
  const seen = new Set<string>();
  try {
    for await (const chunk of streamKaggleCsvFile(path, {
      header: 'auto',
      numClasses,
      zipMember: member,
      onProblem,
      reporter: deps.reporter,
      signal: deps.signal,
      chunkRows: 4096,
    })) {
      info.layout = chunk.layout;
      info.hasHeader = chunk.hasHeader;
      input.onRows?.(info.file, chunk);
      const px = chunk.pixels;
      for (let r = 0; r < chunk.rows; r++) {
        const row = px.subarray(r * PIXELS, (r + 1) * PIXELS);
        let rowMax = 0;
        for (let j = 0; j < PIXELS; j++) {
          const v = row[j];
          sum += v;
          if (v === 0) zeros++;
          if (v < min) min = v;
          if (v > rowMax) rowMax = v;
        }
        if (rowMax > max8) max8 = rowMax;
        if (rowMax === 0) info.blankImages++;
        const h = createHash('sha1').update(row).digest('base64');
        if (seen.has(h)) info.duplicateImages++;
        else seen.add(h);
        if (chunk.labels) counts[chunk.labels[r]]++;
      }
      info.rows += chunk.rows;
    }
  } catch (e) {
    // A wrong header (or unreadable file) stops the scan; report it as the file's problem.
    if (isPipelineError(e) && e.code.startsWith('CSV_')) {
      const d = (e.details ?? {}) as { line?: number; kind?: CsvProblem['kind'] };
      onProblem({ kind: d.kind ?? 'syntax', line: d.line ?? 1, message: e.message.replace(/^[^:]*:\d+: /, '') });
    } else throw e;
  }
  info.columns = info.layout === 'train' ? PIXELS + 1 : info.layout === 'test' ? PIXELS : undefined;
  if (info.layout === 'train') info.labelCounts = counts;
  if (info.rows > 0) {
    info.pixelMin = min;
    info.pixelMax = max8;
    info.pixelMean = sum / (info.rows * PIXELS);
    info.zeroFraction = zeros / (info.rows * PIXELS);
  }
  info.problemCount = problemCount;
  info.problemsByKind = byKind;
  info.ok = problemCount === 0;
  return info;
}

export async function inspect(input: InspectInput, deps: StageDeps): Promise<InspectOutput> {
  const files: FileInsights[] = [];
  const compression = await sniffCompression(input.path).catch(() => 'none');
  if (compression === 'zip') {
    const members = (await listZipEntries(input.path)).filter((n) => /\.csv(\.gz)?$/i.test(n) && !/sample_submission/i.test(n));
    for (const m of members) files.push(await inspectOne(input.path, m, input, deps));
  } else {
    files.push(await inspectOne(input.path, undefined, input, deps));
  }
  return { path: input.path, files, ok: files.every((f) => f.ok) };
}

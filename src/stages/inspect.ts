/**
 * `inspect`: the "data insights" a user wants before paying for a cloud job — layout, rows,
 * label counts, pixel range, blank and duplicate images, and every problem with its line.
 */
import { basename } from 'node:path';
import { PIXELS } from '../domain/dataset.js';
import { scanKaggleCsv } from '../adapters/csv-scan.js';
import type { RowChunk } from '../adapters/kaggle-csv-file.js';
import { listZipEntries, openByteSource, sniffCompression } from '../adapters/byte-source.js';
import { UserInputError } from '../errors/index.js';
import type { StageDeps } from '../runtime/deps.js';
import type { FileInsights } from '../domain/file-insights.js';

export interface InspectInput {
  path: string;
  numClasses?: number;
  /** Problems listed in full (all are counted). Default 50. */
  maxProblems?: number;
  /** Sees every chunk of rows as it is scanned (inspect --html collects its pictures here). */
  onRows?: (file: string, chunk: RowChunk & { layout: 'train' | 'test' }) => void;
}

export interface InspectOutput {
  path: string;
  files: FileInsights[];
  ok: boolean;
}

async function inspectOne(
  path: string,
  member: string | undefined,
  input: InspectInput,
  deps: StageDeps,
): Promise<FileInsights> {
  const src = await openByteSource(path, { zipMember: member });
  src.stream.destroy();
  const scan = await scanKaggleCsv(path, {
    zipMember: member,
    numClasses: input.numClasses ?? 10,
    maxProblems: input.maxProblems ?? 50,
    reporter: deps.reporter,
    signal: deps.signal,
    onChunk: input.onRows ? (chunk) => input.onRows!(member ? `${basename(path)}:${member}` : path, chunk) : undefined,
  });
  const info: FileInsights = {
    file: member ? `${basename(path)}:${member}` : path,
    compression: src.compression,
    bytes: src.fileBytes,
    layout: scan.layout,
    hasHeader: scan.hasHeader,
    rows: scan.rows,
    blankImages: scan.blankImages,
    duplicateImages: scan.duplicateImages,
    problemCount: scan.problemCount,
    problemsByKind: scan.problemsByKind,
    problems: scan.problems,
    ok: scan.problemCount === 0,
  };
  info.columns = info.layout === 'train' ? PIXELS + 1 : info.layout === 'test' ? PIXELS : undefined;
  if (info.layout === 'train') info.labelCounts = scan.labelCounts;
  if (info.rows > 0) {
    info.pixelMin = scan.pixelMin;
    info.pixelMax = scan.pixelMax;
    info.pixelMean = scan.pixelSum / (info.rows * PIXELS);
    info.zeroFraction = scan.zeros / (info.rows * PIXELS);
  }
  return info;
}

export async function inspectStage(input: InspectInput, deps: StageDeps): Promise<InspectOutput> {
  const files: FileInsights[] = [];
  const compression = await sniffCompression(input.path).catch(() => 'none');
  if (compression === 'zip') {
    const names = await listZipEntries(input.path);
    const members = names.filter((n) => /\.csv(\.gz)?$/i.test(n) && !/sample_submission/i.test(n));
    if (members.length === 0) {
      throw new UserInputError(
        'ZIP_MEMBER_MISSING',
        `${input.path} holds no train or test CSV (it has: ${names.slice(0, 10).join(', ') || 'nothing'}` +
          `${names.length > 10 ? `, ... ${names.length} files` : ''})`,
        {
          hint: 'a Kaggle digit-recognizer zip holds train.csv, test.csv and sample_submission.csv',
          details: { path: input.path },
        },
      );
    }
    for (const m of members) files.push(await inspectOne(input.path, m, input, deps));
  } else {
    files.push(await inspectOne(input.path, undefined, input, deps));
  }
  return { path: input.path, files, ok: files.every((f) => f.ok) };
}

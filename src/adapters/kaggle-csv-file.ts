/**
 * The one reader for Kaggle digit CSVs used by every stage: opens the file (plain, gzip, or a zip
 * member), runs the fast parser (or the csv-parse reference one), reports progress, and returns
 * a Dataset or streams row chunks with bounded memory.
 */
import { basename } from 'node:path';
import type { Dataset } from '../domain/dataset.js';
import type { Reporter } from '../runtime/deps.js';
import { UserInputError, isPipelineError } from '../errors/index.js';
import { parseKaggleCsvFast } from '../domain/csv/fast-parser.js';
import { parseKaggleCsvReference } from '../domain/csv/reference-parser.js';
import type { HeaderMode, Layout } from '../domain/csv/kaggle-layout.js';
import type { CsvProblem } from '../domain/csv/csv-problem.js';
import type { RowChunk } from '../domain/csv/row-buffer.js';
import { listZipEntries, openByteSource, sniffCompression } from './byte-source.js';
import { limits } from './limits.js';

export type { RowChunk } from '../domain/csv/row-buffer.js';
export type { Layout, HeaderMode } from '../domain/csv/kaggle-layout.js';

export interface ReadCsvOptions {
  layout?: Layout | 'auto';
  header?: HeaderMode;
  numClasses?: number;
  /** For a zip archive: which member to read (e.g. train.csv). */
  zipMember?: string;
  /** 'fast' (default) or 'reference' (csv-parse); both accept exactly the same files. */
  parser?: 'fast' | 'reference';
  reporter?: Reporter;
  signal?: AbortSignal;
  /** Collect mode: every problem is passed here and bad rows are skipped instead of throwing. */
  onProblem?: (p: CsvProblem) => void;
  /** Longest accepted line in bytes (default: limits().maxLineBytes, raised with --max-line-bytes). */
  maxLineBytes?: number;
}

export interface StreamCsvOptions extends ReadCsvOptions {
  /** Rows per chunk (default 8192). */
  chunkRows?: number;
  /** Chunks may be views valid only until the next one is asked for (see ParseOptions.borrowChunks). */
  borrowChunks?: boolean;
}

export interface ReadCsvResult {
  dataset: Dataset;
  layout: Layout;
  hasHeader: boolean;
  rows: number;
  path: string;
}

/** Streams row chunks in file order. Memory is bounded by chunkRows. */
export async function* streamKaggleCsvFile(
  path: string,
  options: StreamCsvOptions = {},
): AsyncGenerator<RowChunk & { layout: Layout; hasHeader: boolean }> {
  const zipMember = options.zipMember ?? (await defaultZipMember(path, options.layout));
  const src = await openByteSource(path, { zipMember, what: 'CSV file' });
  const file = zipMember ? `${basename(path)}:${zipMember}` : path;
  let layout: Layout | undefined;
  let hasHeader = true;
  const task = `read:${file}`;
  let lastReport = 0;
  const reporter = options.reporter;
  const parse = options.parser === 'reference' ? parseKaggleCsvReference : parseKaggleCsvFast;
  const gen = parse(src.stream as AsyncIterable<Uint8Array>, {
    file,
    layout: options.layout ?? 'auto',
    header: options.header ?? 'kaggle',
    numClasses: options.numClasses ?? 10,
    chunkRows: options.chunkRows ?? 8192,
    rowsHint:
      options.chunkRows === Infinity && src.compression === 'none'
        ? Math.ceil(src.fileBytes / 1570) + 1
        : options.borrowChunks
          ? 2 * (options.chunkRows ?? 8192)
          : undefined,
    borrowChunks: options.borrowChunks,
    onProblem: options.onProblem,
    maxLineBytes: options.maxLineBytes ?? limits().maxLineBytes,
    onLayout: (l, h) => {
      layout = l;
      hasHeader = h;
    },
    onBytes: () => {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      const done = src.bytesRead();
      if (reporter && (done - lastReport >= 4 << 20 || done === src.fileBytes)) {
        lastReport = done;
        reporter.emit({
          kind: 'progress',
          task,
          label: `read ${basename(file)}`,
          done,
          total: src.fileBytes,
          unit: 'bytes',
        });
      }
    },
  });
  try {
    for await (const chunk of gen) yield { ...chunk, layout: layout!, hasHeader };
  } catch (e) {
    throw wrapReadError(e, file);
  } finally {
    src.stream.destroy();
    reporter?.emit({ kind: 'progress-end', task });
  }
}

/**
 * For a zip given where one CSV is expected (`train --train digit-recognizer.zip`): the member the
 * layout names (train.csv / test.csv), else the only CSV inside; undefined for a non-zip file.
 */
async function defaultZipMember(path: string, layout: Layout | 'auto' | undefined): Promise<string | undefined> {
  if ((await sniffCompression(path).catch(() => 'none')) !== 'zip') return undefined;
  const names = await listZipEntries(path);
  const base = (n: string) => n.split('/').pop() ?? n;
  if (layout === 'train' || layout === 'test') {
    const named = names.find((n) => base(n) === `${layout}.csv`);
    if (named) return named;
  }
  const csvs = names.filter((n) => /\.csv$/i.test(n) && !/sample_submission/i.test(base(n)));
  if (csvs.length === 1) return csvs[0];
  throw new UserInputError(
    'ZIP_MEMBER_REQUIRED',
    `${path} is a zip archive holding ${csvs.length ? csvs.join(', ') : 'no CSV'}; cannot tell which to read`,
    {
      hint: 'unzip it and pass the CSV, or use `digitflow prepare --source kaggle FILE.zip`',
      details: { path, members: names.slice(0, 20) },
    },
  );
}

function wrapReadError(e: unknown, file: string): unknown {
  if (isPipelineError(e)) return e;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && err.code.startsWith('Z_')) {
    return new UserInputError('GZIP_INVALID', `${file} is not a valid gzip file: ${err.message}`, {
      hint: 'decompress it with gunzip to check it, or download it again',
      details: { file },
    });
  }
  return e;
}

/** Reads a whole Kaggle CSV into memory (pixels as one Uint8Array). */
export async function readKaggleCsvFile(path: string, options: ReadCsvOptions = {}): Promise<ReadCsvResult> {
  const chunks: (RowChunk & { layout: Layout; hasHeader: boolean })[] = [];
  for await (const c of streamKaggleCsvFile(path, { ...options, chunkRows: Infinity })) chunks.push(c);
  return datasetFromChunks(chunks, path, options);
}

/** One dataset from a file's row chunks (in file order): the only chunk as it is, else concatenated. */
export function datasetFromChunks(
  chunks: (RowChunk & { layout: Layout; hasHeader: boolean })[],
  path: string,
  options: Pick<ReadCsvOptions, 'numClasses' | 'header'>,
): ReadCsvResult {
  const layout = chunks[0]?.layout ?? 'train';
  const rows = chunks.reduce((s, c) => s + c.rows, 0);
  let pixels: Uint8Array;
  let labels: Uint8Array | undefined;
  if (chunks.length === 1) {
    pixels = chunks[0].pixels;
    labels = chunks[0].labels;
  } else {
    pixels = new Uint8Array(rows * 784);
    labels = layout === 'train' ? new Uint8Array(rows) : undefined;
    let at = 0;
    for (const c of chunks) {
      pixels.set(c.pixels, at * 784);
      if (labels && c.labels) labels.set(c.labels, at);
      at += c.rows;
    }
  }
  return {
    dataset: { pixels, labels, rows, numClasses: options.numClasses ?? 10 },
    layout,
    hasHeader: chunks[0]?.hasHeader ?? (options.header ?? 'kaggle') !== 'none',
    rows,
    path,
  };
}

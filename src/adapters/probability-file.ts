/**
 * Probability files from any engine (CSV with or without ImageId, SageMaker JSON Lines, plain or
 * gzip-compressed, told by magic bytes): format detection and streamed, checked rows. `argmax`,
 * `evaluate`, `compare`, `blend` and `report` read them through here.
 */
import { isPipelineError, UserInputError } from '../errors/index.js';
import { assertReadableFile, openByteSource, sniffCompression, type OpenedSource } from './byte-source.js';
import {
  detectProbabilityFormat,
  parseProbabilityBatches,
  PROBABILITY_FORMATS,
  type ProbabilityFormat,
  type ProbabilityRow,
} from '../domain/probabilities/index.js';

/** The format of a probability file: `format` when given, else detected from its first 64 KB. */
export async function resolveProbabilityFormat(
  path: string,
  format: 'auto' | ProbabilityFormat | undefined,
): Promise<ProbabilityFormat> {
  if (format && format !== 'auto') {
    if (!PROBABILITY_FORMATS.includes(format)) {
      throw new UserInputError('PROB_FORMAT_UNKNOWN', `unknown format '${String(format)}'`, {
        hint: `use one of auto, ${PROBABILITY_FORMATS.join(', ')}`,
      });
    }
    return format;
  }
  const src = await openProbabilitySource(path);
  try {
    // The first 64 KB of the content (decompressed for gzip) are enough to tell the format.
    const parts: Buffer[] = [];
    let have = 0;
    for await (const c of src.stream as AsyncIterable<Buffer>) {
      parts.push(c);
      have += c.length;
      if (have >= 65536) break;
    }
    return detectProbabilityFormat(Buffer.concat(parts).subarray(0, 65536).toString('utf8'), path);
  } catch (e) {
    throw gzipError(e, path);
  } finally {
    src.stream.destroy();
  }
}

/** Opens a probability file's content: plain or gzip (a zip archive is refused with a hint). */
async function openProbabilitySource(path: string): Promise<OpenedSource> {
  await assertReadableFile(path, 'probability file');
  if ((await sniffCompression(path)) === 'zip') {
    throw new UserInputError(
      'PROB_ZIP',
      `${path} is a zip archive; argmax reads probability files plain or gzip-compressed`,
      {
        hint: 'unzip it first (or compress it with gzip instead)',
        details: { file: path },
      },
    );
  }
  return openByteSource(path, { what: 'probability file' });
}

/** A broken gzip stream as a user error naming the file. */
function gzipError(e: unknown, path: string): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (!isPipelineError(e) && typeof code === 'string' && code.startsWith('Z_')) {
    return new UserInputError('GZIP_INVALID', `${path} is not a valid gzip file: ${(e as Error).message}`, {
      hint: 'decompress it with gunzip to check it, or produce it again',
      details: { file: path },
    });
  }
  return e;
}

async function* rethrowingGzipErrors<T>(items: AsyncGenerator<T>, path: string): AsyncGenerator<T> {
  try {
    for await (const item of items) yield item;
  } catch (e) {
    throw gzipError(e, path);
  }
}

/** Streams checked rows of a probability file in batches (format resolved as in `resolveProbabilityFormat`). */
export async function readProbabilityBatches(
  path: string,
  opts: { format?: 'auto' | ProbabilityFormat; numClasses?: number },
): Promise<{ format: ProbabilityFormat; batches: AsyncGenerator<ProbabilityRow[]> }> {
  const format = await resolveProbabilityFormat(path, opts.format);
  const src = await openProbabilitySource(path);
  const batches = parseProbabilityBatches(src.stream, format, { file: path, numClasses: opts.numClasses ?? 10 });
  return { format, batches: rethrowingGzipErrors(batches, path) };
}

/** Streams checked rows of a probability file, one by one. */
export async function readProbabilityFile(
  path: string,
  opts: { format?: 'auto' | ProbabilityFormat; numClasses?: number },
): Promise<{ format: ProbabilityFormat; rows: AsyncGenerator<ProbabilityRow> }> {
  const { format, batches } = await readProbabilityBatches(path, opts);
  return {
    format,
    rows: (async function* () {
      for await (const batch of batches) for (const row of batch) yield row;
    })(),
  };
}

/**
 * Opens an input file as a stream of bytes: plain, gzip (detected by its magic bytes, whatever the
 * name), or one member of a zip archive (the Kaggle competition download).
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { Transform, type Readable } from 'node:stream';
import yauzl from 'yauzl';
import { UserInputError } from '../errors/index.js';
import { fileKind } from './atomic-file.js';
import { formatBytes, limits } from './limits.js';

export type Compression = 'none' | 'gzip' | 'zip';

export async function sniffCompression(path: string): Promise<Compression> {
  // Never open a FIFO or a device: opening a FIFO blocks until someone writes to it.
  await assertReadableFile(path);
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (bytesRead >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
    return 'none';
  } finally {
    await fh.close();
  }
}

/**
 * Checks that `path` is a regular file (following symbolic links) before any work: a directory, a
 * FIFO or a device (/dev/zero) would otherwise be read or hashed for ever. Returns its size.
 */
export async function assertReadableFile(path: string, what = 'input file'): Promise<number> {
  let s;
  try {
    s = await stat(path);
  } catch {
    throw new UserInputError('FILE_NOT_FOUND', `${what} ${path} does not exist or is not a readable file`, {
      hint: 'check the path; `digitflow prepare` writes data/train.csv, data/test.csv and data/test_labels.csv',
      details: { path },
    });
  }
  if (!s.isFile()) {
    throw new UserInputError('NOT_A_FILE', `${what} ${path} is ${fileKind(s)}, not a regular file`, {
      hint: 'pass a regular file (a CSV, .csv.gz or .zip); devices, FIFOs and folders are not read',
      details: { path, kind: fileKind(s) },
    });
  }
  return s.size;
}

/** A zip that yauzl refuses (a member named ../x, a damaged directory) as a user error. */
function zipError(path: string, err: unknown): UserInputError {
  const message = (err as Error)?.message ?? String(err);
  const unsafe = /invalid relative path|invalid characters in fileName|absolute path/.test(message);
  return new UserInputError(
    'ZIP_INVALID',
    unsafe
      ? `${path} holds a member with an unsafe name (${message.replace(/^[^:]*: /, '')}): ` +
          `it would point outside the archive's folder`
      : `${path} is not a readable zip archive: ${message}`,
    {
      hint: unsafe
        ? 'this is not the Kaggle download; a zip from Kaggle holds train.csv, test.csv and sample_submission.csv'
        : 'download the archive again, or unzip it and pass the CSV',
      details: { path },
    },
  );
}

/** Refuses a member whose declared expansion is beyond the limits (a zip bomb). */
function checkZipExpansion(path: string, e: yauzl.Entry): void {
  const { maxZipBytes, maxZipRatio } = limits();
  if (e.uncompressedSize > maxZipBytes) {
    throw new UserInputError(
      'ZIP_TOO_LARGE',
      `${path}: member ${e.fileName} expands to ${e.uncompressedSize} bytes, ` +
        `more than the limit of ${formatBytes(maxZipBytes)}`,
      {
        hint: 'unzip it yourself and pass the CSV, or raise the limit with --max-zip-bytes <n>',
        details: { path, member: e.fileName },
      },
    );
  }
  // Tiny members may compress extremely well (all-zero test fixtures): only large ones are checked.
  const ratio = e.uncompressedSize / Math.max(1, e.compressedSize);
  if (e.uncompressedSize > ZIP_RATIO_MIN_BYTES && ratio > maxZipRatio) {
    throw new UserInputError(
      'ZIP_TOO_LARGE',
      `${path}: member ${e.fileName} expands ${Math.round(ratio)}:1 (${e.compressedSize} -> ` +
        `${e.uncompressedSize} bytes), ` +
        `more than the limit of ${maxZipRatio}:1 (a digit CSV deflates about 8:1)`,
      {
        hint:
          'this looks like a zip bomb; if the file is genuine, unzip it yourself or raise the limit with ' +
          '--max-zip-ratio <n>',
        details: { path, member: e.fileName },
      },
    );
  }
}

/** Members up to this size are not checked for their expansion ratio. */
const ZIP_RATIO_MIN_BYTES = 16 * 1024 * 1024;

export interface OpenedSource {
  stream: Readable;
  compression: Compression;
  /** Size of the file on disk (compressed size for gzip; the member's uncompressed size for zip). */
  fileBytes: number;
  /** Bytes read from disk so far (for progress against fileBytes). */
  bytesRead(): number;
}

/** Lists the file names inside a zip archive. */
export async function listZipEntries(path: string): Promise<string[]> {
  const zip = await openZip(path);
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (e: yauzl.Entry) => {
      if (!e.fileName.endsWith('/')) names.push(e.fileName);
      zip.readEntry();
    });
    zip.on('end', () => resolve());
    zip.on('error', (e) => reject(zipError(path, e)));
    zip.readEntry();
  }).finally(() => zip.close());
  return names;
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, zip) => {
      if (err || !zip) reject(zipError(path, err ?? new Error('unknown error')));
      else resolve(zip);
    }),
  );
}

/** Finds a member by exact name or by base name (archives sometimes nest a folder). */
async function openZipEntry(
  path: string,
  member: string,
): Promise<{ stream: Readable; size: number; uncompressed: number }> {
  const zip = await openZip(path);
  return new Promise((resolve, reject) => {
    let found = false;
    zip.on('entry', (e: yauzl.Entry) => {
      const base = e.fileName.split('/').pop();
      if (e.fileName === member || base === member) {
        found = true;
        try {
          checkZipExpansion(path, e);
        } catch (limit) {
          zip.close();
          return reject(limit);
        }
        zip.openReadStream(e, (err, stream) => {
          if (err || !stream) {
            zip.close();
            return reject(zipError(path, err));
          }
          stream.on('end', () => zip.close());
          resolve({ stream, size: e.compressedSize, uncompressed: e.uncompressedSize });
        });
        return;
      }
      zip.readEntry();
    });
    zip.on('end', () => {
      if (!found) {
        zip.close();
        reject(
          new UserInputError('ZIP_MEMBER_MISSING', `${path} has no member named ${member}`, {
            hint: 'a Kaggle digit-recognizer zip holds train.csv, test.csv and sample_submission.csv',
            details: { path, member },
          }),
        );
      }
    });
    zip.on('error', (e) => {
      zip.close();
      reject(zipError(path, e));
    });
    zip.readEntry();
  });
}

/**
 * Opens `path` for reading its content bytes. Gzip is decompressed; a zip needs `zipMember`.
 */
export async function openByteSource(
  path: string,
  options: { zipMember?: string; what?: string } = {},
): Promise<OpenedSource> {
  const fileBytes = await assertReadableFile(path, options.what);
  const compression = await sniffCompression(path);
  let read = 0;
  if (compression === 'zip') {
    if (!options.zipMember) {
      throw new UserInputError('ZIP_MEMBER_REQUIRED', `${path} is a zip archive; say which file inside to read`, {
        hint: 'use `digitflow prepare --source kaggle FILE.zip` or `digitflow inspect FILE.zip`',
        details: { path },
      });
    }
    const { stream, uncompressed } = await openZipEntry(path, options.zipMember);
    // Counted in a pass-through: a 'data' listener would start the flow before anyone reads.
    const counted = new Transform({
      transform(chunk: Buffer, _enc, done) {
        read += chunk.length;
        done(null, chunk);
      },
    });
    stream.on('error', (e) => counted.destroy(e));
    stream.pipe(counted);
    // Progress counts decompressed bytes, so the total is the member's uncompressed size.
    return { stream: counted, compression, fileBytes: uncompressed, bytesRead: () => read };
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    raw.on('error', (e) => gunzip.destroy(e));
    raw.pipe(gunzip);
    const wrapped = gunzip as Readable;
    wrapped.on('error', () => undefined);
    return { stream: wrapped, compression, fileBytes, bytesRead: () => raw.bytesRead };
  }
  // bytesRead of the file stream itself: listening to 'data' would start the flow before anyone reads.
  return { stream: raw, compression, fileBytes, bytesRead: () => raw.bytesRead };
}

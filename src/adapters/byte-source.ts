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

export type Compression = 'none' | 'gzip' | 'zip';

export async function sniffCompression(path: string): Promise<Compression> {
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

export async function assertReadableFile(path: string, what = 'input file'): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a file');
    return s.size;
  } catch {
    throw new UserInputError('FILE_NOT_FOUND', `${what} ${path} does not exist or is not a readable file`, {
      hint: 'check the path; `digitflow prepare` writes data/train.csv, data/test.csv and data/test_labels.csv',
      details: { path },
    });
  }
}

export interface OpenedSource {
  stream: Readable;
  compression: Compression;
  /** Size of the file on disk (compressed size for gzip/zip). */
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
    zip.on('error', reject);
    zip.readEntry();
  });
  zip.close();
  return names;
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, zip) => {
      if (err || !zip) {
        reject(
          new UserInputError('ZIP_INVALID', `${path} is not a readable zip archive: ${err?.message ?? 'unknown error'}`, {
            details: { path },
          }),
        );
      } else resolve(zip);
    }),
  );
}

/** Finds a member by exact name or by base name (archives sometimes nest a folder). */
async function openZipEntry(path: string, member: string): Promise<{ stream: Readable; size: number }> {
  const zip = await openZip(path);
  return new Promise((resolve, reject) => {
    let found = false;
    zip.on('entry', (e: yauzl.Entry) => {
      const base = e.fileName.split('/').pop();
      if (e.fileName === member || base === member) {
        found = true;
        zip.openReadStream(e, (err, stream) => {
          if (err || !stream) return reject(err);
          stream.on('end', () => zip.close());
          resolve({ stream, size: e.uncompressedSize }); // progress counts the decompressed bytes
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
    zip.on('error', reject);
    zip.readEntry();
  });
}

/**
 * Opens `path` for reading its content bytes. Gzip is decompressed; a zip needs `zipMember`.
 */
export async function openByteSource(path: string, options: { zipMember?: string; what?: string } = {}): Promise<OpenedSource> {
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
    const { stream, size } = await openZipEntry(path, options.zipMember);
    // Counted in a pass-through: a 'data' listener would start the flow before anyone reads.
    const counted = new Transform({
      transform(chunk: Buffer, _enc, done) {
        read += chunk.length;
        done(null, chunk);
      },
    });
    stream.on('error', (e) => counted.destroy(e));
    stream.pipe(counted);
    return { stream: counted, compression, fileBytes: size, bytesRead: () => read };
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

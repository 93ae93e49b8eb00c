/**
 * Every output file is written to a temporary name in the same folder and renamed into place
 * only when complete, so a failed or interrupted run never leaves a partial output behind.
 * Existing files are never silently overwritten: callers pass `force` to allow it.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { UserInputError } from '../errors/index.js';

export interface WriteOptions {
  /** Replace an existing file. Without it an existing file is an OUTPUT_EXISTS error. */
  force?: boolean;
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Throws OUTPUT_EXISTS when `path` exists and `force` is not set. */
export async function assertWritable(path: string, options: WriteOptions = {}): Promise<void> {
  if (!options.force && (await fileExists(path))) {
    throw new UserInputError('OUTPUT_EXISTS', `${path} already exists`, {
      hint: 'pass --force to replace it, or choose another output path',
      details: { path },
    });
  }
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes `data` to `path` atomically (temp file + rename). */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteOptions = {},
): Promise<void> {
  await assertWritable(path, options);
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export async function writeJsonAtomic(path: string, value: unknown, options: WriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', options);
}

/** A stream whose bytes become visible at `path` only after `commit()`. */
export interface AtomicWriteStream {
  readonly stream: WriteStream;
  readonly path: string;
  /** Ends the stream (if not ended), waits for the data to be flushed, renames into place. */
  commit(): Promise<void>;
  /** Destroys the stream and removes the temp file. Safe to call more than once. */
  abort(): Promise<void>;
}

export async function openAtomicWriteStream(path: string, options: WriteOptions = {}): Promise<AtomicWriteStream> {
  await assertWritable(path, options);
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const stream = createWriteStream(tmp);
  let done = false;
  return {
    stream,
    path,
    async commit() {
      if (done) return;
      if (!stream.writableEnded) stream.end();
      await finished(stream);
      // Re-check just before the rename: another process may have created the file meanwhile.
      await assertWritable(path, options).catch(async (e) => {
        await rm(tmp, { force: true });
        throw e;
      });
      await rename(tmp, path);
      done = true;
    },
    async abort() {
      if (done) return;
      done = true;
      // Writes still queued fail with ERR_STREAM_DESTROYED once destroyed: the run already failed
      // for another reason, so that secondary error must not crash the process.
      stream.on('error', () => undefined);
      stream.destroy();
      await rm(tmp, { force: true });
    },
  };
}

/**
 * Runs `write` against an atomic stream: commits on success, removes the temp file on any error.
 * Use this so that no code path can forget to clean up.
 */
export async function withAtomicWriteStream<T>(
  path: string,
  options: WriteOptions,
  write: (stream: WriteStream) => Promise<T>,
): Promise<T> {
  const out = await openAtomicWriteStream(path, options);
  try {
    const result = await write(out.stream);
    await out.commit();
    return result;
  } catch (e) {
    await out.abort();
    throw e;
  }
}

/** Writes a string to a stream, honouring back-pressure. */
export async function writeChunk(stream: NodeJS.WritableStream, chunk: string | Uint8Array): Promise<void> {
  if (!stream.write(chunk)) {
    await new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        stream.off('error', onError);
        resolve();
      };
      const onError = (e: Error) => {
        stream.off('drain', onDrain);
        reject(e);
      };
      stream.once('drain', onDrain);
      stream.once('error', onError);
    });
  }
}

/**
 * Every output file is written to a temporary name and renamed into place only when complete, so
 * a failed or interrupted run never leaves a partial output behind. Existing files are never
 * silently overwritten: callers pass `force` to allow it, and even then only a regular file is
 * replaced (never a directory, a device, a FIFO, a socket or a symbolic link).
 *
 * Temporary files live in one predictable place: a `.digitflow-tmp/` folder next to the output
 * (same filesystem, so the final rename is atomic), named `<output>.<pid>-<random>`. They are
 * removed on every error path, on the way out of the process (also after a second Ctrl-C or a
 * SIGTERM), and a file left by a killed process (SIGKILL, power loss) is removed by the next
 * command that writes into the same folder, once its owner pid is no longer alive.
 */
import { createWriteStream, rmSync, rmdirSync, type Stats, type WriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { UserInputError } from '../errors/index.js';

export interface WriteOptions {
  /** Replace an existing file. Without it an existing file is an OUTPUT_EXISTS error. */
  force?: boolean;
}

/** The folder, next to each output, that holds its temporary files. */
export const TEMP_DIR_NAME = '.digitflow-tmp';

export async function fileExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** "a directory", "a character device", ... for anything that is not a regular file. */
export function fileKind(s: Stats): string {
  if (s.isFile()) return 'a regular file';
  if (s.isDirectory()) return 'a directory';
  if (s.isSymbolicLink()) return 'a symbolic link';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Throws OUTPUT_EXISTS when `path` exists and `force` is not set, and NOT_A_FILE when it exists and
 * is anything but a regular file (with or without `force`: only regular files are ever replaced).
 */
export async function assertWritable(path: string, options: WriteOptions = {}): Promise<void> {
  let s: Stats;
  try {
    s = await lstat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw outputPathError(path, e);
  }
  if (!s.isFile()) {
    throw new UserInputError(
      'NOT_A_FILE',
      `${path} is ${fileKind(s)}; only a regular file can be replaced by an output`,
      {
        hint: 'choose an output path that is a file name (new, or an existing regular file with --force)',
        details: { path, kind: fileKind(s) },
      },
    );
  }
  if (!options.force) {
    throw new UserInputError('OUTPUT_EXISTS', `${path} already exists`, {
      hint: 'pass --force to replace it, or choose another output path',
      details: { path },
    });
  }
}

/**
 * A local filesystem error on an output path (a parent that is a file, a name too long, no
 * permission, a read-only or pseudo filesystem) as a user error: exit 2, no stack trace.
 */
export function outputPathError(path: string, e: unknown): unknown {
  const err = e as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOTDIR: 'a parent of it is a file, not a folder',
    EEXIST: 'a parent of it is a file, not a folder',
    EISDIR: 'it is a directory',
    ENAMETOOLONG: 'the name is too long for the filesystem',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'the filesystem is read-only',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENOENT: 'a parent folder cannot be created there',
    ELOOP: 'too many levels of symbolic links',
    EXDEV: 'the temporary file and the output are on different filesystems',
    EINVAL: 'the filesystem does not accept this file',
  };
  const reason = err && typeof err.code === 'string' ? reasons[err.code] : undefined;
  if (!reason) return e;
  return new UserInputError('OUTPUT_PATH_INVALID', `cannot write ${path}: ${reason} (${err.code})`, {
    hint: 'choose another output path (-o) in a folder you can write to',
    details: { path, errno: err.code },
  });
}

/** An output folder that exists must be a folder (checked before any network call or work). */
export async function assertOutputFolder(dir: string): Promise<void> {
  const s = await stat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw outputPathError(dir, e);
  });
  if (s && !s.isDirectory()) {
    throw new UserInputError('NOT_A_FILE', `the output folder ${dir} is ${fileKind(s)}, not a folder`, {
      hint: 'pass a folder (new or existing) to -o',
      details: { path: dir, kind: fileKind(s) },
    });
  }
}

/**
 * `mkdir -p` that always ends: Node's recursive mkdir loops for ever where a parent exists but a
 * child cannot be created (`/proc/x/y`). Creates the missing folders one by one and returns the
 * first one it created (like mkdir's recursive mode), or undefined when `dir` existed.
 */
export async function makeDirs(dir: string): Promise<string | undefined> {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    const s = await stat(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (s) {
      if (!s.isDirectory()) throw Object.assign(new Error(`${d} is not a directory`), { code: 'ENOTDIR', path: d });
      break;
    }
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    await mkdir(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
  return missing[0];
}

/** Temp files this process has created and not yet committed or removed. */
const liveTemps = new Set<string>();
let exitHookInstalled = false;

/**
 * Removes every temp file of this process, synchronously: the last thing before the process exits
 * (normal end, a second Ctrl-C, SIGTERM), so no temp file outlives the command that made it.
 */
export function removeTempFilesSync(): void {
  for (const tmp of liveTemps) {
    try {
      rmSync(tmp, { force: true, recursive: true });
      rmdirSync(dirname(tmp));
    } catch {
      // the folder still holds other files (another process's): leave it
    }
  }
  liveTemps.clear();
}

/** Temp files of this process still on disk (for tests). */
export function liveTempFiles(): string[] {
  return [...liveTemps];
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp files in `tempDir` whose owner process is gone (killed with SIGKILL, crashed). */
export async function removeStaleTempFiles(tempDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(tempDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /\.(\d+)-[0-9a-f]{8}$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (isAlive(pid)) continue;
    await rm(join(tempDir, name), { force: true, recursive: true }).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}

async function removeTemp(tmp: string, path?: string): Promise<void> {
  // Synchronous, and forgotten only once it is gone: a second Ctrl-C that exits the process while
  // this removal is under way finds the file still listed and removes it on the way out, instead of
  // leaving it to a queued unlink that process.exit never runs.
  rmSync(tmp, { force: true, recursive: true });
  liveTemps.delete(tmp);
  // Leave no empty .digitflow-tmp behind; another writer's file keeps it.
  await rmdir(dirname(tmp)).catch(() => undefined);
  // A failed command leaves nothing behind: not even the output folder it created.
  if (path) await removeCreatedDirs(path);
}

/** Folders made for outputs that were never committed: removed again (when empty) on abort. */
const createdDirs = new Map<string, string>();

/** Removes the folders `prepareTemp` created for `path`, innermost first, as long as they are empty. */
async function removeCreatedDirs(path: string): Promise<void> {
  const top = createdDirs.get(path);
  createdDirs.delete(path);
  if (!top) return;
  for (let d = dirname(resolve(path)); d.length >= top.length; d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
    if (d === top) return;
  }
}

/** Creates the output's folder and its temp folder, sweeps stale temps and returns a fresh temp path. */
async function prepareTemp(path: string): Promise<string> {
  const dir = dirname(path);
  try {
    const made = await makeDirs(dir);
    if (made) createdDirs.set(path, made);
    const s = await stat(dir);
    if (!s.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (e) {
    throw outputPathError(path, e);
  }
  const tempDir = join(dir, TEMP_DIR_NAME);
  const tmp = join(tempDir, `${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}`);
  installExitHook();
  liveTemps.add(tmp);
  try {
    await createInTempDir(tempDir, () => writeFile(tmp, '', { flag: 'wx' }));
  } catch (e) {
    liveTemps.delete(tmp);
    throw outputPathError(path, e);
  }
  await removeStaleTempFiles(tempDir);
  return tmp;
}

function installExitHook(): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', removeTempFilesSync);
  }
}

/**
 * Makes `tempDir` and creates an entry in it. Another writer that has just committed removes the
 * temp folder once it is empty (no `.digitflow-tmp/` is left behind), which can happen between our
 * mkdir and our create: then the create fails with ENOENT and is retried with the folder made
 * again. Once our entry exists the folder is not empty, so nobody removes it under us.
 */
async function createInTempDir(tempDir: string, create: () => Promise<unknown>): Promise<string | undefined> {
  for (let attempt = 0; ; attempt++) {
    const made = await makeDirs(tempDir);
    try {
      await create();
      return made;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 50) throw e;
    }
  }
}

/**
 * A scratch folder for a command's intermediate files (upload's converted CSVs), in the same
 * predictable place as temp files: `<dir>/.digitflow-tmp/<name>.<pid>-<random>`. Removed by
 * `remove()`, on the way out of the process, or by the next writer once this pid is gone.
 */
export async function createTempDir(dir: string, name: string): Promise<{ path: string; remove(): Promise<void> }> {
  const tempDir = join(resolve(dir), TEMP_DIR_NAME);
  const path = join(tempDir, `${name}.${process.pid}-${randomBytes(4).toString('hex')}`);
  installExitHook();
  liveTemps.add(path);
  let made: string | undefined;
  try {
    made = await createInTempDir(tempDir, () => mkdir(path));
  } catch (e) {
    liveTemps.delete(path);
    throw outputPathError(tempDir, e);
  }
  await removeStaleTempFiles(tempDir);
  return {
    path,
    async remove() {
      liveTemps.delete(path);
      await rm(path, { recursive: true, force: true });
      // The folders made for it go too when nothing else is in them (a failed first upload).
      for (let d = tempDir; made && d.length >= made.length; d = dirname(d)) {
        if (
          !(await rmdir(d).then(
            () => true,
            () => false,
          ))
        )
          break;
      }
      if (!made) await rmdir(tempDir).catch(() => undefined);
    },
  };
}

/**
 * An exclusive lock on a folder for one kind of writer (`prepare` of a data folder): a file
 * `<dir>/.digitflow-tmp/<name>.lock` holding the owner's pid, created with O_EXCL. A second writer
 * fails with `LOCKED` while the owner lives; a lock left by a dead process is taken over. Released
 * by `release()` or on the way out of the process.
 */
export async function acquireLock(dir: string, name: string, what: string): Promise<{ release(): Promise<void> }> {
  const tempDir = join(resolve(dir), TEMP_DIR_NAME);
  let made: string | undefined;
  try {
    made = await makeDirs(tempDir);
  } catch (e) {
    throw outputPathError(tempDir, e);
  }
  const path = join(tempDir, `${name}.lock`);
  for (let attempt = 0; ; attempt++) {
    try {
      await createInTempDir(tempDir, () => writeFile(path, `${process.pid}\n`, { flag: 'wx' }));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw outputPathError(path, e);
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new UserInputError('LOCKED', `${dir} is being written by another digitflow ${what} (pid ${owner})`, {
          hint: `wait for it to finish, or stop it; if no such process runs, remove ${path}`,
          details: { path: dir, pid: owner },
        });
      }
      await rm(path, { force: true }); // its owner is gone: take it over
    }
  }
  installExitHook();
  liveTemps.add(path);
  return {
    async release() {
      liveTemps.delete(path);
      await rm(path, { force: true });
      // Folders made for the lock go again when empty (a prepare that failed before writing).
      for (let d = tempDir; d.length >= (made ?? tempDir).length; d = dirname(d)) {
        if (
          !(await rmdir(d).then(
            () => true,
            () => false,
          ))
        )
          break;
      }
    },
  };
}

/** Renames the finished temp file over `path`, re-checking that only a regular file is replaced. */
async function commitTemp(tmp: string, path: string, options: WriteOptions): Promise<void> {
  try {
    // Re-check just before the rename: another process may have created the path meanwhile.
    await assertWritable(path, options);
    await rename(tmp, path).catch((e) => {
      throw outputPathError(path, e);
    });
  } catch (e) {
    await removeTemp(tmp, path);
    throw e;
  }
  liveTemps.delete(tmp);
  createdDirs.delete(path);
  await rmdir(dirname(tmp)).catch(() => undefined);
}

/** Per output path: the last write of it this process started (writes of one path run in call order). */
const pathQueues = new Map<string, Promise<void>>();

/**
 * Writes `data` to `path` atomically (temp file + rename). Writes of the same path from this
 * process land in the order they were called, so the last call's data is what stays: two rewrites
 * in flight at once (a manifest saved for two resources, tune's lanes saving the leaderboard) could
 * otherwise be renamed in the other order and leave the older content. A failed write does not stop
 * the next one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  const key = resolve(path);
  const before = pathQueues.get(key);
  const mine = before ? before.then(() => writeNow(path, data, options)) : writeNow(path, data, options);
  const settled = mine.catch(() => undefined); // what the next write of this path waits for
  pathQueues.set(key, settled);
  void settled.then(() => {
    if (pathQueues.get(key) === settled) pathQueues.delete(key);
  });
  return mine;
}

async function writeNow(path: string, data: string | Uint8Array, options: WriteOptions): Promise<void> {
  await assertWritable(path, options);
  const tmp = await prepareTemp(path);
  try {
    await writeFile(tmp, data);
  } catch (e) {
    await removeTemp(tmp, path);
    throw outputPathError(path, e);
  }
  await commitTemp(tmp, path, options);
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
  const tmp = await prepareTemp(path);
  const stream = createWriteStream(tmp);
  // An error before the first write (a full disk) surfaces through finished() or writeChunk().
  stream.on('error', () => undefined);
  let done = false;
  return {
    stream,
    path,
    async commit() {
      if (done) return;
      if (!stream.writableEnded) stream.end();
      try {
        await finished(stream);
      } catch (e) {
        done = true;
        await removeTemp(tmp, path);
        throw outputPathError(path, e);
      }
      done = true;
      await commitTemp(tmp, path, options);
    },
    async abort() {
      if (done) return;
      done = true;
      // Writes still queued fail with ERR_STREAM_DESTROYED once destroyed: the run already failed
      // for another reason, so that secondary error must not crash the process.
      stream.on('error', () => undefined);
      // destroy() before the file is open leaves the open() queued: wait for the stream to close,
      // or the open could create the file again after it was removed.
      const closed = stream.closed ? Promise.resolve() : new Promise<void>((r) => stream.once('close', () => r()));
      stream.destroy();
      await closed;
      await removeTemp(tmp, path);
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

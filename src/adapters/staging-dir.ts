/**
 * A new run folder built under a temporary sibling name and renamed into place only when every
 * file is written: a failed or interrupted command leaves no half-made run behind. With `force`
 * an existing run folder is written into directly (each file is still replaced atomically).
 */
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserInputError } from '../errors/index.js';
import { fileExists, makeDirs } from './atomic-file.js';

async function isEmptyDir(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length === 0;
  } catch {
    return false;
  }
}

/**
 * Runs `fill(workDir)` and then moves the folder to `dir`. `dir` must not exist (or be an empty
 * folder) unless `force` is set.
 */
export async function withStagingDir<T>(
  dir: string,
  opts: { force?: boolean },
  fill: (workDir: string) => Promise<T>,
): Promise<T> {
  const exists = await fileExists(dir);
  const empty = exists && (await isEmptyDir(dir));
  if (exists && !empty) {
    if (!opts.force) {
      throw new UserInputError('OUTPUT_EXISTS', `${dir} already exists`, {
        hint: 'choose another --out, or pass --force to replace its files',
        details: { path: dir },
      });
    }
    return fill(dir);
  }
  await makeDirs(dirname(dir));
  const work = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(work);
  try {
    const result = await fill(work);
    if (empty) await rmdir(dir);
    await rename(work, dir);
    return result;
  } catch (e) {
    await rm(work, { recursive: true, force: true });
    throw e;
  }
}

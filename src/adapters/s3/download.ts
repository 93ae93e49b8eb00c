/**
 * Streaming objects to disk. Every file goes through an atomic write (temp + rename), its length
 * is checked against the object's, and its sha256 against our `digitflow-sha256` metadata when
 * present, so a truncated or altered transfer never becomes an output file.
 *
 * Keys decide local file names, and keys are data from a bucket: a key with a `..` segment, an
 * absolute path, or anything that would land outside the target folder is refused before any
 * file is written.
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { lstat, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { CloudError, InterruptedError, UserInputError } from '../../errors/index.js';
import type { StageDeps } from '../../runtime/deps.js';
import { assertWritable, fileKind, outputPathError, withAtomicWriteStream } from '../atomic-file.js';
import { sha256File } from '../file-hash.js';
import { checkBucket } from './bucket.js';
import { clientTarget } from './client.js';
import { mapS3Error } from './errors.js';
import { listKeys } from './list.js';
import { headObjectMeta, META_SHA256 } from './upload.js';
import { formatS3Uri, parseS3Uri } from './uri.js';

/**
 * The local path for `relativeKey` under `dir`, or S3_UNSAFE_KEY when the key would escape it
 * (`..` or `.` segments, absolute paths, drive letters, backslashes, NUL).
 */
export function safeLocalPath(dir: string, relativeKey: string, uri = relativeKey): string {
  const refuse = (why: string) =>
    new UserInputError('S3_UNSAFE_KEY', `refusing to download ${uri}: its key ${why}`, {
      hint: 'download a prefix that does not contain such keys, or rename the objects in S3',
      details: { uri, key: relativeKey, dir },
    });
  if (relativeKey === '') throw refuse('has no file name');
  if (relativeKey.includes('\0')) throw refuse('contains a NUL byte');
  if (relativeKey.includes('\\')) throw refuse('contains a backslash (a path separator on Windows)');
  if (relativeKey.startsWith('/') || isAbsolute(relativeKey) || /^[A-Za-z]:/.test(relativeKey))
    throw refuse('is an absolute path');
  const segments = relativeKey.split('/');
  if (segments.some((s) => s === '..'))
    throw refuse("contains a '..' segment (it would write outside the target folder)");
  if (segments.some((s) => s === '.' || s === '')) throw refuse("contains an empty or '.' segment");
  const root = resolve(dir);
  const target = resolve(root, ...segments);
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || !target.startsWith(root + sep)) {
    throw refuse('would land outside the target folder');
  }
  return target;
}

export interface DownloadResult {
  uri: string;
  path: string;
  bytes: number;
  sha256: string;
  /** True when the sha256 was checked against the object's digitflow metadata. */
  verified: boolean;
  seconds: number;
  /** True when the local file already matched the object (size and digitflow sha256) and was kept. */
  unchanged?: boolean;
}

/** Streams one object to `localPath` (atomic; refuses to overwrite unless `force`). */
export async function downloadObject(
  client: S3Client,
  uri: string,
  localPath: string,
  opts: { force?: boolean; label?: string } = {},
  deps: StageDeps,
): Promise<DownloadResult> {
  const { bucket, key } = parseS3Uri(uri);
  const label = opts.label ?? key.split('/').pop() ?? key;
  const task = `download:${label}`;
  const started = deps.clock.now();
  if (deps.signal?.aborted) throw new InterruptedError(`download of ${uri} interrupted`);
  let res: GetObjectCommandOutput;
  try {
    res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: deps.signal });
  } catch (e) {
    throw mapS3Error(e, { operation: 'GetObject', bucket, key, ...(await clientTarget(client)) });
  }
  const total = res.ContentLength;
  const expectedSha = res.Metadata?.[META_SHA256];
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      const seconds = Math.max((deps.clock.now() - started) / 1000, 1e-3);
      deps.reporter.emit({
        kind: 'progress',
        task,
        label,
        done: bytes,
        total,
        unit: 'bytes',
        info: { 'MB/s': Number((bytes / 1e6 / seconds).toFixed(1)) },
      });
      cb(null, chunk);
    },
  });
  let sha256: string;
  try {
    sha256 = await withAtomicWriteStream(localPath, { force: opts.force }, async (out) => {
      const body = res.Body as NodeJS.ReadableStream | undefined;
      if (!body) throw new CloudError('S3_EMPTY_BODY', `S3 returned no body for ${uri}`, { details: { uri } });
      await pipeline(body, meter, out, { signal: deps.signal });
      const digest = hash.digest('hex');
      if (total !== undefined && bytes !== total) {
        throw new CloudError('S3_DOWNLOAD_INCOMPLETE', `${uri}: received ${bytes} of ${total} bytes`, {
          hint: 'the connection was cut; run the command again',
          details: { uri, bytes, total },
        });
      }
      if (expectedSha && expectedSha !== digest) {
        throw new CloudError(
          'S3_DOWNLOAD_CORRUPT',
          `${uri}: sha256 ${digest} does not match the uploaded ${expectedSha}`,
          {
            hint: 'the object was altered in S3 or in transit; upload it again',
            details: { uri, sha256: digest, expected: expectedSha },
          },
        );
      }
      return digest;
    });
  } catch (e) {
    if (deps.signal?.aborted)
      throw new InterruptedError(`download of ${uri} interrupted; no partial file was kept`, { cause: e });
    // A local filesystem error (full disk, a name too long) is the user's to fix, not S3's.
    if (typeof (e as NodeJS.ErrnoException)?.path === 'string') throw outputPathError(localPath, e);
    throw mapS3Error(e, { operation: 'GetObject', bucket, key, ...(await clientTarget(client)) });
  } finally {
    deps.reporter.emit({ kind: 'progress-end', task });
  }
  return {
    uri,
    path: localPath,
    bytes,
    sha256,
    verified: Boolean(expectedSha),
    seconds: (deps.clock.now() - started) / 1000,
  };
}

export interface DownloadManyResult {
  /** 'object' when the URI named one object, 'prefix' when it named a folder of objects. */
  mode: 'object' | 'prefix';
  files: DownloadResult[];
  bytes: number;
  seconds: number;
}

/**
 * Downloads `uri` into `dir`: one object (to dir/<file name>) when the key names an object,
 * otherwise every object under it (to dir/<key relative to the prefix>). All local paths are
 * checked (escape, existing files) before the first byte is written. Zero-byte "folder
 * marker" keys ending in '/' are skipped. A local file that already matches its object (size
 * and digitflow sha256) is kept without --force and without a transfer.
 */
export async function downloadToDir(
  client: S3Client,
  uri: string,
  dir: string,
  opts: { force?: boolean } = {},
  deps: StageDeps,
): Promise<DownloadManyResult> {
  const { bucket, key } = parseS3Uri(uri);
  const started = deps.clock.now();
  // First a request whose errors name their cause (a HEAD 403 cannot tell bad keys from no permission).
  await checkBucket(client, bucket, key);
  let mode: DownloadManyResult['mode'] = 'prefix';
  let plan: Array<{ uri: string; path: string }>;
  if (key !== '' && !key.endsWith('/') && (await headObjectMeta(client, uri))) {
    mode = 'object';
    plan = [{ uri, path: safeLocalPath(dir, key.split('/').pop() ?? '', uri) }];
  } else {
    const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
    const objects = await listKeys(client, formatS3Uri(bucket, prefix));
    plan = objects
      .filter((o) => !(o.key.endsWith('/') && o.bytes === 0))
      .map((o) => ({ uri: o.uri, path: safeLocalPath(dir, o.key.slice(prefix.length), o.uri) }));
    if (plan.length === 0) {
      throw new UserInputError(
        'S3_NOTHING_FOUND',
        `nothing to download: no object ${uri} and no objects under ${formatS3Uri(bucket, prefix)}`,
        {
          hint: 'check the URI (list it with `aws s3 ls`)',
          details: { uri, ...(await clientTarget(client)) },
        },
      );
    }
  }
  await checkLocalPlan(
    dir,
    plan.map((p) => ({ uri: p.uri, path: p.path })),
  );
  // A local file identical to the object (same size, and the sha256 digitflow stored when uploading
  // it) is kept as it is: running the same download again costs HEAD requests, not a transfer.
  const same = new Map<string, DownloadResult>();
  for (const p of plan) {
    const kept = await unchangedLocalCopy(client, p.uri, p.path);
    if (kept) same.set(p.path, kept);
    else await assertWritable(p.path, opts);
  }
  const files: DownloadResult[] = [];
  for (const p of plan) {
    files.push(
      same.get(p.path) ??
        (await downloadObject(
          client,
          p.uri,
          p.path,
          { force: opts.force, label: relative(dir, p.path) || p.path },
          deps,
        )),
    );
  }
  const fetched = files.filter((f) => !f.unchanged);
  return { mode, files, bytes: fetched.reduce((s, f) => s + f.bytes, 0), seconds: (deps.clock.now() - started) / 1000 };
}

/**
 * Local checks of a download plan before any transfer: no two keys need the same path as a file
 * and as a folder (`x` and `x/y`), and no file is written through a symbolic link or a non-folder
 * already inside the target folder (a link `lnk` -> /elsewhere would put `lnk/inside.txt` outside it).
 */
export async function checkLocalPlan(dir: string, plan: Array<{ uri: string; path: string }>): Promise<void> {
  const root = resolve(dir);
  const files = new Map(plan.map((p) => [p.path, p.uri]));
  const checked = new Set<string>();
  for (const p of plan) {
    for (let d = dirname(p.path); d.length > root.length && d.startsWith(root + sep); d = dirname(d)) {
      const clash = files.get(d);
      if (clash) {
        throw new UserInputError(
          'S3_KEY_CONFLICT',
          `${clash} and ${p.uri} cannot both be downloaded: ${relative(root, d)} would have to be a file and a folder`,
          {
            hint: 'download them into separate folders (-o), or only one of them',
            details: { file: clash, other: p.uri },
          },
        );
      }
      if (checked.has(d)) continue;
      checked.add(d);
      const s = await lstat(d).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw outputPathError(p.path, e);
      });
      if (s && !s.isDirectory()) {
        throw new UserInputError(
          'NOT_A_FILE',
          `cannot download ${p.uri} to ${p.path}: ${d} is ${fileKind(s)}, not a folder`,
          {
            hint: s.isSymbolicLink()
              ? 'downloads never write through symbolic links; remove the link or choose another -o folder'
              : 'choose another -o folder',
            details: { path: d, uri: p.uri },
          },
        );
      }
    }
  }
}

/** The local file as a result when it matches the object's size and digitflow sha256, else undefined. */
async function unchangedLocalCopy(client: S3Client, uri: string, path: string): Promise<DownloadResult | undefined> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) return undefined;
    size = st.size;
  } catch {
    return undefined;
  }
  const meta = await headObjectMeta(client, uri);
  if (!meta?.sha256 || meta.bytes !== size) return undefined;
  const local = await sha256File(path);
  if (local.sha256 !== meta.sha256) return undefined;
  return { uri, path, bytes: size, sha256: local.sha256, verified: true, seconds: 0, unchanged: true };
}

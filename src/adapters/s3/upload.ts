/**
 * Uploading local files to S3 with `@aws-sdk/lib-storage` (multipart for anything over one part,
 * which also works for streams of unknown length where PutObject needs a Content-Length).
 *
 * Skip-if-unchanged: every object we write carries `digitflow-sha256` and `digitflow-size` in
 * its metadata; an object whose metadata and length both match the local file is not re-sent.
 * After an upload the stored length is checked, so a server that stores something else (s3rver
 * storing aws-chunked framing inside the object) is caught instead of trusted.
 */
import { createReadStream } from 'node:fs';
import { AbortMultipartUploadCommand, DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { CloudError, InterruptedError } from '../../errors/index.js';
import type { StageDeps } from '../../runtime/deps.js';
import { sha256File } from '../file-hash.js';
import { clientTarget } from './client.js';
import { mapS3Error } from './errors.js';
import { parseS3Uri } from './uri.js';

export const META_SHA256 = 'digitflow-sha256';
export const META_SIZE = 'digitflow-size';
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

export interface UploadFileOptions {
  contentType?: string;
  /** Known sha256/size of the file (saves hashing it again). */
  sha256?: string;
  bytes?: number;
  /** Default true: do not re-send an object whose size and sha256 metadata match. */
  skipIfUnchanged?: boolean;
  partSize?: number;
  queueSize?: number;
  /** Name shown next to the progress bar (default: the key's file name). */
  label?: string;
}

export interface UploadFileResult {
  uri: string;
  bytes: number;
  sha256: string;
  skipped: boolean;
  seconds: number;
  /** Throughput of the transfer (absent when skipped). */
  mbPerSecond?: number;
}

/** What an existing object says about itself, or undefined when there is no object. */
export async function headObjectMeta(
  client: S3Client,
  uri: string,
): Promise<{ bytes: number; sha256?: string; size?: number; contentType?: string } | undefined> {
  const { bucket, key } = parseS3Uri(uri);
  try {
    const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const meta = h.Metadata ?? {};
    const size = meta[META_SIZE] !== undefined ? Number(meta[META_SIZE]) : undefined;
    return { bytes: h.ContentLength ?? 0, sha256: meta[META_SHA256], size, contentType: h.ContentType };
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) return undefined;
    throw mapS3Error(e, { operation: 'HeadObject', bucket, key, ...(await clientTarget(client)) });
  }
}

/** Uploads `localPath` to `uri`, emitting `upload:<label>` progress (bytes, MB/s). */
export async function uploadFileToS3(
  client: S3Client,
  localPath: string,
  uri: string,
  opts: UploadFileOptions,
  deps: StageDeps,
): Promise<UploadFileResult> {
  const { bucket, key } = parseS3Uri(uri);
  const label = opts.label ?? key.split('/').pop() ?? key;
  const task = `upload:${label}`;
  const hashed =
    opts.sha256 && opts.bytes !== undefined ? { sha256: opts.sha256, bytes: opts.bytes } : await sha256File(localPath);
  const started = deps.clock.now();

  if (opts.skipIfUnchanged !== false) {
    const existing = await headObjectMeta(client, uri);
    if (
      existing &&
      existing.bytes === hashed.bytes &&
      existing.size === hashed.bytes &&
      existing.sha256 === hashed.sha256
    ) {
      deps.reporter.emit({
        kind: 'info',
        message: `unchanged, not re-sent: ${uri}`,
        data: { uri, sha256: hashed.sha256 },
      });
      return { uri, ...hashed, skipped: true, seconds: (deps.clock.now() - started) / 1000 };
    }
  }

  if (deps.signal?.aborted) throw new InterruptedError(`upload of ${uri} interrupted`);
  const abortController = new AbortController();
  const onAbort = () => abortController.abort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const upload = new Upload({
    client,
    params: {
      Bucket: bucket,
      Key: key,
      Body: createReadStream(localPath),
      ContentLength: hashed.bytes,
      ContentType: opts.contentType,
      Metadata: { [META_SHA256]: hashed.sha256, [META_SIZE]: String(hashed.bytes) },
    },
    partSize: opts.partSize ?? DEFAULT_PART_SIZE,
    queueSize: opts.queueSize ?? 4,
    // digitflow discards the parts itself, so it knows whether that worked (a 405 leaves them billed).
    leavePartsOnError: true,
    abortController,
  });
  const transferStart = deps.clock.now();
  upload.on('httpUploadProgress', (p) => {
    const seconds = Math.max((deps.clock.now() - transferStart) / 1000, 1e-3);
    const done = p.loaded ?? 0;
    deps.reporter.emit({
      kind: 'progress',
      task,
      label,
      done,
      total: p.total ?? hashed.bytes,
      unit: 'bytes',
      info: { 'MB/s': Number((done / 1e6 / seconds).toFixed(1)) },
    });
  });
  try {
    await upload.done();
  } catch (e) {
    const discard = await discardIncompleteUpload(
      client,
      bucket,
      key,
      (upload as unknown as { uploadId?: string }).uploadId,
    );
    if (deps.signal?.aborted)
      throw new InterruptedError(`upload of ${uri} interrupted; ${discard.message}`, { cause: e });
    const mapped = mapS3Error(e, { operation: 'upload', bucket, key, ...(await clientTarget(client)) });
    if (!discard.ok && mapped instanceof Error) mapped.message += `; ${discard.message}`;
    throw mapped;
  } finally {
    deps.signal?.removeEventListener('abort', onAbort);
    deps.reporter.emit({ kind: 'progress-end', task });
  }
  const seconds = (deps.clock.now() - transferStart) / 1000;

  const stored = await headObjectMeta(client, uri);
  if (!stored || stored.bytes !== hashed.bytes) {
    // Never leave an object that claims (by metadata) to be complete when it is not.
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    throw new CloudError(
      'S3_UPLOAD_CORRUPT',
      `${uri} was stored with ${stored?.bytes ?? 'no'} bytes instead of ${hashed.bytes}; the object was deleted`,
      {
        hint:
          'the S3 server altered the upload; with a custom endpoint digitflow sends checksum mode ' +
          'WHEN_REQUIRED, so check the server version',
        details: { uri, expectedBytes: hashed.bytes, storedBytes: stored?.bytes },
      },
    );
  }
  return {
    uri,
    ...hashed,
    skipped: false,
    seconds: (deps.clock.now() - started) / 1000,
    mbPerSecond: Number((hashed.bytes / 1e6 / Math.max(seconds, 1e-3)).toFixed(1)),
  };
}

/**
 * Aborts a multipart upload that did not complete, so its parts are not kept (and billed). Says
 * what happened: when S3 refuses (a 405, no permission), the parts stay and the user is told how
 * to find them.
 */
export async function discardIncompleteUpload(
  client: S3Client,
  bucket: string,
  key: string,
  uploadId: string | undefined,
): Promise<{ ok: boolean; message: string }> {
  if (!uploadId) return { ok: true, message: 'nothing was stored' };
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    return { ok: true, message: 'the incomplete upload was discarded' };
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const why = status ? `HTTP ${status}` : (e as Error).message;
    return {
      ok: false,
      message:
        `the incomplete upload ${uploadId} could not be discarded (${why}); its parts stay in the bucket: ` +
        `list them with \`aws s3api list-multipart-uploads --bucket ${bucket}\` and remove them with \`aws ` +
        `s3api abort-multipart-upload\``,
    };
  }
}

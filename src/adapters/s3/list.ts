/** Listing (all pages of ListObjectsV2) and prefix deletion (DeleteObjects, 1000 keys a call). */
import { DeleteObjectsCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { CloudError, UserInputError } from '../../errors/index.js';
import { clientTarget } from './client.js';
import { mapS3Error } from './errors.js';
import { formatS3Uri, parseS3Uri } from './uri.js';

export interface S3ObjectInfo {
  /** Full key within the bucket. */
  key: string;
  uri: string;
  bytes: number;
  etag?: string;
  lastModified?: Date;
}

/** Every object under `uri` (a prefix; '' = whole bucket), in key order, across all pages. */
export async function* iterateKeys(
  client: S3Client,
  uri: string,
  opts: { pageSize?: number } = {},
): AsyncIterable<S3ObjectInfo> {
  const { bucket, key: prefix } = parseS3Uri(uri);
  try {
    for await (const page of paginateListObjectsV2(
      { client, pageSize: opts.pageSize ?? 1000 },
      { Bucket: bucket, Prefix: prefix },
    )) {
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield {
          key: o.Key,
          uri: formatS3Uri(bucket, o.Key),
          bytes: o.Size ?? 0,
          etag: o.ETag,
          lastModified: o.LastModified,
        };
      }
    }
  } catch (e) {
    throw mapS3Error(e, { operation: 'ListObjectsV2', bucket, key: prefix, ...(await clientTarget(client)) });
  }
}

/** All objects under `uri` as an array (see iterateKeys). */
export async function listKeys(
  client: S3Client,
  uri: string,
  opts: { pageSize?: number } = {},
): Promise<S3ObjectInfo[]> {
  const out: S3ObjectInfo[] = [];
  for await (const o of iterateKeys(client, uri, opts)) out.push(o);
  return out;
}

/**
 * Deletes every object under the prefix `uri` and returns how many were deleted. The prefix is
 * treated as a folder (a trailing '/' is added) so `s3://b/run1` never deletes `s3://b/run10/...`;
 * the bucket root is refused.
 */
export async function deletePrefix(client: S3Client, uri: string): Promise<number> {
  const { bucket, key } = parseS3Uri(uri);
  if (key.replace(/\/+$/, '') === '') {
    throw new UserInputError('S3_REFUSE_BUCKET_ROOT', `refusing to delete everything in s3://${bucket}`, {
      hint: 'give a prefix inside the bucket, e.g. s3://BUCKET/digitflow/<run-id>/',
      details: { uri },
    });
  }
  const prefix = key.endsWith('/') ? key : `${key}/`;
  let deleted = 0;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const keys = batch;
    batch = [];
    let res;
    try {
      res = await client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
      );
    } catch (e) {
      throw mapS3Error(e, { operation: 'DeleteObjects', bucket, key: prefix, ...(await clientTarget(client)) });
    }
    const errors = res.Errors ?? [];
    if (errors.length > 0) {
      const first = errors[0];
      throw new CloudError(
        'S3_DELETE_FAILED',
        (
          `could not delete ${errors.length} object(s) under s3://${bucket}/${prefix}, ` +
          `e.g. ${first.Key}: ${first.Code} ${first.Message ?? ''}`
        ).trim(),
        {
          hint: 'the identity needs s3:DeleteObject on the prefix; run the command again to retry',
          details: { uri: formatS3Uri(bucket, prefix), failed: errors.length, deletedBefore: deleted },
        },
      );
    }
    deleted += keys.length;
  };
  for await (const o of iterateKeys(client, formatS3Uri(bucket, prefix))) {
    batch.push(o.key);
    if (batch.length === 1000) await flush();
  }
  await flush();
  return deleted;
}

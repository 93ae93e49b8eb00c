/** A cheap first request that fails with the right message before any real work starts. */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { clientTarget } from './client.js';
import { mapS3Error } from './errors.js';

/**
 * Checks that `bucket` exists, is in the client's region and accepts our credentials.
 * ListObjectsV2 (not HeadBucket) because its error bodies name the cause (NoSuchBucket,
 * InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied) where a HEAD only has a status code.
 */
export async function checkBucket(client: S3Client, bucket: string, prefix = ''): Promise<void> {
  try {
    await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }));
  } catch (e) {
    throw mapS3Error(e, { operation: 'ListObjectsV2', bucket, key: prefix, ...(await clientTarget(client)) });
  }
}

/**
 * The S3 operations the managed engine and `upload` need, as a small interface over the S3
 * adapter (`src/adapters/s3`), so stages can be unit-tested without a server and errors stay the
 * S3 adapter's well-worded ones.
 */
import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  checkBucket,
  clientTarget,
  deletePrefix,
  downloadObject,
  listKeys,
  mapS3Error,
  parseS3Uri,
} from '../s3/index.js';
import { uploadFileToS3, type UploadFileResult } from '../s3/upload.js';
import { CloudError } from '../../errors/index.js';
import type { StageDeps } from '../../runtime/deps.js';

export interface RunStorage {
  /** Throws a clear error unless the bucket exists, answers and accepts our credentials. */
  headBucket(bucket: string): Promise<void>;
  /** Uploads a file (skipped if the same bytes are already there); returns its size. */
  putFile(localPath: string, uri: string): Promise<number>;
  /** Like putFile, with the upload's details (skipped, throughput) and a progress label. */
  upload?(localPath: string, uri: string, label: string): Promise<UploadFileResult>;
  /** Downloads one object to a local path (atomic, overwrites). */
  download(uri: string, localPath: string): Promise<number>;
  /** Keys (without bucket) under a prefix URI. */
  listKeys(uri: string): Promise<string[]>;
  /** Deletes everything under a prefix; returns the number of objects. */
  deletePrefix(uri: string): Promise<number>;
  /** Deletes the given objects (s3:// URIs, one bucket). */
  deleteObjects?(uris: string[]): Promise<number>;
  /** The region the client talks to (recorded with the S3 prefix). */
  region?(): Promise<string | undefined>;
}

/** RunStorage over a real S3Client. */
export function s3RunStorage(client: S3Client, deps: StageDeps): RunStorage {
  return {
    headBucket: (bucket) => checkBucket(client, bucket),
    putFile: async (localPath, uri) =>
      (await uploadFileToS3(client, localPath, uri, { contentType: 'text/csv' }, deps)).bytes,
    upload: (localPath, uri, label) => uploadFileToS3(client, localPath, uri, { contentType: 'text/csv', label }, deps),
    download: async (uri, localPath) => (await downloadObject(client, uri, localPath, { force: true }, deps)).bytes,
    listKeys: async (uri) => (await listKeys(client, uri)).map((o) => o.key),
    deletePrefix: (uri) => deletePrefix(client, uri),
    async deleteObjects(uris) {
      if (uris.length === 0) return 0;
      const { bucket } = parseS3Uri(uris[0]);
      const keys = uris.map((u) => parseS3Uri(u).key);
      for (let i = 0; i < keys.length; i += 1000) {
        const part = keys.slice(i, i + 1000);
        let res;
        try {
          res = await client.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: part.map((Key) => ({ Key })), Quiet: true },
            }),
          );
        } catch (e) {
          throw mapS3Error(e, { operation: 'DeleteObjects', bucket, key: part[0], ...(await clientTarget(client)) });
        }
        if (res.Errors?.length) {
          throw new CloudError(
            'S3_DELETE_FAILED',
            `could not delete ${res.Errors.length} stale object(s) in s3://${bucket}, e.g. ${res.Errors[0].Key}`,
            {
              hint: 'the identity needs s3:DeleteObject on the prefix; run the command again to retry',
            },
          );
        }
      }
      return keys.length;
    },
    region: async () => (await clientTarget(client)).region,
  };
}

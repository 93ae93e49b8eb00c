/**
 * The S3 operations the managed engine needs, as a small interface over the S3 stage's adapter
 * (`src/adapters/s3`), so stages can be unit-tested without a server and errors stay the S3
 * stage's well-worded ones.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { checkBucket, deletePrefix, downloadObject, listKeys } from '../s3/index.js';
import { uploadFileToS3 } from '../s3/upload.js';
import type { StageDeps } from '../../stages/deps.js';

export interface RunStorage {
  /** Throws a clear error unless the bucket exists, answers and accepts our credentials. */
  headBucket(bucket: string): Promise<void>;
  /** Uploads a file (skipped if the same bytes are already there); returns its size. */
  putFile(localPath: string, uri: string): Promise<number>;
  /** Downloads one object to a local path (atomic, overwrites). */
  download(uri: string, localPath: string): Promise<number>;
  listKeys(uri: string): Promise<string[]>;
  /** Deletes everything under a prefix; returns the number of objects. */
  deletePrefix(uri: string): Promise<number>;
}

/** RunStorage over a real S3Client. */
export function s3RunStorage(client: S3Client, deps: StageDeps): RunStorage {
  return {
    headBucket: (bucket) => checkBucket(client, bucket),
    putFile: async (localPath, uri) => (await uploadFileToS3(client, localPath, uri, { contentType: 'text/csv' }, deps)).bytes,
    download: async (uri, localPath) => (await downloadObject(client, uri, localPath, { force: true }, deps)).bytes,
    listKeys: async (uri) => (await listKeys(client, uri)).map((o) => o.key),
    deletePrefix: (uri) => deletePrefix(client, uri),
  };
}

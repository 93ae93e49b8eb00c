/** The S3 adapter: client factory, URIs, upload/download/list/delete, error mapping. */
export { createS3Client, clientTarget, CUSTOM_ENDPOINT_DEFAULT_REGION, type S3Config } from './client.js';
export { parseS3Uri, formatS3Uri, isS3Uri, joinKey, validateBucketName, type S3Location } from './uri.js';
export { mapS3Error, bucketRegionOf, type S3ErrorContext } from './errors.js';
export {
  uploadFileToS3,
  headObjectMeta,
  META_SHA256,
  META_SIZE,
  DEFAULT_PART_SIZE,
  type UploadFileOptions,
  type UploadFileResult,
} from './upload.js';
export {
  downloadObject,
  downloadToDir,
  safeLocalPath,
  type DownloadResult,
  type DownloadManyResult,
} from './download.js';
export { iterateKeys, listKeys, deletePrefix, type S3ObjectInfo } from './list.js';
export { checkBucket } from './bucket.js';

/**
 * `s3://bucket/key` URIs: parsing with clear errors, formatting, and joining key segments.
 * Bucket names follow the S3 rules loosely (3-63 chars of [a-z0-9.-]) so that a typo such as
 * `s3:/bucket` or `S3://My_Bucket` is caught before any network call.
 */
import { UserInputError } from '../../errors/index.js';

export interface S3Location {
  bucket: string;
  /** The object key or prefix, without a leading slash ('' for the whole bucket). */
  key: string;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** True when `value` looks like an `s3://` URI (any case of the scheme). */
export function isS3Uri(value: string): boolean {
  return /^s3:\/\//i.test(value);
}

/** Parses `s3://bucket/key/...`; throws S3_URI_INVALID naming the URI and what is wrong. */
export function parseS3Uri(uri: string): S3Location {
  // [\s\S]: a key may hold any character, a newline included.
  const m = /^s3:\/\/([^/]*)(?:\/([\s\S]*))?$/i.exec(uri);
  if (!m) {
    throw new UserInputError('S3_URI_INVALID', `'${uri}' is not an s3:// URI`, {
      hint: 'write it as s3://BUCKET/KEY, e.g. s3://my-bucket/digitflow/data/',
      details: { uri },
    });
  }
  const bucket = m[1];
  const key = m[2] ?? '';
  validateBucketName(bucket, uri);
  return { bucket, key };
}

/** Throws S3_BUCKET_INVALID unless `bucket` is a plausible S3 bucket name. */
export function validateBucketName(bucket: string, uri = `s3://${bucket}`): void {
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) {
    throw new UserInputError('S3_BUCKET_INVALID', `'${bucket}' in ${uri} is not a valid S3 bucket name`, {
      hint: 'bucket names are 3-63 characters of lowercase letters, digits, dots and hyphens',
      details: { uri, bucket },
    });
  }
}

/** `s3://bucket/key`. */
export function formatS3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** Joins key segments with single slashes, dropping empty segments and stray slashes. */
export function joinKey(...parts: Array<string | undefined>): string {
  return parts
    .filter((p): p is string => p !== undefined && p !== '')
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p !== '')
    .join('/');
}

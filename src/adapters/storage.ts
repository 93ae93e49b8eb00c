/**
 * One storage interface over `s3://` URIs and local paths, so a stage can read its input from,
 * or write its output to, either without caring which. Local writes are atomic (temp + rename);
 * S3 writes go through lib-storage `Upload` (streams of unknown length work). Both refuse to
 * replace an existing file/object unless `force`.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { UserInputError } from '../errors/index.js';
import { fileExists, withAtomicWriteStream, writeFileAtomic } from './atomic-file.js';
import { clientTarget } from './s3/client.js';
import { mapS3Error } from './s3/errors.js';
import { listKeys } from './s3/list.js';
import { headObjectMeta } from './s3/upload.js';
import { isS3Uri, parseS3Uri } from './s3/uri.js';

export type WriteData = string | Uint8Array | Readable | AsyncIterable<string | Uint8Array>;

export interface StorageWriteOptions {
  force?: boolean;
  /** Content-Type of an S3 object (default application/octet-stream). */
  contentType?: string;
}

export interface Storage {
  /** The bytes of a file or object as a stream. */
  readStream(location: string): Promise<Readable>;
  /** Writes a whole file or object (atomic locally; never a partial object in S3). */
  write(location: string, data: WriteData, options?: StorageWriteOptions): Promise<void>;
  exists(location: string): Promise<boolean>;
  /** Files under a folder / objects under a prefix, as full locations in sorted order. */
  list(location: string): Promise<string[]>;
}

/** Storage for both kinds of location; the S3 client is created only when first needed. */
export function createStorage(options: { s3?: S3Client | (() => S3Client) } = {}): Storage {
  let client: S3Client | undefined;
  const s3 = (location: string): S3Client => {
    if (client) return client;
    const src = options.s3;
    if (!src) {
      throw new UserInputError('S3_NOT_CONFIGURED', `${location} is an S3 URI but no S3 access was configured here`, {
        hint: 'use a local path, or run the command with S3 settings (--region, AWS credentials)',
      });
    }
    client = typeof src === 'function' ? src() : src;
    return client;
  };

  return {
    async readStream(location) {
      if (isS3Uri(location)) {
        const c = s3(location);
        const { bucket, key } = parseS3Uri(location);
        try {
          const res = await c.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          return res.Body as Readable;
        } catch (e) {
          throw mapS3Error(e, { operation: 'GetObject', bucket, key, ...(await clientTarget(c)) });
        }
      }
      const st = await stat(location).catch(() => undefined);
      if (!st?.isFile()) {
        throw new UserInputError('FILE_NOT_FOUND', `${location} does not exist or is not a file`, { details: { path: location } });
      }
      return createReadStream(location);
    },

    async write(location, data, opts = {}) {
      if (!isS3Uri(location)) {
        if (typeof data === 'string' || data instanceof Uint8Array) return writeFileAtomic(location, data, opts);
        await withAtomicWriteStream(location, opts, (out) => pipeline(Readable.from(data), out));
        return;
      }
      const c = s3(location);
      const { bucket, key } = parseS3Uri(location);
      if (!opts.force && (await headObjectMeta(c, location))) {
        throw new UserInputError('OUTPUT_EXISTS', `${location} already exists`, {
          hint: 'pass --force to replace it, or choose another output location',
          details: { uri: location },
        });
      }
      const body = typeof data === 'string' || data instanceof Uint8Array || data instanceof Readable ? data : Readable.from(data);
      try {
        await new Upload({ client: c, params: { Bucket: bucket, Key: key, Body: body, ContentType: opts.contentType ?? 'application/octet-stream' } }).done();
      } catch (e) {
        throw mapS3Error(e, { operation: 'upload', bucket, key, ...(await clientTarget(c)) });
      }
    },

    async exists(location) {
      if (isS3Uri(location)) return (await headObjectMeta(s3(location), location)) !== undefined;
      return fileExists(location);
    },

    async list(location) {
      if (isS3Uri(location)) {
        const { bucket, key } = parseS3Uri(location);
        const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
        return (await listKeys(s3(location), `s3://${bucket}/${prefix}`)).map((o) => o.uri);
      }
      const st = await stat(location).catch(() => undefined);
      if (!st) throw new UserInputError('FILE_NOT_FOUND', `${location} does not exist`, { details: { path: location } });
      if (st.isFile()) return [location];
      const entries = await readdir(location, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath ?? location, e.name))
        .sort();
    },
  };
}

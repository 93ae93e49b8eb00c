/**
 * share: a link to a report or submission. Uploads the file under its run's S3 prefix (skipped when
 * the same bytes are already there) and returns a presigned GET URL. The URL's signing time and
 * its expiry come from one captured clock reading; the lifetime is checked against SigV4's 7 days.
 */
import { basename, dirname, join } from 'node:path';
import { UserInputError } from '../errors/index.js';
import { checkExpirySeconds, expiryFrom } from '../domain/share-expiry.js';
import type { RunManifest } from '../domain/manifest.js';
import { fileExists } from '../adapters/atomic-file.js';
import { MANIFEST_FILE, readManifest, writeManifest } from '../adapters/run-store.js';
import { clientTarget, createS3Client, type S3Config } from '../adapters/s3/client.js';
import { presignGetUrl } from '../adapters/s3/presign.js';
import { uploadFileToS3 } from '../adapters/s3/upload.js';
import { formatS3Uri, joinKey, parseS3Uri, validateBucketName } from '../adapters/s3/uri.js';
import { assertInputFile } from './argmax.js';
import type { StageDeps } from '../runtime/deps.js';

export interface ShareInput {
  file: string;
  /** Link lifetime in seconds (1..604,800). */
  expiresInSeconds: number;
  /** Bucket (and key prefix) for a file outside a run, or a run with no S3 prefix yet. */
  bucket?: string;
  prefix?: string;
  s3: S3Config;
}

export interface ShareResult {
  file: string;
  uri: string;
  url: string;
  /** False when the same bytes were already at `uri`. */
  uploaded: boolean;
  sha256: string;
  bytes: number;
  expiresInSeconds: number;
  signedAt: string;
  expiresAt: string;
  runDir?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.gz': 'application/gzip',
  '.png': 'image/png',
};

function contentTypeOf(file: string): string {
  const m = /\.[^./\\]+$/.exec(file.toLowerCase());
  return (m && CONTENT_TYPES[m[0]]) || 'application/octet-stream';
}

/** The run's S3 root (s3://bucket/prefix/<run-id>/) from the prefixes it recorded. */
function runS3Root(manifest: RunManifest): string | undefined {
  const prefix = manifest.resources.find((r) => r.kind === 's3-prefix')?.id;
  if (!prefix) return undefined;
  const withSlash = prefix.endsWith('/') ? prefix : prefix + '/';
  return withSlash.replace(/data\/$/, '');
}

/** Uploads (if needed) and presigns `file`; records the shared prefix in the run for `cleanup`. */
export async function shareStage(input: ShareInput, deps: StageDeps): Promise<ShareResult> {
  const expiresInSeconds = checkExpirySeconds(input.expiresInSeconds);
  await assertInputFile(input.file, 'file to share');
  const dir = dirname(input.file);
  const runDir = (await fileExists(join(dir, MANIFEST_FILE))) ? dir : undefined;
  const manifest = runDir ? await readManifest(runDir) : undefined;
  const name = basename(input.file);
  let uri: string;
  const root = manifest ? runS3Root(manifest) : undefined;
  if (root && !input.bucket) {
    const { bucket, key } = parseS3Uri(root);
    uri = formatS3Uri(bucket, joinKey(key, 'shared', name));
  } else if (input.bucket) {
    validateBucketName(input.bucket);
    uri = formatS3Uri(input.bucket, joinKey(input.prefix ?? 'digitflow', manifest?.runId, 'shared', name));
  } else {
    throw new UserInputError(
      'SHARE_NO_BUCKET',
      `${input.file} is not in a run with an S3 prefix, so there is nowhere to put it`,
      {
        hint:
          'pass --bucket <name> (and --prefix), or share a file from a run folder that was uploaded ' +
          '(`digitflow upload` or `run --engine sagemaker`)',
        details: { file: input.file, runDir },
      },
    );
  }
  const client = createS3Client(input.s3);
  const up = await uploadFileToS3(client, input.file, uri, { contentType: contentTypeOf(name), label: name }, deps);
  // One captured time: the URL is signed at it and expires exactly expiresInSeconds later.
  const { signingDate, expiresAt } = expiryFrom(deps.clock.now(), expiresInSeconds);
  const url = await presignGetUrl(client, uri, { expiresInSeconds, signingDate });
  if (runDir && manifest) {
    const sharedPrefix = uri.slice(0, uri.length - name.length);
    const fresh = await readManifest(runDir);
    if (
      !fresh.resources.some(
        (r) => r.kind === 's3-prefix' && sharedPrefix.startsWith(r.id.endsWith('/') ? r.id : r.id + '/'),
      )
    ) {
      const { region } = await clientTarget(client);
      fresh.resources.push({
        kind: 's3-prefix',
        id: sharedPrefix,
        region,
        deletable: true,
        createdAt: signingDate.toISOString(),
      });
      await writeManifest(runDir, fresh, new Date(deps.clock.now()));
    }
  }
  return {
    file: input.file,
    uri,
    url,
    uploaded: !up.skipped,
    sha256: up.sha256,
    bytes: up.bytes,
    expiresInSeconds,
    signedAt: signingDate.toISOString(),
    expiresAt: expiresAt.toISOString(),
    runDir,
  };
}

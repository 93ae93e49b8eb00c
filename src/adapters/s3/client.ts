/**
 * The one place an S3Client is built. Input comes from the CLI (flags + env are read only there);
 * credentials come from the SDK's default chain unless given (tests pass them explicitly).
 *
 * With a custom endpoint (s3rver, Ceph RGW, MinIO...) we switch to path-style addressing and
 * checksum mode WHEN_REQUIRED: with the SDK's default checksums a streamed PutObject is stored on
 * s3rver with the aws-chunked framing inside the object, silently, and RGW rejects it with 411.
 * Real AWS keeps the SDK defaults.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export interface S3Config {
  /** AWS region; undefined lets the SDK resolve it (AWS_REGION, profile). */
  region?: string;
  /** Custom endpoint URL (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL); undefined = real AWS. */
  endpoint?: string;
  /** Explicit credentials; undefined = the SDK default chain (env, AWS_PROFILE, SSO, roles). */
  credentials?: S3ClientConfig['credentials'];
  /** Total attempts per request, including the first (SDK default 3). */
  maxAttempts?: number;
}

/** Region used with a custom endpoint when none is configured: S3-compatible servers ignore it. */
export const CUSTOM_ENDPOINT_DEFAULT_REGION = 'us-east-1';

/** Builds an S3Client from `config` (see the module comment for the custom-endpoint settings). */
export function createS3Client(config: S3Config = {}): S3Client {
  const options: S3ClientConfig = {};
  if (config.region) options.region = config.region;
  if (config.credentials) options.credentials = config.credentials;
  if (config.maxAttempts !== undefined) options.maxAttempts = config.maxAttempts;
  if (config.endpoint) {
    options.endpoint = config.endpoint;
    options.region ??= CUSTOM_ENDPOINT_DEFAULT_REGION;
    options.forcePathStyle = true;
    options.requestChecksumCalculation = 'WHEN_REQUIRED';
    options.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  return new S3Client(options);
}

/** Endpoint and region an existing client sends to, for error messages (never credentials). */
export async function clientTarget(client: S3Client): Promise<{ endpoint: string; region?: string }> {
  let region: string | undefined;
  let endpoint = 'AWS S3';
  try {
    region = await client.config.region();
  } catch {
    region = undefined;
  }
  try {
    if (client.config.endpoint) {
      const ep = await client.config.endpoint();
      const port = ep.port ? `:${ep.port}` : '';
      endpoint = `${ep.protocol}//${ep.hostname}${port}${ep.path && ep.path !== '/' ? ep.path : ''}`;
    }
  } catch {
    // keep the generic name
  }
  return { endpoint, region };
}

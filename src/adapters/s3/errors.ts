/**
 * Turns AWS SDK / network failures into digitflow errors that say what happened and what to do.
 *
 * Codes (stable; documented for users):
 * - S3_NO_CREDENTIALS (cloud, 3): the SDK's default chain found no credentials.
 * - S3_CREDENTIALS_EXPIRED (cloud, 3): session token / SSO login expired.
 * - S3_BAD_CREDENTIALS (cloud, 3): S3 rejected the key id or the signature.
 * - S3_ACCESS_DENIED (cloud, 3): the identity lacks permission (or a 403 without detail).
 * - S3_NO_SUCH_BUCKET (user, 2): the bucket does not exist at that endpoint.
 * - S3_NO_SUCH_KEY (user, 2): the object does not exist.
 * - S3_WRONG_REGION (user, 2): the bucket lives in another region (named when S3 tells us).
 * - REGION_REQUIRED (user, 2): no region configured for real AWS.
 * - S3_NETWORK (cloud, 3): the endpoint could not be reached, after the SDK's retries.
 * - S3_SERVICE (cloud, 3): S3 answered with a server-side error (5xx, SlowDown) after retries.
 * - S3_ERROR (cloud, 3): any other S3 error, with S3's own code and message.
 * Messages never include credentials.
 */
import {
  CloudError,
  InterruptedError,
  UserInputError,
  isPipelineError,
  type PipelineError,
} from '../../errors/index.js';

export interface S3ErrorContext {
  /** S3 operation or digitflow action, e.g. "upload", "HeadBucket". */
  operation: string;
  bucket?: string;
  key?: string;
  /** Where requests went: a URL for custom endpoints, 'AWS S3' otherwise. */
  endpoint?: string;
  /** The region the client used, when known. */
  region?: string;
}

interface SdkErrorLike {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  Region?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
  cause?: unknown;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'NetworkingError', 'RequestTimeout', 'RequestTimeoutException']);
const BAD_CREDENTIALS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidClientTokenId',
  'InvalidToken',
]);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired', 'RequestExpired']);
const WRONG_REGION = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
  'TemporaryRedirect',
]);

function location(ctx: S3ErrorContext): string {
  if (!ctx.bucket) return 'S3';
  return ctx.key !== undefined && ctx.key !== '' ? `s3://${ctx.bucket}/${ctx.key}` : `s3://${ctx.bucket}`;
}

/** The bucket's real region, from the x-amz-bucket-region header or the error body. */
export function bucketRegionOf(e: unknown): string | undefined {
  const err = e as SdkErrorLike;
  const headers = err?.$response?.headers ?? {};
  const fromHeader = headers['x-amz-bucket-region'] ?? headers['X-Amz-Bucket-Region'];
  if (fromHeader) return fromHeader;
  if (typeof err?.Region === 'string' && err.Region) return err.Region;
  const m = /expecting '([a-z0-9-]+)'/.exec(err?.message ?? '');
  return m?.[1];
}

function isNetworkError(err: SdkErrorLike): boolean {
  if (err.code && NETWORK_CODES.has(err.code)) return true;
  if (err.name && NETWORK_NAMES.has(err.name)) return true;
  if (/socket hang up|ECONNREFUSED|ECONNRESET|other side closed|EPIPE/i.test(err.message ?? '')) return true;
  const cause = err.cause as SdkErrorLike | undefined;
  return cause !== undefined && cause !== err && typeof cause === 'object' && isNetworkError(cause);
}

/** Maps any error thrown while talking to S3 to a PipelineError (returns PipelineErrors unchanged). */
export function mapS3Error(e: unknown, ctx: S3ErrorContext): PipelineError {
  if (isPipelineError(e)) return e;
  const err = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as SdkErrorLike;
  const name = err.name ?? 'Error';
  const code = err.Code ?? name;
  const status = err.$metadata?.httpStatusCode ?? err.$response?.statusCode;
  const attempts = err.$metadata?.attempts;
  const where = location(ctx);
  const endpoint = ctx.endpoint ?? 'AWS S3';
  const details: Record<string, unknown> = { operation: ctx.operation, uri: where, endpoint, s3Code: code };
  if (status !== undefined) details.httpStatus = status;
  if (attempts !== undefined) details.attempts = attempts;
  if (ctx.region) details.region = ctx.region;
  const opts = (hint: string) => ({ hint, details, cause: e });

  if (name === 'AbortError')
    return new InterruptedError(`${ctx.operation} of ${where} interrupted`, { details, cause: e });
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(err.message ?? '')) {
    return new CloudError(
      'S3_NO_CREDENTIALS',
      `no AWS credentials found for ${ctx.operation} of ${where}`,
      opts(
        'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (run ' +
          '`aws sso login --profile NAME` for SSO), or run where an instance/task role is available',
      ),
    );
  }
  if (/region is missing/i.test(err.message ?? '')) {
    return new UserInputError(
      'REGION_REQUIRED',
      `no AWS region configured for ${ctx.operation} of ${where}`,
      opts('pass --region REGION or set AWS_REGION (the region the bucket lives in)'),
    );
  }
  if (EXPIRED.has(code)) {
    return new CloudError(
      'S3_CREDENTIALS_EXPIRED',
      `the AWS credentials have expired (${code}) for ${ctx.operation} of ${where}`,
      opts('refresh them: `aws sso login`, or export a new session token'),
    );
  }
  if (BAD_CREDENTIALS.has(code)) {
    return new CloudError(
      'S3_BAD_CREDENTIALS',
      `S3 at ${endpoint} rejected the credentials (${code}) for ${ctx.operation} of ${where}`,
      opts(
        'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the AWS_PROFILE in use ' +
          '(`aws sts get-caller-identity` shows who you are)',
      ),
    );
  }
  const realRegion = bucketRegionOf(e);
  if (
    WRONG_REGION.has(code) ||
    status === 301 ||
    (realRegion && ctx.region && realRegion !== ctx.region && (status === 400 || status === 403))
  ) {
    const bucket = ctx.bucket ? `bucket '${ctx.bucket}'` : 'the bucket';
    const msg = realRegion
      ? `${bucket} is in region ${realRegion}, but the request went to ${ctx.region ?? 'another region'}`
      : `${bucket} is not in region ${ctx.region ?? '(default)'} (S3 answered ${code})`;
    return new UserInputError('S3_WRONG_REGION', msg, {
      hint: realRegion
        ? `pass --region ${realRegion} (or set AWS_REGION=${realRegion})`
        : 'pass --region with the region the bucket was created in',
      details: { ...details, bucketRegion: realRegion },
      cause: e,
    });
  }
  if (code === 'NoSuchBucket' || (status === 404 && ctx.operation === 'HeadBucket')) {
    return new UserInputError(
      'S3_NO_SUCH_BUCKET',
      `bucket '${ctx.bucket ?? '?'}' does not exist at ${endpoint}`,
      opts(
        `check the bucket name, or create it first ` +
          `(aws s3 mb s3://${ctx.bucket ?? 'BUCKET'}${ctx.region ? ` --region ${ctx.region}` : ''})`,
      ),
    );
  }
  if (code === 'NoSuchKey' || code === 'NotFound' || status === 404) {
    return new UserInputError(
      'S3_NO_SUCH_KEY',
      `${where} does not exist`,
      opts('check the URI (list it with `aws s3 ls`)'),
    );
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || status === 403) {
    const detail = code === 'AccessDenied' ? '' : ` (HTTP 403 ${code}: wrong credentials or missing permission)`;
    return new CloudError(
      'S3_ACCESS_DENIED',
      `access denied for ${ctx.operation} of ${where}${detail}`,
      opts(
        'the identity needs s3:ListBucket on the bucket and s3:GetObject/s3:PutObject/s3:DeleteObject on ' +
          'the prefix; check IAM and the bucket policy',
      ),
    );
  }
  if (isNetworkError(err)) {
    const why = err.code ?? err.name ?? 'network error';
    const tries = attempts !== undefined ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'}` : '';
    return new CloudError(
      'S3_NETWORK',
      `could not reach S3 at ${endpoint} for ${ctx.operation} of ${where}: ${why}${tries}`,
      opts(
        'check the network and the endpoint (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL), ' +
          'then run the command again (upload skips files already in S3)',
      ),
    );
  }
  if (
    (status !== undefined && status >= 500) ||
    code === 'SlowDown' ||
    code === 'ServiceUnavailable' ||
    code === 'InternalError'
  ) {
    return new CloudError(
      'S3_SERVICE',
      `S3 failed ${ctx.operation} of ${where}: ` +
        `${code}${status ? ` (HTTP ${status})` : ''}${attempts ? ` after ${attempts} attempts` : ''}`,
      opts('S3 is overloaded or failing; run the command again later'),
    );
  }
  return new CloudError(
    'S3_ERROR',
    `S3 ${ctx.operation} of ${where} failed: ${code}: ${err.message ?? ''}`.trim(),
    opts('see the S3 error code above; run with --json for details'),
  );
}

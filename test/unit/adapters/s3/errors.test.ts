/**
 * Error mapping over the wire: a loopback HTTP server answers with the exact status codes,
 * headers and XML bodies AWS S3 sends for cases no local S3 server can produce (wrong region,
 * AccessDenied, SlowDown), and the real SDK parses them. Plus the SDK's default credential
 * chain with nothing configured.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkBucket, createS3Client, headObjectMeta } from '../../../../src/adapters/s3/index.js';

const SECRET = 'unit-test-secret-do-not-print';
let server: Server;
let endpoint: string;
const hits = new Map<string, number>();

function xmlError(code: string, message: string, extra = ''): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>${message}</Message>${extra}<RequestId>R1</RequestId><HostId>H1</HostId></Error>`
  );
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const bucket = (req.url ?? '/').split('/')[1].split('?')[0];
    hits.set(bucket, (hits.get(bucket) ?? 0) + 1);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': 'R1', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    req.resume();
    switch (bucket) {
      case 'eu-bucket':
        return send(
          301,
          xmlError(
            'PermanentRedirect',
            'The bucket you are attempting to access must be addressed using the specified endpoint.',
            '<Endpoint>eu-bucket.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>eu-bucket</Bucket>',
          ),
          { 'x-amz-bucket-region': 'eu-west-1' },
        );
      case 'ap-bucket':
        return send(
          400,
          xmlError(
            'AuthorizationHeaderMalformed',
            "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'ap-southeast-2'",
            '<Region>ap-southeast-2</Region>',
          ),
        );
      case 'denied-bucket':
        return send(403, xmlError('AccessDenied', 'Access Denied'));
      case 'gone-bucket':
        return send(
          404,
          xmlError('NoSuchBucket', 'The specified bucket does not exist', '<BucketName>gone-bucket</BucketName>'),
        );
      case 'busy-bucket':
        return send(503, xmlError('SlowDown', 'Please reduce your request rate.'));
      case 'expired-bucket':
        return send(400, xmlError('ExpiredToken', 'The provided token has expired.'));
      default:
        return send(
          200,
          '<?xml version="1.0" encoding="UTF-8"?>' +
            '<ListBucketResult><Name>x</Name><KeyCount>0</KeyCount><MaxKeys>1</MaxKeys>' +
            '<IsTruncated>false</IsTruncated></ListBucketResult>',
        );
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = (maxAttempts = 1) =>
  createS3Client({
    endpoint,
    region: 'us-east-1',
    maxAttempts,
    credentials: { accessKeyId: 'AKIDUNITTEST', secretAccessKey: SECRET },
  });

async function errorOf(
  p: Promise<unknown>,
): Promise<Error & { code: string; hint?: string; exitCode: number; details?: Record<string, unknown> }> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, 'expected a rejection').toBeDefined();
  const err = e as Error & { code: string; hint?: string; exitCode: number; details?: Record<string, unknown> };
  expect(JSON.stringify({ m: err.message, h: err.hint, d: err.details })).not.toContain(SECRET);
  return err;
}

describe('S3 error mapping (wire-level)', () => {
  it('wrong region names the real region from the x-amz-bucket-region header', async () => {
    const e = await errorOf(checkBucket(client(), 'eu-bucket'));
    expect(e).toMatchObject({
      code: 'S3_WRONG_REGION',
      exitCode: 2,
      hint: 'pass --region eu-west-1 (or set AWS_REGION=eu-west-1)',
    });
    expect(e.message).toBe("bucket 'eu-bucket' is in region eu-west-1, but the request went to us-east-1");
    // A HEAD has no body: the header alone must be enough.
    const h = await errorOf(headObjectMeta(client(), 's3://eu-bucket/k'));
    expect(h).toMatchObject({
      code: 'S3_WRONG_REGION',
      details: expect.objectContaining({ bucketRegion: 'eu-west-1' }),
    });
  });

  it('wrong region from an AuthorizationHeaderMalformed body', async () => {
    const e = await errorOf(checkBucket(client(), 'ap-bucket'));
    expect(e).toMatchObject({
      code: 'S3_WRONG_REGION',
      message: expect.stringContaining('is in region ap-southeast-2'),
    });
  });

  it('access denied, missing bucket, expired token', async () => {
    expect(await errorOf(checkBucket(client(), 'denied-bucket'))).toMatchObject({
      code: 'S3_ACCESS_DENIED',
      exitCode: 3,
      message: 'access denied for ListObjectsV2 of s3://denied-bucket',
      hint: expect.stringContaining('s3:ListBucket'),
    });
    expect(await errorOf(checkBucket(client(), 'gone-bucket'))).toMatchObject({
      code: 'S3_NO_SUCH_BUCKET',
      exitCode: 2,
      message: `bucket 'gone-bucket' does not exist at ${endpoint}`,
    });
    expect(await errorOf(checkBucket(client(), 'expired-bucket'))).toMatchObject({
      code: 'S3_CREDENTIALS_EXPIRED',
      exitCode: 3,
    });
  });

  it('a throttled or failing service is reported after the SDK retries', async () => {
    hits.delete('busy-bucket');
    const e = await errorOf(checkBucket(client(2), 'busy-bucket'));
    expect(e).toMatchObject({
      code: 'S3_SERVICE',
      exitCode: 3,
      message: expect.stringContaining('SlowDown (HTTP 503) after 2 attempts'),
    });
    expect(hits.get('busy-bucket')).toBe(2);
  });

  it('no credentials anywhere in the default chain gives S3_NO_CREDENTIALS with what to set', async () => {
    for (const k of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_ROLE_ARN',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    ])
      vi.stubEnv(k, undefined);
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/digitflow/credentials');
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/digitflow/config');
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true'); // never reach for 169.254.169.254 from a test
    try {
      const e = await errorOf(
        checkBucket(createS3Client({ endpoint, region: 'us-east-1', maxAttempts: 1 }), 'any-bucket'),
      );
      expect(e).toMatchObject({ code: 'S3_NO_CREDENTIALS', exitCode: 3, hint: expect.stringContaining('AWS_PROFILE') });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a custom endpoint gets path-style and WHEN_REQUIRED checksums; real AWS keeps SDK defaults', async () => {
    const custom = createS3Client({ endpoint, region: 'us-east-1' });
    expect(custom.config.forcePathStyle).toBe(true);
    expect(await custom.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await custom.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    const aws = createS3Client({ region: 'eu-west-1' });
    expect(aws.config.forcePathStyle).toBeFalsy();
    expect(await aws.config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
    expect(await aws.config.region()).toBe('eu-west-1');
  });
});

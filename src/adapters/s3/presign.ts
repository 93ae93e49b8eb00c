/** Presigned GET URLs (`@aws-sdk/s3-request-presigner`), signed at a given instant for a given number of seconds. */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { clientTarget } from './client.js';
import { mapS3Error } from './errors.js';
import { parseS3Uri } from './uri.js';

/**
 * A GET URL for `uri` valid from `signingDate` for `expiresInSeconds`. Both are passed explicitly
 * so the URL's X-Amz-Date and X-Amz-Expires come from the caller's one captured time.
 */
export async function presignGetUrl(
  client: S3Client,
  uri: string,
  opts: { expiresInSeconds: number; signingDate: Date },
): Promise<string> {
  const { bucket, key } = parseS3Uri(uri);
  try {
    return await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: opts.expiresInSeconds,
      signingDate: opts.signingDate,
    });
  } catch (e) {
    throw mapS3Error(e, { operation: 'presign GetObject', bucket, key, ...(await clientTarget(client)) });
  }
}

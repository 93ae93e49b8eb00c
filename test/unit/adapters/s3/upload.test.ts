import { describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { AbortMultipartUploadCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { discardIncompleteUpload } from '../../../../src/adapters/s3/upload.js';

describe('discardIncompleteUpload', () => {
  it('says the upload was discarded when AbortMultipartUpload succeeds', async () => {
    const s3 = mockClient(S3Client);
    s3.on(AbortMultipartUploadCommand).resolves({});
    const r = await discardIncompleteUpload(new S3Client({ region: 'us-east-1' }), 'b', 'k', 'up-1');
    expect(r.ok).toBe(true);
    expect(r.message).toContain('was discarded');
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0].args[0].input).toEqual({
      Bucket: 'b',
      Key: 'k',
      UploadId: 'up-1',
    });
    s3.restore();
  });

  it('says it could not be discarded, and how to list incomplete uploads, on a 405', async () => {
    const s3 = mockClient(S3Client);
    s3.on(AbortMultipartUploadCommand).rejects(
      new S3ServiceException({
        name: 'MethodNotAllowed',
        $fault: 'client',
        $metadata: { httpStatusCode: 405 },
        message: 'not allowed',
      }),
    );
    const r = await discardIncompleteUpload(new S3Client({ region: 'us-east-1' }), 'my-bucket', 'k', 'up-2');
    expect(r.ok).toBe(false);
    expect(r.message).not.toContain('was discarded');
    expect(r.message).toContain('could not be discarded (HTTP 405)');
    expect(r.message).toContain('aws s3api list-multipart-uploads --bucket my-bucket');
    s3.restore();
  });

  it('has nothing to discard without an upload id', async () => {
    const r = await discardIncompleteUpload(new S3Client({ region: 'us-east-1' }), 'b', 'k', undefined);
    expect(r.ok).toBe(true);
    expect(r.message).not.toContain('discarded');
  });
});

import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { formatS3Uri, isS3Uri, joinKey, parseS3Uri } from '../../../../src/adapters/s3/uri.js';
import { safeLocalPath } from '../../../../src/adapters/s3/download.js';
import { join, resolve } from 'node:path';

describe('parseS3Uri', () => {
  it('splits bucket and key, keeping trailing slashes of prefixes', () => {
    expect(parseS3Uri('s3://my-bucket/a/b/c.csv')).toEqual({ bucket: 'my-bucket', key: 'a/b/c.csv' });
    expect(parseS3Uri('s3://my-bucket/prefix/')).toEqual({ bucket: 'my-bucket', key: 'prefix/' });
    expect(parseS3Uri('s3://my-bucket')).toEqual({ bucket: 'my-bucket', key: '' });
    expect(parseS3Uri('S3://my.bucket.1/k')).toEqual({ bucket: 'my.bucket.1', key: 'k' });
  });

  it('refuses things that are not s3 URIs, or bad bucket names, with the URI in the message', () => {
    expect(() => parseS3Uri('s3:/bucket/x')).toThrow(
      expect.objectContaining({ code: 'S3_URI_INVALID', message: "'s3:/bucket/x' is not an s3:// URI" }),
    );
    expect(() => parseS3Uri('/local/path')).toThrow(expect.objectContaining({ code: 'S3_URI_INVALID' }));
    for (const bad of ['s3://My_Bucket/x', 's3:///x', 's3://ab/x', 's3://a..b/x', `s3://${'a'.repeat(64)}/x`]) {
      expect(() => parseS3Uri(bad), bad).toThrow(expect.objectContaining({ code: 'S3_BUCKET_INVALID', exitCode: 2 }));
    }
  });

  it('formats, detects and joins', () => {
    expect(formatS3Uri('b-1', 'x/y')).toBe('s3://b-1/x/y');
    expect(isS3Uri('s3://b/x')).toBe(true);
    expect(isS3Uri('data/train.csv')).toBe(false);
    expect(joinKey('/pre/', undefined, '', 'run-1', 'data/')).toBe('pre/run-1/data');
    expect(joinKey(undefined, 'run-1')).toBe('run-1');
  });
});

describe('safeLocalPath', () => {
  const dir = join(tmpdir(), 'out');
  it('maps keys below the folder', () => {
    expect(safeLocalPath(dir, 'a.csv')).toBe(resolve(dir, 'a.csv'));
    expect(safeLocalPath(dir, 'train/part..1.csv')).toBe(join(resolve(dir), 'train', 'part..1.csv'));
    expect(safeLocalPath('rel/out', 'x/y.csv')).toBe(resolve('rel/out/x/y.csv'));
  });

  it.each([
    ['..', "contains a '..' segment"],
    ['../evil.csv', "contains a '..' segment"],
    ['a/../../evil.csv', "contains a '..' segment"],
    ['a/b/..', "contains a '..' segment"],
    ['/etc/passwd', 'is an absolute path'],
    ['C:/Windows/x', 'is an absolute path'],
    ['a\\..\\..\\evil', 'contains a backslash'],
    ['a//b', "contains an empty or '.' segment"],
    ['./a', "contains an empty or '.' segment"],
    ['a\0b', 'contains a NUL byte'],
    ['', 'has no file name'],
  ])('refuses %j (%s)', (key, why) => {
    expect(() => safeLocalPath(dir, key, `s3://b/p/${key}`)).toThrow(
      expect.objectContaining({ code: 'S3_UNSAFE_KEY', exitCode: 2, message: expect.stringContaining(why) }),
    );
  });
});

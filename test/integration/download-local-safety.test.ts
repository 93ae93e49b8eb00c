/**
 * `download` (built binary, against the s3rver of the global setup): local problems are local
 * errors (exit 2, never S3_ERROR), nothing is written through a symbolic link, conflicting keys are
 * named, and keys with a newline or control characters are downloaded and printed escaped.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client, deletePrefix, type S3Config } from '../../src/adapters/s3/index.js';
import { runCli } from '../helpers/cli.js';

const server = inject('s3');
const bucket = `digitflow-dl-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const s3: S3Config = {
  endpoint: server.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
};
const client = createS3Client(s3);
const env = {
  AWS_ENDPOINT_URL_S3: server.endpoint,
  AWS_ACCESS_KEY_ID: server.accessKeyId,
  AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
  AWS_REGION: 'us-east-1',
  NODE_NO_WARNINGS: '1',
};
let work: string;
const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  work = await mkdtemp(join(tmpdir(), 'df-dl-safety-'));
  await put('lnk/lnk/inside.txt', 'inside');
  await put('clash/x', 'file');
  await put('clash/x/y', 'under');
  await put('esc/evil\u001b[31mred\u202e.txt', 'esc');
  await put('nl/a\nb.txt', 'newline');
});
afterAll(async () => {
  await deletePrefix(client, `s3://${bucket}/`).catch(() => undefined);
});

describe('download: local safety', () => {
  it('-o <existing file> is a local error (exit 2), not S3_ERROR', async () => {
    await writeFile(join(work, 'afile'), 'x');
    const r = await runCli(['download', `s3://${bucket}/clash/x`, '-o', 'afile'], { cwd: work, env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[NOT_A_FILE]');
    expect(r.stderr).not.toContain('S3_ERROR');
  });

  it('never writes through a symbolic link inside the target folder', async () => {
    const outside = join(work, 'outside');
    await mkdir(outside);
    await mkdir(join(work, 'dl1'));
    await symlink(outside, join(work, 'dl1', 'lnk'));
    const r = await runCli(['download', `s3://${bucket}/lnk/`, '-o', 'dl1'], { cwd: work, env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('symbolic link');
    expect(await readdir(outside)).toEqual([]);
  });

  it('keys x and x/y: a clear conflict before anything is written', async () => {
    const r = await runCli(['download', `s3://${bucket}/clash/`, '-o', 'dl2'], { cwd: work, env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[S3_KEY_CONFLICT]');
    expect(existsSync(join(work, 'dl2', 'x'))).toBe(false);
  });

  it('a key with a newline downloads; names with ESC and RTL override are printed escaped', async () => {
    const nl = await runCli(['download', `s3://${bucket}/nl/`, '-o', 'dl4'], { cwd: work, env });
    expect(nl.code, nl.stderr).toBe(0);
    expect(await readdir(join(work, 'dl4'))).toEqual(['a\nb.txt']);
    const esc = await runCli(['download', `s3://${bucket}/esc/`, '-o', 'dl5'], { cwd: work, env });
    expect(esc.code, esc.stderr).toBe(0);
    expect(esc.stdout + esc.stderr).not.toContain('\u001b');
    expect(esc.stdout + esc.stderr).not.toContain('\u202e');
    expect(esc.stdout).toContain('\\x1b[31mred\\u202e.txt');
  });
});

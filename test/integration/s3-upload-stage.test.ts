/**
 * `upload` / `download` stages, the storage interface and the CLI against a real S3 server
 * (s3rver, or Ceph RGW via S3_ENDPOINT). Checks the bytes that come back, not the calls made.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client, deletePrefix, headObjectMeta, type S3Config } from '../../src/adapters/s3/index.js';
import { readManifest } from '../../src/adapters/run-store.js';
import { sha256File } from '../../src/adapters/file-hash.js';
import { stratifiedSplit } from '../../src/domain/split.js';
import { uploadStage } from '../../src/stages/upload.js';
import { downloadStage } from '../../src/stages/download.js';
import { collectingReporter, systemClock } from '../../src/runtime/deps.js';

const server = inject('s3');
const bucket = `digitflow-stage-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const s3: S3Config = {
  endpoint: server.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
};
const client = createS3Client(s3);
const deps = () => ({ reporter: collectingReporter(), clock: systemClock });
let work: string;
const TRAIN_ROWS = 400;
const TEST_ROWS = 150;
let trainLabels: number[];
let trainPixels: number[][];
let testPixels: number[][];

function pixelsRow(seed: number): number[] {
  return Array.from({ length: 784 }, (_, p) => ((p * 7 + seed * 13) % 11 === 0 ? (seed * 31 + p) % 256 : 0));
}

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  work = await mkdtemp(join(tmpdir(), 'digitflow-upload-it-'));
  const header = Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(',');
  trainLabels = Array.from({ length: TRAIN_ROWS }, (_, r) => (r * 7 + (r >> 3)) % 10);
  trainPixels = Array.from({ length: TRAIN_ROWS }, (_, r) => pixelsRow(r));
  testPixels = Array.from({ length: TEST_ROWS }, (_, r) => pixelsRow(1000 + r));
  await writeFile(
    join(work, 'train.csv'),
    `label,${header}\n` + trainPixels.map((px, r) => `${trainLabels[r]},${px.join(',')}\n`).join(''),
  );
  await writeFile(join(work, 'test.csv'), `${header}\n` + testPixels.map((px) => `${px.join(',')}\n`).join(''));
});
afterAll(async () => {
  await deletePrefix(client, `s3://${bucket}/it/`).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

const parse = (csv: string) =>
  csv
    .trimEnd()
    .split('\n')
    .map((l) => l.split(',').map(Number));

describe(`upload stage against ${server.kind}`, () => {
  it(
    'writes Linear Learner CSVs with the seeded split, records them in the manifest, ' +
      'and skips them the second time',
    async () => {
      const input = {
        bucket,
        prefix: 'it',
        train: join(work, 'train.csv'),
        test: join(work, 'test.csv'),
        validationFraction: 0.25,
        seed: 7,
        runId: 'stage-1',
        runsDir: join(work, 'runs'),
        shards: 2,
        s3,
      };
      const r = await uploadStage(input, deps());
      const base = `s3://${bucket}/it/stage-1/data`;
      // The managed run's layout: a later `run --engine sagemaker --out runs/stage-1` reuses these objects.
      expect(r.uris).toEqual({
        train: `${base}/train/train.csv`,
        validation: `${base}/validation/validation.csv`,
        test: `${base}/transform-input/`,
        testKeys: [`${base}/transform-input/test-part-00000.csv`, `${base}/transform-input/test-part-00001.csv`],
      });
      expect(r.uploaded.map((f) => f.uri.split('/').slice(-2).join('/'))).toEqual([
        'train/train.csv',
        'validation/validation.csv',
        'transform-input/validation-features.csv',
        'transform-input/test-part-00000.csv',
        'transform-input/test-part-00001.csv',
      ]);
      expect(r.skipped).toHaveLength(0);

      const expected = stratifiedSplit(Uint8Array.from(trainLabels), 10, { seed: 7, secondFraction: 0.25 });
      expect(r.validationRows).toEqual(Array.from(expected.second));

      const readObject = async (uri: string) => {
        const [, b, key] = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri)!;
        return text((await client.send(new GetObjectCommand({ Bucket: b, Key: key }))).Body as NodeJS.ReadableStream);
      };
      const validation = parse(await readObject(r.uris.validation!));
      expect(validation).toEqual(Array.from(expected.second, (i) => [trainLabels[i], ...trainPixels[i]]));
      const train = parse(await readObject(r.uris.train!));
      expect(train).toHaveLength(expected.first.length);
      // Shuffled (seeded) but the same multiset of labelled rows as the first part of the split.
      const key = (row: number[]) => row.join(',');
      expect(train.map(key).sort()).toEqual(
        Array.from(expected.first, (i) => key([trainLabels[i], ...trainPixels[i]])).sort(),
      );
      const shards = await Promise.all(r.uris.testKeys!.map(async (u) => parse(await readObject(u))));
      expect(shards.map((s) => s.length)).toEqual([75, 75]);
      expect(shards.flat()).toEqual(testPixels);
      expect(await headObjectMeta(client, r.uris.train!)).toMatchObject({ contentType: 'text/csv' });

      const m = await readManifest(join(work, 'runs', 'stage-1'));
      expect(m.split).toEqual({
        seed: 7,
        validationFraction: 0.25,
        validationRows: Array.from(expected.second),
        trainRows: expected.first.length,
      });
      expect(m.inputs).toEqual([
        { role: 'train', path: input.train, ...(await sha256File(input.train)), rows: TRAIN_ROWS },
        { role: 'test', path: input.test, ...(await sha256File(input.test)), rows: TEST_ROWS },
      ]);
      expect(m.resources).toEqual([
        expect.objectContaining({ kind: 's3-prefix', id: `s3://${bucket}/it/stage-1/`, deletable: true }),
      ]);
      expect(m.s3).toMatchObject({
        train: r.uris.train,
        validation: r.uris.validation,
        test: r.uris.test,
        testKeys: r.uris.testKeys,
      });
      expect(JSON.stringify(m)).not.toContain(server.secretAccessKey);

      const again = await uploadStage(input, deps());
      expect(again.uploaded).toHaveLength(0);
      expect(again.skipped.map((f) => f.uri).sort()).toEqual(r.uploaded.map((f) => f.uri).sort());
      expect((await readManifest(join(work, 'runs', 'stage-1'))).resources).toHaveLength(1);

      await expect(uploadStage({ ...input, seed: 8 }, deps())).rejects.toMatchObject({
        code: 'SPLIT_MISMATCH',
        hint: expect.stringContaining('--seed 7'),
      });

      // Re-uploading the test set in one shard: the two old shards go, the held-out rows stay.
      const one = await uploadStage({ ...input, train: undefined, shards: 1 }, deps());
      expect(one.staleDeleted.map((u) => u.split('/').pop()).sort()).toEqual(['test-part-00001.csv']);
      const listed = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: 'it/stage-1/data/transform-input/' }),
      );
      expect(listed.Contents!.map((o) => o.Key!.split('/').pop())).toEqual([
        'test-part-00000.csv',
        'validation-features.csv',
      ]);
      expect(parse(await readObject(one.uris.testKeys![0]))).toEqual(testPixels);

      const out = join(work, 'dl');
      const d = await downloadStage({ uri: `${base}/`, outDir: out, s3 }, deps());
      expect(d.mode).toBe('prefix');
      expect(d.files.every((f) => f.verified)).toBe(true);
      expect(parse(await readFile(join(out, 'validation', 'validation.csv'), 'utf8'))).toEqual(validation);

      // The same download again keeps the identical files (no transfer, no --force); a file that
      // differs locally is still refused without --force, and replaced with it.
      const again2 = await downloadStage({ uri: `${base}/`, outDir: out, s3 }, deps());
      expect(again2.files.every((f) => f.unchanged)).toBe(true);
      expect(again2.bytes).toBe(0);
      const valPath = join(out, 'validation', 'validation.csv');
      await writeFile(valPath, 'edited\n');
      await expect(downloadStage({ uri: `${base}/`, outDir: out, s3 }, deps())).rejects.toMatchObject({
        code: 'OUTPUT_EXISTS',
      });
      const forced = await downloadStage({ uri: `${base}/`, outDir: out, s3, force: true }, deps());
      expect(forced.files.filter((f) => !f.unchanged).map((f) => f.path)).toEqual([valPath]);
      expect(parse(await readFile(valPath, 'utf8'))).toEqual(validation);
    },
  );

  it('gives the documented errors for a missing bucket and nothing to upload', async () => {
    await expect(
      uploadStage(
        { bucket: `${bucket}-nope`, train: join(work, 'train.csv'), seed: 1, runsDir: join(work, 'runs2'), s3 },
        deps(),
      ),
    ).rejects.toMatchObject({
      code: 'S3_NO_SUCH_BUCKET',
      message: `bucket '${bucket}-nope' does not exist at ${server.endpoint}`,
    });
    expect(existsSync(join(work, 'runs2'))).toBe(false);
    await expect(uploadStage({ bucket, seed: 1, s3 }, deps())).rejects.toMatchObject({ code: 'UPLOAD_NOTHING' });
  });
});

describe(`CLI against ${server.kind}`, () => {
  const bin = join(process.cwd(), 'dist', 'cli', 'main.js');
  it('digitflow upload / download with the endpoint and keys from the environment', async () => {
    expect(existsSync(bin), 'build first (npm test runs `npm run build`)').toBe(true);
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL_S3: server.endpoint,
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      AWS_REGION: 'us-east-1',
      NODE_NO_WARNINGS: '1',
    };
    const run = promisify(execFile);
    const up = await run(
      process.execPath,
      [
        bin,
        '--json',
        '--seed',
        '3',
        'upload',
        '--bucket',
        bucket,
        '--prefix',
        'it/cli',
        '--train',
        join(work, 'train.csv'),
        '--run-id',
        'cli-1',
        '--run',
        join(work, 'runs', 'cli-1'),
      ],
      { env, cwd: work },
    );
    const result = JSON.parse(up.stdout);
    expect(result.uris.train).toBe(`s3://${bucket}/it/cli/cli-1/data/train/train.csv`);
    expect(up.stdout + up.stderr).not.toContain(server.secretAccessKey);
    const down = await run(process.execPath, [bin, 'download', result.uris.train, '-o', join(work, 'cli-out')], {
      env,
      cwd: work,
    });
    expect(down.stdout).toContain('sha256 verified');
    expect((await sha256File(join(work, 'cli-out', 'train.csv'))).sha256).toBe(result.uploaded[0].sha256);
    const bad = await run(process.execPath, [bin, 'download', `s3://${bucket}-nope/x`], {
      env: { ...env, AWS_ACCESS_KEY_ID: 'DIGITFLOWNOSUCHKEY' },
      cwd: work,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^error\[S3_BAD_CREDENTIALS\]: /m);
  });
});

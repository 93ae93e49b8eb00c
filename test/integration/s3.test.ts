/**
 * The S3 adapter against a real S3 server: s3rver (spawned by global setup) or, with
 * S3_ENDPOINT set, any other server (Ceph RGW in scripts/ci-rgw-tests.sh). Nothing is mocked:
 * every round trip is checked by sha256 of what comes back.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  checkBucket,
  createS3Client,
  deletePrefix,
  downloadObject,
  downloadToDir,
  headObjectMeta,
  listKeys,
  uploadFileToS3,
} from '../../src/adapters/s3/index.js';
import { sha256File } from '../../src/adapters/file-hash.js';
import { collectingReporter, systemClock, type StageDeps } from '../../src/runtime/deps.js';
import { startS3rver, S3RVER_CREDENTIALS } from '../helpers/s3rver.js';

const server = inject('s3');
const bucket = `digitflow-it-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
let client: S3Client;
let work: string;

function clientFor(
  endpoint: string,
  creds = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  maxAttempts?: number,
) {
  return createS3Client({ endpoint, region: 'us-east-1', credentials: creds, maxAttempts });
}
function deps(): StageDeps & { reporter: ReturnType<typeof collectingReporter> } {
  return { reporter: collectingReporter(), clock: systemClock };
}
async function writeRandomFile(path: string, mib: number): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < mib; i++) if (!out.write(randomBytes(1 << 20))) await new Promise((r) => out.once('drain', r));
  out.end();
  await finished(out);
}

beforeAll(async () => {
  client = clientFor(server.endpoint);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  work = await mkdtemp(join(tmpdir(), 'digitflow-s3-it-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  // Free the server's memory (RGW keeps objects in RAM); the bucket itself is throwaway.
  for (const p of ['big/', 'skip/', 'many/', 'esc/'])
    await deletePrefix(client, `s3://${bucket}/${p}`).catch(() => undefined);
});

describe(`S3 adapter against ${server.kind} (${server.endpoint})`, () => {
  it('round-trips a 100 MB file through a multipart upload byte-identically, with MB/s progress', async () => {
    const src = join(work, 'big.bin');
    await writeRandomFile(src, 100);
    const local = await sha256File(src);
    const d = deps();
    const up = await uploadFileToS3(
      client,
      src,
      `s3://${bucket}/big/big.bin`,
      { contentType: 'application/octet-stream' },
      d,
    );
    expect(up).toMatchObject({ skipped: false, bytes: 100 * 1024 * 1024, sha256: local.sha256 });
    const progress = d.reporter.events.filter((e) => e.kind === 'progress');
    expect(progress.length).toBeGreaterThan(5); // one per 8 MiB part at least
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({ done: local.bytes, total: local.bytes, unit: 'bytes' });
    expect(last.kind === 'progress' && typeof last.info?.['MB/s']).toBe('number');

    const meta = await headObjectMeta(client, up.uri);
    expect(meta).toMatchObject({ bytes: local.bytes, sha256: local.sha256, size: local.bytes });
    const back = join(work, 'back', 'big.bin');
    const down = await downloadObject(client, up.uri, back, {}, deps());
    expect(down).toMatchObject({ bytes: local.bytes, verified: true });
    expect(down.sha256).toBe(local.sha256);
    expect((await sha256File(back)).sha256).toBe(local.sha256);
    await rm(src);
    await rm(back);
  });

  it('skips an unchanged file and re-sends a changed one of the same size', async () => {
    const src = join(work, 'skip.bin');
    const data = randomBytes(300_000);
    await writeFile(src, data);
    const uri = `s3://${bucket}/skip/skip.bin`;
    expect((await uploadFileToS3(client, src, uri, {}, deps())).skipped).toBe(false);
    const d = deps();
    const again = await uploadFileToS3(client, src, uri, {}, d);
    expect(again.skipped).toBe(true);
    expect(d.reporter.events.some((e) => e.kind === 'progress')).toBe(false);

    data[12345] ^= 0xff; // same size, different bytes
    await writeFile(src, data);
    const changed = await uploadFileToS3(client, src, uri, {}, deps());
    expect(changed.skipped).toBe(false);
    const back = join(work, 'skip-back.bin');
    const down = await downloadObject(client, uri, back, {}, deps());
    expect(down.sha256).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('lists more than 1000 keys across pages and deletes them by prefix', async () => {
    const keys = Array.from({ length: 1100 }, (_, i) => `many/k-${String(i).padStart(5, '0')}.txt`);
    const queue = [...keys];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: k }));
        }
      }),
    );
    const listed = await listKeys(client, `s3://${bucket}/many/`, { pageSize: 400 });
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(listed.every((o) => o.bytes === o.key.length)).toBe(true);
    expect(await deletePrefix(client, `s3://${bucket}/many`)).toBe(1100);
    expect(await listKeys(client, `s3://${bucket}/many/`)).toEqual([]);
    await expect(deletePrefix(client, `s3://${bucket}/`)).rejects.toMatchObject({ code: 'S3_REFUSE_BUCKET_ROOT' });
  });

  it('downloads a prefix, and refuses keys that would escape the target folder before writing anything', async () => {
    for (const Key of ['esc/ok/a.txt', 'esc/ok/b/c.txt'])
      await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
    const okDir = join(work, 'ok-out');
    const got = await downloadToDir(client, `s3://${bucket}/esc/ok/`, okDir, {}, deps());
    expect(got.mode).toBe('prefix');
    expect(got.files.map((f) => f.path).sort()).toEqual([join(okDir, 'a.txt'), join(okDir, 'b', 'c.txt')]);
    expect(got.files.find((f) => f.path.endsWith('c.txt'))?.sha256).toBe(
      createHash('sha256').update('esc/ok/b/c.txt').digest('hex'),
    );

    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'esc/bad/..', Body: 'escape' }));
    const outer = join(work, 'escape-root');
    const outDir = join(outer, 'out');
    await expect(downloadToDir(client, `s3://${bucket}/esc/`, outDir, {}, deps())).rejects.toMatchObject({
      code: 'S3_UNSAFE_KEY',
      exitCode: 2,
      message: expect.stringContaining('esc/bad/..'),
    });
    await expect(downloadToDir(client, `s3://${bucket}/esc/bad/..`, outDir, {}, deps())).rejects.toMatchObject({
      code: 'S3_UNSAFE_KEY',
    });
    // Nothing was written: not the safe keys that came first, not the escaping one.
    await expect(readdir(outer)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('wrong credentials give S3_BAD_CREDENTIALS naming the bucket and the endpoint, never the secret', async () => {
    const bad = clientFor(
      server.endpoint,
      { accessKeyId: 'DIGITFLOWNOSUCHKEY', secretAccessKey: 'not-the-secret-1234' },
      1,
    );
    const err = await checkBucket(bad, bucket).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'S3_BAD_CREDENTIALS',
      exitCode: 3,
      hint: expect.stringContaining('AWS_ACCESS_KEY_ID'),
    });
    expect((err as Error).message).toContain(`s3://${bucket}`);
    expect((err as Error).message).toContain(server.endpoint);
    expect(JSON.stringify({ ...(err as object), message: (err as Error).message })).not.toContain(
      'not-the-secret-1234',
    );
    await expect(
      downloadToDir(bad, `s3://${bucket}/skip/skip.bin`, join(work, 'nope'), {}, deps()),
    ).rejects.toMatchObject({ code: 'S3_BAD_CREDENTIALS' });
    if (server.kind === 'external') {
      // s3rver 3.7.1 does not verify SigV4 signatures (only the key id); a real server does.
      const wrongSecret = clientFor(
        server.endpoint,
        { accessKeyId: server.accessKeyId, secretAccessKey: 'not-the-secret-1234' },
        1,
      );
      await expect(checkBucket(wrongSecret, bucket)).rejects.toMatchObject({ code: 'S3_BAD_CREDENTIALS' });
    }
  });

  it('a missing bucket gives S3_NO_SUCH_BUCKET (exit 2) with the bucket name', async () => {
    const missing = `${bucket}-missing`;
    await expect(checkBucket(client, missing)).rejects.toMatchObject({
      code: 'S3_NO_SUCH_BUCKET',
      exitCode: 2,
      message: `bucket '${missing}' does not exist at ${server.endpoint}`,
    });
    await expect(downloadToDir(client, `s3://${missing}/x/`, join(work, 'nope'), {}, deps())).rejects.toMatchObject({
      code: 'S3_NO_SUCH_BUCKET',
    });
  });

  it('a server stopped mid-upload gives S3_NETWORK after retries and leaves no object that seems whole', async () => {
    // Its own s3rver (also in the RGW tier): this test kills the server it talks to.
    const own = await startS3rver();
    try {
      const c = clientFor(own.endpoint, S3RVER_CREDENTIALS, 2);
      await c.send(new CreateBucketCommand({ Bucket: 'crash' }));
      const src = join(work, 'crash.bin');
      await writeRandomFile(src, 48);
      const d = deps();
      let killed: Promise<void> | undefined;
      d.reporter.emit = (e) => {
        if (e.kind === 'progress' && !killed) killed = own.kill();
      };
      const err = await uploadFileToS3(
        c,
        src,
        's3://crash/data/crash.bin',
        { partSize: 5 * 1024 * 1024, queueSize: 2 },
        d,
      ).catch((e: unknown) => e);
      await killed;
      expect(killed).toBeDefined();
      expect(err).toMatchObject({
        code: 'S3_NETWORK',
        exitCode: 3,
        hint: expect.stringContaining('run the command again'),
      });
      expect((err as Error).message).toContain(own.endpoint);
      expect((err as Error).message).toMatch(/after \d+ attempts?/);

      const again = await startS3rver({ dir: own.dir });
      try {
        const c2 = clientFor(again.endpoint, S3RVER_CREDENTIALS);
        expect(await headObjectMeta(c2, 's3://crash/data/crash.bin')).toBeUndefined();
        expect(await listKeys(c2, 's3://crash/')).toEqual([]);
      } finally {
        await again.stop({ keepDir: true });
      }
    } finally {
      await own.stop();
    }
  });
});

/**
 * `share` against a real S3 server: s3rver from the global setup, or Ceph RGW in
 * scripts/ci-rgw-tests.sh (which runs test/integration/s3*). The presigned URL downloads the same
 * bytes without credentials, stops working after its expiry, 7 days exactly is accepted and one
 * second more refused; also through the built binary.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, deletePrefix, headObjectMeta } from '../../src/adapters/s3/index.js';
import { shareStage } from '../../src/stages/share.js';
import { defaultDeps, systemClock, type Clock } from '../../src/runtime/deps.js';
import { MAX_PRESIGN_SECONDS, parseExpiry } from '../../src/domain/share-expiry.js';
import { runCli } from '../helpers/cli.js';

const server = inject('s3');
const bucket = `digitflow-share-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const creds = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
const s3 = { endpoint: server.endpoint, region: 'us-east-1', credentials: creds };
let client: S3Client;
let work: string;
let runDir: string;
let report: string;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  client = createS3Client(s3);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  work = await mkdtemp(join(tmpdir(), 'digitflow-share-'));
  runDir = join(work, 'runs', 'run-x');
  await mkdir(runDir, { recursive: true });
  const manifest = {
    manifestVersion: 1,
    runId: 'run-x',
    command: 'upload',
    createdAt: '2026-11-27T00:00:00Z',
    updatedAt: '2026-11-27T00:00:00Z',
    engine: 'sagemaker',
    seed: 42,
    inputs: [],
    versions: {},
    timings: {},
    outputs: {},
    resources: [
      {
        kind: 's3-prefix',
        id: `s3://${bucket}/digitflow/run-x/data/`,
        deletable: true,
        createdAt: '2026-11-27T00:00:00Z',
      },
    ],
  };
  await writeFile(join(runDir, 'manifest.json'), JSON.stringify(manifest));
  report = join(runDir, 'report.html');
  await writeFile(report, `<!doctype html><title>r</title>${randomBytes(50_000).toString('base64')}`);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await deletePrefix(client, `s3://${bucket}/digitflow/`).catch(() => undefined);
});

/** A clock reading `offsetMs` away from the real time (sleeps are real). */
const shiftedClock = (offsetMs: number): Clock => ({ now: () => Date.now() + offsetMs, sleep: systemClock.sleep });

describe(`share against ${server.kind} (${server.endpoint})`, () => {
  it("uploads under the run's prefix once and the link downloads the same bytes without credentials", async () => {
    const r = await shareStage({ file: report, expiresInSeconds: 3600, s3 }, defaultDeps());
    expect(r).toMatchObject({ uri: `s3://${bucket}/digitflow/run-x/shared/report.html`, uploaded: true, runDir });
    const url = new URL(r.url);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    // X-Amz-Date is the captured signing time; the reported expiry is exactly 3600 s after it.
    const amzDate = url.searchParams.get('X-Amz-Date')!;
    expect(amzDate).toBe(r.signedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z'));
    expect(Date.parse(r.expiresAt) - Date.parse(r.signedAt)).toBe(3600_000);
    const res = await fetch(r.url);
    expect(res.status).toBe(200);
    expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(sha(await readFile(report)));

    const again = await shareStage({ file: report, expiresInSeconds: 60, s3 }, defaultDeps());
    expect(again.uploaded).toBe(false);
    const m = JSON.parse(await readFile(join(runDir, 'manifest.json'), 'utf8'));
    expect(m.resources.map((x: { id: string }) => x.id)).toEqual([
      `s3://${bucket}/digitflow/run-x/data/`,
      `s3://${bucket}/digitflow/run-x/shared/`,
    ]);
  });

  it('7 days exactly is accepted; one second more is refused before anything is uploaded', async () => {
    const r = await shareStage({ file: report, expiresInSeconds: MAX_PRESIGN_SECONDS, s3 }, defaultDeps());
    expect(new URL(r.url).searchParams.get('X-Amz-Expires')).toBe('604800');
    expect(parseExpiry('7d')).toBe(604800);
    expect((await fetch(r.url)).status).toBe(200);
    const other = join(runDir, 'never.csv');
    await writeFile(other, 'ImageId,Label\n1,2\n');
    await expect(
      shareStage({ file: other, expiresInSeconds: MAX_PRESIGN_SECONDS + 1, s3 }, defaultDeps()),
    ).rejects.toMatchObject({
      code: 'EXPIRES_INVALID',
      exitCode: 2,
      message: expect.stringContaining('604801 s, longer than the 604800 s (7 days)'),
    });
    expect(() => parseExpiry('169h')).toThrow(/longer than the 604800 s/);
    expect(await headObjectMeta(client, `s3://${bucket}/digitflow/run-x/shared/never.csv`)).toBeUndefined();
  });

  it('the link fails after its expiry', async () => {
    // Signed two hours ago for one hour: already expired, whatever the server's clock says.
    const old = await shareStage(
      { file: report, expiresInSeconds: 3600, s3 },
      defaultDeps({ clock: shiftedClock(-2 * 3600_000) }),
    );
    const res = await fetch(old.url);
    expect(res.status).toBe(403);
    await res.arrayBuffer();
    // And in real time: a 2-second link works, then stops.
    const short = await shareStage({ file: report, expiresInSeconds: 2, s3 }, defaultDeps());
    expect((await fetch(short.url)).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(short.expiresAt) - Date.now()) + 1500));
    const late = await fetch(short.url);
    expect(late.status).toBe(403);
    await late.arrayBuffer();
  });

  it('through the built binary: a file outside a run with --bucket, and --expires 8d refused (exit 2)', async () => {
    const loose = join(work, 'notes.csv');
    await writeFile(loose, 'ImageId,Label\n1,7\n');
    const env = {
      AWS_ENDPOINT_URL_S3: server.endpoint,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_REGION: 'us-east-1',
    };
    const tooLong = await runCli(['share', loose, '--bucket', bucket, '--expires', '8d'], { env });
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('error[EXPIRES_INVALID]');
    expect(tooLong.stderr).not.toMatch(/\n\s+at /);
    const noBucket = await runCli(['share', loose], { env });
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toContain('error[SHARE_NO_BUCKET]');
    const ok = await runCli(['share', loose, '--bucket', bucket, '--expires', '7d', '--json'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    const out = JSON.parse(ok.stdout);
    expect(out).toMatchObject({
      uri: `s3://${bucket}/digitflow/shared/notes.csv`,
      expiresInSeconds: 604800,
      uploaded: true,
    });
    expect(await (await fetch(out.url)).text()).toBe('ImageId,Label\n1,7\n');
  });
});

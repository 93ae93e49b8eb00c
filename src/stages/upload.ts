/**
 * `upload`: Kaggle CSVs -> Linear Learner CSVs (no header, label first; test features only,
 * optionally in N shards for batch transform) -> `s3://B/P/<run-id>/data/{train,validation,test}/`.
 * The validation rows are exactly `stratifiedSplit(labels, numClasses, { seed, secondFraction })`,
 * the local engine's split, and are recorded in the run manifest with the S3 URIs.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileExists, withAtomicWriteStream, writeChunk } from '../adapters/atomic-file.js';
import { sha256File } from '../adapters/file-hash.js';
import { readKaggleCsvFile } from '../adapters/kaggle-csv-file.js';
import { MANIFEST_FILE, gitSha, newRunId, readManifest, runtimeVersions, writeManifest } from '../adapters/run-store.js';
import { checkBucket } from '../adapters/s3/bucket.js';
import { clientTarget, createS3Client, type S3Config } from '../adapters/s3/client.js';
import { uploadFileToS3, type UploadFileResult } from '../adapters/s3/upload.js';
import { formatS3Uri, joinKey, validateBucketName } from '../adapters/s3/uri.js';
import type { Dataset } from '../domain/dataset.js';
import { linearLearnerCsvChunks, shardFileName, shardRanges } from '../domain/linear-learner-csv.js';
import { newManifest, type RunManifest, type SplitRecord } from '../domain/manifest.js';
import { mulberry32, shuffleInPlace } from '../domain/random.js';
import { stratifiedSplit } from '../domain/split.js';
import { InterruptedError, UserInputError } from '../errors/index.js';
import type { StageDeps } from './deps.js';

export interface UploadStageInput {
  bucket: string;
  /** Key prefix inside the bucket (default none). */
  prefix?: string;
  train?: string;
  test?: string;
  /** Share of train rows held out as the validation channel (default 0.1; 0 = none). */
  validationFraction?: number;
  seed: number;
  runId?: string;
  /** An existing run directory to add to (its run id is used). */
  runDir?: string;
  /** Where new run directories go (default `runs`). */
  runsDir?: string;
  /** Split the test features into N objects for an N-instance batch transform (default 1). */
  shards?: number;
  s3: S3Config;
}

export interface UploadedFile extends UploadFileResult {
  channel: 'train' | 'validation' | 'test';
  rows: number;
}

export interface UploadStageResult {
  runId: string;
  runDir: string;
  uris: { train?: string; validation?: string; /** Prefix holding the test shard(s). */ test?: string; testKeys?: string[] };
  validationRows: number[];
  trainRows?: number;
  uploaded: UploadedFile[];
  skipped: UploadedFile[];
  seconds: number;
}

const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Writes Linear Learner CSV for `rows` of `ds` atomically; returns its sha256 and size. */
async function writeChannel(path: string, ds: Dataset, opts: { rows?: ArrayLike<number>; withLabel: boolean; start?: number; end?: number }, signal?: AbortSignal) {
  const hash = createHash('sha256');
  let bytes = 0;
  await withAtomicWriteStream(path, { force: true }, async (stream) => {
    for (const chunk of linearLearnerCsvChunks(ds, { ...opts, chunkRows: 512 })) {
      if (signal?.aborted) throw new InterruptedError('upload interrupted while converting');
      hash.update(chunk);
      bytes += Buffer.byteLength(chunk);
      await writeChunk(stream, chunk);
    }
  });
  return { sha256: hash.digest('hex'), bytes };
}

async function resolveRun(input: UploadStageInput, now: Date): Promise<{ runId: string; runDir: string; manifest?: RunManifest }> {
  if (input.runDir) {
    const manifest = (await fileExists(join(input.runDir, MANIFEST_FILE))) ? await readManifest(input.runDir) : undefined;
    const runId = manifest?.runId ?? input.runId ?? basename(input.runDir);
    if (input.runId && manifest && input.runId !== manifest.runId) {
      throw new UserInputError('RUN_ID_MISMATCH', `--run-id ${input.runId} differs from the run id ${manifest.runId} of ${input.runDir}`, {
        hint: 'drop --run-id, or drop --run to start a new run',
      });
    }
    return { runId, runDir: input.runDir, manifest };
  }
  const runsDir = input.runsDir ?? 'runs';
  const runId = input.runId ?? (await newRunId(runsDir, now, 'upload'));
  const runDir = join(runsDir, runId);
  const manifest = (await fileExists(join(runDir, MANIFEST_FILE))) ? await readManifest(runDir) : undefined;
  return { runId, runDir, manifest };
}

/** Converts and uploads the datasets, records everything in the run manifest. */
export async function uploadStage(input: UploadStageInput, deps: StageDeps): Promise<UploadStageResult> {
  const started = deps.clock.now();
  const now = new Date(started);
  if (!input.train && !input.test) {
    throw new UserInputError('UPLOAD_NOTHING', 'nothing to upload: give --train and/or --test', { hint: 'e.g. --train data/train.csv --test data/test.csv' });
  }
  validateBucketName(input.bucket);
  const fraction = input.validationFraction ?? 0.1;
  if (!(fraction >= 0 && fraction < 1)) {
    throw new UserInputError('VALIDATION_FRACTION', `--validation-fraction must be in [0, 1), got ${fraction}`);
  }
  const shards = input.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1) throw new UserInputError('SHARDS_INVALID', `--shards must be a whole number >= 1, got ${shards}`);

  const { runId, runDir, manifest: existing } = await resolveRun(input, now);
  if (!RUN_ID_RE.test(runId)) {
    throw new UserInputError('RUN_ID_INVALID', `run id '${runId}' cannot be used in an S3 key`, { hint: 'use letters, digits, dots, hyphens and underscores' });
  }
  const base = joinKey(input.prefix, runId, 'data');
  const client = createS3Client(input.s3);
  deps.reporter.emit({ kind: 'step', step: 'check', message: `checking s3://${input.bucket}` });
  await checkBucket(client, input.bucket, `${base}/`);
  const { region } = await clientTarget(client);

  const work = await mkdtemp(join(tmpdir(), 'digitflow-upload-'));
  const planned: Array<{ channel: UploadedFile['channel']; path: string; uri: string; rows: number; sha256: string; bytes: number }> = [];
  const inputs: RunManifest['inputs'] = [];
  let split: SplitRecord | undefined;
  try {
    if (input.train) {
      deps.reporter.emit({ kind: 'step', step: 'convert', message: `converting ${input.train} to Linear Learner CSV` });
      const read = await readKaggleCsvFile(input.train, { layout: 'train', reporter: deps.reporter, signal: deps.signal });
      const ds = read.dataset;
      if (!ds.labels) throw new UserInputError('TRAIN_NO_LABELS', `${input.train} has no label column`, { hint: 'pass the Kaggle train.csv (label,pixel0..pixel783) as --train' });
      const { first, second } = stratifiedSplit(ds.labels, ds.numClasses, { seed: input.seed, secondFraction: fraction });
      split = { seed: input.seed, validationFraction: fraction, validationRows: Array.from(second), trainRows: first.length };
      const prior = existing?.split;
      if (prior && (prior.seed !== split.seed || prior.validationFraction !== fraction || prior.validationRows.join() !== split.validationRows.join())) {
        throw new UserInputError('SPLIT_MISMATCH', `${runDir} already holds out a different validation split (seed ${prior.seed}, fraction ${prior.validationFraction})`, {
          hint: `pass --seed ${prior.seed} --validation-fraction ${prior.validationFraction} so both engines are scored on the same rows, or start a new run`,
        });
      }
      // Linear Learner reads records in order; shuffled (seeded, so re-runs are byte-identical) is what it expects.
      const trainOrder = Array.from(first);
      shuffleInPlace(trainOrder, mulberry32(input.seed));
      const t = join(work, 'train.csv');
      planned.push({ channel: 'train', path: t, uri: formatS3Uri(input.bucket, `${base}/train/train.csv`), rows: first.length, ...(await writeChannel(t, ds, { rows: trainOrder, withLabel: true }, deps.signal)) });
      if (second.length > 0) {
        const v = join(work, 'validation.csv');
        planned.push({ channel: 'validation', path: v, uri: formatS3Uri(input.bucket, `${base}/validation/validation.csv`), rows: second.length, ...(await writeChannel(v, ds, { rows: second, withLabel: true }, deps.signal)) });
      }
      inputs.push({ role: 'train', path: input.train, ...(await sha256File(input.train)), rows: read.rows });
    }
    if (input.test) {
      deps.reporter.emit({ kind: 'step', step: 'convert', message: `converting ${input.test} to headerless features` });
      const read = await readKaggleCsvFile(input.test, { layout: 'test', reporter: deps.reporter, signal: deps.signal });
      const ranges = shardRanges(read.rows, shards);
      for (const [i, r] of ranges.entries()) {
        const name = shardFileName('test', i, ranges.length);
        const p = join(work, name);
        planned.push({ channel: 'test', path: p, uri: formatS3Uri(input.bucket, `${base}/test/${name}`), rows: r.end - r.start, ...(await writeChannel(p, read.dataset, { withLabel: false, start: r.start, end: r.end }, deps.signal)) });
      }
      inputs.push({ role: 'test', path: input.test, ...(await sha256File(input.test)), rows: read.rows });
    }

    const results: UploadedFile[] = [];
    for (const f of planned) {
      if (deps.signal?.aborted) throw new InterruptedError('upload interrupted');
      const label = `${f.channel}/${basename(f.path)}`;
      const r = await uploadFileToS3(client, f.path, f.uri, { contentType: 'text/csv', sha256: f.sha256, bytes: f.bytes, label }, deps);
      results.push({ ...r, channel: f.channel, rows: f.rows });
    }

    const testFiles = results.filter((r) => r.channel === 'test');
    const uris: UploadStageResult['uris'] = {
      train: results.find((r) => r.channel === 'train')?.uri,
      validation: results.find((r) => r.channel === 'validation')?.uri,
      test: testFiles.length ? formatS3Uri(input.bucket, `${base}/test/`) : undefined,
      testKeys: testFiles.length ? testFiles.map((r) => r.uri) : undefined,
    };
    const seconds = (deps.clock.now() - started) / 1000;

    const manifest = existing ?? newManifest({ runId, command: 'upload', engine: 'sagemaker', seed: input.seed, now, versions: runtimeVersions() });
    manifest.gitSha ??= gitSha();
    const roles = new Set(inputs.map((i) => i.role));
    manifest.inputs = [...manifest.inputs.filter((i) => !roles.has(i.role)), ...inputs];
    if (split) manifest.split = split;
    const prefixUri = formatS3Uri(input.bucket, `${base}/`);
    if (!manifest.resources.some((r) => r.kind === 's3-prefix' && r.id === prefixUri)) {
      manifest.resources.push({ kind: 's3-prefix', id: prefixUri, region, deletable: true, createdAt: now.toISOString() });
    }
    const priorS3 = (manifest.extra?.s3 ?? {}) as Record<string, unknown>;
    const defined = Object.fromEntries(Object.entries(uris).filter(([, v]) => v !== undefined));
    manifest.extra = { ...manifest.extra, s3: { ...priorS3, bucket: input.bucket, prefix: prefixUri, ...defined } };
    manifest.timings.upload = seconds;
    await writeManifest(runDir, manifest, new Date(deps.clock.now()));

    return {
      runId, runDir, uris,
      validationRows: split?.validationRows ?? [],
      trainRows: split?.trainRows,
      uploaded: results.filter((r) => !r.skipped),
      skipped: results.filter((r) => r.skipped),
      seconds,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

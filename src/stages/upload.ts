/**
 * `upload`: the prepare-and-upload half of a managed run. Kaggle CSVs → Linear Learner CSVs (no
 * header, label first; the test set as headerless shards for batch transform; the held-out rows
 * as a validation channel and as transform input) → the plan's S3 layout under
 * `s3://B/P/<run-id>/data/`. The same writer, shuffle, shard names and layout as
 * `run --engine sagemaker`, so a later `run --engine sagemaker --out <this run>` reuses the
 * objects (unchanged ones are not re-sent). The validation rows are exactly the local engine's
 * split and are recorded in the manifest. A re-upload leaves exactly the objects it reports.
 */
import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileExists } from '../adapters/atomic-file.js';
import { sha256File } from '../adapters/file-hash.js';
import { isFreshRunDir, MANIFEST_FILE, newRunId, readManifest, RunRecorder } from '../adapters/run-store.js';
import { createS3Client, type S3Config } from '../adapters/s3/client.js';
import { validateBucketName } from '../adapters/s3/uri.js';
import { s3RunStorage, type RunStorage } from '../adapters/sagemaker/run-storage.js';
import { runS3Layout, VALIDATION_FEATURES_FILE } from '../domain/sagemaker-plan.js';
import type { RunManifest } from '../domain/manifest.js';
import { UserInputError } from '../errors/index.js';
import {
  channelFiles,
  prepareTestShards,
  prepareTrainData,
  syncChannelFiles,
  type PreparedTest,
  type PreparedTrain,
} from './sagemaker/data.js';
import type { StageDeps } from '../runtime/deps.js';

export interface UploadStageInput {
  bucket: string;
  /** Key prefix inside the bucket (default `digitflow`, as for the managed run). */
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
  /** Training instances the train channel is sharded for (default 1). */
  trainShards?: number;
  s3: S3Config;
}

export interface UploadedFile {
  channel: 'train' | 'validation' | 'test';
  uri: string;
  rows: number;
  bytes: number;
  sha256?: string;
  skipped: boolean;
  mbPerSecond?: number;
}

export interface UploadStageResult {
  runId: string;
  runDir: string;
  uris: {
    train?: string;
    validation?: string;
    /** Prefix holding the test shard(s). */ test?: string;
    testKeys?: string[];
  };
  validationRows: number[];
  trainRows?: number;
  uploaded: UploadedFile[];
  skipped: UploadedFile[];
  /** Objects of an earlier upload that are not part of this one, deleted. */
  staleDeleted: string[];
  seconds: number;
}

const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

async function resolveRun(
  input: UploadStageInput,
  now: Date,
): Promise<{ runId: string; runDir: string; manifest?: RunManifest; createdDir: boolean }> {
  if (input.runDir) {
    const manifest = (await fileExists(join(input.runDir, MANIFEST_FILE)))
      ? await readManifest(input.runDir)
      : undefined;
    const runId = manifest?.runId ?? input.runId ?? input.runDir.split(/[\\/]/).filter(Boolean).pop()!;
    if (input.runId && manifest && input.runId !== manifest.runId) {
      throw new UserInputError(
        'RUN_ID_MISMATCH',
        `--run-id ${input.runId} differs from the run id ${manifest.runId} of ${input.runDir}`,
        {
          hint: 'drop --run-id, or drop -o to start a new run',
        },
      );
    }
    return { runId, runDir: input.runDir, manifest, createdDir: !manifest && (await isFreshRunDir(input.runDir)) };
  }
  const runsDir = input.runsDir ?? 'runs';
  if (input.runId) {
    // (the folder is created when the manifest is written)
    const runDir = join(runsDir, input.runId);
    const manifest = (await fileExists(join(runDir, MANIFEST_FILE))) ? await readManifest(runDir) : undefined;
    return { runId: input.runId, runDir, manifest, createdDir: !manifest && (await isFreshRunDir(runDir)) };
  }
  const runId = await newRunId(runsDir, now, 'upload');
  return { runId, runDir: join(runsDir, runId), createdDir: true };
}

/** Converts and uploads the datasets, records everything in the run manifest. */
export async function uploadStage(
  input: UploadStageInput,
  deps: StageDeps & { storage?: RunStorage },
): Promise<UploadStageResult> {
  const started = deps.clock.now();
  if (!input.train && !input.test) {
    throw new UserInputError('UPLOAD_NOTHING', 'nothing to upload: give --train and/or --test', {
      hint: 'e.g. --train data/train.csv --test data/test.csv',
    });
  }
  validateBucketName(input.bucket);
  const fraction = input.validationFraction ?? 0.1;
  if (!(fraction >= 0 && fraction < 1)) {
    throw new UserInputError('VALIDATION_FRACTION', `--validation-fraction must be in [0, 1), got ${fraction}`);
  }
  const shards = input.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1)
    throw new UserInputError('SHARDS_INVALID', `--shards must be a whole number >= 1, got ${shards}`);
  // Local inputs first: a missing file is reported before any folder, client or network call.
  for (const [flag, path] of [
    ['--train', input.train],
    ['--test', input.test],
  ] as const) {
    if (path && !(await fileExists(path))) {
      throw new UserInputError('FILE_NOT_FOUND', `${flag} ${path} does not exist`, {
        hint: `check the path given to ${flag}`,
        details: { file: path },
      });
    }
  }

  const runsDirExisted = input.runDir !== undefined || (await fileExists(input.runsDir ?? 'runs'));
  const { runId, runDir, manifest: existing, createdDir } = await resolveRun(input, new Date(started));
  let rec: RunRecorder | undefined;
  try {
    if (!RUN_ID_RE.test(runId)) {
      throw new UserInputError('RUN_ID_INVALID', `run id '${runId}' cannot be used in an S3 key`, {
        hint: 'use letters, digits, dots, hyphens and underscores',
      });
    }
    const work = join(runDir, 'sagemaker-input');
    let data: PreparedTrain | undefined;
    let test: PreparedTest | undefined;
    if (input.train) {
      deps.reporter.emit({ kind: 'step', step: 'convert', message: `converting ${input.train} to Linear Learner CSV` });
      data = await prepareTrainData(
        {
          trainFile: input.train,
          validationFraction: fraction,
          seed: input.seed,
          numClasses: 10,
          outDir: work,
          shards: input.trainShards ?? 1,
        },
        deps,
      );
      const prior = existing?.split;
      const split = data.split;
      if (
        prior &&
        (prior.seed !== split.seed ||
          prior.validationFraction !== fraction ||
          prior.validationRows.join() !== split.validationRows.join())
      ) {
        throw new UserInputError(
          'SPLIT_MISMATCH',
          `${runDir} already holds out a different validation split (seed ${prior.seed}, ` +
            `fraction ${prior.validationFraction})`,
          {
            hint:
              `pass --seed ${prior.seed} --validation-fraction ${prior.validationFraction} so both engines ` +
              `are scored on the same rows, or start a new run`,
          },
        );
      }
    }
    if (input.test) {
      deps.reporter.emit({ kind: 'step', step: 'convert', message: `converting ${input.test} to headerless features` });
      test = await prepareTestShards({ testFile: input.test, shards, outDir: work, numClasses: 10 }, deps);
    }

    // Now the network: bucket, then the objects, then the stale ones go.
    const storage = deps.storage ?? s3RunStorage(createS3Client(input.s3), deps);
    const layout = runS3Layout(input.bucket, input.prefix, runId);
    deps.reporter.emit({ kind: 'step', step: 'check', message: `checking s3://${input.bucket}` });
    await storage.headBucket(input.bucket);
    const files = channelFiles(layout, data, test);
    // Re-uploading only --test keeps the held-out rows the transform scores (and vice versa).
    const keep = (uri: string) =>
      (!data &&
        (uri.startsWith(layout.trainChannel) ||
          uri.startsWith(layout.validationChannel) ||
          uri.endsWith(`/${VALIDATION_FEATURES_FILE}`))) ||
      (!test && uri.startsWith(layout.transformInput) && !uri.endsWith(`/${VALIDATION_FEATURES_FILE}`));
    // Recorded before the first object is sent, so `cleanup` finds a partly uploaded prefix too.
    const region = (await storage.region?.()) ?? input.s3.region ?? 'us-east-1';
    rec = existing
      ? new RunRecorder(runDir, existing, deps.clock)
      : RunRecorder.create(runDir, { runId, command: 'upload', engine: 'sagemaker', seed: input.seed }, deps.clock);
    await rec.addResource('s3-prefix', layout.root, region, true);
    const { results, staleDeleted } = await syncChannelFiles(files, storage, deps, keep);

    const m = rec.manifest;
    const inputs: RunManifest['inputs'] = [];
    if (input.train && data)
      inputs.push({
        role: 'train',
        path: input.train,
        ...(await sha256File(input.train)),
        rows: data.trainRows + data.validationRows,
      });
    if (input.test && test)
      inputs.push({ role: 'test', path: input.test, ...(await sha256File(input.test)), rows: test.rows });
    const roles = new Set(inputs.map((i) => i.role));
    m.inputs = [...m.inputs.filter((i) => !roles.has(i.role)), ...inputs];
    if (data) m.split = data.split;
    const testFiles = results.filter((r) => r.channel === 'test');
    const uris: UploadStageResult['uris'] = {
      train: results.find((r) => r.channel === 'train')?.uri,
      validation: results.find((r) => r.channel === 'validation' && r.uri.startsWith(layout.validationChannel))?.uri,
      test: testFiles.length ? layout.transformInput : undefined,
      testKeys: testFiles.length ? testFiles.map((r) => r.uri) : undefined,
    };
    const defined = Object.fromEntries(Object.entries(uris).filter(([, v]) => v !== undefined));
    m.s3 = { ...(m.s3 ?? {}), bucket: input.bucket, prefix: layout.root, ...defined };
    const seconds = (deps.clock.now() - started) / 1000;
    m.timings.upload = seconds;
    await rec.save();

    const out = (r: (typeof results)[number]): UploadedFile => ({
      channel: r.channel,
      uri: r.uri,
      rows: r.rows,
      bytes: r.bytes,
      sha256: r.sha256,
      skipped: r.skipped,
      mbPerSecond: r.mbPerSecond,
    });
    return {
      runId,
      runDir,
      uris,
      validationRows: data?.split.validationRows ?? [],
      trainRows: data?.trainRows,
      uploaded: results.filter((r) => !r.skipped).map(out),
      skipped: results.filter((r) => r.skipped).map(out),
      staleDeleted,
      seconds,
    };
  } catch (e) {
    // Nothing sent to S3 under a new run: leave no folder behind; otherwise keep it for `cleanup`.
    const discarded = rec
      ? await rec.discardIfNothingCreated(createdDir)
      : createdDir && (await rm(runDir, { recursive: true, force: true }), true);
    if (discarded && !runsDirExisted) await rmdir(input.runsDir ?? 'runs').catch(() => undefined);
    throw e;
  }
}

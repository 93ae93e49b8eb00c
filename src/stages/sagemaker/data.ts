/**
 * Turns the user's Kaggle CSVs into what Linear Learner reads, on local disk first (so they can be
 * checked before any money is spent): train/validation channels with no header and the label
 * first (785 columns, rows shuffled: LL may fail on unshuffled data), headerless validation
 * features and the test set as N contiguous shards for an N-instance batch transform.
 */
import { join } from 'node:path';
import { readKaggleCsvFile } from '../../adapters/kaggle-csv-file.js';
import { withAtomicWriteStream, writeChunk, writeFileAtomic } from '../../adapters/atomic-file.js';
import { PIXELS, type Dataset } from '../../domain/dataset.js';
import { stratifiedSplit } from '../../domain/split.js';
import { mulberry32, shuffleInPlace } from '../../domain/random.js';
import { deriveSeed } from '../../domain/seeds.js';
import {
  shardName,
  trainShardName,
  VALIDATION_CHANNEL_FILE,
  VALIDATION_FEATURES_FILE,
} from '../../domain/sagemaker-plan.js';
import { shardRanges } from '../../domain/linear-learner-csv.js';
import type { SplitRecord } from '../../domain/manifest.js';
import type { StageDeps } from '../../runtime/deps.js';
import { InterruptedError, UserInputError } from '../../errors/index.js';
import type { RunStorage } from '../../adapters/sagemaker/run-storage.js';

export interface PrepareTrainInput {
  trainFile: string;
  validationFraction: number;
  seed: number;
  numClasses: number;
  outDir: string;
  /** Training instances: the train channel is written as this many files (ShardedByS3Key). */
  shards?: number;
}

export interface PreparedTrain {
  /** Train channel files (one per training instance). */
  train: string[];
  validation?: string;
  validationFeatures?: string;
  /** `ImageId,Label` of the validation rows, in the order of validationFeatures. */
  validationLabels?: string;
  trainRows: number;
  validationRows: number;
  split: SplitRecord;
}

const ROWS_PER_WRITE = 512;

/** Writes rows of `ds` (in `order`) as CSV lines, label first when `withLabel`. */
async function writeRows(
  path: string,
  ds: Dataset,
  order: ArrayLike<number>,
  withLabel: boolean,
  signal?: AbortSignal,
): Promise<void> {
  await withAtomicWriteStream(path, { force: true }, async (stream) => {
    const parts: string[] = [];
    for (let i = 0; i < order.length; i++) {
      const r = order[i];
      const px = ds.pixels.subarray(r * PIXELS, (r + 1) * PIXELS);
      const line = (withLabel ? `${ds.labels![r]},` : '') + px.join(',');
      parts.push(line);
      if (parts.length === ROWS_PER_WRITE || i === order.length - 1) {
        if (signal?.aborted) throw signal.reason;
        await writeChunk(stream, parts.join('\n') + '\n');
        parts.length = 0;
      }
    }
  });
}

/**
 * The order of the train channel rows: the split's training rows, shuffled with a seed derived
 * from the run's (Linear Learner may fail on unshuffled data). One recipe for `upload` and `run`.
 */
export function linearLearnerTrainOrder(trainRows: ArrayLike<number>, seed: number): number[] {
  const order = Array.from(trainRows);
  shuffleInPlace(order, mulberry32(deriveSeed(seed, 'channel-train-order')));
  return order;
}

/** Reads train.csv, splits it with the seed (the same split the local engine uses), writes the channels. */
export async function prepareTrainData(input: PrepareTrainInput, deps: StageDeps): Promise<PreparedTrain> {
  deps.reporter.emit({
    kind: 'step',
    step: 'prepare',
    message: `preparing Linear Learner CSVs from ${input.trainFile}`,
  });
  const { dataset, layout } = await readKaggleCsvFile(input.trainFile, {
    layout: 'auto',
    numClasses: input.numClasses,
    reporter: deps.reporter,
    signal: deps.signal,
  });
  if (layout !== 'train' || !dataset.labels) {
    throw new UserInputError('TRAIN_NO_LABELS', `${input.trainFile} has no label column`, {
      hint: 'pass the training file (label,pixel0..pixel783) with --train',
      details: { file: input.trainFile },
    });
  }
  const split = stratifiedSplit(dataset.labels, input.numClasses, {
    seed: deriveSeed(input.seed, 'split'),
    secondFraction: input.validationFraction,
  });
  const trainOrder = linearLearnerTrainOrder(split.first, input.seed);
  // With N instances each reads only its own objects (ShardedByS3Key): one file would leave
  // N-1 instances without data, so the shuffled rows are dealt into N near-equal files.
  const shards = Math.max(1, input.shards ?? 1);
  const ranges = shardRanges(trainOrder.length, shards);
  const out: PreparedTrain = {
    train: ranges.map((_, i) => join(input.outDir, trainShardName(i, ranges.length))),
    trainRows: split.first.length,
    validationRows: split.second.length,
    split: {
      seed: input.seed,
      validationFraction: input.validationFraction,
      validationRows: Array.from(split.second),
      trainRows: split.first.length,
    },
  };
  for (const [i, path] of out.train.entries())
    await writeRows(path, dataset, trainOrder.slice(ranges[i].start, ranges[i].end), true, deps.signal);
  if (split.second.length > 0) {
    out.validation = join(input.outDir, VALIDATION_CHANNEL_FILE);
    out.validationFeatures = join(input.outDir, VALIDATION_FEATURES_FILE);
    out.validationLabels = join(input.outDir, 'validation-labels.csv');
    await writeRows(out.validation, dataset, split.second, true, deps.signal);
    await writeRows(out.validationFeatures, dataset, split.second, false, deps.signal);
    const labels = Array.from(split.second, (r, i) => `${i + 1},${dataset.labels![r]}`);
    await writeFileAtomic(out.validationLabels, `ImageId,Label\n${labels.join('\n')}\n`, { force: true });
  }
  return out;
}

export interface PreparedTest {
  shards: string[];
  shardRows: number[];
  rows: number;
}

/** Writes the test features as `shards` contiguous headerless files (shard i holds a block of ImageIds). */
export async function prepareTestShards(
  input: { testFile: string; shards: number; outDir: string; numClasses: number },
  deps: StageDeps,
): Promise<PreparedTest> {
  const { dataset } = await readKaggleCsvFile(input.testFile, {
    layout: 'auto',
    numClasses: input.numClasses,
    reporter: deps.reporter,
    signal: deps.signal,
  });
  const n = dataset.rows;
  if (n < input.shards) {
    throw new UserInputError(
      'TOO_FEW_TEST_ROWS',
      `${input.testFile} has ${n} rows, fewer than --instance-count ${input.shards}`,
      {
        hint: 'use fewer instances: each one needs its own shard of the test set',
      },
    );
  }
  const shards: string[] = [];
  const shardRows: number[] = [];
  for (const [s, { start: from, end: to }] of shardRanges(n, input.shards).entries()) {
    const path = join(input.outDir, 'test', shardName(s));
    const order = Array.from({ length: to - from }, (_, i) => from + i);
    await writeRows(path, dataset, order, false, deps.signal);
    shards.push(path);
    shardRows.push(to - from);
  }
  return { shards, shardRows, rows: n };
}

/** One file to put in S3: local path, destination, channel, rows. */
export interface ChannelFile {
  channel: 'train' | 'validation' | 'test';
  path: string;
  uri: string;
  rows: number;
}

/**
 * The S3 objects of a run's Linear Learner data, from what was prepared locally, laid out as the
 * plan says (train shards, validation channel, transform input = test shards + validation features).
 */
export function channelFiles(
  layout: { trainChannel: string; validationChannel: string; transformInput: string },
  data: PreparedTrain | undefined,
  test: PreparedTest | undefined,
): ChannelFile[] {
  const files: ChannelFile[] = [];
  if (data) {
    const ranges = shardRanges(data.trainRows, data.train.length);
    data.train.forEach((p, i) =>
      files.push({
        channel: 'train',
        path: p,
        uri: `${layout.trainChannel}${trainShardName(i, data.train.length)}`,
        rows: ranges[i].end - ranges[i].start,
      }),
    );
    if (data.validation)
      files.push({
        channel: 'validation',
        path: data.validation,
        uri: `${layout.validationChannel}${VALIDATION_CHANNEL_FILE}`,
        rows: data.validationRows,
      });
    if (data.validationFeatures)
      files.push({
        channel: 'validation',
        path: data.validationFeatures,
        uri: `${layout.transformInput}${VALIDATION_FEATURES_FILE}`,
        rows: data.validationRows,
      });
  }
  test?.shards.forEach((p, i) =>
    files.push({ channel: 'test', path: p, uri: `${layout.transformInput}${shardName(i)}`, rows: test.shardRows[i] }),
  );
  return files;
}

/**
 * Uploads the files (unchanged objects are not re-sent) and then deletes every other object under
 * the prefixes they were written to, so S3 holds exactly the set just reported: a re-upload with
 * fewer shards leaves no stale shard for a transform job or a training channel to pick up.
 */
export async function syncChannelFiles(
  files: ChannelFile[],
  storage: RunStorage,
  deps: StageDeps,
  /** Objects to leave in place although not in `files` (e.g. validation features when only --test is re-uploaded). */
  keep: (uri: string) => boolean = () => false,
): Promise<{
  results: (ChannelFile & { bytes: number; skipped: boolean; mbPerSecond?: number; sha256?: string })[];
  staleDeleted: string[];
}> {
  const results = [];
  for (const f of files) {
    if (deps.signal?.aborted) throw new InterruptedError('upload interrupted');
    if (storage.upload) {
      const r = await storage.upload(f.path, f.uri, `${f.channel}/${f.uri.split('/').pop()}`);
      results.push({ ...f, bytes: r.bytes, skipped: r.skipped, mbPerSecond: r.mbPerSecond, sha256: r.sha256 });
    } else {
      results.push({ ...f, bytes: await storage.putFile(f.path, f.uri), skipped: false });
    }
  }
  const wanted = new Set(files.map((f) => f.uri));
  const prefixes = [...new Set(files.map((f) => f.uri.slice(0, f.uri.lastIndexOf('/') + 1)))];
  const stale: string[] = [];
  for (const prefix of prefixes) {
    const bucket = prefix.slice('s3://'.length).split('/')[0];
    for (const key of await storage.listKeys(prefix)) {
      const uri = `s3://${bucket}/${key}`;
      // S3Prefix channels and transform inputs read everything below the prefix: anything not in the set goes.
      if (!wanted.has(uri) && !keep(uri)) stale.push(uri);
    }
  }
  if (stale.length) {
    if (!storage.deleteObjects) throw new Error('storage cannot delete objects');
    await storage.deleteObjects(stale);
    deps.reporter.emit({
      kind: 'info',
      message: `deleted ${stale.length} stale object(s) left by an earlier upload`,
      data: { stale: stale.slice(0, 20) },
    });
  }
  return { results, staleDeleted: stale };
}

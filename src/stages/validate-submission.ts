/**
 * validate-submission: what Kaggle checks, before upload. Returns every defect with its line;
 * `assertValidSubmission` turns a failed check into one UserInputError (exit 2).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { UserInputError } from '../errors/index.js';
import { checkSubmission, submissionError, DEFAULT_COMPETITION, type SubmissionCheck } from '../domain/submission.js';
import { expectedSubmissionRows, type ExpectedRowsSource } from '../domain/kaggle-submission.js';
import type { RunManifest } from '../domain/manifest.js';
import { MANIFEST_FILE, readManifest } from '../adapters/run-store.js';
import { fileExists } from '../adapters/atomic-file.js';
import { assertInputFile } from './argmax.js';
import type { StageDeps } from '../runtime/deps.js';

export interface ValidateSubmissionInput {
  /** The submission CSV, or a run folder (its submission.csv). */
  file: string;
  /** Expected data rows. */
  rows?: number;
  /** A test CSV whose data rows give the expected count (when `rows` is not given). */
  test?: string;
  /** Kaggle competition: digit-recognizer (the default) expects 28,000 rows when nothing else says. */
  competition?: string;
  numClasses?: number;
}

export interface ValidateSubmissionResult extends SubmissionCheck {
  file: string;
  /** Where the expected row count came from (see `expectedSubmissionRows`). */
  expectedRowsFrom: ExpectedRowsSource;
  /** The run folder the file belongs to, when it is in one. */
  runDir?: string;
}

/** A submission target resolved: the CSV, and the run it belongs to (its folder holds manifest.json). */
export interface SubmissionTarget {
  file: string;
  runDir?: string;
  manifest?: RunManifest;
}

/** `target` is a run folder (→ its submission) or a CSV (→ its run, if its folder is one). */
export async function resolveSubmissionTarget(target: string): Promise<SubmissionTarget> {
  const isDir = await stat(target).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isDir) {
    const manifest = await readManifest(target);
    const file = join(target, manifest.outputs.submission ?? 'submission.csv');
    if (!(await fileExists(file))) {
      throw new UserInputError('FILE_NOT_FOUND', `run ${target} has no submission (${file} does not exist)`, {
        hint: `make one with \`digitflow argmax ${target}\``,
        details: { path: file },
      });
    }
    return { file, runDir: target, manifest };
  }
  const dir = dirname(target);
  if (await fileExists(join(dir, MANIFEST_FILE))) {
    const manifest = await readManifest(dir).catch(() => undefined);
    if (manifest) return { file: target, runDir: dir, manifest };
  }
  return { file: target };
}

/** Data rows of the run's test input, as recorded (or counted, when the file is still there). */
async function runTestRows(manifest: RunManifest | undefined): Promise<number | undefined> {
  const test = manifest?.inputs.find((i) => i.role === 'test');
  if (!test) return undefined;
  if (typeof test.rows === 'number') return test.rows;
  if (!test.path.startsWith('s3://') && (await fileExists(test.path))) return countCsvDataRows(test.path);
  return undefined;
}

/** Counts the data rows of a Kaggle CSV (.csv or .csv.gz): non-blank lines, minus a header line. */
export async function countCsvDataRows(path: string): Promise<number> {
  await assertInputFile(path, 'test file');
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const rl = createInterface({ input, crlfDelay: Infinity });
  let rows = 0;
  let first = true;
  try {
    for await (const line of rl) {
      if (first) {
        first = false;
        // A header starts with a name (label, pixel0); data starts with a number.
        if (!/^\s*\d/.test(line.replace(/^\uFEFF/, ''))) continue;
      }
      if (line.trim() !== '') rows++;
    }
  } catch (e) {
    throw new UserInputError('TEST_UNREADABLE', `cannot read ${path}: ${(e as Error).message}`, { details: { path } });
  } finally {
    rl.close();
    raw.destroy();
  }
  return rows;
}

/** Checks `file` and lists every defect (never throws for defects; see `assertValidSubmission`). */
export async function validateSubmissionStage(
  input: ValidateSubmissionInput,
  deps: StageDeps,
): Promise<ValidateSubmissionResult> {
  const target = await resolveSubmissionTarget(input.file);
  await assertInputFile(target.file, 'submission');
  let testRows: number | undefined;
  if (input.rows === undefined && input.test) {
    testRows = await countCsvDataRows(input.test);
    deps.reporter.emit({ kind: 'info', message: `${input.test} has ${testRows} data rows`, data: { rows: testRows } });
  }
  const fromRun = input.rows === undefined && testRows === undefined ? await runTestRows(target.manifest) : undefined;
  const expected = expectedSubmissionRows({
    rows: input.rows,
    testRows,
    runTestRows: fromRun,
    competition: input.competition ?? DEFAULT_COMPETITION,
  });
  deps.reporter.emit({ kind: 'step', step: 'validate', message: `checking ${target.file}` });
  const check = await checkSubmission(createReadStream(target.file), {
    expectedRows: expected.rows,
    numClasses: input.numClasses,
  });
  return { file: target.file, expectedRowsFrom: expected.from, runDir: target.runDir, ...check };
}

/** Throws SUBMISSION_INVALID listing the defects (file:line each) when the check failed. */
export function assertValidSubmission(result: ValidateSubmissionResult): void {
  if (!result.valid) throw submissionError(result.file, result);
}

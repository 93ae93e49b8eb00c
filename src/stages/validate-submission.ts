/**
 * validate-submission: what Kaggle checks, before upload. Returns every defect with its line;
 * `assertValidSubmission` turns a failed check into one UserInputError (exit 2).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { UserInputError } from '../errors/index.js';
import { checkSubmission, submissionError, type SubmissionCheck } from '../domain/submission.js';
import { assertInputFile } from './argmax.js';
import type { StageDeps } from './deps.js';

export interface ValidateSubmissionInput {
  file: string;
  /** Expected data rows. */
  rows?: number;
  /** A test CSV whose data rows give the expected count (when `rows` is not given). */
  test?: string;
  numClasses?: number;
}

export interface ValidateSubmissionResult extends SubmissionCheck {
  file: string;
  /** Where the expected row count came from. */
  expectedRowsFrom: 'rows' | 'test' | 'none';
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
export async function validateSubmissionStage(input: ValidateSubmissionInput, deps: StageDeps): Promise<ValidateSubmissionResult> {
  await assertInputFile(input.file, 'submission');
  let expectedRows = input.rows;
  let from: ValidateSubmissionResult['expectedRowsFrom'] = input.rows !== undefined ? 'rows' : 'none';
  if (expectedRows === undefined && input.test) {
    expectedRows = await countCsvDataRows(input.test);
    from = 'test';
    deps.reporter.emit({ kind: 'info', message: `${input.test} has ${expectedRows} data rows`, data: { rows: expectedRows } });
  }
  deps.reporter.emit({ kind: 'step', step: 'validate', message: `checking ${input.file}` });
  const check = await checkSubmission(createReadStream(input.file), { expectedRows, numClasses: input.numClasses });
  return { file: input.file, expectedRowsFrom: from, ...check };
}

/** Throws SUBMISSION_INVALID listing the defects (file:line each) when the check failed. */
export function assertValidSubmission(result: ValidateSubmissionResult): void {
  if (!result.valid) throw submissionError(result.file, result);
}

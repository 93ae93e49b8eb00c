/**
 * The Kaggle submission file `ImageId,Label`: what Kaggle checks, checked before upload, with
 * every defect's line number. Also reads such files (submissions and answer keys) for evaluate.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { UserInputError } from '../errors/index.js';

export const SUBMISSION_HEADER = 'ImageId,Label';
/** Rows Kaggle's digit-recognizer expects (test.csv has 28,000 images). */
export const DIGIT_RECOGNIZER_ROWS = 28_000;

/** The Kaggle competition digitflow submits to unless told otherwise. */
export const DEFAULT_COMPETITION = 'digit-recognizer';

export type SubmissionDefectCode =
  | 'HEADER'
  | 'BOM'
  | 'BLANK_LINE'
  | 'FIELD_COUNT'
  | 'ID_NOT_INTEGER'
  | 'ID_DUPLICATE'
  | 'ID_OUT_OF_ORDER'
  | 'LABEL_NOT_INTEGER'
  | 'LABEL_OUT_OF_RANGE'
  | 'WHITESPACE'
  | 'ROW_COUNT'
  | 'EMPTY';

export interface SubmissionDefect {
  line: number;
  code: SubmissionDefectCode;
  message: string;
}

export interface SubmissionCheck {
  rows: number;
  expectedRows?: number;
  valid: boolean;
  /** Total number of defects found (the list keeps at most `maxDefects`). */
  defectCount: number;
  defects: SubmissionDefect[];
}

export interface SubmissionCheckOptions {
  expectedRows?: number;
  numClasses?: number;
  /** How many defects to keep in the list (all are counted). Default 1000. */
  maxDefects?: number;
}

const INT = /^\d+$/;

/**
 * One data row `ImageId,Label`, checked field by field: the single row parser of submissions and
 * answer keys (validate-submission, evaluate, run). `id`/`label` are set when that field is valid.
 */
export function parseIdLabelRow(
  raw: string,
  numClasses = 10,
): { id?: number; label?: number; defects: { code: SubmissionDefectCode; message: string }[] } {
  const defects: { code: SubmissionDefectCode; message: string }[] = [];
  const fields = raw.split(',');
  if (fields.length !== 2)
    return { defects: [{ code: 'FIELD_COUNT', message: `expected 2 fields (ImageId,Label), found ${fields.length}` }] };
  const [idText, labelText] = fields;
  if (idText !== idText.trim() || labelText !== labelText.trim())
    defects.push({ code: 'WHITESPACE', message: 'spaces around a field' });
  const idT = idText.trim();
  const labelT = labelText.trim();
  let id: number | undefined;
  let label: number | undefined;
  if (!INT.test(idT) || Number(idT) < 1)
    defects.push({ code: 'ID_NOT_INTEGER', message: `ImageId '${idT}' is not a whole number >= 1` });
  else id = Number(idT);
  if (!INT.test(labelT))
    defects.push({ code: 'LABEL_NOT_INTEGER', message: `Label '${labelT}' is not a whole number` });
  else if (Number(labelT) >= numClasses)
    defects.push({ code: 'LABEL_OUT_OF_RANGE', message: `Label ${labelT} is not a class 0-${numClasses - 1}` });
  else label = Number(labelT);
  return { id, label, defects };
}

/** Reads a submission stream line by line (constant memory apart from the id bitmap) and lists every defect. */
export async function checkSubmission(input: Readable, opts: SubmissionCheckOptions = {}): Promise<SubmissionCheck> {
  const numClasses = opts.numClasses ?? 10;
  const maxDefects = opts.maxDefects ?? 1000;
  const defects: SubmissionDefect[] = [];
  let defectCount = 0;
  const add = (line: number, code: SubmissionDefectCode, message: string) => {
    defectCount++;
    if (defects.length < maxDefects) defects.push({ line, code, message });
  };
  let seen = new Uint8Array(1 << 16);
  let line = 0;
  let rows = 0;
  let pendingBlank: number[] = [];
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const raw of rl) {
      line++;
      if (line === 1) {
        let text = raw;
        if (text.startsWith('\uFEFF')) {
          add(1, 'BOM', 'the file starts with a byte-order mark; Kaggle may not recognise the ImageId column');
          text = text.slice(1);
        }
        if (text !== SUBMISSION_HEADER)
          add(1, 'HEADER', `header must be exactly '${SUBMISSION_HEADER}', found '${text.slice(0, 60)}'`);
        continue;
      }
      if (raw.trim() === '') {
        // A blank line is only a defect if data follows it (one trailing newline is normal).
        pendingBlank.push(line);
        continue;
      }
      for (const b of pendingBlank) add(b, 'BLANK_LINE', 'blank line');
      pendingBlank = [];
      rows++;
      const row = parseIdLabelRow(raw, numClasses);
      for (const d of row.defects) add(line, d.code, d.message);
      const id = row.id;
      if (id !== undefined) {
        if (id < 50_000_000) {
          if (id >= seen.length) {
            const bigger = new Uint8Array(Math.max(id + 1, seen.length * 2));
            bigger.set(seen);
            seen = bigger;
          }
          if (seen[id]) add(line, 'ID_DUPLICATE', `ImageId ${id} appears more than once`);
          else if (id !== rows)
            add(line, 'ID_OUT_OF_ORDER', `ImageId ${id} where ${rows} was expected (ids must be 1..N in order)`);
          seen[id] = 1;
        } else if (id !== rows)
          add(line, 'ID_OUT_OF_ORDER', `ImageId ${id} where ${rows} was expected (ids must be 1..N in order)`);
      }
    }
  } finally {
    rl.close();
    input.destroy();
  }
  if (pendingBlank.length > 1)
    for (const b of pendingBlank.slice(0, -1)) add(b, 'BLANK_LINE', 'blank line at the end of the file');
  if (line === 0) add(1, 'EMPTY', 'the file is empty');
  if (opts.expectedRows !== undefined && rows !== opts.expectedRows) {
    add(line, 'ROW_COUNT', `${rows} data rows, expected ${opts.expectedRows}`);
  }
  return { rows, expectedRows: opts.expectedRows, valid: defectCount === 0, defectCount, defects };
}

/** The defects as one UserInputError (SUBMISSION_INVALID), every defect on its own line as `file:line: message`. */
export function submissionError(file: string, check: SubmissionCheck, shown = 20): UserInputError {
  const lines = check.defects.slice(0, shown).map((d) => `  ${file}:${d.line}: ${d.message} [${d.code}]`);
  const more = check.defectCount > shown ? `\n  ... and ${check.defectCount - shown} more` : '';
  return new UserInputError(
    'SUBMISSION_INVALID',
    `${file} has ${check.defectCount} problem(s):\n${lines.join('\n')}${more}`,
    {
      hint:
        'fix the file (or regenerate it with `digitflow argmax`) ' +
        'and check it again with `digitflow validate-submission`',
      details: {
        file,
        rows: check.rows,
        expectedRows: check.expectedRows,
        defectCount: check.defectCount,
        defects: check.defects,
      },
    },
  );
}

/**
 * Reads an `ImageId,Label` file (submission or answer key) into id → label. Any defect is an
 * error naming file:line. Ids need not be in order here (answer keys may be shuffled).
 */
export async function readIdLabelFile(input: Readable, file: string, numClasses = 10): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  const fail = (l: number, message: string) =>
    new UserInputError('LABELS_INVALID', `${file}:${l}: ${message}`, {
      hint: 'expected a CSV with header ImageId,Label and one row per image',
      details: { file, line: l },
    });
  try {
    for await (const raw of rl) {
      line++;
      const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line === 1) {
        if (text.trim() !== SUBMISSION_HEADER)
          throw fail(1, `header must be '${SUBMISSION_HEADER}', found '${text.slice(0, 60)}'`);
        continue;
      }
      if (text.trim() === '') continue;
      const row = parseIdLabelRow(text, numClasses);
      if (row.defects.length > 0) throw fail(line, `${row.defects[0].message} [${row.defects[0].code}]`);
      const id = row.id!;
      if (out.has(id)) throw fail(line, `ImageId ${id} appears more than once`);
      out.set(id, row.label!);
    }
  } finally {
    rl.close();
    input.destroy();
  }
  if (out.size === 0) throw fail(Math.max(line, 1), 'no data rows');
  return out;
}

/** Turns a CSV problem into the user-facing error (stable code per kind, hint per kind). */
import { UserInputError, type ErrorCodeWithExit } from '../../errors/index.js';
import { formatProblem, type CsvProblem } from './csv-problem.js';

const CODES: Record<CsvProblem['kind'], ErrorCodeWithExit<2>> = {
  header: 'CSV_HEADER',
  width: 'CSV_WIDTH',
  value: 'CSV_VALUE',
  label: 'CSV_LABEL',
  'empty-line': 'CSV_EMPTY_LINE',
  'no-rows': 'CSV_NO_ROWS',
  syntax: 'CSV_SYNTAX',
  'line-too-long': 'CSV_LINE_TOO_LONG',
  'not-text': 'CSV_NOT_TEXT',
};

const HINTS: Record<CsvProblem['kind'], string> = {
  header: 'a Kaggle train.csv starts with `label,pixel0,...,pixel783`, a test.csv with `pixel0,...,pixel783`',
  width: 'every row needs the same columns as the header: 785 for train (label + 784 pixels), 784 for test',
  value: 'pixels must be whole numbers 0-255; run `digitflow inspect FILE` to list every problem in the file',
  label: 'labels must be class numbers 0..N-1 (declare another class count with --num-classes)',
  'empty-line': 'remove the blank line (blank lines are only accepted at the end of the file)',
  'no-rows': 'a Kaggle CSV needs its header line and at least one image row after it; was the file written completely?',
  syntax: 'the file is not valid CSV at this line',
  'line-too-long':
    'a Kaggle row is under 4 KB, so this is not a digit CSV (a missing line break?); ' +
    'if the lines really are this long, raise the limit with --max-line-bytes <n>',
  'not-text': 'pass the Kaggle train.csv or test.csv as text (plain, gzip or zip): this file is binary or UTF-16',
};

export function csvError(file: string, p: CsvProblem): UserInputError {
  return new UserInputError(CODES[p.kind], formatProblem(file, p), {
    hint: HINTS[p.kind],
    details: { file, line: p.line, column: p.column, kind: p.kind },
  });
}

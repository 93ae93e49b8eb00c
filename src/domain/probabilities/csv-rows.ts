/**
 * Headered CSV probability files: our own `ImageId,0,...,9` and legacy Amazon ML batch
 * predictions (`[tag,][trueLabel,]` then class columns in ANY order, e.g. `5,6,7,2,8,3,9,0,1,4`).
 * Class columns are always mapped by header name, never by position.
 */
import { parse as parseSync } from 'csv-parse/sync';
import type { Readable } from 'node:stream';
import { UserInputError } from '../../errors/index.js';
import { byteLineBatches } from './line-batches.js';
import { parseNumericBytes } from './numeric-line.js';

const decoder = new TextDecoder();
import { checkScores, parseScore } from './row-check.js';
import type { ParseProbabilityOptions, ProbabilityRow } from './types.js';

export interface ColumnMap {
  /** Column holding the row id (ImageId or AML tag), or -1. */
  idColumn: number;
  /** classColumn[k] = CSV column index holding the score of class k. */
  classColumn: number[];
  width: number;
}

function headerError(file: string, message: string, hint: string): UserInputError {
  return new UserInputError('PROB_HEADER', `${file}:1: ${message}`, { hint, details: { file, line: 1 } });
}

/** Builds the column map from a header; `strict` (format csv) requires `ImageId` first. */
export function mapHeader(header: string[], numClasses: number, file: string, strict: boolean): ColumnMap {
  const names = header.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
  let idColumn = -1;
  const classColumn = new Array<number>(numClasses).fill(-1);
  const seen = new Set<string>();
  names.forEach((name, col) => {
    if (seen.has(name))
      throw headerError(file, `column '${name}' appears twice`, 'each class must have exactly one column');
    seen.add(name);
    if (/^imageid$/i.test(name) || name === 'tag') {
      idColumn = col;
      return;
    }
    if (name === 'trueLabel') return; // AML echoes the target here; not needed for argmax
    if (!/^\d+$/.test(name)) {
      throw headerError(
        file,
        `unexpected column '${name}'`,
        'class columns must be named by class number (0, 1, ...); other allowed columns: ImageId, tag, trueLabel',
      );
    }
    const k = Number(name);
    if (k >= numClasses) {
      throw headerError(
        file,
        `column '${name}' names class ${k}, but there are ${numClasses} classes (0..${numClasses - 1})`,
        'pass --num-classes if the model has more classes',
      );
    }
    classColumn[k] = col;
  });
  if (strict && (idColumn !== 0 || !/^imageid$/i.test(names[0]))) {
    throw headerError(
      file,
      `expected the header to start with ImageId, found '${names[0]}'`,
      'local probability files look like `ImageId,0,1,...,9`; use --format aml for Amazon ML output',
    );
  }
  const missing = classColumn.flatMap((c, k) => (c < 0 ? [k] : []));
  if (missing.length > 0) {
    throw headerError(
      file,
      `expected ${numClasses} class columns, missing class ${missing.join(', ')}`,
      'every class 0..N-1 needs a column; pass --num-classes if the model has fewer classes',
    );
  }
  return { idColumn, classColumn, width: names.length };
}

/** Splits one CSV line: plain split for the usual unquoted numbers, csv-parse for quoted lines. */
function splitLine(text: string, file: string, line: number): string[] {
  if (!text.includes('"')) return text.split(',');
  try {
    const rows = parseSync(text, { relax_column_count: true }) as string[][];
    return rows[0] ?? [];
  } catch (e) {
    throw new UserInputError('PROB_CSV', `${file}:${line}: ${(e as Error).message}`, {
      hint: 'the line is not valid CSV',
      details: { file, line },
    });
  }
}

/**
 * Streams rows of a headered CSV probability file (`strict` = our own `ImageId,0..9` format),
 * a batch per chunk read. Plain numeric lines take the fast path (numeric-line.ts); any other line
 * (quotes, blanks in fields, NaN, odd widths) goes through the reference path below, which
 * decides every error, so both give the same rows and the same messages.
 */
export async function* parseCsvProbabilityBatches(
  input: Readable,
  opts: ParseProbabilityOptions & { strict: boolean },
): AsyncGenerator<ProbabilityRow[]> {
  const numClasses = opts.numClasses ?? 10;
  const file = opts.file;
  let map: ColumnMap | undefined;
  let values = new Float64Array(0);
  let line = 0;
  try {
    for await (const { buf, starts, ends } of byteLineBatches(input)) {
      const rows: ProbabilityRow[] = [];
      for (let li = 0; li < starts.length; li++) {
        line++;
        const s0 = starts[li];
        const e0 = ends[li];
        // An id below 1 is an error: the reference path reports it with the text as written.
        if (
          map &&
          parseNumericBytes(buf, s0, e0, map.width, values, map.idColumn) &&
          (map.idColumn < 0 || values[map.idColumn] >= 1)
        ) {
          const scores = new Array<number>(numClasses);
          for (let k = 0; k < numClasses; k++) scores[k] = values[map.classColumn[k]];
          const sum = checkScores(scores, numClasses, file, line);
          rows.push({ line, id: map.idColumn >= 0 ? values[map.idColumn] : undefined, scores, sum });
          continue;
        }
        const raw = decoder.decode(buf.subarray(s0, e0));
        const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
        if (text.trim() === '') continue;
        if (!map) {
          map = mapHeader(splitLine(text, file, line), numClasses, file, opts.strict);
          values = new Float64Array(map.width);
          continue;
        }
        rows.push(referenceRow(text, map, numClasses, file, line));
      }
      if (rows.length > 0) yield rows;
    }
  } finally {
    input.destroy();
  }
  if (!map)
    throw new UserInputError('PROB_EMPTY', `${file} is empty`, {
      hint: 'pass a file with a header and one row per image',
      details: { file },
    });
}

function badId(idText: string, file: string, line: number): UserInputError {
  return new UserInputError('PROB_ID', `${file}:${line}: id '${idText}' is not a positive whole number`, {
    hint: 'ImageId values are 1-based integers',
    details: { file, line },
  });
}

/** The reference path for one data line: split (csv-parse for quoted lines), Number() per field. */
export function referenceRow(
  text: string,
  map: ColumnMap,
  numClasses: number,
  file: string,
  line: number,
): ProbabilityRow {
  const record = splitLine(text, file, line);
  if (record.length !== map.width) {
    throw new UserInputError(
      'PROB_FIELD_COUNT',
      `${file}:${line}: expected ${map.width} fields like the header, found ${record.length}`,
      {
        hint: 'a row is cut short or has extra commas; regenerate the file',
        details: { file, line },
      },
    );
  }
  const scores = new Array<number>(numClasses);
  for (let k = 0; k < numClasses; k++) scores[k] = parseScore(record[map.classColumn[k]]);
  const sum = checkScores(scores, numClasses, file, line);
  let id: number | undefined;
  if (map.idColumn >= 0) {
    const idText = record[map.idColumn].trim();
    // AML leaves `tag` empty when the schema had no rowId: fall back to row order.
    if (idText !== '') {
      if (!/^\d+$/.test(idText) || Number(idText) < 1) throw badId(idText, file, line);
      id = Number(idText);
    }
  }
  return { line, id, scores, sum };
}

/**
 * Problems found in a Kaggle CSV, with the file, the 1-based line and column, and what was expected.
 * The fast and the reference reader produce the same problems for the same bytes.
 */
import { fieldName, type Layout, expectedFields } from './kaggle-layout.js';
import { quoteValue } from '../terminal-text.js';

export type CsvProblemKind =
  'header' | 'width' | 'value' | 'label' | 'empty-line' | 'no-rows' | 'syntax' | 'line-too-long' | 'not-text';

export interface CsvProblem {
  kind: CsvProblemKind;
  /** 1-based physical line number (the header is line 1). */
  line: number;
  /** 1-based column, when one field is at fault. */
  column?: number;
  message: string;
}

export function formatProblem(file: string, p: CsvProblem): string {
  return `${file}:${p.line}: ${p.message}`;
}

/** A field quoted in a message: escaped (no terminal control) and cut to 20 characters. */
const shown = (text: string): string => quoteValue(text, 20);

/**
 * Validates one data row given as strings and writes it into `pixels[offset..]` / `labels[row]`.
 * Returns the first problem of the row, or undefined when the row is valid.
 */
export function validateRowFields(
  fields: string[],
  line: number,
  layout: Layout,
  numClasses: number,
  pixels: Uint8Array,
  offset: number,
  labels: Uint8Array | undefined,
  row: number,
): CsvProblem | undefined {
  const want = expectedFields(layout);
  if (fields.length === 1 && fields[0] === '') {
    return { kind: 'empty-line', line, message: 'empty line in the middle of the data' };
  }
  if (fields.length !== want) {
    return { kind: 'width', line, message: `expected ${want} fields, found ${fields.length}` };
  }
  let at = offset;
  for (let i = 0; i < want; i++) {
    const text = fields[i];
    const isLabel = layout === 'train' && i === 0;
    const ok = /^[0-9]{1,3}$/.test(text);
    const v = ok ? Number(text) : NaN;
    if (isLabel) {
      if (!ok || v >= numClasses) {
        return {
          kind: 'label',
          line,
          column: 1,
          message: `column 1 (label): expected a class label 0-${numClasses - 1}, found ${shown(text)}`,
        };
      }
      if (labels) labels[row] = v;
      continue;
    }
    if (!ok || v > 255) {
      return {
        kind: 'value',
        line,
        column: i + 1,
        message: `column ${i + 1} (${fieldName(layout, i)}): expected an integer 0-255, found ${shown(text)}`,
      };
    }
    pixels[at++] = v;
  }
  return undefined;
}

/** A line of `bytes` bytes (so far) is over the limit: the problem to stop the read with. */
export function lineTooLong(line: number, maxLineBytes: number): CsvProblem {
  return { kind: 'line-too-long', line, message: `line longer than ${maxLineBytes} bytes` };
}

/** Bytes at the start of a file checked for binary content. */
export const TEXT_SNIFF_BYTES = 8192;

/**
 * Detects binary input (a NUL byte in the first TEXT_SNIFF_BYTES bytes, or a UTF-16 byte order
 * mark), fed chunk by chunk whatever their size: not a text CSV.
 */
export class TextSniffer {
  private seen = 0;
  private first = -1;

  /** Returns the problem once binary content is seen, undefined otherwise (and after the sniff window). */
  feed(chunk: Uint8Array): CsvProblem | undefined {
    if (this.seen >= TEXT_SNIFF_BYTES) return undefined;
    const n = Math.min(chunk.length, TEXT_SNIFF_BYTES - this.seen);
    for (let i = 0; i < n; i++) {
      const b = chunk[i];
      const at = this.seen + i;
      if (at === 0) this.first = b;
      if (at === 1 && ((this.first === 0xff && b === 0xfe) || (this.first === 0xfe && b === 0xff))) {
        return { kind: 'not-text', line: 1, message: 'not a text CSV: the file starts with a UTF-16 byte order mark' };
      }
      if (b === 0)
        return { kind: 'not-text', line: 1, message: `not a text CSV: byte ${at + 1} is a NUL (binary data)` };
    }
    this.seen += n;
    return undefined;
  }
}
